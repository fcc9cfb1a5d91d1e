# rs_drv_tcp: TCP client socket with timeouts and a bounded receive buffer (loopback).
rs_add_test(NAME test_drv_tcp
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_drv_tcp.c ${CMAKE_SOURCE_DIR}/drivers/rs_drv_tcp.c
  LABELS integration)
