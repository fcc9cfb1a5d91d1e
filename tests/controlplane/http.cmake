# rs_http: the /health + /metrics HTTP/1.1 server.
rs_add_test(NAME test_http
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_http.c
            LIBS rs_controlplane
            LABELS unit)
