# rs_backoff: exponential backoff with full jitter + circuit breaker (pure logic).
rs_add_test(NAME test_backoff
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_backoff.c ${CMAKE_SOURCE_DIR}/controlplane/rs_backoff.c
  LABELS unit)
