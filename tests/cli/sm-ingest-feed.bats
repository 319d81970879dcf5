#!/usr/bin/env bats
# sm-ingest's broker sources against the paper broker on 127.0.0.1: quote polling into live ticks
# and bars, historical downloads (idempotent, resumable), the instruments dump, token expiry.

load common

# The paper broker with an INFY trade at 10:01:05 IST on Monday 2025-03-03, and the Kite settings
# pointing at it (testkey / testtoken).
start_infy_paper() {
  start_quoted_paper '{"type":"paper_quote","symbol":"INFY","last_price":1500,"ts":"2025-03-03T10:01:05+05:30","volume":1000}'
}

stored() {
  sqlite3 "$SM_DB" "$1"
}

@test "poll --help names the broker options; an unknown flag is a usage error" {
  run sm-ingest poll --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--interval"* ]]
  [[ "$output" == *"--token-file"* ]]
  run --separate-stderr sm-ingest poll --symbol INFY --no-such-flag
  [ "$status" -eq 2 ]
  echo "$stderr" | jq -e 'select(.event == "usage_error")'
}

@test "poll stores ticks and closes the minute bar at its end although no later tick arrives" {
  # The made-up clock runs 60 times real time from the start: an emulated start-up (a second or
  # more) carries it past the minute the tick belongs to, so the bar would not start whole.
  [ "$SM_TIME_SCALE" = 1 ] || skip "the clock runs at 60 x real time from start-up, which emulation slows"
  start_infy_paper
  run --separate-stderr sm-ingest poll --symbol INFY --interval 1 --rounds 3 --emit \
    --clock-start "2025-03-03 10:00:40" --clock-speed 60
  [ "$status" -eq 0 ]
  assert_json_lines
  [ "$(stored 'SELECT count(*) FROM ticks')" -eq 1 ]
  [ "$(stored "SELECT price_paise FROM ticks WHERE symbol = 'INFY'")" -eq 150000 ]
  # One tick at 10:01:05 and none after: the 10:01 bar is closed by the clock, whole, before the
  # end (the feed started before 10:01, so no trade of that minute can be missing).
  echo "$output" | jq -e -s 'map(select(.type == "bar")) | length == 1'
  echo "$output" | jq -e -s 'map(select(.type == "bar"))[0] | .ts == "2025-03-03T04:31:00.000Z" and .partial == false'
  [ "$(stored 'SELECT count(*) FROM bars WHERE timeframe_minutes = 1 AND partial = 0')" -eq 1 ]
  echo "$output" | jq -e -s 'map(select(.type == "heartbeat" and .component == "sm-ingest")) | last | .status == "stopping"'
  [ "$(stored "SELECT status FROM heartbeats WHERE component = 'sm-ingest'")" = stopping ]
}

@test "poll: ticks outside the session are stored but make no bar" {
  start_quoted_paper '{"type":"paper_quote","symbol":"INFY","last_price":1500,"ts":"2025-03-03T09:05:00+05:30","volume":10}'
  run --separate-stderr sm-ingest poll --symbol INFY --interval 1 --rounds 2 \
    --clock-start "2025-03-03 09:05:10" --clock-speed 60
  [ "$status" -eq 0 ]
  [ "$(stored 'SELECT count(*) FROM ticks')" -eq 1 ]
  [ "$(stored 'SELECT count(*) FROM bars')" -eq 0 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "poll_summary"))[0].ticks_outside_session == 1'
}

@test "poll idles while the market is closed: no request, heartbeats go on" {
  start_infy_paper
  run --separate-stderr sm-ingest poll --symbol INFY --interval 1 --rounds 2 --emit \
    --clock-start "2025-03-01 10:00:00" --clock-speed 60
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "poll_summary"))[0] | .idle_rounds == 2 and .ticks == 0'
  [ "$(stored 'SELECT count(*) FROM ticks')" -eq 0 ]
  echo "$output" | jq -e -s 'map(select(.type == "heartbeat")) | length >= 1'
}

@test "under systemd poll notifies READY=1, WATCHDOG=1 from its loop and STOPPING=1" {
  start_infy_paper
  # A slow clock: the loop would sleep 2.5 s a pass but wakes for the watchdog every 100 ms.
  WATCHDOG_USEC=400000 run --separate-stderr "$BATS_TEST_DIRNAME/notify-socket.py" 1 term \
    sm-ingest poll --symbol INFY --interval 1 --clock-start "2025-03-03 10:00:40" --clock-speed 0.1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = READY=1 ]
  [ "$(printf '%s\n' "${lines[@]}" | grep -c '^WATCHDOG=1$')" -ge 3 ]
  [ "${lines[-1]}" = STOPPING=1 ]
  [ "$(stored "SELECT status FROM heartbeats WHERE component = 'sm-ingest'")" = stopping ]
  # No watchdog armed: READY and STOPPING only.
  run --separate-stderr "$BATS_TEST_DIRNAME/notify-socket.py" 0.3 term \
    sm-ingest poll --symbol INFY --interval 1
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'READY=1\nSTOPPING=1')" ]
}

