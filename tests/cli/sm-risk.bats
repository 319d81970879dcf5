#!/usr/bin/env bats
# sm-risk: signals in; decisions, orders, halts and alerts out; everything decided is stored.
# The input runs on Thursday 2026-03-05 (a trading day in data/nse-calendar.csv) at 10:00 IST, with
# --event-time so the program's "now" is the messages' time.

load common

AT="2026-03-05 10:00:05"

setup_file() {
  export SM_CFG__RISK__CAPITAL=1000000
}

# sm-order alive, a TCS trade, then whatever signal lines are given.
live_input() {
  cat <<'EOF'
{"type":"heartbeat","ts":"2026-03-05T04:29:50.000Z","component":"sm-order","status":"ok","pid":7,"detail":""}
{"type":"tick","ts":"2026-03-05T04:29:55.000Z","symbol":"TCS","price":3000.00,"qty":5,"volume":100}
EOF
  printf '%s\n' "$@"
}

# $output without sm-risk's own heartbeats (it beats at start, every interval and when stopping).
without_own_heartbeats() {
  printf '%s\n' "$output" | grep -v '^{"type":"heartbeat","ts":"[^"]*","component":"sm-risk"' || true
}

SIGNAL='{"type":"signal","ts":"2026-03-05T04:30:00.000Z","strategy":"trend","symbol":"TCS","action":"enter_long","qty":10,"price":3000.00,"reason":"breakout"}'
SIGNAL2='{"type":"signal","ts":"2026-03-05T04:30:10.000Z","strategy":"trend2","symbol":"TCS","action":"enter_long","qty":5,"price":3000.00}'

@test "--help describes the gateway and its subcommands" {
  run --separate-stderr sm-risk --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"Risk gateway"* ]]
  [[ "$output" == *"halt"* && "$output" == *"resume"* && "$output" == *"status"* ]]
  [[ "$output" == *"--event-time"* ]]
}

@test "an unknown flag exits 2 with a JSON error on stderr" {
  run --separate-stderr sm-risk --bypass
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e '.level == "error"'
}

@test "happy path: an approved signal becomes a stored decision and an order intent" {
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$SIGNAL' | sm-risk --event-time"
  [ "$status" -eq 0 ]
  assert_json_lines
  mapfile -t lines < <(without_own_heartbeats)
  [ "${#lines[@]}" -eq 4 ]
  # Heartbeat and tick pass through unchanged, in order.
  echo "${lines[0]}" | jq -e '.type == "heartbeat"'
  echo "${lines[1]}" | jq -e '.type == "tick" and .volume == 100'
  echo "${lines[2]}" | jq -e '.type == "risk_decision" and .approved and .code == "APPROVED"'
  echo "${lines[3]}" | jq -e '.type == "order" and .side == "BUY" and .qty == 10 and .order_type == "LIMIT" and .price == 3000'
  id=$(echo "${lines[3]}" | jq -r .client_order_id)
  [[ "$id" =~ ^sm[0-9a-f]{18}$ ]]
  echo "${lines[2]}" | jq -e --arg id "$id" '.client_order_id == $id'
  # Stored: sm-status counts today's decision.
  run --separate-stderr sm-status --at "$AT" --json
  echo "$output" | jq -e '.risk.state == "active" and .risk.approved_today == 1'
}

@test "the same signal again, in a new process, is a duplicate and places nothing" {
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$SIGNAL' | sm-risk --event-time"
  first=$(echo "$output" | jq -r 'select(.type == "order") | .client_order_id')
  [ -n "$first" ]
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$SIGNAL' | sm-risk --event-time"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e -s 'map(select(.type == "risk_decision"))[0].code == "DUPLICATE_SIGNAL"'
  [ "$(echo "$output" | jq -s 'map(select(.type == "order")) | length')" -eq 0 ]
}

@test "empty input writes nothing but its own heartbeats and exits 0" {
  run --separate-stderr sm-risk --event-time </dev/null
  [ "$status" -eq 0 ]
  assert_json_lines
  [ -z "$(without_own_heartbeats)" ]
  echo "$output" | jq -e -s 'length == 2 and .[0].status == "ok" and .[1].status == "stopping"'
}

# The project calendar plus a made-up listed year far ahead, so that heartbeats (on the wall clock)
# are not degraded by the real calendar running out while the test suite is run.
calendar_far_ahead() {
  { cat "$SM_ROOT/data/nse-calendar.csv"; echo '2099,year_covered,test only,,,,,,,test'; } >far.csv
  echo "$SM_TEST_DIR/far.csv"
}

