#!/usr/bin/env bats
# sm-order against the paper broker (sm-paper on an ephemeral 127.0.0.1 port).

load common

# The paper broker with INFY and TCS quotes, and sm-order's broker settings pointing at it.
start_broker() {
  start_quoted_paper $'{"type":"paper_quote","symbol":"INFY","last_price":1500}\n{"type":"paper_quote","symbol":"TCS","last_price":3500}'
}

intent() {  # intent ID SYMBOL SIDE QTY [ORDER_TYPE PRICE]
  printf '{"type":"order","ts":"2024-03-28T04:30:00.000Z","client_order_id":"%s","strategy":"bats","symbol":"%s","side":"%s","qty":%d,"order_type":"%s","product":"MIS","price":%s}\n' \
    "$1" "$2" "$3" "$4" "${5:-MARKET}" "${6:-0}"
}

db() { sqlite3 "$SM_DB" "$1"; }

@test "--help describes the program, its login subcommand and exit codes" {
  run --separate-stderr sm-order --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--cancel-on-exit"* ]]
  [[ "$output" == *"login"* ]]
  [[ "$output" == *"Exit status"* ]]
}

@test "an unknown flag exits 2 with a JSON error on stderr" {
  assert_usage_error sm-order --no-such-flag
}

@test "intents are placed, followed to COMPLETE and written as order_update and fill lines; bars pass through" {
  start_broker
  { intent smA1 INFY BUY 10; echo '{"type":"bar","ts":"2024-03-28T04:30:00.000Z","symbol":"INFY","timeframe":"1m","open":1500,"high":1501,"low":1499,"close":1500,"volume":7}'; intent smA2 INFY SELL 4; } >in.ndjson
  run --separate-stderr sm-order <in.ndjson
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | grep -Fx '{"type":"bar","ts":"2024-03-28T04:30:00.000Z","symbol":"INFY","timeframe":"1m","open":1500,"high":1501,"low":1499,"close":1500,"volume":7}'
  echo "$output" | jq -se 'map(select(.type == "fill")) | length == 2'
  echo "$output" | jq -se 'map(select(.type == "order_update" and .client_order_id == "smA1")) | last | .status == "COMPLETE" and .filled_qty == 10 and .average_price == 1500'
  echo "$output" | jq -se 'map(select(.type == "heartbeat")) | last | .status == "stopping"'
  [ "$(db "SELECT status || ' ' || filled_qty FROM orders WHERE client_order_id = 'smA1'")" = "COMPLETE 10" ]
  [ "$(db "SELECT sum(qty) FROM positions WHERE symbol = 'INFY'")" = 6 ]
  # Each fill carries its charges (MIS: brokerage, exchange, SEBI, stamp or STT, GST), and the
  # position their sum.
  [ "$(db 'SELECT min(charges_paise) > 0 FROM fills')" = 1 ]
  [ "$(db "SELECT (SELECT sum(charges_paise) FROM fills) = (SELECT sum(charges_paise) FROM positions)")" = 1 ]
  echo "$output" | jq -se 'map(select(.type == "fill")) | all(.charges > 0)'
  [ "$(kite GET /orders | jq '[.data[] | select(.tag == "smA1")] | length')" = 1 ]
  [ "$(db "SELECT count(*) FROM heartbeats WHERE component = 'sm-order'")" = 1 ]
}

@test "a paper replay: order updates carry the replayed event time in ts and the wall clock in recorded_ts" {
  start_paper --no-rate-limits --clock market
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  export SM_CFG__BROKER__BASE_URL="$PAPER_URL"
  { echo '{"type":"bar","ts":"2024-03-28T04:30:00.000Z","symbol":"INFY","timeframe":"1m","open":1500,"high":1501,"low":1499,"close":1500,"volume":7}'
    intent smR1 INFY BUY 10; } >in.ndjson
  run --separate-stderr sm-order --paper-prices <in.ndjson
  [ "$status" -eq 0 ]
  today=$(date -u +%Y-%m-%d)
  # Every update says when it was recorded, on the wall clock.
  echo "$output" | jq -se --arg today "$today" 'map(select(.type == "order_update")) | length > 0 and all(.recorded_ts | startswith($today))'
  # The broker's COMPLETE happened in the replayed market, on 2024-03-28.
  echo "$output" | jq -se 'map(select(.type == "order_update" and .status == "COMPLETE")) | length == 1 and (.[0].ts | startswith("2024-03-28"))'
  # The database keeps the same pair for the broker's event.
  [ "$(db "SELECT substr(ts_ist, 1, 10) || ' ' || (date(recorded_ms / 1000, 'unixepoch') = date('now')) FROM order_events WHERE event = 'broker_update' AND status = 'COMPLETE'")" = "2024-03-28 1" ]
}

