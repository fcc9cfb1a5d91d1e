# perf/run.sh analytics [FILE]: added cost of bars, features, microstructure
# and volume profile (dataplane/rs_analytics.c) on top of ITCH decode + book.
rs_add_bench(NAME analytics SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_analytics.c LIBS rs_controlplane)
