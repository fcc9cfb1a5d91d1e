# pcap/pcapng reader (controlplane/rs_pcapfile.c): real captures from
# $RINGSIDE_TESTDATA/itch (skipped when absent) and synthetic files.
rs_add_test(NAME test_pcapfile SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_pcapfile.c
            LIBS rs_controlplane PkgConfig::PCAP LABELS unit realdata TIMEOUT 60)
