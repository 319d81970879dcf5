# Installs the systemd units, sysusers.d and tmpfiles.d files of systemd/. Runs at install time
# (from cmake_install.cmake), not at configure time, so the units name the prefix the programs
# are really installed under, also after `cmake --install --prefix DIR` or `make install
# PREFIX=DIR` with a build configured for another prefix.
#
# Inputs: SM_SYSTEMD_SOURCE_DIR (the source tree's systemd/), SM_INSTALL_BINDIR and
# SM_INSTALL_DATADIR (bin and share, relative to the prefix), CMAKE_INSTALL_PREFIX (set by cmake --install) and $ENV{DESTDIR} (set by CPack).
# In each *.service.in, @SM_BINDIR@ becomes the installed programs' directory and @SM_HARDENING@
# the settings of systemd/hardening.conf; other units are copied unchanged. In the tmpfiles.d file
# @SM_DATADIR@ becomes the installed data directory (where the calendar is copied from).

set(SM_BINDIR "${CMAKE_INSTALL_PREFIX}/${SM_INSTALL_BINDIR}")
set(SM_DATADIR "${CMAKE_INSTALL_PREFIX}/${SM_INSTALL_DATADIR}/stalkmarket")
file(STRINGS "${SM_SYSTEMD_SOURCE_DIR}/hardening.conf" hardening_lines REGEX "^[^#]")
list(JOIN hardening_lines "\n" SM_HARDENING)
string(PREPEND SM_HARDENING "# The sandbox of every StalkMarket unit (systemd/hardening.conf, docs/SYSTEMD.md).\n")

set(root "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/lib")
file(GLOB templates "${SM_SYSTEMD_SOURCE_DIR}/*.service.in")
file(GLOB plain "${SM_SYSTEMD_SOURCE_DIR}/*.service" "${SM_SYSTEMD_SOURCE_DIR}/*.timer"
     "${SM_SYSTEMD_SOURCE_DIR}/*.target")
# A unit in both forms would be installed twice, the plain one unsandboxed: refuse.
foreach(template IN LISTS templates)
  string(REGEX REPLACE "\\.in$" "" plain_twin "${template}")
  if(EXISTS "${plain_twin}")
    message(FATAL_ERROR "${plain_twin} and its template ${template} both exist: keep the template")
  endif()
endforeach()
set(installed)
foreach(template IN LISTS templates)
  get_filename_component(name "${template}" NAME)
  string(REGEX REPLACE "\\.in$" "" name "${name}")
  configure_file("${template}" "${root}/systemd/system/${name}" @ONLY)
  list(APPEND installed "${root}/systemd/system/${name}")
endforeach()
foreach(unit IN LISTS plain)
  get_filename_component(name "${unit}" NAME)
  configure_file("${unit}" "${root}/systemd/system/${name}" COPYONLY)
  list(APPEND installed "${root}/systemd/system/${name}")
endforeach()
configure_file("${SM_SYSTEMD_SOURCE_DIR}/stalkmarket.sysusers" "${root}/sysusers.d/stalkmarket.conf"
               COPYONLY)
configure_file("${SM_SYSTEMD_SOURCE_DIR}/stalkmarket.tmpfiles" "${root}/tmpfiles.d/stalkmarket.conf"
               @ONLY)
list(APPEND installed "${root}/sysusers.d/stalkmarket.conf" "${root}/tmpfiles.d/stalkmarket.conf")
foreach(file IN LISTS installed)
  message(STATUS "Installing: ${file}")
  file(CHMOD "${file}" PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
endforeach()
list(APPEND CMAKE_INSTALL_MANIFEST_FILES ${installed})
