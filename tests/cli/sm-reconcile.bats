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

order_is() {  # order_is CLIENT_ORDER_ID STATUS: the order's status in the database is STATUS
  [ "$(sqlite3 "$SM_DB" "SELECT status FROM orders WHERE client_order_id = '$1'" 2>/dev/null)" = "$2" ]
}

# A price line for the paper broker's feed: SYMBOL PRICE UTC-TIME.
paper_tick() {
  printf '{"type":"tick","ts":"%s","symbol":"%s","price":%s,"qty":10}\n' "$3" "$1" "$2"
}

@test "sm-paper squares off MIS at 15:20 IST (ADMINSQF); sm-reconcile records it, not drift; sm-order keeps running" {
  # The paper broker on the replayed market's clock: 15:10 IST, then a price at 15:21 IST.
  start_paper --no-rate-limits --clock market --mis-square-off 15:20
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  export SM_CFG__BROKER__BASE_URL="$PAPER_URL"
  curl -sf -X POST "$PAPER_URL/_paper/prices" --data-binary "$(paper_tick INFY 1500 2026-03-05T09:40:00.000Z)" >/dev/null
  mkfifo stream
  sm-order <stream >order.out 2>order.err &
  ORDER_PID=$!
  exec 7>stream
  printf '{"type":"order","ts":"2026-03-05T09:40:00.000Z","client_order_id":"smSQ1","strategy":"intraday","symbol":"INFY","side":"BUY","qty":4,"order_type":"MARKET","product":"MIS","price":0}\n' >&7
  wait_for 30 order_is smSQ1 COMPLETE
  [ "$(sqlite3 "$SM_DB" "SELECT qty FROM positions WHERE strategy = 'intraday' AND symbol = 'INFY'")" = 4 ]

  curl -sf -X POST "$PAPER_URL/_paper/prices" --data-binary "$(paper_tick INFY 1510 2026-03-05T09:51:00.000Z)" >/dev/null
  square_off=$(kite GET /orders | jq -c '[.data[] | select(.placed_by == "ADMINSQF")]')
  echo "$square_off" | jq -e 'length == 1 and .[0].product == "MIS" and .[0].transaction_type == "SELL" and .[0].quantity == 4 and .[0].status == "COMPLETE" and .[0].average_price == 1510'
  [ "$(kite GET /portfolio/positions | jq '[.data.net[] | select(.tradingsymbol == "INFY")] | .[0].quantity')" = 0 ]

  run --separate-stderr sm-reconcile --fail-on-drift --json
  echo "$output" >&2
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -se 'map(select(.type == "reconcile_difference")) | length >= 1 and all(.known_class == "auto_square_off" and .resolution == "record" and .drift == false and .strategy == "intraday")'
  echo "$output" | jq -se 'map(select(.type == "reconcile_summary")) | .[0].drift == 0'
  [ "$(sqlite3 "$SM_DB" "SELECT qty FROM positions WHERE strategy = 'intraday' AND symbol = 'INFY'")" = 0 ]
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM alerts WHERE event = 'broker_square_off'")" = 1 ]
  # The square-off fill carries its charges, as the broker levied them: our charges are the
  # paper broker's to the paisa.
  [ "$(sqlite3 "$SM_DB" "SELECT charges_paise > 0 FROM fills WHERE client_order_id LIKE 'x%'")" = 1 ]
  paper_charges=$(curl -sf "$PAPER_URL/_paper/state" | jq -r .data.charges)
  [ "$(sqlite3 "$SM_DB" "SELECT printf('%d.%02d', sum(charges_paise) / 100, sum(charges_paise) % 100) FROM fills")" = "$paper_charges" ]
  run --separate-stderr sm-reconcile --fail-on-drift --json
  [ "$status" -eq 0 ]
  echo "$output" | jq -se 'map(select(.type == "reconcile_difference")) | length == 0'

  # sm-order never stopped, and still places what it is given.
  kill -0 "$ORDER_PID"
  printf '{"type":"order","ts":"2026-03-05T09:51:00.000Z","client_order_id":"smSQ2","strategy":"intraday","symbol":"INFY","side":"BUY","qty":1,"order_type":"MARKET","product":"CNC","price":0}\n' >&7
  wait_for 30 order_is smSQ2 COMPLETE
  kill -0 "$ORDER_PID"
  exec 7>&-
}

