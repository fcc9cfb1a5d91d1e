# DBN MBO decode throughput, plain and zstd: perf/run.sh dbn-decode [FILE] [--records N]
rs_add_bench(NAME dbn-decode SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_dbn_decode.c
             LIBS rs_controlplane PkgConfig::ZSTD)