@test "poll: an interval too short for the quote rate limit is a usage error" {
  start_infy_paper
  run --separate-stderr sm-ingest poll --symbol INFY --interval 0.5
  [ "$status" -eq 2 ]
  echo "$stderr" | jq -e 'select(.event == "usage_error") | .message | test("at least 1000 ms")'
}

@test "a token the broker refuses as expired exits 7, and so does having no token" {
  start_infy_paper
  # A session minute: outside the session poll idles and would never ask the broker.
  SM_KITE_ACCESS_TOKEN=expired run --separate-stderr sm-ingest poll --symbol INFY --interval 1 --rounds 2 \
    --clock-start "2025-03-03 10:00:40"
  [ "$status" -eq 7 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "token_expired")) | length == 1'
  unset SM_KITE_ACCESS_TOKEN
  run --separate-stderr sm-ingest poll --symbol INFY --interval 1 --rounds 1
  [ "$status" -eq 7 ]
  echo "$stderr" | jq -e 'select(.event == "no_access_token")'
}

@test "instruments from the broker map symbols to tokens; a fresh dump is not fetched again" {
  start_infy_paper
  run --separate-stderr sm-ingest instruments
  [ "$status" -eq 0 ]
  [ -n "$(stored "SELECT instrument_token FROM instruments WHERE symbol = 'INFY'")" ]
  run --separate-stderr sm-ingest instruments --max-age-hours 20
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -e 'select(.event == "instruments_fresh")'
  run --separate-stderr sm-status --json
  echo "$output" | jq -e '.dependencies[] | select(.name == "instruments") | .detail | test("stored [0-9]+ minutes ago")'
}

@test "instruments from a file; a malformed dump is exit 3 and stores nothing" {
  run --separate-stderr sm-ingest instruments --file "$SM_FIXTURES/kite/instruments_nse.csv"
  [ "$status" -eq 0 ]
  [ "$(stored 'SELECT count(*) FROM instruments')" -eq 99 ]
  printf 'instrument_token,tradingsymbol\nx,INFY\n' >bad.csv
  rm "$SM_DB"
  run --separate-stderr sm-ingest instruments --file bad.csv
  [ "$status" -eq 3 ]
  [ "$(stored 'SELECT count(*) FROM instruments')" -eq 0 ]
}

@test "historical run twice stores every candle once and asks the broker nothing the second time" {
  start_infy_paper
  sm-ingest instruments 2>/dev/null
  run --separate-stderr sm-ingest historical --symbol INFY --interval day --from 2025-01-01 --to 2025-03-31
  [ "$status" -eq 0 ]
  count=$(stored 'SELECT count(*) FROM bars WHERE timeframe_minutes = 1440')
  [ "$count" -eq 64 ]  # weekdays (sm-paper's synthetic candles skip only weekends)
  echo "$stderr" | jq -e -s 'map(select(.event == "historical_summary"))[0] | .requests == 1 and .inserted == 64'
  run --separate-stderr sm-ingest historical --symbol INFY --interval day --from 2025-01-01 --to 2025-03-31
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "historical_summary"))[0] | .requests == 0 and .inserted == 0 and .spans_skipped == 1'
  [ "$(stored 'SELECT count(*) FROM bars WHERE timeframe_minutes = 1440')" -eq "$count" ]
}

@test "historical resumes after an interruption with the spans it had not finished" {
  start_infy_paper
  sm-ingest instruments 2>/dev/null
  curl -sf -X POST "$PAPER_URL/_paper/faults" \
    -d '{"rules":[{"path":"/instruments/historical","skip":1,"count":1,"status":400,"error_type":"InputException","message":"injected"}]}' >/dev/null
  run --separate-stderr sm-ingest historical --symbol INFY --interval minute --from 2025-01-01 --to 2025-03-10
  [ "$status" -eq 1 ]
  first=$(stored 'SELECT count(*) FROM bars WHERE timeframe_minutes = 1')
  [ "$first" -gt 0 ]
  [ "$(stored 'SELECT count(*) FROM historical_chunks')" -eq 1 ]
  run --separate-stderr sm-ingest historical --symbol INFY --interval minute --from 2025-01-01 --to 2025-03-10
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "historical_summary"))[0] | .requests == 1 and .spans_skipped == 1 and .duplicates == 0'
  [ "$(stored 'SELECT count(*) FROM bars WHERE timeframe_minutes = 1')" -gt "$first" ]
}

@test "historical for a symbol without an instrument token is exit 3 before any request" {
  run --separate-stderr sm-ingest historical --symbol NOPE --from 2025-01-01 --to 2025-01-31
  [ "$status" -eq 3 ]
  echo "$stderr" | jq -e 'select(.event == "unknown_instrument")'
}