@test "a position held into a 1:1 bonus's ex-date is adjusted once: nothing halts, no drift against sm-paper" {
  start_paper --no-rate-limits --clock market
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  export SM_CFG__BROKER__BASE_URL="$PAPER_URL"
  # The day before TCS's 1:1 bonus (ex-date 2018-05-31, in the bundled data/corporate-actions.csv),
  # at its real prices: 10 bought for delivery.
  { echo '{"type":"bar","ts":"2018-05-30T03:45:00.000Z","symbol":"TCS","timeframe":"1d","open":3509.05,"high":3533.00,"low":3482.50,"close":3514.10,"volume":1000000}'
    echo '{"type":"order","ts":"2018-05-30T09:55:00.000Z","client_order_id":"smCA1","strategy":"trend","symbol":"TCS","side":"BUY","qty":10,"order_type":"MARKET","product":"CNC"}'; } >day1.ndjson
  sm-order --paper-prices <day1.ndjson >order.out 2>order.err
  [ "$(sqlite3 "$SM_DB" "SELECT qty FROM positions WHERE symbol = 'TCS'")" = 10 ]

  # The ex-date: the market opens at half the price.
  curl -sf -X POST "$PAPER_URL/_paper/prices" --data-binary '{"type":"bar","ts":"2018-05-31T03:45:00.000Z","symbol":"TCS","timeframe":"1d","open":1734.00,"high":1759.05,"low":1726.10,"close":1741.05,"volume":2000000}' >/dev/null
  [ "$(kite GET /portfolio/holdings | jq '.data[] | select(.tradingsymbol == "TCS") | .quantity')" = 20 ]
  # Its circuit band is reckoned from the adjusted previous close, 3514.10 / 2, as NSE's is.
  [ "$(kite GET '/quote?i=NSE:TCS' | jq '.data["NSE:TCS"].ohlc.close')" = 1757.05 ]

  # The risk gateway through the ex-date's prices: the position is 20 shares, nothing fires (at
  # half the price 10 shares would be a 50 % position loss and a 3.5 % daily loss of this capital).
  cat >risk.jsonc <<'JSON'
{ "risk": { "capital": "500000.00", "session_checks": false, "required_components": [],
            "broker_disconnect_halt_s": 1000000000 } }
JSON
  printf '%s\n' \
    '{"type":"heartbeat","ts":"2018-05-31T04:29:50.000Z","component":"sm-order","status":"ok","pid":7,"detail":""}' \
    '{"type":"tick","ts":"2018-05-31T04:30:00.000Z","symbol":"TCS","price":1741.05,"qty":5,"volume":100}' \
    '{"type":"tick","ts":"2018-05-31T09:59:00.000Z","symbol":"TCS","price":1741.05,"qty":5,"volume":100}' |
    sm-risk --config risk.jsonc --event-time >risk.out 2>risk.err
  [ "$(sqlite3 "$SM_DB" "SELECT qty FROM positions WHERE symbol = 'TCS'")" = 20 ]
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM halts")" = 0 ]
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM risk_decisions")" = 0 ]
  ! jq -e 'select(.type == "halt" or .type == "order")' risk.out
  [ "$(sqlite3 "$SM_DB" "SELECT strategy || ' ' || ex_date || ' ' || qty_before || '>' || qty_after FROM corporate_action_adjustments")" = "trend 2018-05-31 10>20" ]

  # sm-reconcile expects the broker's 20 shares: no difference, and the adjustment stays one row.
  run --separate-stderr sm-reconcile --fail-on-drift --json
  echo "$output $stderr" >&2
  [ "$status" -eq 0 ]
  echo "$output" | jq -e 'select(.type == "reconcile_summary") | .differences == 0'
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM corporate_action_adjustments")" = 1 ]
}

@test "a position adjusted for a bonus the broker has not credited yet is a known class, not drift" {
  start_broker
  printf '{"type":"order","ts":"2024-03-28T04:30:00.000Z","client_order_id":"smCA2","strategy":"bats","symbol":"TCS","side":"BUY","qty":2,"order_type":"MARKET","product":"CNC"}\n' |
    sm-order >/dev/null 2>&1
  # Its ex-date is today: we adjust 2 to 4 now, the paper broker's books (today's trade) do not.
  today=$(TZ=Asia/Kolkata date +%Y-%m-%d)
  printf 'symbol,ex_date,kind,ratio\nTCS,%s,bonus,1:1\n' "$today" >actions.csv
  sqlite3 "$SM_DB" "UPDATE positions SET updated_ms = updated_ms - 86400000 WHERE symbol = 'TCS'"
  SM_CORPORATE_ACTIONS="$PWD/actions.csv" run --separate-stderr sm-reconcile --fail-on-drift --json
  echo "$output $stderr" >&2
  [ "$status" -eq 0 ]
  echo "$output" | jq -s -e 'map(select(.type == "reconcile_difference")) | length == 1 and (.[0] | .kind == "position" and .known_class == "corporate_action" and .drift == false and .resolution == "none" and .our_qty == 4 and .broker_qty == 2)'
  echo "$output" | jq -s -e 'map(select(.type == "reconcile_summary")) | .[0].drift == 0'
  echo "$stderr" | jq -s -e 'map(select(.event == "corporate_action_applied")) | length == 1 and .[0].qty_after == 4'
  # --apply leaves it alone: the shares are ours, the broker is only late.
  SM_CORPORATE_ACTIONS="$PWD/actions.csv" run --separate-stderr sm-reconcile --apply --json
  [ "$status" -eq 0 ]
  [ "$(sqlite3 "$SM_DB" "SELECT qty FROM positions WHERE symbol = 'TCS'")" = 4 ]
}
