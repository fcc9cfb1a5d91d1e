# rs_dblive: Databento Raw API client against a loopback gateway written in
# the test suite (tests/controlplane/rs_test_gateway.c) serving real DBN data.
# The sources are compiled in directly so the test depends only on the
# modules it exercises.
rs_add_test(NAME test_dblive
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dblive.c
          ${CMAKE_CURRENT_LIST_DIR}/rs_test_gateway.c
          ${CMAKE_SOURCE_DIR}/controlplane/rs_dblive.c
          ${CMAKE_SOURCE_DIR}/controlplane/rs_backoff.c
          ${CMAKE_SOURCE_DIR}/drivers/rs_drv_tcp.c
          ${CMAKE_SOURCE_DIR}/dataplane/rs_dbn.c
          ${CMAKE_SOURCE_DIR}/shm/rs_err.c
  LIBS OpenSSL::Crypto PkgConfig::ZSTD Threads::Threads
  LABELS integration realdata
  TIMEOUT 240)
