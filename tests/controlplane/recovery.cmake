# MoldUDP64 re-request client (controlplane/rs_recovery.c): against the
# replayer's retransmission server and fake servers on loopback.
rs_add_test(NAME test_recovery SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recovery.c
            LIBS rs_controlplane LABELS integration TIMEOUT 120)
