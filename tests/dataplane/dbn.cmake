# DBN buffer decoder (dataplane/rs_dbn.c): metadata encode/decode, record
# validation and reject counters, v1/v2 -> v3 upgrades, definitions ->
# instrument directory. Synthetic inputs only.
rs_add_test(NAME test_dbn SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dbn.c
            LIBS rs_dataplane LABELS unit)

# libFuzzer over the buffer decoder (metadata + records + upgrades + metadata
# re-encoding). Seeds: tests/fuzz/dbn_seeds/ (small files made with our own
# writer) plus a build-time copy of the uncompressed DBN files of
# $RINGSIDE_TESTDATA (default ../shared/data), when present.
# (rs_add_fuzz takes one corpus directory: both are copied into one at
# configure time; the seeds are never modified.)
set(RS_DBN_FUZZ_SEEDS ${CMAKE_BINARY_DIR}/fuzz/dbn_seeds_all)
if(DEFINED ENV{RINGSIDE_TESTDATA} AND NOT "$ENV{RINGSIDE_TESTDATA}" STREQUAL "")
  set(rs_dbn_data_dir $ENV{RINGSIDE_TESTDATA})
else()
  set(rs_dbn_data_dir ${RS_TESTDATA_DEFAULT})
endif()
file(GLOB RS_DBN_SEED_FILES ${CMAKE_SOURCE_DIR}/tests/fuzz/dbn_seeds/*.dbn ${rs_dbn_data_dir}/dbn/*/*.dbn)
file(MAKE_DIRECTORY ${RS_DBN_FUZZ_SEEDS})
if(RS_DBN_SEED_FILES)
  file(COPY ${RS_DBN_SEED_FILES} DESTINATION ${RS_DBN_FUZZ_SEEDS})
endif()
rs_add_fuzz(NAME fuzz_dbn
            SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_dbn.c ${CMAKE_SOURCE_DIR}/dataplane/rs_dbn.c
            CORPUS ${RS_DBN_FUZZ_SEEDS} SECONDS 20)
# Regenerates tests/fuzz/dbn_seeds (committed; not run by the build).
if(TARGET fuzz_dbn)
  add_executable(dbn_seedgen ${CMAKE_SOURCE_DIR}/tests/fuzz/dbn_seedgen.c)
  target_link_libraries(dbn_seedgen PRIVATE rs_controlplane)
  set_target_properties(dbn_seedgen PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
endif()
