#!/usr/bin/env bats
# The README's first command: paper trading end to end on the bundled data.
load common

# scripts/demo runs the programs of the build directory itself, not SM_BIN's: those of a cross
# build (make pi, whose SM_BIN holds qemu-user wrappers) cannot be started here.
build_runs_here() {
  "$SM_BIN/../bin/sm-status" --help >/dev/null 2>&1 ||
    skip "a cross build: scripts/demo runs its programs, not for this $(uname -m) machine"
}

@test "make demo trades the bundled data end to end: approved orders are filled by the paper broker" {
  build_runs_here
  run "$BATS_TEST_DIRNAME/../../scripts/demo" "$SM_BIN/.."
  [ "$status" -eq 0 ]
  pipeline="$BATS_TEST_DIRNAME/../../var/demo/pipeline.ndjson"
  approved=$(jq -s '[.[] | select(.type=="risk_decision" and .approved)] | length' "$pipeline")
  fills=$(jq -s '[.[] | select(.type=="fill")] | length' "$pipeline")
  [ "$approved" -gt 0 ]
  [ "$fills" -gt 0 ]
  # every order the gateway approved reached a final state at the broker
  finals=$(jq -s '[.[] | select(.type=="order_update" and (.status=="COMPLETE" or .status=="REJECTED" or .status=="CANCELLED"))] | length' "$pipeline")
  [ "$finals" -ge "$approved" ]
  # The strategy exits by itself: sm-signal follows the fills sm-order stores (no fills fed back).
  exits=$(jq -s '[.[] | select(.type=="risk_decision" and .approved and .action=="exit_long" and .code=="APPROVED")] | length' "$pipeline")
  [ "$exits" -gt 0 ]
  [[ "$output" == *"Positions"* ]]
  # The summary's money comes from sm-status, grouped the Indian way (1,11,740.00, not 111740.00).
  echo "$output" | grep -E '^   P&L to date \(sm-status\), in rupees: realised -?[0-9]{1,2}(,[0-9]{2})*,[0-9]{3}\.[0-9]{2}, charges [0-9,]+\.[0-9]{2}, '
  [ -z "$(echo "$output" | grep -E 'P&L.*[0-9]{4,}\.[0-9]{2}')" ]
  jq -e . "$pipeline" > /dev/null
}

@test "make demo PACED=1 prints progress while it replays: dates move forward, counts grow" {
  build_runs_here
  # At the unpaced rate, so the test takes no longer than the one above.
  export SM_DEMO_DAY_MS=30
  run "$BATS_TEST_DIRNAME/../../scripts/demo" --paced "$SM_BIN/.."
  [ "$status" -eq 0 ]
  progress=$(grep -E '^   replayed to [0-9]{4}-[0-9]{2}-[0-9]{2}: [0-9]+ signals, [0-9]+ approved, [0-9]+ orders, [0-9]+ fills$' <<<"$output")
  [ "$(wc -l <<<"$progress")" -ge 5 ]
  dates=$(sed -E 's/^   replayed to ([0-9-]+):.*/\1/' <<<"$progress")
  [ "$dates" = "$(sort <<<"$dates")" ]
  [ "$(head -1 <<<"$dates")" \< "$(tail -1 <<<"$dates")" ]
  first_fills=$(head -1 <<<"$progress" | sed -E 's/.* ([0-9]+) fills$/\1/')
  last_fills=$(tail -1 <<<"$progress" | sed -E 's/.* ([0-9]+) fills$/\1/')
  [ "$last_fills" -gt "$first_fills" ]
  [[ "$output" == *"Positions"* ]]
}
