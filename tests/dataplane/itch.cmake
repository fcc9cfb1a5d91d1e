# ITCH 5.0 / MoldUDP64 / frame parsing tests, and the fuzz_itch target.
rs_add_test(NAME test_itch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_itch.c
            LIBS rs_controlplane LABELS unit realdata TIMEOUT 120)
rs_add_test(NAME test_moldudp SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_moldudp.c
            LIBS rs_dataplane LABELS unit TIMEOUT 60)
rs_add_test(NAME test_pkt SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_pkt.c
            LIBS rs_dataplane LABELS unit TIMEOUT 60)

# Fuzz seeds: build/fuzz/itch_seeds = the hand-made ones committed in
# tests/fuzz/itch_seeds plus, made at build time by itch_seedgen, the UDP
# payloads and frames of the real captures (when shared/data/itch exists).
set(RS_ITCH_SEEDS_BUILD ${CMAKE_BINARY_DIR}/fuzz/itch_seeds)
rs_add_fuzz(NAME fuzz_itch
            SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_itch.c
                    ${CMAKE_SOURCE_DIR}/dataplane/rs_itch.c
                    ${CMAKE_SOURCE_DIR}/dataplane/rs_itchfile.c
                    ${CMAKE_SOURCE_DIR}/dataplane/rs_moldudp.c
            LIBS rs_shm
            CORPUS ${RS_ITCH_SEEDS_BUILD}
            SECONDS 20)
if(TARGET fuzz_itch)
  add_executable(itch_seedgen ${CMAKE_SOURCE_DIR}/tests/fuzz/itch_seedgen.c)
  target_link_libraries(itch_seedgen PRIVATE rs_controlplane)
  set_target_properties(itch_seedgen PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  add_custom_command(OUTPUT ${CMAKE_BINARY_DIR}/fuzz/itch_seeds.stamp
                     COMMAND ${CMAKE_COMMAND} -E make_directory ${RS_ITCH_SEEDS_BUILD}
                     COMMAND ${CMAKE_COMMAND} -E copy_directory ${CMAKE_SOURCE_DIR}/tests/fuzz/itch_seeds
                             ${RS_ITCH_SEEDS_BUILD}
                     COMMAND itch_seedgen ${RS_TESTDATA_DEFAULT} ${RS_ITCH_SEEDS_BUILD}
                     COMMAND ${CMAKE_COMMAND} -E touch ${CMAKE_BINARY_DIR}/fuzz/itch_seeds.stamp
                     DEPENDS itch_seedgen
                     COMMENT "fuzz_itch: seed corpus from ${RS_TESTDATA_DEFAULT}/itch")
  add_custom_target(fuzz_itch_seeds DEPENDS ${CMAKE_BINARY_DIR}/fuzz/itch_seeds.stamp)
  add_dependencies(fuzz_itch fuzz_itch_seeds)
endif()
rs_add_test(NAME test_instdir SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_instdir.c
            LIBS rs_dataplane LABELS unit TIMEOUT 60)

# `ringside itch dump` on the real day-file head (exit 66 = data absent: skipped).
add_test(NAME cli_itch_dump
         COMMAND sh -c "exec \"$0\" itch dump \"\${RINGSIDE_TESTDATA:-$1}/itch/nasdaq_itch50_binaryfile_first1000msgs.itch\" --quiet --stats"
                 $<TARGET_FILE:ringside_cli> ${RS_TESTDATA_DEFAULT})
set_tests_properties(cli_itch_dump PROPERTIES LABELS "integration;realdata" TIMEOUT 60
                     SKIP_RETURN_CODE 66
                     PASS_REGULAR_EXPRESSION "messages 1000 events 0.*type R stock_directory +993.*reject bad_length +0")
