# DBN file reader/writer (controlplane/rs_dbnfile.c): every vendor file in
# $RINGSIDE_TESTDATA/dbn with literal counts and values, round-trip byte
# identity, v1 -> v3 conversion, bad input (skips the real-data tests when
# the data is absent; the synthetic ones always run).
rs_add_test(NAME test_dbnfile SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dbnfile.c
            LIBS rs_controlplane PkgConfig::ZSTD LABELS unit realdata)

# libFuzzer over the streaming reader (plain mmap, read(2) window, zstd).
# Seeds: tests/fuzz/dbnfile_seeds (our own dbn_seeds files, some zstd'ed).
rs_add_fuzz(NAME fuzz_dbnfile
            SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_dbnfile.c ${CMAKE_SOURCE_DIR}/controlplane/rs_dbnfile.c
                    ${CMAKE_SOURCE_DIR}/dataplane/rs_dbn.c ${CMAKE_SOURCE_DIR}/shm/rs_err.c
            LIBS PkgConfig::ZSTD
            CORPUS ${CMAKE_SOURCE_DIR}/tests/fuzz/dbnfile_seeds SECONDS 20)