@test "sm-risk beats: at start, every risk.heartbeat_interval_ms, and stopping at the end; recorded" {
  export SM_CALENDAR
  SM_CALENDAR="$(calendar_far_ahead)"
  # Input stays open for two seconds (scaled), so the 200 ms interval comes round several times
  # even on a slow (sanitizer, emulated) build.
  SM_CFG__RISK__HEARTBEAT_INTERVAL_MS=200 run --separate-stderr bash -c "sleep $(scaled 2) | sm-risk"
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e -s 'all(.type == "heartbeat" and .component == "sm-risk")'
  echo "$output" | jq -e -s 'length >= 4 and (.[:-1] | all(.status == "ok")) and .[-1].status == "stopping"'
  echo "$output" | jq -e -s '.[-1].detail | fromjson | .signals == 0 and .bad_lines == 0'
  [ "$(sqlite3 "$SM_DB" "select status from heartbeats where component = 'sm-risk'")" = stopping ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from heartbeat_history where component = 'sm-risk'")" -ge 2 ]
  # sm-status shows it.
  run --separate-stderr sm-status --json
  echo "$output" | jq -e '.heartbeats | map(select(.component == "sm-risk")) | length == 1'
  SM_CFG__RISK__HEARTBEAT_INTERVAL_MS=0 run --separate-stderr sm-risk </dev/null
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "config_error"))[0].message | test("heartbeat_interval_ms")'
}

@test "SIGTERM ends sm-risk cleanly (exit 0) with a stopping heartbeat" {
  mkfifo in.fifo
  sm-risk <in.fifo >out.ndjson 2>err.ndjson &
  pid=$!
  exec 7>in.fifo  # input open and quiet: only the signal can end it
  beat() { sqlite3 "$SM_DB" "select status from heartbeats where component = 'sm-risk'" 2>/dev/null; }
  for _ in $(seq 1 200); do
    [ "$(beat)" = ok ] && break
    sleep 0.05
  done
  [ "$(beat)" = ok ]
  kill -TERM "$pid"
  local rc=0
  wait "$pid" || rc=$?
  exec 7>&-
  [ "$rc" -eq 0 ]
  jq -e -s '.[-1].type == "heartbeat" and .[-1].status == "stopping"' out.ndjson
  jq -e -s '.[0].status == "ok"' out.ndjson
  jq -e -s 'map(select(.event == "finished"))[0].stopped_by_signal' err.ndjson
  [ "$(beat)" = stopping ]
}

@test "a malformed line is reported with its line number and skipped; --strict stops with 3" {
  run --separate-stderr bash -c "$(declare -f live_input); live_input 'not json' '$SIGNAL' | sm-risk --event-time"
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e -s 'map(select(.type == "order")) | length == 1'
  echo "$stderr" | jq -e -s 'map(select(.event == "bad_line"))[0] | .line == 3 and .input == "stdin"'
  run --separate-stderr bash -c "$(declare -f live_input); live_input 'not json' '$SIGNAL' | sm-risk --event-time --strict"
  [ "$status" -eq 3 ]
  [ "$(echo "$output" | jq -s 'map(select(.type == "order")) | length')" -eq 0 ]
}

@test "fails closed without a price: the denial says why" {
  signal='{"type":"signal","ts":"2026-03-05T04:30:00.000Z","strategy":"trend","symbol":"WIPRO","action":"enter_long","qty":10,"price":500.00}'
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$signal' | sm-risk --event-time"
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e -s 'map(select(.type == "risk_decision"))[0] | .approved == false and .code == "PRICE_UNAVAILABLE" and .detail == "no traded price known for WIPRO"'
  [ "$(echo "$output" | jq -s 'map(select(.type == "order")) | length')" -eq 0 ]
}

