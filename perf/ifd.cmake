# ifd: added cost per event of the IFD engine (pressure windows, patterns,
# signal checks) over decode + book, and window close -> signal publication.
# perf/run.sh ifd [FILE] [--baseline-msgs N]   (default /tmp/gen50m.itch)
rs_add_bench(NAME ifd SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_ifd.c LIBS rs_controlplane)
