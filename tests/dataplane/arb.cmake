# A/B arbitration, sequence/gap tracking, reorder buffer (dataplane/rs_arb.c).
rs_add_test(NAME test_arb SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_arb.c
            LIBS rs_dataplane LABELS unit)
# libFuzzer: datagrams on lines A/B/recovery with random timing (seeds:
# tests/fuzz/arb_seeds/, hand-made).
rs_add_fuzz(NAME fuzz_arb
            SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_arb.c ${CMAKE_SOURCE_DIR}/dataplane/rs_arb.c
                    ${CMAKE_SOURCE_DIR}/dataplane/rs_moldudp.c ${CMAKE_SOURCE_DIR}/shm/rs_err.c
            CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/arb_seeds SECONDS 20)
