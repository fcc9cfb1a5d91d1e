# perf/run.sh e2e [uring xdp dpdk]: ringsided end to end through a veth pair
# (root): highest zero-loss paced rate and rx -> shared-memory latency at
# 1 M msg/s per driver. A script (perf/e2e.sh) copied to bench-e2e.
add_custom_target(bench-e2e
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/perf
  COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_CURRENT_LIST_DIR}/e2e.sh ${CMAKE_BINARY_DIR}/perf/bench-e2e
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/e2e.sh)
add_dependencies(bench-e2e ringsided ringside_cli)
