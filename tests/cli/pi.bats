#!/usr/bin/env bats
# scripts/pi (make pi): its check of the emulator before it builds. The build itself takes an
# hour (docs/OPERATIONS.md "Raspberry Pi 5") and is not run here.
load common

pi="$BATS_TEST_DIRNAME/../../scripts/pi"

glibc_build() {
  grep -a -o -m1 'GLIBC 2\.[0-9][^)]*' "$1" | head -1
}

@test "pi refuses an emulator root whose ld.so is another glibc build than the programs' libc" {
  command -v aarch64-linux-gnu-g++ >/dev/null && command -v qemu-aarch64 >/dev/null ||
    skip "needs g++-aarch64-linux-gnu and qemu-user"
  local cross_root=/usr/aarch64-linux-gnu
  [ -e "$cross_root/lib/ld-linux-aarch64.so.1" ] && [ -e /lib/aarch64-linux-gnu/libc.so.6 ] ||
    skip "needs libc6-arm64-cross and libc6:arm64"
  [ "$(glibc_build "$cross_root/lib/ld-linux-aarch64.so.1")" != \
    "$(glibc_build /lib/aarch64-linux-gnu/libc.so.6)" ] ||
    skip "the cross toolchain's glibc is the multiarch one's build here"
  # A build directory whose sysroot is already unpacked (nothing is downloaded); the check
  # comes before cmake, so nothing is configured.
  mkdir -p "$SM_TEST_DIR/pi/sysroot"
  touch "$SM_TEST_DIR/pi/sysroot/.done"
  PI_QEMU_ROOT=$cross_root run timeout 120 "$pi" "$SM_TEST_DIR/pi"
  [ "$status" -eq 1 ]
  local cross_build multiarch_build
  cross_build=$(glibc_build "$cross_root/lib/ld-linux-aarch64.so.1")
  multiarch_build=$(glibc_build /lib/aarch64-linux-gnu/libc.so.6)
  [[ "$output" == *"the interpreter $cross_root/lib/ld-linux-aarch64.so.1 is $cross_build but"* ]]
  [[ "$output" == *"libc.so.6"*", $multiarch_build: "* ]]
  [[ "$output" == *"a mismatched pair hangs every thread start"* ]]
  [ ! -e "$SM_TEST_DIR/pi/CMakeCache.txt" ]
}
