# Cross-compiling for the Raspberry Pi 5 (aarch64) with Debian 12's cross compiler
# (g++-aarch64-linux-gnu) and arm64 multiarch libraries (dpkg --add-architecture arm64; the
# :arm64 -dev packages). scripts/pi drives it: `make pi`.
#
# Two -dev packages cannot be installed beside their amd64 twins (libsimdjson-dev is not
# Multi-Arch: same; libwebsockets-dev's lws_config.h differs per architecture), so scripts/pi
# unpacks their arm64 .debs into SM_PI_SYSROOT, which is searched before the multiarch paths.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# CMake reads this file again for every try_compile, where the -D cache is not passed: the
# environment carries the sysroot there (and PKG_CONFIG_LIBDIR below is process-wide, so a run
# without it would drop the sysroot for the rest of the configure).
if(SM_PI_SYSROOT)
  set(ENV{SM_PI_SYSROOT} "${SM_PI_SYSROOT}")
else()
  set(SM_PI_SYSROOT "$ENV{SM_PI_SYSROOT}")
endif()
# Programs (and Catch2 test discovery) run under qemu-user with the arm64 libraries of the
# multiarch tree and the sysroot, in the root SM_PI_QEMU_ROOT (default /): its ld.so must be the
# same glibc build as the libc.so.6 the programs load, the multiarch libc6:arm64. Not
# /usr/aarch64-linux-gnu: the cross toolchain's ld.so there with the multiarch libc hangs every
# thread start (scripts/pi checks the pair).
if(NOT SM_PI_QEMU_ROOT)
  set(SM_PI_QEMU_ROOT /)
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-aarch64;-L;${SM_PI_QEMU_ROOT};-E;LD_LIBRARY_PATH=${SM_PI_SYSROOT}/usr/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu)

# Libraries and headers from the sysroot first, then the multiarch tree under /; programs (cmake,
# pkg-config) from the host.
set(CMAKE_FIND_ROOT_PATH ${SM_PI_SYSROOT} /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# The sysroot's headers (the arm64 lws_config.h) before /usr/include, which the cross compiler
# searches too.
set(CMAKE_CXX_FLAGS_INIT "-isystem ${SM_PI_SYSROOT}/usr/include")
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "-L${SM_PI_SYSROOT}/usr/lib/aarch64-linux-gnu -Wl,-rpath-link,${SM_PI_SYSROOT}/usr/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu")
set(ENV{PKG_CONFIG_LIBDIR}
    "${SM_PI_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
