# ringsided end to end (one test per driver, through veth pairs and a
# network namespace) and its lifecycle (SIGTERM, restart with a client
# attached, kill -9 of a client, SIGHUP reload). Root; skip otherwise.
rs_add_test(NAME test_daemon_e2e SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_daemon_e2e.c
            LIBS rs_controlplane LABELS integration TIMEOUT 400 RUN_SERIAL)
add_dependencies(test_daemon_e2e ringsided ringside_cli)
rs_add_test(NAME test_daemon_lifecycle SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_daemon_lifecycle.c
            LIBS rs_controlplane LABELS integration TIMEOUT 300 RUN_SERIAL)
add_dependencies(test_daemon_lifecycle ringsided ringside_cli)
# README command 1 bounded: `ringside demo --seconds 6` starts ringsided
# --embedded, the replay and the status view, then stops all and removes the
# segments (fixed loopback ports of the embedded configuration: RUN_SERIAL).
# Sanitizer builds run the daemon (with analytics and IFD hooks) ~10x slower:
# a rate it sustains there, so the test checks behaviour, not speed.
if(RS_SANITIZE)
  set(RS_DEMO_TEST_RATE 30k)
else()
  set(RS_DEMO_TEST_RATE 200k)
endif()
add_test(NAME cli_demo_bounded
         COMMAND ${CMAKE_COMMAND} -E env RINGSIDE_SHM_DIR=${CMAKE_BINARY_DIR}/demo-test/shm
                 RINGSIDE_HUGE_DIR=${CMAKE_BINARY_DIR}/demo-test/huge
                 RINGSIDE_RUN_DIR=${CMAKE_BINARY_DIR}/demo-test/run
                 sh -c "d=${CMAKE_BINARY_DIR}/demo-test && mkdir -p $d/shm $d/huge $d/run && $<TARGET_FILE:ringside_cli> demo --seconds 6 --rate ${RS_DEMO_TEST_RATE} --instance demotest; [ -z \"$(ls -A $d/shm $d/huge | grep -v ':$' | grep .)\" ] || echo LEFTOVER-SEGMENTS")
set_tests_properties(cli_demo_bounded PROPERTIES LABELS integration TIMEOUT 120 RUN_SERIAL TRUE
                     PASS_REGULAR_EXPRESSION "demo stopped; segments"
                     FAIL_REGULAR_EXPRESSION "exited during start-up|ringsided stopped|unrecovered [1-9]|delivered 0 |LEFTOVER")
