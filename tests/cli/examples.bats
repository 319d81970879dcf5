#!/usr/bin/env bats
# Every file in examples/ works: the configurations load in the programs that read them, and the
# scripts run to the end on the bundled data.
load common

# assert_config_loads FILE COMMAND...: the command accepts FILE: exit 0 and no config_error.
assert_config_loads() {
  local file=$1
  shift
  run --separate-stderr "$@" --config "$file" </dev/null
  echo "$*: status $status, stderr: $stderr" >&2
  [ "$status" -eq 0 ]
  ! grep -q config_error <<<"$stderr"
}

@test "the paper and live configurations load in sm-risk, sm-status and sm-db" {
  local example
  for example in paper live; do
    file="$SM_ROOT/examples/$example.jsonc"
    assert_config_loads "$file" sm-db migrate
    assert_config_loads "$file" sm-risk status
    assert_config_loads "$file" sm-status
  done
}

@test "paper.jsonc serves sm-paper on loopback; live.jsonc gets as far as asking for Kite's key" {
  start_paper --config "$SM_ROOT/examples/paper.jsonc"
  [[ "$PAPER_URL" == http://127.0.0.1:* ]]
  unset SM_KITE_API_KEY SM_KITE_ACCESS_TOKEN SM_SECRETS_FILE SM_KITE_TOKEN_FILE
  run --separate-stderr sm-reconcile --config "$SM_ROOT/examples/live.jsonc" --json </dev/null
  echo "$stderr" >&2
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  jq -e -s 'any(.message // "" | contains("SM_KITE_API_KEY"))' <<<"$stderr"
  ! grep -q 'unknown' <<<"$stderr"
}

@test "examples/research.sh: ingest, sweep and a report of the best set, on the bundled data" {
  run --separate-stderr "$SM_ROOT/examples/research.sh" "$SM_TEST_DIR/research"
  echo "$output" >&2
  echo "$stderr" >&2
  [ "$status" -eq 0 ]
  [[ "$output" == *"bars stored"* ]]
  [ "$(jq -s '[.[] | select(.type == "sweep_result")] | length' research/sweep/sweep.ndjson)" -eq 12 ]
  [ -s research/best/report.html ]
  [[ "$output" == *"report: $SM_TEST_DIR/research/best/report.html"* ]]
}

@test "examples/one-symbol-pipeline.sh: TCS through signal, risk, order and the paper broker" {
  run --separate-stderr "$SM_ROOT/examples/one-symbol-pipeline.sh" TCS "$SM_TEST_DIR/tcs"
  echo "$output" >&2
  [ "$status" -eq 0 ]
  pipeline=tcs/pipeline.ndjson
  assert_json_lines "$pipeline"
  [ "$(jq -s '[.[] | select(.type == "risk_decision" and .approved)] | length' "$pipeline")" -gt 0 ]
  [ "$(jq -s '[.[] | select(.type == "fill" and .symbol == "TCS")] | length' "$pipeline")" -gt 0 ]
  [ "$(jq -s '[.[] | select(.symbol != null and .symbol != "TCS")] | length' "$pipeline")" -eq 0 ]
  [[ "$output" == *"Positions"* ]]
}

@test "every example file is listed in examples/README.md and covered here" {
  local file
  for file in "$SM_ROOT"/examples/*; do
    name=$(basename "$file")
    [ "$name" = README.md ] && continue
    grep -q "($name)" "$SM_ROOT/examples/README.md" || { echo "$name not in examples/README.md"; return 1; }
  done
}