@test "a signal with an empty symbol is denied INVALID_SIGNAL, stored like any denial, and exits 0" {
  bad='{"type":"signal","ts":"2026-03-05T04:29:58.000Z","strategy":"trend","symbol":"","action":"enter_long","qty":10,"price":3000.00}'
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$bad' '$SIGNAL' | sm-risk --event-time"
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e -s 'map(select(.type == "risk_decision"))[0] | .approved == false and .code == "INVALID_SIGNAL" and .symbol == ""'
  # Not a store failure: the gateway stays ok and the next signal is approved.
  echo "$output" | jq -e -s 'map(select(.type == "risk_decision"))[1] | .approved and .code == "APPROVED"'
  echo "$output" | jq -e -s 'map(select(.type == "heartbeat" and .component == "sm-risk")) | all(.status != "degraded")'
  echo "$output" | jq -e -s 'map(select(.type == "heartbeat" and .component == "sm-risk"))[-1].detail | fromjson | .store_failures == 0'
  [ "$(sqlite3 "$SM_DB" "select strategy, symbol, approved, code from risk_decisions where code = 'INVALID_SIGNAL'")" = "trend||0|INVALID_SIGNAL" ]
  # sm-status counts it among today's denials.
  run --separate-stderr sm-status --at "$AT" --json
  echo "$output" | jq -e '.risk.denied_today == 1 and .risk.last_denial.code == "INVALID_SIGNAL"'
}

@test "--event-time: a tick and a bar stamped 2100 are refused with a warning and do not move the clock" {
  future_tick='{"type":"tick","ts":"2100-01-01T04:29:56.000Z","symbol":"TCS","price":9999.00,"qty":5,"volume":100}'
  future_bar='{"type":"bar","ts":"2100-01-01T03:45:00.000Z","symbol":"INFY","timeframe":"1d","open":1,"high":1,"low":1,"close":1,"volume":1}'
  tick='{"type":"tick","ts":"2026-03-05T04:29:58.000Z","symbol":"TCS","price":3000.00,"qty":5,"volume":200}'
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$future_tick' '$future_bar' '$tick' '$SIGNAL' | sm-risk --event-time"
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$stderr" | jq -e -s 'map(select(.event == "future_data")) | length == 2
    and (.[0] | .level == "warning" and .symbol == "TCS" and .message_ts == "2100-01-01T04:29:56.000Z" and .line == 3)
    and (.[1] | .symbol == "INFY" and .line == 4)'
  # Neither is passed on; the real tick after them is, and the signal is decided at its own time.
  [ "$(echo "$output" | jq -s 'map(select(.type == "tick" or .type == "bar")) | map(.ts) == ["2026-03-05T04:29:55.000Z", "2026-03-05T04:29:58.000Z"]')" = true ]
  echo "$output" | jq -e -s 'map(select(.type == "risk_decision"))[0] | .approved and .ts == "2026-03-05T04:30:00.000Z"'
  echo "$stderr" | jq -e -s 'map(select(.event == "finished"))[0].future_refused == 2'
}

# burst FIRST LAST: the input of a gateway (re)started for signals FIRST..LAST of a burst: sm-order's
# heartbeat and a TCS tick from before the burst, then per signal i a heartbeat, a tick and an entry
# of strategy burst<i>, 5 s apart from 04:30:00 (12 a minute, 60 in five minutes).
burst() {
  local base i t
  base=$(date -u -d 2026-03-05T04:30:00Z +%s)
  live_input
  for i in $(seq "$1" "$2"); do
    t=$(date -u -d "@$((base + 5 * (i - 1)))" +%Y-%m-%dT%H:%M:%S.000Z)
    printf '{"type":"heartbeat","ts":"%s","component":"sm-order","status":"ok","pid":7,"detail":""}\n' "$t"
    printf '{"type":"tick","ts":"%s","symbol":"TCS","price":3000.00,"qty":5,"volume":100}\n' "$t"
    printf '{"type":"signal","ts":"%s","strategy":"burst%02d","symbol":"TCS","action":"enter_long","qty":1,"price":3000.00}\n' "$t" "$i"
  done
}

approved_in() {
  jq -s 'map(select(.type == "risk_decision" and .approved)) | length' "$1"
}