@test "the same intents again (a restarted upstream) place nothing twice" {
  start_broker
  { intent smB1 TCS BUY 1; intent smB2 TCS BUY 2; } >in.ndjson
  sm-order <in.ndjson >/dev/null 2>&1
  run --separate-stderr sm-order <in.ndjson
  [ "$status" -eq 0 ]
  [ "$(kite GET /orders | jq '[.data[] | select(.tag == "smB1" or .tag == "smB2")] | length')" = 2 ]
  echo "$output" | jq -se 'map(select(.type == "fill")) | length == 0'
}

@test "empty input: recovers, beats, places nothing, exits 0" {
  start_broker
  run --separate-stderr sm-order </dev/null
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -se 'all(.type == "heartbeat")'
  [ "$(db 'SELECT count(*) FROM orders')" = 0 ]
}

@test "a malformed line is reported with its line number and skipped; --strict stops with exit 3" {
  start_broker
  { intent smM1 INFY BUY 1; echo '{"type":"order","client_order_id":"smM2"'; intent smM3 INFY BUY 1; } >in.ndjson
  run --separate-stderr sm-order <in.ndjson
  [ "$status" -eq 0 ]
  echo "$stderr" | grep '"event":"bad_line"' | jq -e '.line == 2 and .input == "stdin"'
  [ "$(db "SELECT count(*) FROM orders WHERE status = 'COMPLETE'")" = 2 ]
  # (a fresh database next to a broker that already has orders: --allow-drift)
  run --separate-stderr sm-order --strict --allow-drift --db "$SM_TEST_DIR/strict.db" <in.ndjson
  [ "$status" -eq 3 ]
}

@test "an order the broker refuses is recorded REJECTED with its reason and alerted, not retried" {
  start_broker
  intent smR1 INFY BUY 100000000 >in.ndjson
  run --separate-stderr sm-order <in.ndjson
  [ "$status" -eq 0 ]
  [ "$(db "SELECT status FROM orders WHERE client_order_id = 'smR1'")" = REJECTED ]
  [[ "$(db "SELECT status_message FROM orders WHERE client_order_id = 'smR1'")" == *MarginException* ]]
  echo "$output" | jq -se 'map(select(.type == "alert" and .event == "order_rejected")) | length == 1'
  [ "$(db "SELECT count(*) FROM order_events WHERE client_order_id = 'smR1' AND event = 'submit_requested'")" = 1 ]
}

@test "sm-order's failed placements are stored as errors; sm-risk halts on more than max_errors_per_minute" {
  start_broker
  # The broker answers 429 to the first 11 placements; sm-order tries again every 50 ms (one
  # attempt per try), then places it.
  curl -sf -X POST "$PAPER_URL/_paper/faults" \
    --data '{"clear":true,"rules":[{"kind":"http_error","status":429,"method":"POST","path":"/orders","count":11}]}' >/dev/null
  intent smE1 INFY BUY 1 >in.ndjson
  run --separate-stderr env SM_CFG__BROKER__RETRY__MAX_ATTEMPTS=1 SM_CFG__ORDER__RETRY_AFTER_MS=50 sm-order <in.ndjson
  [ "$status" -eq 0 ]
  [ "$(db "SELECT status FROM orders WHERE client_order_id = 'smE1'")" = COMPLETE ]
  [ "$(echo "$stderr" | jq -s 'map(select(.level == "error" and .event == "placement_postponed")) | length')" = 11 ]
  [ "$(db "SELECT count(*) FROM errors WHERE component = 'sm-order' AND event = 'placement_postponed' AND code = 'rate_limited' AND reason != ''")" = 11 ]
  # sm-risk reads them from the store (it never sees sm-order's output): 11 > 10 in a minute.
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  printf '{"type":"heartbeat","ts":"%s","component":"sm-order","status":"ok","pid":7}\n' "$now" >beat.ndjson
  run --separate-stderr env SM_CFG__RISK__CAPITAL=1000000 sm-risk <beat.ndjson
  [ "$status" -eq 0 ]
  echo "$output" | jq -se 'map(select(.type == "halt")) | length == 1 and .[0].trigger == "error_rate" and .[0].level == "halt"'
  echo "$output" | jq -se 'map(select(.type == "alert" and .event == "kill_switch_error_rate")) | length == 1'
  run --separate-stderr env SM_CFG__RISK__CAPITAL=1000000 sm-risk status --json
  echo "$output" | jq -e '.state == "halted" and .halts[0].trigger == "error_rate"'
}

