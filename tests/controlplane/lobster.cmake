# LOBSTER reader (controlplane/rs_lobster.c); the AAPL vendor comparison is
# in tests/dataplane/test_book_realdata.c.
rs_add_test(NAME test_lobster SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_lobster.c
            LIBS rs_controlplane LABELS unit)
