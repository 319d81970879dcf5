#!/usr/bin/env bats
# sm-reconcile against the paper broker (sm-paper on an ephemeral 127.0.0.1 port).

load common

# The paper broker with a TCS quote, and sm-reconcile's broker settings pointing at it.
start_broker() {
  start_quoted_paper '{"type":"paper_quote","symbol":"TCS","last_price":3500}'
}

manual_buy() {  # an order placed outside sm-order (Kite web, the phone app)
  kite POST /orders/regular \
    -d "tradingsymbol=TCS&exchange=NSE&transaction_type=BUY&order_type=MARKET&quantity=$1&product=MIS&market_protection=-1&tag=$2" >/dev/null
}

@test "--help lists --apply, --fail-on-drift and the exit codes" {
  run --separate-stderr sm-reconcile --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--apply"* ]]
  [[ "$output" == *"--fail-on-drift"* ]]
  [[ "$output" == *"Exit status"* ]]
}

@test "an unknown flag exits 2 with a JSON error on stderr" {
  assert_usage_error sm-reconcile --no-such-flag
}

@test "an empty database and an empty broker agree: one summary line, exit 0 even with --fail-on-drift" {
  start_broker
  run --separate-stderr sm-reconcile --fail-on-drift
  [ "$status" -eq 0 ]
  assert_json_lines
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  echo "$output" | jq -e '.type == "reconcile_summary" and .differences == 0 and .drift_remaining == 0'
}

@test "orders placed through sm-order reconcile cleanly" {
  start_broker
  printf '{"type":"order","ts":"2024-03-28T04:30:00.000Z","client_order_id":"smG1","strategy":"bats","symbol":"TCS","side":"BUY","qty":2,"order_type":"MARKET","product":"MIS"}\n' |
    sm-order >/dev/null 2>&1
  run --separate-stderr sm-reconcile --fail-on-drift --json
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.differences == 0'
}

@test "a manual trade is drift: NDJSON differences, a table for people, exit 6 with --fail-on-drift" {
  start_broker
  manual_buy 5 web1
  run --separate-stderr sm-reconcile
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -se 'map(select(.type == "reconcile_difference")) | map(.kind) == ["unknown_order", "missing_fill"]'
  echo "$output" | jq -se 'map(select(.kind == "missing_fill")) | .[0] | .drift == true and .broker_qty == 5 and .symbol == "TCS"'
  echo "$output" | jq -se 'last | .type == "reconcile_summary" and .drift == 1'
  run --separate-stderr sm-reconcile --fail-on-drift
  [ "$status" -eq 6 ]
  run --separate-stderr sm-reconcile --table
  [ "$status" -eq 0 ]
  [[ "$output" == *"missing_fill"* ]]
  [[ "$output" == *"1 unresolved drift difference"* ]]
}

@test "--apply adopts the broker's truth with an audit record, after which there is no drift" {
  start_broker
  manual_buy 5 web2
  run --separate-stderr sm-reconcile --apply --fail-on-drift
  [ "$status" -eq 0 ]
  echo "$output" | jq -se 'last | .applied == true and .adopted_orders == 1 and .inserted_fills == 1 and .drift_remaining == 0'
  [ "$(sqlite3 "$SM_DB" "SELECT sum(qty) FROM positions WHERE symbol = 'TCS'")" = 5 ]
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM order_events WHERE event = 'reconcile_adopted'")" = 1 ]
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM alerts WHERE event = 'reconcile_applied'")" = 1 ]
  run --separate-stderr sm-reconcile --fail-on-drift
  [ "$status" -eq 0 ]
}

@test "--apply is refused while sm-order runs on the database" {
  start_broker
  manual_buy 1 web3
  flock "$SM_DB.sm-order.lock" sleep 3 &
  local holder=$!
  sleep 0.3
  run --separate-stderr sm-reconcile --apply
  kill "$holder"
  wait "$holder" || true
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"sm-order is running"* ]]
}

@test "without an access token it exits 7; an unsafe token file exits 4" {
  unset SM_KITE_ACCESS_TOKEN
  export SM_KITE_API_KEY=testkey SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  run --separate-stderr sm-reconcile
  [ "$status" -eq 7 ]
  printf 'SM_KITE_ACCESS_TOKEN=x\n' >"$SM_KITE_TOKEN_FILE"
  chmod 644 "$SM_KITE_TOKEN_FILE"
  run --separate-stderr sm-reconcile
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"chmod 600"* ]]
}

@test "a broker that cannot be reached is a failure (exit 1), not a silent no-drift" {
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken
  run --separate-stderr sm-reconcile --broker-url http://127.0.0.1:9 --timeout-ms 500
  [ "$status" -eq 1 ]
  [ -z "$output" ]
}

@test "--config: a missing file, an unknown key or section is a configuration error (exit 4)" {
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken
  assert_config_refused sm-reconcile
}

@test "--config: the example configuration loads (then the missing api key stops it)" {
  unset SM_KITE_API_KEY
  assert_example_config_loads sm-reconcile
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e 'select(.event == "config_error") | .message | contains("SM_KITE_API_KEY")'
}
