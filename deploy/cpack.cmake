# deploy/cpack.cmake - Debian package (and a tarball) with CPack:
#   cmake --build build && (cd build && cpack -G DEB)
# The top CMakeLists.txt include()s this file after the targets.
# Files beside the installed binaries/library: the systemd unit, the
# example configurations and the install notes; maintainer scripts create
# the ringside group/user and reload systemd.

install(FILES ${CMAKE_CURRENT_LIST_DIR}/ringsided@.service DESTINATION lib/systemd/system)
install(DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/examples/ DESTINATION share/doc/ringside/examples
        FILES_MATCHING PATTERN "*.yaml")
install(FILES ${CMAKE_CURRENT_LIST_DIR}/README.md DESTINATION share/doc/ringside)
install(PROGRAMS ${CMAKE_CURRENT_LIST_DIR}/install.sh DESTINATION share/doc/ringside)

set(RS_DEB_SCRIPTS ${CMAKE_BINARY_DIR}/deb-scripts)
file(MAKE_DIRECTORY ${RS_DEB_SCRIPTS})
file(WRITE ${RS_DEB_SCRIPTS}/postinst
"#!/bin/sh
set -e
if [ \"$1\" = configure ]; then
  getent group ringside >/dev/null || groupadd --system ringside
  getent passwd ringside >/dev/null || useradd --system --gid ringside --home-dir /var/lib/ringside --no-create-home --shell /usr/sbin/nologin ringside
  install -d -m 0750 -g ringside /etc/ringside
  [ -e /etc/ringside/demo.yaml ] || install -m 0640 -g ringside /usr/share/doc/ringside/examples/demo.yaml /etc/ringside/demo.yaml
  command -v systemctl >/dev/null && systemctl daemon-reload || true
fi
exit 0
")
file(WRITE ${RS_DEB_SCRIPTS}/prerm
"#!/bin/sh
set -e
if [ \"$1\" = remove ] && command -v systemctl >/dev/null; then
  for u in $(systemctl list-units --plain --no-legend 'ringsided@*' | cut -d' ' -f1); do systemctl stop \"$u\" || true; done
fi
exit 0
")
file(CHMOD ${RS_DEB_SCRIPTS}/postinst ${RS_DEB_SCRIPTS}/prerm
     PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

set(CPACK_PACKAGE_NAME ringside)
set(CPACK_PACKAGE_VENDOR "ringside")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Market-data appliance: kernel-bypass feed handler, MBO books, shared-memory publication")
set(CPACK_PACKAGE_CONTACT "ringside maintainers <ringside@localhost>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # liburing, libyaml, libpcap, libzstd, libssl, ... from the binaries
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "systemd")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${RS_DEB_SCRIPTS}/postinst ${RS_DEB_SCRIPTS}/prerm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
