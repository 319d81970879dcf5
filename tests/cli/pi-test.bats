#!/usr/bin/env bats
# scripts/pi-test (make pi-test) on a stand-in for a `make pi` build: a CTestTestfile.cmake whose
# tests only record that they ran, and a qemu-bin directory. What is tested is the script's choice
# of tests and its exit status, not qemu (the real run takes an hour: docs/OPERATIONS.md).
load common

pi_test="$BATS_TEST_DIRNAME/../../scripts/pi-test"

# The inner bats run must not see this one's BATS_* variables, nor bats' own libexec directory
# first on PATH (its `bats` there is not the one to start a run with).
run_pi_test() {
  local path
  path=$(tr ':' '\n' <<<"$PATH" | grep -v bats-core | paste -sd:)
  run env -i PATH="$path" HOME="$HOME" "$@"
}

# fake_pi_build DIR [FAILING_TEST]: DIR as scripts/pi leaves it, with two unit tests, the store's
# stress test and another, each appending its name to DIR/ran; FAILING_TEST also exits 1.
fake_pi_build() {
  local dir=$1 failing=${2:-}
  mkdir -p "$dir/qemu-bin"
  printf '#!/bin/sh\nexit 0\n' >"$dir/qemu-bin/sm-db"
  chmod +x "$dir/qemu-bin/sm-db"
  local name
  for name in "store: concurrent writers and readers on one file lose nothing and never see SQLITE_BUSY" \
    "core: money adds up"; do
    local code=0
    [ "$name" = "$failing" ] && code=1
    printf 'add_test([=[%s]=] sh -c "echo \\"%s\\" >> %s/ran; exit %d")\n' \
      "$name" "${name%%:*}" "$dir" "$code" >>"$dir/CTestTestfile.cmake"
  done
  # A bats file that records the SM_BIN and SM_TIME_SCALE it was given ("@%s" and test: bats
  # would take a literal test line here for one of this file's).
  # shellcheck disable=SC2016
  printf '@%s "records SM_BIN" { echo "$SM_BIN" >"%s/sm_bin"; echo "$SM_TIME_SCALE" >"%s/scale"; }\n' \
    test "$dir" "$dir" >"$dir/records.bats"
}

@test "pi-test runs every unit test, the threaded stress test too, then the bats files on qemu-bin" {
  fake_pi_build "$SM_TEST_DIR/pi"
  run_pi_test "$pi_test" "$SM_TEST_DIR/pi" "$SM_TEST_DIR/pi/records.bats"
  [ "$status" -eq 0 ]
  [ "$(sort "$SM_TEST_DIR/pi/ran" | tr '\n' ' ')" = "core store " ]
  [ "$(cat "$SM_TEST_DIR/pi/sm_bin")" = "$SM_TEST_DIR/pi/qemu-bin" ]
  [[ "$output" == *"100% tests passed, 0 tests failed out of 2"* ]]
  [[ "$output" == *"bats: 1 tests, 0 failures, 0 skipped"* ]]
  # The bats tests' waits are stretched for emulation, unless the caller chose a scale.
  [ "$(cat "$SM_TEST_DIR/pi/scale")" = 10 ]
  run_pi_test SM_TIME_SCALE=3 "$pi_test" "$SM_TEST_DIR/pi" "$SM_TEST_DIR/pi/records.bats"
  [ "$(cat "$SM_TEST_DIR/pi/scale")" = 3 ]
}

@test "pi-test leaves out the unit tests PI_CTEST_EXCLUDE matches" {
  fake_pi_build "$SM_TEST_DIR/pi"
  run_pi_test PI_CTEST_EXCLUDE="concurrent writers" "$pi_test" "$SM_TEST_DIR/pi" \
    "$SM_TEST_DIR/pi/records.bats"
  [ "$status" -eq 0 ]
  [ "$(cat "$SM_TEST_DIR/pi/ran")" = core ]
}

@test "pi-test exits 1 when a unit test fails, and still runs the bats files" {
  fake_pi_build "$SM_TEST_DIR/pi" "core: money adds up"
  run_pi_test "$pi_test" "$SM_TEST_DIR/pi" "$SM_TEST_DIR/pi/records.bats"
  [ "$status" -eq 1 ]
  [ -s "$SM_TEST_DIR/pi/sm_bin" ]
}

@test "pi-test refuses a directory make pi has not built" {
  mkdir "$SM_TEST_DIR/empty"
  run_pi_test "$pi_test" "$SM_TEST_DIR/empty"
  [ "$status" -eq 1 ]
  [[ "$output" == *"run make pi first"* ]]
}
