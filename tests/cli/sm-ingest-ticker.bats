#!/usr/bin/env bats
# sm-ingest ticker against sm-paper's Kite Ticker websocket on 127.0.0.1: what is streamed is what
# is stored, reconnect and resubscribe after a drop, a malformed frame, a refused token, the
# 3,000-instrument limit, SIGTERM.

load common
load pipeline_units

# Starts sm-paper with its ticker, prices INFY and TCS, and puts their paper instrument tokens in
# the test database, with the sm-ingest credentials pointing at the paper broker.
start_ticker_paper() {
  start_paper --no-rate-limits --ticker-port 0 --ticker-interval-ms 20 "$@"
  TICKER_URL=$(jq -r .ticker_url "$SM_TEST_DIR/paper.out")
  quote INFY 1500.50
  quote TCS 3200.00
  sm-ingest - </dev/null 2>/dev/null  # creates the schema
  local token symbol
  for symbol in INFY TCS; do
    token=$(kite GET /instruments | awk -F, -v s="$symbol" '$3 == s { print $1 }')
    sqlite3 "$SM_DB" "INSERT INTO instruments(symbol, instrument_token, updated_ms) VALUES ('$symbol', $token, 0)"
  done
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
}

quote() {
  curl -sf -X POST "$PAPER_URL/_paper/prices" \
    --data-binary "{\"type\":\"paper_quote\",\"symbol\":\"$1\",\"last_price\":$2}" >/dev/null
}

ticker_fault() {
  curl -sf -X POST "$PAPER_URL/_paper/ticker_faults" -d "$1" >/dev/null
}

# Starts sm-ingest ticker in the background (stdout ingest.out, stderr ingest.err); INGEST_PID.
start_ingest() {
  sm-ingest ticker --url "$TICKER_URL" --emit --initial-backoff-ms 50 --max-backoff-ms 200 "$@" \
    >"$SM_TEST_DIR/ingest.out" 2>"$SM_TEST_DIR/ingest.err" &
  INGEST_PID=$!
  ORDER_PID=$INGEST_PID  # the common teardown kills it if a test fails midway
}

stop_ingest() {
  kill -TERM "$INGEST_PID"
  local status=0
  wait "$INGEST_PID" || status=$?
  ORDER_PID=
  return "$status"
}

stored_prices() {
  sqlite3 "$SM_DB" "SELECT symbol || ' ' || price_paise FROM ticks ORDER BY arrival" 2>/dev/null || true
}

connections() { grep -c '"event":"ticker_connected"' "$SM_TEST_DIR/ingest.err" || true; }
has_price() { stored_prices | grep -qx "$1"; }
connected_at_least() { [ "$(connections)" -ge "$1" ]; }

@test "ticker --help names the flags" {
  run sm-ingest ticker --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--symbol"* ]]
  [[ "$output" == *"--mode"* ]]
}

@test "ticks streamed by sm-paper are stored and emitted as sent; SIGTERM ends with 0" {
  start_ticker_paper
  start_ingest --symbol INFY --symbol TCS --mode full
  wait_for 10 has_price "TCS 320000"
  quote INFY 1501.25
  wait_for 10 has_price "INFY 150125"
  stop_ingest
  run stored_prices
  [ "${lines[*]}" = "INFY 150050 TCS 320000 INFY 150125" ] || [ "${lines[*]}" = "TCS 320000 INFY 150050 INFY 150125" ]
  jq -e -s '[.[] | select(.type == "tick")] | length == 3' "$SM_TEST_DIR/ingest.out"
  assert_json_lines "$SM_TEST_DIR/ingest.out"
  assert_json_lines "$SM_TEST_DIR/ingest.err"
  grep -q '"event":"ticker_summary"' "$SM_TEST_DIR/ingest.err"
}

@test "after a dropped connection it reconnects, subscribes again and keeps storing" {
  start_ticker_paper
  start_ingest --symbol INFY
  wait_for 10 has_price "INFY 150050"
  ticker_fault '{"drop": true}'
  wait_for 10 connected_at_least 2
  grep -q '"event":"ticker_disconnected"' "$SM_TEST_DIR/ingest.err"
  quote INFY 1499.00
  wait_for 10 has_price "INFY 149900"
  stop_ingest
}

@test "a malformed frame is logged and skipped; the stream goes on" {
  start_ticker_paper
  start_ingest --symbol INFY
  wait_for 10 has_price "INFY 150050"
  ticker_fault '{"malformed": true}'
  wait_for 10 grep -q '"event":"ticker_malformed_frame"' "$SM_TEST_DIR/ingest.err"
  quote INFY 1502.00
  wait_for 10 has_price "INFY 150200"
  kill -0 "$INGEST_PID"
  stop_ingest
  [ "$(connections)" -eq 1 ]
}

