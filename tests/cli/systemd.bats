#!/usr/bin/env bats
# The systemd units as an install renders them (cmake/SmSystemdUnits.cmake, docs/SYSTEMD.md):
# installed with `cmake --install --prefix` into a temporary prefix, they name that prefix's
# programs, pass systemd-analyze verify, score "OK" (<= 3.0) in systemd-analyze security with the
# scores docs/SYSTEMD.md gives, stop in the pipeline's order, alert on failure, ask the NSE
# calendar before a timer's job runs, and the sysusers.d and tmpfiles.d files create the user,
# the state directory and the FIFOs.

load common

# The build is installed once for the file, into $BATS_FILE_TMPDIR/prefix.
setup_file() {
  local build
  build=$(cd "${SM_BIN:?}/.." && pwd)
  [ -f "$build/cmake_install.cmake" ] || return 0
  cmake --install "$build" --prefix "$BATS_FILE_TMPDIR/prefix" >/dev/null
}

# Sets PREFIX and UNIT_DIR to the installed copy, or skips when there is none.
install_units() {
  [ -f "$(build_dir)/cmake_install.cmake" ] || skip "SM_BIN is not a CMake build directory"
  command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
  PREFIX="$BATS_FILE_TMPDIR/prefix"
  UNIT_DIR="$PREFIX/lib/systemd/system"
  [ -d "$UNIT_DIR" ]
}

# Skips a test that runs the installed programs when this machine cannot start them: the build is
# a cross build (make pi), whose SM_BIN runs each program under qemu-user; the installed copies are
# bare aarch64 files ("Exec format error").
installed_programs_run_here() {
  "$PREFIX/bin/sm-status" --help >/dev/null 2>&1 ||
    skip "a cross build: its installed programs are not for this $(uname -m) machine"
}

# The value of KEY= lines of an installed unit, systemd's %% unescaped.
installed_lines() {  # installed_lines UNIT KEY
  sed -n "s/^$2=//p" "$UNIT_DIR/$1" | sed -e 's/%%/%/g'
}

@test "every unit template is installed for the prefix, names its programs and passes systemd-analyze verify" {
  install_units
  for template in "$SM_ROOT"/systemd/*.service.in; do
    name=$(basename "$template" .in)
    [ -f "$UNIT_DIR/$name" ]
  done
  for unit in "$SM_ROOT"/systemd/*.timer "$SM_ROOT"/systemd/*.target; do
    cmp "$unit" "$UNIT_DIR/$(basename "$unit")"
  done
  ! grep -l '@SM_' "$UNIT_DIR"/*
  # Every program a unit runs is the prefix's; the shell is the only other command.
  commands=$(sed -n -E 's/^Exec[A-Za-z]*=[-+!]*([^ ]+).*/\1/p' "$UNIT_DIR"/*.service | sort -u)
  echo "$commands"
  echo "$commands" | grep -q "^$PREFIX/bin/sm-reconcile\$"
  ! echo "$commands" | grep -v -e "^$PREFIX/bin/sm-" -e '^/bin/sh$'
  grep -q "exec $PREFIX/bin/sm-order " "$UNIT_DIR/sm-order.service"
  cd "$UNIT_DIR"
  run systemd-analyze verify ./*.service ./*.timer ./*.target
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "every service scores OK (at most 3.0) in systemd-analyze security, as docs/SYSTEMD.md says" {
  install_units
  for unit in "$UNIT_DIR"/*.service; do
    name=$(basename "$unit")
    # (A template is scored as an instance: sm-alert@.service as sm-alert@i.service.)
    score=$(systemd-analyze security --offline=true "$unit" 2>&1 |
      sed -n -E 's/.*Overall exposure level for [^:]*: ([0-9.]+) .*/\1/p')
    echo "$name: $score"
    [ -n "$score" ]
    awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }'
    grep -q -F "| $name | $score |" "$SM_ROOT/docs/SYSTEMD.md"
  done
}

@test "sysusers.d creates the stalkmarket user and tmpfiles.d its directories and the pipeline FIFOs" {
  install_units
  [ "$(id -u)" -eq 0 ] || skip "systemd-sysusers --root needs root"
  root="$SM_TEST_DIR/root"
  mkdir -p "$root/etc" "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
  cp "$PREFIX/lib/sysusers.d/stalkmarket.conf" "$root/usr/lib/sysusers.d/"
  cp "$PREFIX/lib/tmpfiles.d/stalkmarket.conf" "$root/usr/lib/tmpfiles.d/"
  systemd-sysusers --root="$root"
  uid=$(awk -F: '$1 == "stalkmarket" { print $3 }' "$root/etc/passwd")
  [ -n "$uid" ]
  grep -q '^stalkmarket:x:[0-9]*:[0-9]*:.*:/var/lib/stalkmarket:/usr/sbin/nologin$' "$root/etc/passwd"
  # The calendar is copied from the installed data directory, which --root looks for in the root.
  mkdir -p "$root$PREFIX/share/stalkmarket"
  cp "$PREFIX/share/stalkmarket/nse-calendar.csv" "$root$PREFIX/share/stalkmarket/"
  systemd-tmpfiles --root="$root" --create
  cmp "$PREFIX/share/stalkmarket/nse-calendar.csv" "$root/var/lib/stalkmarket/nse-calendar.csv"
  [ "$(stat -c '%a %u' "$root/var/lib/stalkmarket/nse-calendar.csv")" = "600 $uid" ]
  # Once there, it is the refresh's: a second run keeps it.
  echo "# renewed" >>"$root/var/lib/stalkmarket/nse-calendar.csv"
  systemd-tmpfiles --root="$root" --create
  tail -1 "$root/var/lib/stalkmarket/nse-calendar.csv" | grep -qx '# renewed'
  for fifo in market signals intents; do
    [ -p "$root/run/stalkmarket/$fifo" ]
    [ "$(stat -c '%a %u' "$root/run/stalkmarket/$fifo")" = "600 $uid" ]
  done
  [ "$(stat -c '%a %u' "$root/var/lib/stalkmarket")" = "700 $uid" ]
  [ "$(stat -c '%a' "$root/etc/stalkmarket")" = 750 ]
}