@test "a broker refusal is not an error: nothing stored for the error-rate switch" {
  start_broker
  intent smR2 INFY BUY 100000000 >in.ndjson
  run --separate-stderr sm-order <in.ndjson
  [ "$status" -eq 0 ]
  [ "$(db "SELECT status FROM orders WHERE client_order_id = 'smR2'")" = REJECTED ]
  [ "$(db "SELECT count(*) FROM errors")" = 0 ]
}

@test "without a token it waits; sm-order login writes a 0600 token file that the running sm-order picks up" {
  start_broker
  unset SM_KITE_ACCESS_TOKEN
  export SM_KITE_API_SECRET=testsecret
  intent smL1 INFY BUY 2 >in.ndjson
  sm-order --eof-wait 20 <in.ndjson >out.ndjson 2>err.ndjson &
  ORDER_PID=$!
  wait_for 30 grep -q '"event":"no_access_token"' err.ndjson
  sleep 0.5  # a moment in which an sm-order that did not wait would have placed the intent
  [ "$(kite GET /orders | jq '.data | length')" = 0 ]
  rt=$(curl -s -X POST -d '' "$PAPER_URL/_paper/request_token" | jq -r .data.request_token)
  run --separate-stderr sm-order login --request-token "$rt"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.type == "login" and .user_id != ""'
  [ "$(stat -c %a "$SM_KITE_TOKEN_FILE")" = 600 ]
  ! grep -q "$(sed -n 's/^SM_KITE_ACCESS_TOKEN=//p' "$SM_KITE_TOKEN_FILE")" err.ndjson  # never logged
  wait "$ORDER_PID"
  [ "$(db "SELECT status FROM orders WHERE client_order_id = 'smL1'")" = COMPLETE ]
  grep -q '"event":"token_loaded"' err.ndjson
}

@test "login with a request token the broker refuses exits 7; without a secret exits 4" {
  start_broker
  export SM_KITE_API_SECRET=wrongsecret
  run --separate-stderr sm-order login --request-token abc
  [ "$status" -eq 7 ]
  unset SM_KITE_API_SECRET
  run --separate-stderr sm-order login --request-token abc
  [ "$status" -eq 4 ]
  [[ "$stderr" == *SM_KITE_API_SECRET* ]]
}

@test "no api key is a configuration error (exit 4)" {
  unset SM_KITE_API_KEY
  run --separate-stderr sm-order </dev/null
  [ "$status" -eq 4 ]
  [[ "$stderr" == *SM_KITE_API_KEY* ]]
}

@test "a --broker-url that is not a URL, or plain http to a remote host, is a usage error (exit 2)" {
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken
  for url in 'not a url' 'http://api.kite.trade' 'ftp://127.0.0.1/'; do
    run --separate-stderr timeout 10 sm-order --broker-url "$url" </dev/null
    [ "$status" -eq 2 ]
    [ -z "$output" ]
    echo "$stderr" | jq -e '.event == "usage_error"'
  done
  run --separate-stderr timeout 10 sm-reconcile --broker-url 'http://10.0.0.5:8765'
  [ "$status" -eq 2 ]
  [[ "$stderr" == *https* ]]
}

@test "an unreachable broker is logged once, the heartbeat says why, and --eof-wait ends the run" {
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_CFG__ORDER__HEARTBEAT_INTERVAL_MS=500
  run --separate-stderr timeout 60 sm-order --broker-url http://127.0.0.1:9 --eof-wait 4 </dev/null
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$stderr" | jq -se 'map(select(.event == "reconcile_unavailable")) | length == 1'
  echo "$stderr" | jq -se 'map(select(.event == "broker_disconnected")) | length == 1'
  echo "$stderr" | jq -se 'map(select(.level == "warning" or .level == "error")) | length == 2'
  echo "$stderr" | jq -se 'map(select(.event == "eof_wait_over")) | length == 1'
  echo "$output" | jq -se 'map(select(.type == "heartbeat" and .status == "degraded") | .detail | fromjson | .reason // "") | any(test("cannot be reached"))'
}