@test "a server that stops heartbeats is taken for dead and reconnected" {
  start_ticker_paper
  start_ingest --symbol INFY --data-timeout-ms 300
  wait_for 10 connected_at_least 1
  ticker_fault '{"heartbeats": false}'
  wait_for 10 grep -q '"code":"timeout"' "$SM_TEST_DIR/ingest.err"
  ticker_fault '{"heartbeats": true}'
  stop_ingest
}

@test "a refused access token (403) exits 7 at once instead of retrying" {
  start_ticker_paper
  export SM_KITE_ACCESS_TOKEN=expired
  run --separate-stderr timeout 10 sm-ingest ticker --url "$TICKER_URL" --symbol INFY
  [ "$status" -eq 7 ]
  [ -z "$output" ]
  echo "$stderr" | grep -q '"event":"ticker_token_refused"'
  ! echo "$stderr" | grep -q '"event":"ticker_disconnected"'
}

@test "3,001 symbols on one connection are refused as a usage error" {
  local args=()
  for i in $(seq 1 3001); do args+=(--symbol "S$i"); done
  assert_usage_error sm-ingest ticker --url ws://127.0.0.1:9/ "${args[@]}"
  echo "$stderr" | grep -q 'at most 3000'
}

@test "a symbol without an instrument token exits 3 and names it" {
  start_ticker_paper
  run --separate-stderr sm-ingest ticker --url "$TICKER_URL" --symbol WIPRO
  [ "$status" -eq 3 ]
  echo "$stderr" | grep -q 'no instrument token for WIPRO'
}

@test "a bad ticker URL or mode is a usage error" {
  assert_usage_error sm-ingest ticker --url http://127.0.0.1:9/ --symbol INFY
  assert_usage_error sm-ingest ticker --mode fast --symbol INFY
}

@test "order updates on the stream reach sm-order's postback listener, which follows them at once" {
  port=$(free_port)
  start_ticker_paper
  export SM_KITE_API_SECRET=testsecret SM_CFG__BROKER__BASE_URL="$PAPER_URL"
  export SM_CFG__ORDER__POLL_INTERVAL_MS=600000  # only a prompt can explain a prompt fill
  start_ingest --symbol INFY --order-postback-url "http://127.0.0.1:$port/postback"
  wait_for 10 connected_at_least 1
  mkfifo in.fifo
  sm-order --postback-listen "127.0.0.1:$port" --eof-wait 20 <in.fifo >out.ndjson 2>err.ndjson &
  local order_pid=$!
  exec 7>in.fifo
  printf '%s\n' '{"type":"order","ts":"2024-03-28T04:30:00.000Z","client_order_id":"smTK1","strategy":"bats","symbol":"INFY","side":"BUY","qty":5,"order_type":"LIMIT","product":"MIS","price":1400}' >&7
  wait_for 10 status_is smTK1 OPEN
  quote INFY 1399.00
  wait_for 5 status_is smTK1 COMPLETE
  grep -q '"event":"ticker_order_update"' "$SM_TEST_DIR/ingest.err"
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM order_events WHERE client_order_id = 'smTK1' AND event = 'postback'")" -ge 1 ]
  exec 7>&-
  wait "$order_pid"
  stop_ingest
  ! grep -q '"event":"order_postback_failed"' "$SM_TEST_DIR/ingest.err"
}

@test "an --order-postback-url that is plain http to a remote host is a usage error" {
  assert_usage_error sm-ingest ticker --symbol INFY --order-postback-url http://example.com/postback
}

@test "no access token at all exits 7 before connecting, like sm-ingest poll" {
  start_ticker_paper
  unset SM_KITE_ACCESS_TOKEN
  run --separate-stderr sm-ingest ticker --url "$TICKER_URL" --symbol INFY
  [ "$status" -eq 7 ]
  echo "$stderr" | grep -q '"event":"no_access_token"'
}

