#!/usr/bin/env bats
# The pipeline crash test (tests/crash/pipeline-crash, docs/ORDERS.md "Crash test"), short: 60
# SIGKILLs of sm-signal, sm-risk and sm-order at seeded random moments while the pipeline runs as
# the systemd units wire it; then no signal or approval lost, no intent placed twice, positions
# equal the paper broker's. `make crash` runs it with 1000 kills over four seeds.

load common

@test "sm-signal, sm-risk and sm-order killed at random: nothing lost, nothing twice, positions equal" {
  run env SM_CRASH_KILLS="${SM_CRASH_KILLS:-60}" "$SM_ROOT/tests/crash/pipeline-crash"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"ok   no signal is lost"* ]]
  [[ "$output" == *"ok   no approval is lost"* ]]
  [[ "$output" == *"ok   every intent maps to at most one broker order"* ]]
  [[ "$output" == *"ok   our positions equal the broker's"* ]]
  [[ "$output" != *FAIL* ]]
}
