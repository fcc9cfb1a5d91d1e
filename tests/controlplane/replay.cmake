# MoldUDP64 replayer (`ringside replay`): loopback UDP sockets, a veth pair
# for the multicast test (root), the ringside binary for the CLI test.
rs_add_test(NAME test_replay
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_replay.c
            LIBS rs_controlplane m
            LABELS integration
            TIMEOUT 300)
add_dependencies(test_replay ringside_cli)
