# itch-decode: decode-only ITCH 5.0 throughput over a day file (mmap, page
# cache). perf/run.sh itch-decode [FILE] [--msgs N] [--reps R] [--only WAY] [--cpu C]
rs_add_bench(NAME itch-decode SOURCES ${CMAKE_SOURCE_DIR}/perf/bench_itch_decode.c
             LIBS rs_dataplane)
