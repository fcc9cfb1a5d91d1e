rs_add_test(NAME test_client SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_client.c
            LIBS ringside_static rs_shm LABELS unit integration RUN_SERIAL)
