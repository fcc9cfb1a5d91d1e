# perf/run.sh ring: SPSC ring vs DPDK rte_ring, broadcast ring (shm helper).
rs_add_bench(NAME ring SOURCES ${CMAKE_CURRENT_LIST_DIR}/bench_ring.c LIBS rs_shm)
if(DPDK_FOUND)
  # DPDK's pkg-config flags (incl. its -march) apply to the whole bench, so
  # both rings are compiled with the same flags.
  target_link_libraries(bench-ring PRIVATE PkgConfig::DPDK)
  target_compile_definitions(bench-ring PRIVATE RS_HAVE_DPDK=1)
else()
  message(STATUS "bench-ring: libdpdk not found, the rte_ring reference is skipped")
endif()
