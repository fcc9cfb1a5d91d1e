# Institutional-flow detection (dataplane/rs_ifd.c, rs_pressure, rs_baseline,
# rs_patterns.h, rs_quality): literal values of IFD.md section 7.
rs_add_test(NAME test_ifd SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ifd.c
            LIBS rs_dataplane LABELS unit)
# Scenario on generated sessions (20 quiet + institutional buyer + 20 quiet)
# through rs_ifdrun (the `ringside baseline build` path).
rs_add_test(NAME test_ifd_scenario SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ifd_scenario.c
            LIBS rs_controlplane LABELS integration TIMEOUT 300)
# Baseline file: round trip, corrupt, wrong version, power loss mid-write.
rs_add_test(NAME test_baseline SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_baseline.c
            LIBS rs_controlplane LABELS unit)
# Publication into an instance's rings/flow table, libringside and `ringside signals`.
rs_add_test(NAME test_ifd_shm SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ifd_shm.c
            LIBS rs_dataplane LABELS integration)
add_dependencies(test_ifd_shm ringside_cli)
# libFuzzer over the baseline file loader (rs_baseline_file_parse), with the
# checksum recomputed half the time so the checks behind it are reached.
# Seeds: tests/fuzz/baseline_seeds/ (hand-made: valid, corrupt, version 1,
# truncated, no instruments).
find_package(OpenSSL 3 QUIET)
if(OpenSSL_FOUND)
  rs_add_fuzz(NAME fuzz_baseline
              SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_baseline.c
                      ${CMAKE_SOURCE_DIR}/controlplane/rs_baseline_file.c
                      ${CMAKE_SOURCE_DIR}/dataplane/rs_baseline.c
              LIBS rs_shm OpenSSL::Crypto m
              CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/baseline_seeds SECONDS 20)
endif()
