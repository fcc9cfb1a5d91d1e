# perf/run.sh rx [seconds] [recvmmsg uring uring_busy xdp dpdk pcap]: receive
# rate per feed driver through a veth pair (root; creates and removes a netns).
rs_add_bench(NAME rx SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_rx.c LIBS rs_drivers PkgConfig::PCAP)