@test "--event-time: a burst split over three restarts approves what one run approves" {
  burst 1 60 | SM_DB="$SM_TEST_DIR/one.db" sm-risk --event-time >one.ndjson 2>/dev/null
  one=$(approved_in one.ndjson)
  [ "$one" -lt 60 ]  # the order-rate limits bite
  # Each restart begins with lines older than the decisions the previous run stored.
  burst 1 20 | sm-risk --event-time >a.ndjson 2>/dev/null
  burst 21 40 | sm-risk --event-time >b.ndjson 2>b.err
  burst 41 60 | sm-risk --event-time >c.ndjson 2>/dev/null
  [ $(($(approved_in a.ndjson) + $(approved_in b.ndjson) + $(approved_in c.ndjson))) -eq "$one" ]
  jq -e -s 'map(select(.event == "event_clock_resumed"))[0].now == "2026-03-05T04:31:35.000Z"' b.err
  # The same decisions, code for code, and the same halts.
  diff <(jq -c 'select(.type == "risk_decision") | [.strategy, .code]' one.ndjson) \
    <(cat a.ndjson b.ndjson c.ndjson | jq -c 'select(.type == "risk_decision") | [.strategy, .code]')
  [ "$(sqlite3 "$SM_TEST_DIR/one.db" "select level, trigger_name, created_ms, until_ms from halts")" = \
    "$(sqlite3 "$SM_DB" "select level, trigger_name, created_ms, until_ms from halts")" ]
}

@test "fails closed without sm-order's heartbeat" {
  printf '%s\n' '{"type":"tick","ts":"2026-03-05T04:29:55.000Z","symbol":"TCS","price":3000.00}' "$SIGNAL" >in.ndjson
  run --separate-stderr sm-risk --event-time <in.ndjson
  [ "$status" -eq 0 ]
  echo "$output" | jq -e -s 'map(select(.type == "risk_decision"))[0].code == "HEARTBEAT_MISSING"'
}

@test "halt and resume are recorded, survive a restart and show in status" {
  run --separate-stderr sm-risk halt --reason "checking fills" --by asha
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "${lines[0]}" | jq -e '.type == "halt" and .action == "halt" and .level == "halt" and .trigger == "manual" and .by == "asha" and .until == null'
  echo "${lines[1]}" | jq -e '.type == "alert" and .event == "manual_halt"'

  run --separate-stderr sm-risk status --at "$AT"
  [ "$status" -eq 0 ]
  [[ "$output" == *"State: halted"* ]]
  [[ "$output" == *"halt (manual)"*"by asha: checking fills"* ]]
  run --separate-stderr sm-risk status --at "$AT" --fail-if-halted
  [ "$status" -eq 5 ]
  run --separate-stderr sm-status --at "$AT" --json
  echo "$output" | jq -e '.risk.state == "halted"'

  # A new gateway process: still halted.
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$SIGNAL' | sm-risk --event-time"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e -s 'map(select(.type == "risk_decision"))[0] | .code == "TRADING_HALTED" and .detail == "trigger=manual: checking fills"'

  run --separate-stderr sm-risk resume --reason "fills reconciled" --by ravi
  [ "$status" -eq 0 ]
  echo "${lines[0]}" | jq -e '.type == "halt" and .action == "resume" and .by == "ravi" and .reason == "fills reconciled"'
  run --separate-stderr sm-risk status --at "$AT" --json
  echo "$output" | jq -e '.state == "active" and (.halts | length) == 0'
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$SIGNAL2' | sm-risk --event-time"
  echo "$output" | jq -e -s 'map(select(.type == "risk_decision"))[0].code == "APPROVED"'
}

@test "halt and resume need a reason and a known level" {
  run --separate-stderr sm-risk halt
  [ "$status" -eq 2 ]
  run --separate-stderr sm-risk halt --reason x --level stop
  [ "$status" -eq 2 ]
  echo "$stderr" | jq -e 'select(.level == "error") | .message | test("unknown level")'
  run --separate-stderr sm-risk resume
  [ "$status" -eq 2 ]
}

@test "an order intent on the input is refused and never passed on" {
  order='{"type":"order","ts":"2026-03-05T04:30:00.000Z","client_order_id":"smsneaky","strategy":"x","symbol":"TCS","side":"BUY","qty":1,"order_type":"MARKET","product":"CNC"}'
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$order' | sm-risk --event-time"
  [ "$status" -eq 0 ]
  assert_json_lines
  [ "$(echo "$output" | jq -s 'map(select(.type == "order")) | length')" -eq 0 ]
  echo "$output" | jq -e -s 'map(select(.type == "alert"))[0].event == "order_on_input_refused"'
  echo "$stderr" | jq -e -s 'map(select(.event == "order_refused")) | length == 1'
}

@test "unknown message types pass through unchanged" {
  line='{"type":"note","ts":"2026-03-05T04:30:00.000Z","text":"hello  world","n":1.50}'
  run --separate-stderr bash -c "printf '%s\n' '$line' | sm-risk --event-time"
  [ "$status" -eq 0 ]
  [ "$(without_own_heartbeats)" = "$line" ]
}

