#!/usr/bin/env bats
# `make deb` (cmake/SmPackage.cmake, docs/SYSTEMD.md "Debian package"): the package built from this
# build holds the programs, units, sysusers.d and tmpfiles.d files, man pages, data, docs and
# examples under /usr with the maintainer scripts; installed into a throwaway root (dpkg --root,
# the scripts run with DPKG_ROOT) it creates the user, the directories, the FIFOs and
# /etc/stalkmarket/env with mode 0600, and a purge removes them again.

load common

# The package is built once for the file (cpack strips and compresses: about a minute) into
# $BATS_FILE_TMPDIR; each test finds it in DEB, or skips when it could not be built here.
setup_file() {
  local build
  build=$(cd "${SM_BIN:?}/.." && pwd)
  [ -f "$build/CPackConfig.cmake" ] && command -v dpkg-deb >/dev/null || return 0
  cpack -G DEB --config "$build/CPackConfig.cmake" -B "$BATS_FILE_TMPDIR/pkg" \
    >"$BATS_FILE_TMPDIR/cpack.log" 2>&1 || { cat "$BATS_FILE_TMPDIR/cpack.log" >&2; return 1; }
}

package() {
  [ -f "$(build_dir)/CPackConfig.cmake" ] || skip "SM_BIN is not a CMake build directory"
  command -v dpkg-deb >/dev/null || skip "dpkg-deb is not installed"
  DEB=$(ls "$BATS_FILE_TMPDIR"/pkg/stalkmarket_*.deb)
  [ -f "$DEB" ]
}

@test "the package holds the programs, units, man pages, data, docs and examples under /usr" {
  package
  dpkg-deb -c "$DEB" | awk '{ print $2, $6 }' >contents
  for path in usr/bin/sm-order usr/bin/sm-status usr/lib/systemd/system/sm-order.service \
    usr/lib/systemd/system/sm-alert@.service usr/lib/systemd/system/stalkmarket.target \
    usr/lib/systemd/system/sm-session-open.timer usr/lib/sysusers.d/stalkmarket.conf \
    usr/lib/tmpfiles.d/stalkmarket.conf usr/share/man/man1/sm-order.1.gz \
    usr/share/stalkmarket/nse-calendar.csv usr/share/stalkmarket/env.example \
    usr/share/doc/stalkmarket/copyright usr/share/doc/stalkmarket/docs/SYSTEMD.md \
    usr/share/doc/stalkmarket/examples/stalkmarket.jsonc; do
    grep -q " \./$path\$" contents || { echo "missing: $path"; return 1; }
  done
  # Everything belongs to root, nothing outside /usr (the rest is made by the scripts).
  ! awk '$1 != "root/root"' contents | grep .
  ! awk '{ print $2 }' contents | grep -v -e '^\./$' -e '^\./usr/'
  # The units run the packaged programs.
  dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/lib/systemd/system/sm-order.service |
    grep -q "^ExecStartPre=/usr/bin/sm-reconcile "
}

@test "the control data names the package, its dependencies and the maintainer scripts" {
  package
  dpkg-deb -f "$DEB" Package | grep -qx stalkmarket
  depends=$(dpkg-deb -f "$DEB" Depends)
  echo "$depends"
  # The three libraries a cross build compiles against from its sysroot are named too (for the
  # Pi build, dpkg-shlibdeps resolves them only when their arm64 run-time packages are installed).
  for dependency in systemd libc6 libsqlite3-0 libcurl4 libsimdjson14 libwebsockets17 \
    libcpp-httplib0.11; do
    [[ "$depends" == *"$dependency"* ]]
  done
  # The package is of the architecture its programs are built for (a cross build's too).
  dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/bin/sm-order >sm-order.elf
  case "$(file -b sm-order.elf)" in
    *x86-64*) expected=amd64 ;;
    *aarch64*) expected=arm64 ;;
    *) expected="an architecture this test knows" ;;
  esac
  [ "$(dpkg-deb -f "$DEB" Architecture)" = "$expected" ]
  dpkg-deb -I "$DEB" >info
  for script in postinst prerm postrm; do
    grep -E -q "^ +[0-9]+ bytes, +[0-9]+ lines +\* +$script +#!/bin/sh" info || { cat info; return 1; }
  done
  # Debian's changelog names the version the package carries.
  dpkg-deb --fsys-tarfile "$DEB" | tar -xO ./usr/share/doc/stalkmarket/changelog.gz | gzip -dc |
    head -1 | grep -q "^stalkmarket ($(dpkg-deb -f "$DEB" Version)) "
}

@test "lintian finds no error and no warning in the package" {
  package
  command -v lintian >/dev/null || skip "lintian is not installed (scripts/install-deps --dev)"
  run lintian --tag-display-limit 0 --fail-on error,warning "$DEB"
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "installed into a throwaway root it makes the user, the directories and a 0600 env; purge removes them" {
  package
  [ "$(id -u)" -eq 0 ] || skip "dpkg --root needs root"
  root="$SM_TEST_DIR/root"
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc"
  touch "$root/var/lib/dpkg/status"
  dpkg_root() {
    dpkg --root="$root" --force-script-chrootless --force-depends --force-not-root \
      --log=/dev/null "$@"
  }
  # The package of a cross build (make pi-deb: arm64) goes in as a foreign architecture.
  arch=$(dpkg-deb -f "$DEB" Architecture)
  [ "$arch" = "$(dpkg --print-architecture)" ] || dpkg_root --add-architecture "$arch"
  dpkg_root -i "$DEB" >dpkg.log 2>&1 || { cat dpkg.log; return 1; }
  grep -q '^stalkmarket:x:[0-9]*:[0-9]*:' "$root/etc/passwd"
  [ "$(stat -c %a "$root/etc/stalkmarket/env")" = 600 ]
  cmp "$root/usr/share/stalkmarket/env.example" "$root/etc/stalkmarket/env"
  [ -d "$root/var/lib/stalkmarket" ]
  [ -p "$root/run/stalkmarket/intents" ]
  # An administrator's env survives a reinstall.
  echo 'SM_DB=/srv/sm.db' >"$root/etc/stalkmarket/env"
  dpkg_root -i "$DEB" >dpkg.log 2>&1 || { cat dpkg.log; return 1; }
  grep -qx 'SM_DB=/srv/sm.db' "$root/etc/stalkmarket/env"
  echo data >"$root/var/lib/stalkmarket/stalkmarket.db"
  dpkg_root --purge stalkmarket >dpkg.log 2>&1 || { cat dpkg.log; return 1; }
  [ ! -e "$root/etc/stalkmarket" ]
  [ ! -e "$root/var/lib/stalkmarket" ]
  [ ! -e "$root/usr/bin/sm-order" ]
  [ ! -e "$root/usr/lib/systemd/system/sm-order.service" ]
}
