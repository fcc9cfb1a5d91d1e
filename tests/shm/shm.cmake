rs_add_test(NAME test_shm SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_shm.c
            LIBS rs_shm LABELS unit integration RUN_SERIAL)