@test "a kill switch writes halt and alert lines: broker disconnected for over 30 s" {
  cat >in.ndjson <<'EOF'
{"type":"heartbeat","ts":"2026-03-05T04:29:50.000Z","component":"sm-order","status":"degraded","pid":7}
{"type":"tick","ts":"2026-03-05T04:30:25.000Z","symbol":"TCS","price":3000.00}
EOF
  run --separate-stderr sm-risk --event-time <in.ndjson
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e -s 'map(select(.type == "halt"))[0] | .level == "halt" and .trigger == "broker_disconnected" and .until == null'
  echo "$output" | jq -e -s 'map(select(.type == "alert"))[0] | .event == "kill_switch_broker_disconnected" and .severity == "critical"'
  run --separate-stderr sm-risk status --at "$AT" --json
  echo "$output" | jq -e '.state == "halted" and .halts[0].trigger == "broker_disconnected"'
}

@test "a kill switch writes halt and alert lines: sm-ingest's source disconnected for over 30 s" {
  cat >in.ndjson <<'EOF'
{"type":"heartbeat","ts":"2026-03-05T04:29:50.000Z","component":"sm-order","status":"ok","pid":7}
{"type":"heartbeat","ts":"2026-03-05T04:29:50.000Z","component":"sm-ingest","status":"degraded","pid":8,"detail":"{\"source\":\"poll\",\"connected\":false,\"disconnected_since\":\"2026-03-05T04:29:40.000Z\",\"stale\":[]}"}
{"type":"heartbeat","ts":"2026-03-05T04:30:05.000Z","component":"sm-order","status":"ok","pid":7}
{"type":"heartbeat","ts":"2026-03-05T04:30:11.000Z","component":"sm-ingest","status":"degraded","pid":8,"detail":"{\"source\":\"poll\",\"connected\":false,\"disconnected_since\":\"2026-03-05T04:29:40.000Z\",\"stale\":[]}"}
EOF
  run --separate-stderr sm-risk --event-time <in.ndjson
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e -s 'map(select(.type == "halt")) | length == 1'
  echo "$output" | jq -e -s 'map(select(.type == "halt"))[0] | .level == "halt" and .trigger == "feed_disconnected"'
  echo "$output" | jq -e -s 'map(select(.type == "alert"))[0].event == "kill_switch_feed_disconnected"'
  run --separate-stderr sm-risk status --at "$AT" --json
  echo "$output" | jq -e '.halts[0].trigger == "feed_disconnected"'
}

@test "configuration is audited, and a missing capital is a configuration error" {
  run --separate-stderr sm-risk --event-time </dev/null
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "started"))[0] | .config_recorded == true and (.config_hash | length) == 64'
  run --separate-stderr sm-risk --event-time </dev/null
  echo "$stderr" | jq -e -s 'map(select(.event == "started"))[0].config_recorded == false'
  SM_CFG__RISK__MAX_ORDER_QTY=5 run --separate-stderr sm-risk --event-time </dev/null
  echo "$stderr" | jq -e -s 'map(select(.event == "started"))[0].config_recorded == true'
  SM_CFG__RISK__CAPITAL=null run --separate-stderr sm-risk --event-time </dev/null
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e 'select(.event == "config_error") | .message | test("risk.capital")'
}

@test "docs/PROTOCOL.md's order example is what sm-risk writes for its signal example" {
  signal=$(grep -m1 '^{"type":"signal"' "$SM_ROOT/docs/PROTOCOL.md")
  order=$(grep -m1 '^{"type":"order"' "$SM_ROOT/docs/PROTOCOL.md")
  denial=$(grep -m1 '^{"type":"risk_decision"' "$SM_ROOT/docs/PROTOCOL.md")
  ts=$(echo "$signal" | jq -r .ts)
  [ "$(echo "$order" | jq -r .client_order_id | tr -d '\n' | wc -c)" -eq 20 ]
  input() {
    printf '{"type":"heartbeat","ts":"%s","component":"sm-order","status":"ok","pid":1,"detail":""}\n' "$ts"
    printf '{"type":"tick","ts":"%s","symbol":"TCS","price":2325.00}\n' "$ts"
    echo "$signal"
  }
  input | SM_CFG__RISK__CAPITAL=10000000 SM_CFG__RISK__MAX_ORDER_VALUE=500000 sm-risk --event-time >out 2>/dev/null
  [ "$(grep '^{"type":"order"' out)" = "$order" ]
  rm -f "$SM_DB"
  input | SM_CFG__RISK__CAPITAL=10000000 sm-risk --event-time >out 2>/dev/null
  [ "$(grep '^{"type":"risk_decision"' out)" = "$denial" ]
}

