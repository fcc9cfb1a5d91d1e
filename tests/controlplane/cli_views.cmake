# Operator views of the `ringside` binary (status, feeds, stats, tail, top,
# book SYMBOL) against an instance a producer process of the test creates.
rs_add_test(NAME test_cli_views
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli_views.c
            LIBS rs_controlplane
            LABELS integration
            TIMEOUT 300)
add_dependencies(test_cli_views ringside_cli)