@test "under systemd ticker notifies READY=1, WATCHDOG=1 from its loop, STOPPING=1 and beats stopping" {
  start_ticker_paper
  WATCHDOG_USEC=400000 run --separate-stderr "$BATS_TEST_DIRNAME/notify-socket.py" 1 term \
    sm-ingest ticker --url "$TICKER_URL" --symbol INFY
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = READY=1 ]
  # A ping every watchdog interval / 4 (100 ms) from the websocket loop for a second.
  [ "$(printf '%s\n' "${lines[@]}" | grep -c '^WATCHDOG=1$')" -ge 3 ]
  [ "${lines[-1]}" = STOPPING=1 ]
  [ "$(sqlite3 "$SM_DB" "SELECT status FROM heartbeats WHERE component = 'sm-ingest'")" = stopping ]
}

@test "under systemd ticker keeps pinging the watchdog while it waits to reconnect" {
  start_ticker_paper
  port=$(free_port)
  # Nobody listens: the connection fails at once and the next attempt is 2-4 s away.
  WATCHDOG_USEC=400000 run --separate-stderr "$BATS_TEST_DIRNAME/notify-socket.py" 1 term \
    sm-ingest ticker --url "ws://127.0.0.1:$port/" --symbol INFY --initial-backoff-ms 4000 \
    --max-backoff-ms 4000
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = READY=1 ]
  [ "$(printf '%s\n' "${lines[@]}" | grep -c '^WATCHDOG=1$')" -ge 3 ]
  [ "${lines[-1]}" = STOPPING=1 ]
  echo "$stderr" | grep -q '"event":"ticker_disconnected"'
}

@test "without a watchdog ticker notifies READY=1 and STOPPING=1 only" {
  start_ticker_paper
  run --separate-stderr "$BATS_TEST_DIRNAME/notify-socket.py" 0.5 term \
    sm-ingest ticker --url "$TICKER_URL" --symbol INFY
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'READY=1\nSTOPPING=1')" ]
}

@test "without --symbol ticker subscribes the strategies' watch-list (signal.symbols)" {
  start_ticker_paper
  echo '{"signal": {"symbols": ["TCS"]}}' >cfg.json
  start_ingest --config cfg.json  # after the subcommand, as for the other subcommands
  wait_for 10 has_price "TCS 320000"
  stop_ingest
  ! stored_prices | grep -q INFY
  echo '{"signal": {"symbols": []}}' >empty.json
  SM_CONFIG=empty.json assert_usage_error sm-ingest ticker --url "$TICKER_URL"
  echo "$stderr" | grep -q 'signal.symbols'
}

@test "systemd/sm-feed-ticker.service's lines, run as they are, stream the watch-list into the FIFO" {
  start_ticker_paper
  mkdir run
  echo '{"signal": {"symbols": ["INFY", "TCS"]}}' >cfg.json
  export SM_CONFIG="$SM_TEST_DIR/cfg.json" SM_CFG__BROKER__BASE_URL="$PAPER_URL"
  export SM_TICKER_ARGS="--url $TICKER_URL"
  # The unit's own lines, read as the pipeline tests read them (pipeline_units.bash).
  local template="$SM_ROOT/systemd/sm-feed-ticker.service.in"
  grep -q '^Conflicts=sm-feed.service sm-feed-replay.service$' "$template"
  grep -q '^Type=notify$' "$template"
  grep -q '^RestartPreventExitStatus=.*\b7\b' "$template"
  run_start_pre sm-feed-ticker
  [ -p run/market ]
  # exec: the background job becomes the unit's main process, sm-ingest (its shell execs it too).
  eval "exec $(unit_lines sm-feed-ticker ExecStart)" 2>ingest.err &
  INGEST_PID=$!
  ORDER_PID=$INGEST_PID
  timeout 10 sed -n '/"type":"tick"/{p;q}' run/market >first.ndjson
  stop_ingest
  jq -e '.type == "tick" and (.symbol == "INFY" or .symbol == "TCS")' first.ndjson
}

@test "full mode: sm-paper's 184-byte packets carry a synthetic book that sm-ingest decodes whole" {
  start_ticker_paper
  start_ingest --symbol INFY --mode full
  wait_for 10 has_price "INFY 150050"
  quote INFY 1500.75
  wait_for 10 has_price "INFY 150075"
  stop_ingest
  jq -e -s 'map(select(.event == "ticker_summary"))[0] | .depth_packets >= 2 and .depth_packets == .packets and .malformed_frames == 0' "$SM_TEST_DIR/ingest.err"
  # Quote packets (44 bytes) have no book.
  start_ingest --symbol INFY --mode quote
  quote INFY 1501.00
  wait_for 10 has_price "INFY 150100"
  stop_ingest
  jq -e -s 'map(select(.event == "ticker_summary"))[0] | .packets >= 1 and .depth_packets == 0' "$SM_TEST_DIR/ingest.err"
}