@test "--config: a missing file, an unknown key or section is a configuration error (exit 4)" {
  assert_config_refused sm-risk
}

@test "--config: the example configuration loads" {
  assert_example_config_loads sm-risk
  [ "$status" -eq 0 ]
}

@test "a signal sm-signal stored but sm-risk never received is decided from the store; a stale one is recorded as such" {
  sm-risk </dev/null >/dev/null 2>&1  # the database and its schema
  now_ms=$(($(date +%s%3N)))
  # As sm-signal stores it before writing it on; the FIFO to sm-risk lost it. Ten minutes old:
  # past risk.signal_max_age_ms (5 min), so it must not be approved now.
  sqlite3 "$SM_DB" "INSERT INTO signals (ts_ms, strategy, symbol, action, qty, price_paise, recorded_ms)
                    VALUES ($((now_ms - 600000)), 'lost', 'TCS', 'enter_long', 10, 300000, $((now_ms - 5000)))"
  run --separate-stderr sm-risk </dev/null
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -se 'map(select(.type == "risk_decision" and .strategy == "lost")) | length == 1 and .[0].code == "SIGNAL_STALE" and (.[0].approved | not)'
  echo "$output" | jq -se 'map(select(.type == "order")) | length == 0'
  echo "$stderr" | jq -se 'map(select(.event == "caught_up")) | .[0].signals == 1'
  [ "$(sqlite3 "$SM_DB" "SELECT code FROM risk_decisions WHERE strategy = 'lost'")" = SIGNAL_STALE ]
  # Decided once: the next start has nothing to catch up.
  run --separate-stderr sm-risk </dev/null
  echo "$stderr" | jq -se 'map(select(.event == "caught_up")) | length == 0'
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM risk_decisions")" = 1 ]
}

@test "sm-risk beats degraded, naming why, when the calendar has run out (or runs out within 14 days)" {
  # Heartbeats use the wall clock; a calendar listing only 2025 has run out by then.
  printf '%s\n' \
    'date,kind,name,pre_open_start,pre_open_end,open,close,closing_session_start,closing_session_end,source' \
    '2010-10-18,regular_session,Normal,09:00,09:08,09:15,15:30,15:40,16:00,test' \
    '2025,year_covered,Holidays 2025,,,,,,,test' >old.csv
  SM_CALENDAR="$SM_TEST_DIR/old.csv" run --separate-stderr sm-risk </dev/null
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e -s '.[0].status == "degraded"'
  echo "$output" | jq -e -s '.[0].detail | fromjson | .degraded | test("through 2025-12-31")'
  # With a calendar far ahead the same run beats ok.
  SM_CALENDAR="$(calendar_far_ahead)" run --separate-stderr sm-risk </dev/null
  echo "$output" | jq -e -s '.[0].status == "ok" and (.[0].detail | fromjson | has("degraded") | not)'
}

@test "under systemd sm-risk notifies READY=1, WATCHDOG=1 from its loop, and STOPPING=1 on SIGTERM" {
  WATCHDOG_USEC=400000 run --separate-stderr "$BATS_TEST_DIRNAME/notify-socket.py" 1 term sm-risk
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = READY=1 ]
  [ "$(printf '%s\n' "${lines[@]}" | grep -c '^WATCHDOG=1$')" -ge 3 ]
  [ "${lines[-1]}" = STOPPING=1 ]
}

@test "SM_STAGE_TRACE: a signal read and its approved intent written are traced with the symbol" {
  run --separate-stderr bash -c "$(declare -f live_input); live_input '$SIGNAL' | SM_STAGE_TRACE='$PWD/stages.ndjson' sm-risk --event-time"
  [ "$status" -eq 0 ]
  assert_json_lines stages.ndjson
  [ "$(jq -sc 'map([.stage, .key])' stages.ndjson)" = '[["risk.read","TCS"],["risk.written","TCS"]]' ]
}
