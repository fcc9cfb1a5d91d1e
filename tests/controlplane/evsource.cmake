# File event source (controlplane/rs_evsource.c) used by the offline tools.
rs_add_test(NAME test_evsource SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_evsource.c
            LIBS rs_controlplane LABELS unit realdata)
