# rs_config: YAML configuration, validation messages, reload, `ringside config check`.
rs_add_test(NAME test_config
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_config.c
            LIBS rs_controlplane
            LABELS unit)
add_dependencies(test_config ringside_cli)
# The configuration file is operator input: fuzz the loader (seeds: the examples).
rs_add_fuzz(NAME fuzz_config
            SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_config.c ${CMAKE_SOURCE_DIR}/controlplane/rs_config.c
                    ${CMAKE_SOURCE_DIR}/shm/rs_err.c
            LIBS PkgConfig::YAML
            CORPUS ${CMAKE_SOURCE_DIR}/deploy/examples SECONDS 20)
if(TARGET fuzz_config)
  target_include_directories(fuzz_config PRIVATE ${CMAKE_SOURCE_DIR}/shm ${CMAKE_SOURCE_DIR}/controlplane)
endif()
