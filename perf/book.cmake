# perf/run.sh book [FILE]: ITCH decode + MBO book (dataplane/rs_book.c).
rs_add_bench(NAME book SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_book.c LIBS rs_controlplane)
# Same with pure binary search in the price ladders (level-structure measurement,
# see dataplane/README.md): perf/run.sh book-binsearch [FILE]
rs_add_bench(NAME book-binsearch SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_book.c
             ${CMAKE_SOURCE_DIR}/dataplane/rs_book.c ${CMAKE_SOURCE_DIR}/dataplane/rs_book_pub.c LIBS rs_controlplane)
target_compile_definitions(bench-book-binsearch PRIVATE RS_BOOK_SEARCH_BINARY=1
                           BENCH_NAME="book-binsearch")
# Without prefetch stage C (levels, FIFO neighbours, ladder tails):
# perf/run.sh book-nopfc [FILE]
rs_add_bench(NAME book-nopfc SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_book.c
             ${CMAKE_SOURCE_DIR}/dataplane/rs_book.c ${CMAKE_SOURCE_DIR}/dataplane/rs_book_pub.c LIBS rs_controlplane)
target_compile_definitions(bench-book-nopfc PRIVATE RS_BOOK_PF_C=0 BENCH_NAME="book-nopfc")