@test "sm-order starts first and stops last: the feed and sm-signal stop first, then sm-risk" {
  install_units
  # systemd stops units in the reverse of their After= order.
  installed_lines sm-risk.service After | grep -qw sm-order.service
  installed_lines sm-signal.service After | grep -qw sm-risk.service
  installed_lines sm-feed.service After | grep -qw sm-signal.service
  installed_lines sm-feed-replay.service After | grep -qw sm-signal.service
  installed_lines sm-feed-ticker.service After | grep -qw sm-signal.service
  ! installed_lines sm-order.service After | grep -E -w 'sm-(risk|signal|feed|feed-replay)\.service'
  # With After= between FIFO neighbours, a Type=notify stage would wait for a READY=1 that only
  # comes once its neighbour opens the FIFO: a deadlock. The watchdog still works with exec.
  for stage in sm-order sm-risk sm-signal; do
    [ "$(installed_lines $stage.service Type)" = exec ]
    [ "$(installed_lines $stage.service WatchdogSec)" = 30s ]
    [ "$(installed_lines $stage.service NotifyAccess)" = main ]
  done
  # The session target stops them all; stopping it is what sm-session-close.service does.
  for stage in sm-order sm-risk sm-signal sm-feed sm-feed-replay sm-feed-ticker; do
    [ "$(installed_lines $stage.service PartOf)" = sm-session.target ]
  done
  installed_lines sm-session-close.service Conflicts | grep -qw sm-session.target
}

@test "every unit alerts through sm-alert@ when it fails, and a restarting one has a start limit" {
  install_units
  for unit in "$UNIT_DIR"/*.service; do
    name=$(basename "$unit")
    [ "$name" = sm-alert@.service ] && continue
    echo "$name"
    [ "$(installed_lines "$name" OnFailure)" = 'sm-alert@%n.service' ]
    if grep -q '^Restart=' "$unit"; then
      [ "$(installed_lines "$name" StartLimitBurst)" = 5 ]
      [ "$(installed_lines "$name" StartLimitIntervalSec)" = 10min ]
    fi
  done
  ! grep -q '^OnFailure=' "$UNIT_DIR/sm-alert@.service"
}

@test "sm-alert@ stores and delivers the alert unit_failed naming the failed unit" {
  install_units
  installed_programs_run_here
  exec_line=$(installed_lines sm-alert@.service ExecStart)
  exec_line=${exec_line//%i/sm-order.service}
  run --separate-stderr $exec_line
  echo "$stderr"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e -s 'length == 1 and (.[0].text | contains("sm-order.service"))
                              and (.[0].text | contains("journalctl"))'
  [ "$(sqlite3 "$SM_DB" "SELECT component || ' ' || event || ' ' || severity FROM alerts")" = \
    "sm-order.service unit_failed critical" ]
}

@test "no unit appends to a log file: what the programs write goes to the journal" {
  install_units
  ! grep -n -e '>>' -e '/var/log' -e '^LogsDirectory=' "$UNIT_DIR"/*.service
}

@test "the timers' jobs and the session's services ask the NSE calendar before they run" {
  install_units
  installed_programs_run_here
  holiday=2026-03-03T10:00   # Holi, a Tuesday
  trading=2026-12-07T10:00   # a Monday, continuous session
  evening=2026-12-07T17:00   # the same Monday after the close
  for name in sm-order sm-risk sm-signal sm-feed sm-feed-replay sm-feed-ticker sm-divergence sm-alert-summary sm-instruments; do
    condition=$(installed_lines $name.service ExecCondition)
    echo "$name: $condition"
    [ "$condition" = "$PREFIX/bin/sm-status calendar --trading-today" ]
    run --separate-stderr $condition --at "$holiday"
    [ "$status" -eq 9 ]
    run --separate-stderr $condition --at "$trading"
    [ "$status" -eq 0 ]
  done
  condition=$(installed_lines sm-reconcile.service ExecCondition)
  run --separate-stderr $condition --at "$trading"
  [ "$status" -eq 0 ]
  run --separate-stderr $condition --at "$evening"
  [ "$status" -eq 9 ]
  # Every timer starts a unit that exists: its Unit= or the service of its own name.
  for timer in "$UNIT_DIR"/*.timer; do
    target=$(sed -n 's/^Unit=//p' "$timer")
    [ -f "$UNIT_DIR/${target:-$(basename "$timer" .timer).service}" ]
  done
  installed_lines stalkmarket.target Wants | tr ' ' '\n' | grep -q '^sm-session-open.timer$'
}
