# rs_ctl: the daemon's unix-socket control protocol (server thread + client).
rs_add_test(NAME test_ctl
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ctl.c
            LIBS rs_controlplane
            LABELS unit)
