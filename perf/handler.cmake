# perf/run.sh handler [FILE]: the handler stage per packet as ringsided runs
# it (book + event ring + BBO + MBP-N rows, one publication per packet).
rs_add_bench(NAME handler SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_handler.c LIBS rs_controlplane)
