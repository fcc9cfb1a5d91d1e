# Driver tests: integration (netns + veth, root), run serially.
rs_add_test(NAME test_drv_uring SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_drv_uring.c
            LIBS rs_drivers PkgConfig::PCAP LABELS integration TIMEOUT 240 RUN_SERIAL)
rs_add_test(NAME test_drv_pcap SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_drv_pcap.c
            LIBS rs_drivers PkgConfig::PCAP LABELS integration realdata TIMEOUT 240 RUN_SERIAL)
if(XDP_FOUND AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_drv_xdp.c)
  rs_add_test(NAME test_drv_xdp SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_drv_xdp.c
              LIBS rs_drivers PkgConfig::PCAP LABELS integration TIMEOUT 240 RUN_SERIAL)
endif()
if(DPDK_FOUND AND EXISTS ${CMAKE_CURRENT_LIST_DIR}/test_drv_dpdk.c)
  rs_add_test(NAME test_drv_dpdk SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_drv_dpdk.c
              LIBS rs_drivers PkgConfig::PCAP LABELS integration realdata TIMEOUT 240 RUN_SERIAL)
endif()

# The MoldUDP64 end-to-end tests run `ringside replay` when it is built.
if(TARGET ringside_cli)
  foreach(t test_drv_uring test_drv_xdp test_drv_dpdk)
    if(TARGET ${t})
      add_dependencies(${t} ringside_cli)
    endif()
  endforeach()
endif()
