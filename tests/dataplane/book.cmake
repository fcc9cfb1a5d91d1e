# MBO book engine (dataplane/rs_book.c): unit tests with literal books, the
# differential test against a simple reference book, real-data replays.
rs_add_test(NAME test_book SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_book.c
            LIBS rs_dataplane LABELS unit)
rs_add_test(NAME test_book_diff SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_book_diff.c
            LIBS rs_dataplane LABELS unit TIMEOUT 600)
rs_add_test(NAME test_book_realdata SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_book_realdata.c
            LIBS rs_controlplane LABELS realdata)
rs_add_test(NAME test_book_itch SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_book_itch.c
            LIBS rs_controlplane LABELS unit)
# Consolidated BBO across venues (dataplane/rs_cbbo.c).
rs_add_test(NAME test_cbbo SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cbbo.c
            LIBS rs_dataplane LABELS unit)
# libFuzzer over the book (compact records -> every action, flag, special
# size/price, capacity limit; invariants checked after every burst) and the
# LOBSTER line parsers. Seeds: tests/fuzz/book_seeds/ (hand-made).
rs_add_fuzz(NAME fuzz_book
            SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_book.c ${CMAKE_SOURCE_DIR}/dataplane/rs_book.c
                    ${CMAKE_SOURCE_DIR}/dataplane/rs_book_pub.c ${CMAKE_SOURCE_DIR}/shm/rs_seqtab.c
                    ${CMAKE_SOURCE_DIR}/shm/rs_ring.c
                    ${CMAKE_SOURCE_DIR}/controlplane/rs_lobster.c ${CMAKE_SOURCE_DIR}/shm/rs_hugemem.c
                    ${CMAKE_SOURCE_DIR}/shm/rs_err.c
            CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/book_seeds SECONDS 20)
