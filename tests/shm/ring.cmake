# Rings, broadcast rings, seqlocked tables, counters (shm helper).
rs_add_test(NAME test_ring SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ring.c
            LIBS rs_shm LABELS unit TIMEOUT 180)
rs_add_test(NAME test_vring SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vring.c
            LIBS rs_shm LABELS unit TIMEOUT 180)
rs_add_test(NAME test_bcast SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_bcast.c
            LIBS rs_shm LABELS unit TIMEOUT 180)
rs_add_test(NAME test_seqtab SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_seqtab.c
            LIBS rs_shm LABELS unit TIMEOUT 180)
rs_add_test(NAME test_counters SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_counters.c
            LIBS rs_shm LABELS unit TIMEOUT 120)
# Threaded stress of all five structures as a plain program (no Criterion:
# Criterion cannot start under TSan, Snaipe/Criterion#274); the TSan build
# runs it (label tsan).
rs_add_test(NAME test_rings_tsan SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_rings_tsan.c
            LIBS rs_shm LABELS unit tsan TIMEOUT 180)
# Multi-process: 100M records through the SPSC ring and through the
# broadcast ring (3 readers, one slow), seqlock torn-read stress, producer
# kill -9. Processes share MAP_SHARED anonymous memory.
rs_add_test(NAME test_rings_mp SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_rings_mp.c
            LIBS rs_shm LABELS integration TIMEOUT 300 RUN_SERIAL)
