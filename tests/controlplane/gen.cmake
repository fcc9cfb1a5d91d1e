# Session generator (`ringside gen`) and ITCH encoders.
rs_add_test(NAME test_gen
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_gen.c
            LIBS rs_controlplane
            LABELS unit
            TIMEOUT 300)
# the CLI test runs the ringside binary
add_dependencies(test_gen ringside_cli)