@test "broker.base_url with plain http to a remote host is a configuration error (exit 4)" {
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken
  SM_CFG__BROKER__BASE_URL=http://api.kite.trade run --separate-stderr timeout 10 sm-order </dev/null
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e 'select(.event == "config_error") | .message | test("broker.base_url.*https")'
}

@test "order.in_doubt_ms not above broker.timeout_ms is a configuration error that says why (exit 4)" {
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken
  SM_CFG__BROKER__TIMEOUT_MS=5000 SM_CFG__ORDER__IN_DOUBT_MS=5000 \
    run --separate-stderr timeout 10 sm-order </dev/null
  [ "$status" -eq 4 ]
  # In-doubt intents are never placed again, so the reason is the lookup, not a second placement.
  echo "$stderr" | jq -e 'select(.event == "config_error") | .message
    | test("in_doubt_ms \\(5000\\) must exceed broker.timeout_ms \\(5000\\)") and contains("in flight would be looked up as if it were lost")'
  [[ "$stderr" != *"placed twice"* ]]
}

@test "a broker position the database does not know stops start-up with exit 6 unless --allow-drift" {
  start_broker
  kite POST /orders/regular -d 'tradingsymbol=TCS&exchange=NSE&transaction_type=BUY&order_type=MARKET&quantity=3&product=MIS&market_protection=-1' >/dev/null
  run --separate-stderr sm-order </dev/null
  [ "$status" -eq 6 ]
  echo "$stderr" | grep -q '"event":"drift"'
  echo "$output" | jq -se 'map(select(.type == "alert" and .event == "reconcile_drift")) | length == 1'
  run --separate-stderr sm-order --allow-drift </dev/null
  [ "$status" -eq 0 ]
}

@test "SIGTERM stops cleanly (exit 0); --cancel-on-exit cancels open orders at the broker" {
  start_broker
  intent smT1 INFY BUY 1 LIMIT 1000 >in.ndjson
  mkfifo stream
  sm-order --cancel-on-exit <stream >out.ndjson 2>err.ndjson &
  ORDER_PID=$!
  exec 7>stream
  cat in.ndjson >&7
  for _ in $(seq 1 100); do
    [ "$(db "SELECT status FROM orders WHERE client_order_id = 'smT1'" 2>/dev/null)" = OPEN ] && break
    sleep 0.05
  done
  kill -TERM "$ORDER_PID"
  wait "$ORDER_PID"
  status=$?
  exec 7>&-
  [ "$status" -eq 0 ]
  [ "$(db "SELECT status FROM orders WHERE client_order_id = 'smT1'")" = CANCELLED ]
  [ "$(kite GET /orders | jq -r '.data[] | select(.tag == "smT1") | .status')" = CANCELLED ]
  assert_json_lines out.ndjson
  [ "$(tail -1 out.ndjson | jq -r .status)" = stopping ]
}

@test "two sm-order processes on one database: the second refuses to start" {
  start_broker
  mkfifo stream
  sm-order <stream >/dev/null 2>first.err &
  ORDER_PID=$!
  exec 7>stream
  wait_for 30 grep -q '"event":"started"' first.err  # it holds the lock by then (slow under ASan)
  run --separate-stderr sm-order </dev/null
  exec 7>&-
  [ "$status" -eq 1 ]
  [[ "$stderr" == *"another sm-order is running"* ]]
}

@test "the daily placement cap counts the placements of earlier runs from the database" {
  start_broker
  export SM_CFG__BROKER__RATE_LIMITS__ORDERS_PER_DAY=2
  { intent smD1 INFY BUY 1; intent smD2 INFY BUY 1; } | sm-order >/dev/null 2>&1
  [ "$(db "SELECT count(*) FROM orders WHERE status = 'COMPLETE'")" = 2 ]
  run --separate-stderr sm-order --eof-wait 1 < <(intent smD3 INFY BUY 1)
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -se 'map(select(.event == "placements_today")) | .[0].count == 2'
  [ "$(db "SELECT status FROM orders WHERE client_order_id = 'smD3'")" = PENDING ]
  db "SELECT detail FROM order_events WHERE client_order_id = 'smD3' AND event = 'submit_failed'" | grep -q 'client-side order_place limit'
  [ "$(kite GET /orders | jq '[.data[] | select(.tag == "smD3")] | length')" = 0 ]
}

@test "--config: a missing file, an unknown key or section is a configuration error (exit 4)" {
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken
  assert_config_refused sm-order
}

