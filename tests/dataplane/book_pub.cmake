# Publication of the book into the seqlocked BBO / MBP-N tables
# (dataplane/rs_book_pub.c): rows equal the book's snapshots after every burst.
rs_add_test(NAME test_book_pub SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_book_pub.c
            LIBS rs_dataplane LABELS unit)
