# `make deb`: a Debian package of everything `make install` installs, for the prefix /usr, made by
# CPack from a build (docs/SYSTEMD.md "Debian package"). The maintainer scripts in packaging/deb
# create the user (sysusers.d), the directories and FIFOs (tmpfiles.d) and /etc/stalkmarket/env
# (mode 0600) on install, stop the units on removal and remove /etc/stalkmarket and
# /var/lib/stalkmarket on purge.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME stalkmarket)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "StalkMarket maintainers <maintainers@users.noreply.r-seed-4063c915.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "NSE equity trading pipeline: data, strategies, risk, orders")
# Debian wraps the extended description at 80 columns (lintian: extended-description-line-too-long).
set(CPACK_PACKAGE_DESCRIPTION
    "Programs that chain by NDJSON pipes: market data ingest and replay, strategies,\n\
a risk gateway and an order manager for Zerodha Kite Connect, reconciliation,\n\
alerts, backtests and a paper broker, with hardened systemd units and timers\n\
that follow the NSE calendar.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# systemd-sysusers and systemd-tmpfiles run from postinst.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "systemd (>= 247)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/packaging/deb/postinst"
                                       "${PROJECT_SOURCE_DIR}/packaging/deb/prerm"
                                       "${PROJECT_SOURCE_DIR}/packaging/deb/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# A cross build (`make pi`, cmake/aarch64-linux-gnu.cmake) is packaged for its target: CPack would
# otherwise name the host's architecture (dpkg --print-architecture), and an arm64 package would
# say amd64. dpkg-shlibdeps needs nothing more: it finds the aarch64 programs' libraries in
# /usr/lib/aarch64-linux-gnu, where scripts/install-deps --pi installs the arm64 run-time packages.
if(CMAKE_CROSSCOMPILING)
  execute_process(COMMAND dpkg-architecture -t${CMAKE_LIBRARY_ARCHITECTURE} -qDEB_HOST_ARCH
                  OUTPUT_VARIABLE CPACK_DEBIAN_PACKAGE_ARCHITECTURE
                  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT CPACK_DEBIAN_PACKAGE_ARCHITECTURE)
    message(FATAL_ERROR "dpkg-architecture has no Debian architecture for "
                        "${CMAKE_LIBRARY_ARCHITECTURE} (apt-get install dpkg-dev)")
  endif()
endif()
include(CPack)
