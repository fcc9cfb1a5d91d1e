# Analytics (dataplane/rs_analytics.c, rs_features.h, rs_aggr.h, rs_bars.c):
# literal hand-built sequences; batch (`ringside analyze`) == live (shared
# memory) byte for byte and `ringside bars`; the real ES session.
rs_add_test(NAME test_analytics SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_analytics.c
            LIBS rs_dataplane m LABELS unit)
rs_add_test(NAME test_analytics_live SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_analytics_live.c
            LIBS rs_controlplane LABELS integration RUN_SERIAL)
rs_add_test(NAME test_analytics_realdata SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_analytics_realdata.c
            LIBS rs_controlplane LABELS realdata)
