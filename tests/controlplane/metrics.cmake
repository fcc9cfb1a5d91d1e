# rs_metrics: Prometheus text, latency percentiles, health from shared memory.
rs_add_test(NAME test_metrics
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_metrics.c
            LIBS rs_controlplane
            LABELS unit)
