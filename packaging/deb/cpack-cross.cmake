# Read by cpack (CPACK_PROJECT_CONFIG_FILE, set by cmake/SmPackage.cmake for a cross build) before
# it packages: dpkg-shlibdeps, which CPack runs, takes the package's architecture from
# DEB_HOST_ARCH. With it, it reads the programs with <triplet>-objdump and looks for their
# libraries in /usr/lib/<triplet>, where the arm64 multiarch packages put them.
set(ENV{DEB_HOST_ARCH} "${CPACK_DEBIAN_PACKAGE_ARCHITECTURE}")