@test "--config: the example configuration loads (then the missing api key stops it)" {
  unset SM_KITE_API_KEY
  assert_example_config_loads sm-order
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e 'select(.event == "config_error") | .message | contains("SM_KITE_API_KEY")'
}

# Issue 11 with times scaled down tenfold: a 0.3 s timeout and a 0.4 s in-doubt window, and a
# broker that acts on the timed-out placement 0.6 s or 3 s after the timeout (6 s and 30 s), or
# never. sm-order must look the tag up, never place the intent a second time.
in_doubt_settings() {
  export SM_CFG__BROKER__TIMEOUT_MS=300 SM_CFG__ORDER__IN_DOUBT_MS=400
  export SM_CFG__ORDER__IN_DOUBT_RESOLVE_MS=4000 SM_CFG__ORDER__IN_DOUBT_SETTLE_MS=300
  export SM_CFG__ORDER__LOOKUP_INTERVAL_MS=100 SM_CFG__ORDER__POLL_INTERVAL_MS=100
}

@test "a placement the broker acts on after the in-doubt window is adopted, never placed twice" {
  start_broker
  in_doubt_settings
  for delay in 900 3300; do
    curl -sf -X POST "$PAPER_URL/_paper/faults" \
      --data "{\"clear\":true,\"rules\":[{\"kind\":\"delay\",\"delay_ms\":$delay,\"method\":\"POST\",\"path\":\"/orders\"}]}" >/dev/null
    intent "smLate$delay" INFY BUY 1 >in.ndjson
    run --separate-stderr sm-order <in.ndjson
    [ "$status" -eq 0 ]
    [ "$(kite GET /orders | jq "[.data[] | select(.tag == \"smLate$delay\")] | length")" = 1 ]
    [ "$(db "SELECT status FROM orders WHERE client_order_id = 'smLate$delay'")" = COMPLETE ]
    [ "$(db "SELECT count(*) FROM order_events WHERE client_order_id = 'smLate$delay' AND event = 'submit_requested'")" = 1 ]
  done
}

@test "a placement the broker never acts on expires with a critical alert naming it, no order" {
  start_broker
  in_doubt_settings
  curl -sf -X POST "$PAPER_URL/_paper/faults" \
    --data '{"clear":true,"rules":[{"kind":"drop_before","method":"POST","path":"/orders"}]}' >/dev/null
  intent smNever INFY BUY 1 >in.ndjson
  run --separate-stderr sm-order <in.ndjson
  [ "$status" -eq 0 ]
  assert_json_lines
  [ "$(kite GET /orders | jq '[.data[] | select(.tag == "smNever")] | length')" = 0 ]
  [ "$(db "SELECT status FROM orders WHERE client_order_id = 'smNever'")" = CANCELLED ]
  echo "$output" | jq -se 'map(select(.type == "alert" and .event == "in_doubt_expired" and .severity == "critical" and (.text | contains("smNever")))) | length == 1'
  [ "$(db "SELECT count(*) FROM alerts WHERE event = 'in_doubt_expired' AND severity = 'critical' AND text LIKE '%smNever%'")" = 1 ]
  # A restart places nothing either.
  curl -sf -X DELETE "$PAPER_URL/_paper/faults" >/dev/null
  sm-order </dev/null >/dev/null 2>&1
  [ "$(kite GET /orders | jq '[.data[] | select(.tag == "smNever")] | length')" = 0 ]
}

# What sm-risk approved and stored while its output was lost (a FIFO whose reader died): the
# approval with its order intent is in risk_decisions, nothing reached sm-order's stdin.
approve_lost() {  # approve_lost STRATEGY
  printf '%s\n' \
    '{"type":"heartbeat","ts":"2026-03-05T04:29:50.000Z","component":"sm-order","status":"ok","pid":7,"detail":""}' \
    '{"type":"tick","ts":"2026-03-05T04:29:55.000Z","symbol":"TCS","price":3500.00,"qty":5,"volume":100}' \
    '{"type":"signal","ts":"2026-03-05T04:30:00.000Z","strategy":"'"$1"'","symbol":"TCS","action":"enter_long","qty":10,"price":3500.00}' |
    SM_CFG__RISK__CAPITAL=1000000 SM_CFG__RISK__ORDER_TYPE=MARKET SM_CFG__RISK__REQUIRED_COMPONENTS='[]' \
      SM_CFG__RISK__BROKER_DISCONNECT_HALT_S=1000000000 sm-risk --event-time >/dev/null 2>risk.log
  [ "$(db "SELECT count(*) FROM risk_decisions WHERE strategy = '$1' AND approved = 1 AND order_json IS NOT NULL")" = 1 ]
}

@test "in a replay an approval whose market time has moved on past order.max_queue_ms is expired, not placed" {
  start_broker
  approve_lost replayed  # decided by sm-risk --event-time at 2026-03-05 04:30 UTC, recorded now
  id=$(db "SELECT client_order_id FROM risk_decisions WHERE strategy = 'replayed'")
  sleep 2.5  # past the catch-up's grace
  # Recorded seconds ago on the wall clock, but the replay on sm-order's input is three market
  # minutes on: too late for a 2-minute limit.
  echo '{"type":"bar","ts":"2026-03-05T04:33:00.000Z","symbol":"TCS","timeframe":"1m","open":3500,"high":3500,"low":3500,"close":3500,"volume":7}' >in.ndjson
  run --separate-stderr env SM_CFG__ORDER__MAX_QUEUE_MS=120000 sm-order --eof-wait 1 <in.ndjson
  [ "$status" -eq 0 ]
  [ "$(db "SELECT status FROM orders WHERE client_order_id = '$id'")" = CANCELLED ]
  db "SELECT event FROM order_events WHERE client_order_id = '$id'" | grep -qx intent_expired
  [ "$(kite GET /orders | jq '.data | length')" = 0 ]
}

@test "an approval whose intent never arrived is placed from the store; one past order.max_queue_ms is expired, never placed" {
  start_broker
  approve_lost late
  late=$(db "SELECT client_order_id FROM risk_decisions WHERE strategy = 'late'")
  # The grace a just-stored approval gets (its intent may still be on its way on stdin) is 2 s:
  # after it, "late" is older than the 2 s this run allows; "fresh" is still within its grace.
  sleep 2.5
  approve_lost fresh
  fresh=$(db "SELECT client_order_id FROM risk_decisions WHERE strategy = 'fresh'")
  run --separate-stderr env SM_CFG__ORDER__MAX_QUEUE_MS=2000 sm-order --eof-wait 1 </dev/null
  [ "$status" -eq 0 ]
  assert_json_lines
  [ "$(db "SELECT status FROM orders WHERE client_order_id = '$late'")" = CANCELLED ]
  db "SELECT event FROM order_events WHERE client_order_id = '$late'" | grep -qx intent_expired
  echo "$output" | jq -se --arg id "$late" 'map(select(.type == "alert" and .event == "intent_expired" and (.text | contains($id)))) | length == 1'
  [ "$(kite GET /orders | jq '.data | length')" = 0 ]
  [ "$(db "SELECT count(*) FROM orders WHERE client_order_id = '$fresh'")" = 0 ]

  sleep 2.5
  run --separate-stderr sm-order --eof-wait 1 </dev/null
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -se --arg id "$fresh" 'map(select(.event == "intent_caught_up" and .client_order_id == $id)) | length == 1'
  [ "$(db "SELECT status FROM orders WHERE client_order_id = '$fresh'")" = COMPLETE ]
  [ "$(kite GET /orders | jq --arg id "$fresh" '[.data[] | select(.tag == $id)] | length')" = 1 ]
  # A restart finds nothing more to do: still one order, the expired one never placed.
  sm-order --eof-wait 1 </dev/null >/dev/null 2>&1
  [ "$(kite GET /orders | jq '.data | length')" = 1 ]
}

@test "under systemd sm-order notifies READY=1, WATCHDOG=1 from its loop, and STOPPING=1 at the end" {
  start_broker
  WATCHDOG_USEC=400000 run --separate-stderr "$BATS_TEST_DIRNAME/notify-socket.py" 1 eof sm-order --eof-wait 0
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = READY=1 ]
  [ "$(printf '%s\n' "${lines[@]}" | grep -c '^WATCHDOG=1$')" -ge 3 ]
  [ "${lines[-1]}" = STOPPING=1 ]
}

@test "SM_STAGE_TRACE: an intent read, made durable, sent and answered is traced in that order" {
  start_broker
  intent smT1 INFY BUY 10 >in.ndjson
  SM_STAGE_TRACE="$PWD/stages.ndjson" sm-order <in.ndjson >/dev/null 2>&1
  assert_json_lines stages.ndjson
  [ "$(jq -sc 'map(.stage)' stages.ndjson)" = '["order.read","order.durable","order.sent","order.answered"]' ]
  jq -se 'all(.key == "INFY") and (map(.mono_ns) | . == sort)' stages.ndjson
}
