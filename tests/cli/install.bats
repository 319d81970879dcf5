#!/usr/bin/env bats
# An installed copy (cmake --install --prefix) finds its data under its own prefix.

load common

@test "installed programs read the calendar under their own prefix, not the source tree's" {
  # Regression: `make install PREFIX=/opt/x` put the calendar under /opt/x, but the programs looked
  # only in the source tree and the build-time prefix.
  [ -f "$(build_dir)/cmake_install.cmake" ] || skip "SM_BIN is not a CMake build directory"
  prefix="$SM_TEST_DIR/x"
  cmake --install "$(build_dir)" --prefix "$prefix" >/dev/null
  # A cross build (make pi) installs aarch64 programs, which only its SM_BIN wrappers run here.
  "$prefix/bin/sm-risk" --help >/dev/null 2>&1 ||
    skip "a cross build: its installed programs are not for this $(uname -m) machine"
  installed="$prefix/share/stalkmarket/nse-calendar.csv"
  [ -f "$installed" ]
  # Mark the installed copy: it covers no year after 2019, so loading it warns and names its path.
  # The source tree's calendar is left in place; only the lookup order can make this pass.
  grep -v '^20[2-9][0-9],year_covered,' "$SM_ROOT/data/nse-calendar.csv" >"$installed"
  mkdir elsewhere
  cd elsewhere
  SM_CFG__RISK__CAPITAL=1000000 "$prefix/bin/sm-risk" --event-time </dev/null >out 2>err
  jq -e -s --arg path "$installed" \
    'any(.[]; .event == "calendar_coverage" and (.message | startswith($path + " ")))' err
  ! grep -q calendar_unavailable err
}

# A PATH with stand-ins for id, dpkg-query, apt-get and (optionally) sudo, and the shell tools the
# script needs: what install-deps would run is recorded, nothing is installed.
fake_system() {
  local uid=$1 with_sudo=$2
  mkdir -p fakebin
  for tool in bash sh grep env; do ln -sf "$(command -v "$tool")" "fakebin/$tool"; done
  # dpkg knows no foreign architecture.
  printf '#!/bin/sh\n[ "$1" = --print-foreign-architectures ] || exit 2\n' >fakebin/dpkg
  printf '#!/bin/sh\necho %s\n' "$uid" >fakebin/id
  # Every package but cmake, qemu-user and the arm64 ones is installed.
  printf '#!/bin/sh\ncase "$3" in cmake | qemu-user | *:arm64) exit 1 ;; esac\n%s\n' \
    'printf "install ok installed"' >fakebin/dpkg-query
  printf '#!/bin/sh\necho "apt-get $*" >>"%s/ran"\n' "$SM_TEST_DIR" >fakebin/apt-get
  if [ "$with_sudo" = yes ]; then
    printf '#!/bin/sh\necho sudo >>"%s/ran"\n"$@"\n' "$SM_TEST_DIR" >fakebin/sudo
  fi
  chmod +x fakebin/*
}

@test "install-deps works as root without sudo, uses sudo for a user, and tells a user without sudo what to run" {
  # Regression: the README's first command started with sudo, which a minimal Debian 12 (a
  # container, a fresh VPS used as root) does not have.
  fake_system 0 no
  run --separate-stderr env PATH="$SM_TEST_DIR/fakebin" "$SM_ROOT/scripts/install-deps"
  [ "$status" -eq 0 ]
  grep -q '^apt-get install -y --no-install-recommends cmake$' ran
  ! grep -q sudo ran
  rm -rf fakebin ran
  fake_system 1000 yes
  run --separate-stderr env PATH="$SM_TEST_DIR/fakebin" "$SM_ROOT/scripts/install-deps"
  [ "$status" -eq 0 ]
  [ "$(head -1 ran)" = sudo ]
  grep -q '^apt-get install' ran
  rm -rf fakebin ran
  fake_system 1000 no
  run --separate-stderr env PATH="$SM_TEST_DIR/fakebin" "$SM_ROOT/scripts/install-deps"
  [ "$status" -eq 1 ]
  [ ! -e ran ]
  [[ "$stderr" == *"run as root:  su -c 'apt-get update && "*"cmake'"* ]]
  # The README's first command has no sudo.
  ! grep -E '^(sudo |.*&& *sudo )' "$SM_ROOT/README.md"
}

@test "install-deps --pi adds arm64 to dpkg, then installs the cross compiler, qemu, arm64 libraries" {
  fake_system 1000 no
  run --separate-stderr env PATH="$SM_TEST_DIR/fakebin" "$SM_ROOT/scripts/install-deps" --pi
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"su -c 'dpkg --add-architecture arm64 && apt-get update && "* ]]
  for package in cmake qemu-user libfmt-dev:arm64 libcpp-httplib0.11:arm64; do
    [[ "$stderr" == *" $package "* || "$stderr" == *" $package'"* ]]
  done
  # Without --pi no architecture is added.
  run --separate-stderr env PATH="$SM_TEST_DIR/fakebin" "$SM_ROOT/scripts/install-deps"
  [[ "$stderr" != *"add-architecture"* ]]
}
