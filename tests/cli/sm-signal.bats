#!/usr/bin/env bats
# sm-signal: strategies on NDJSON bars, signals out and in the database, pass-through, positions
# from fills, restart-resume, replay from the database, the indicators subcommand, and parity
# with sm-backtest.

load common

DAILY="$SM_FIXTURES/data/daily"
SMA=(--strategy sma-cross --param fast=10 --param slow=30 --param qty=100)
# sm-signal reads the prices as printed; the backtest of the parity tests must too (it back-adjusts
# for the bundled corporate actions by default).
BT_ASIS=(--no-adjust)

has_event() {
  jq -s -e --arg event "$2" 'any(.[]; .event == $event)' "$1" >/dev/null
}

# NDJSON bars of a fixture file, as sm-ingest normalises them.
bars_of() {
  sm-ingest --dry-run --emit "$DAILY/$1.csv" 2>/dev/null
}

# The signal fields that must agree between two runs.
signal_keys() {
  jq -c 'select(.type == "signal") | [.ts, .strategy, .symbol, .action, .qty, .price, .stop, .reason]' "$1"
}

@test "--help describes the options and the indicators subcommand" {
  run sm-signal --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--strategy"* ]]
  [[ "$output" == *"--replay"* ]]
  [[ "$output" == *"indicators"* ]]
  run sm-signal indicators --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--indicator"* ]]
}

@test "an unknown flag is a usage error (exit 2) reported as JSON on stderr" {
  run --separate-stderr sm-signal --no-such-flag
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  echo "$stderr" >err
  has_event err usage_error
}

@test "no strategy, an unknown strategy or a bad parameter is a usage error" {
  run sm-signal </dev/null
  [ "$status" -eq 2 ]
  run sm-signal --strategy no-such </dev/null
  [ "$status" -eq 2 ]
  run --separate-stderr sm-signal --strategy sma-cross --param slow=1 </dev/null
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"slow"* ]]
  run sm-signal --strategy sma-cross --param nonsense </dev/null
  [ "$status" -eq 2 ]
  run sm-signal --strategy sma-cross --timeframe 7x </dev/null
  [ "$status" -eq 2 ]
}

@test "happy path: bars in, signals out as JSON lines and recorded in the database" {
  bars_of TCS >bars.ndjson
  sm-signal "${SMA[@]}" <bars.ndjson >out 2>err
  assert_json_lines out
  assert_json_lines err
  [ "$(jq -s 'map(select(.type == "signal")) | length' out)" -eq 31 ]  # entries only: no fills
  [ "$(jq -r 'select(.type == "signal") | .ts' out | head -1)" = "2015-02-13T10:00:00.000Z" ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from signals where strategy = 'sma-cross'")" -eq 31 ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from strategy_state where strategy = 'sma-cross/TCS'")" -eq 1 ]
  [ "$(jq -r 'select(.event == "signal_summary") | .bars' err)" -eq 1444 ]
}

@test "empty input: nothing out, exit 0" {
  run --separate-stderr sm-signal "${SMA[@]}" </dev/null
  [ "$status" -eq 0 ]
  [ -z "$output" ]
}

@test "a malformed line is reported and skipped; with --strict it stops with exit 3" {
  bars_of TCS | head -50 >bars.ndjson
  { head -20 bars.ndjson; echo '{"type":"bar","ts":"nope"'; echo 'not json'; tail -n +21 bars.ndjson; } >mixed.ndjson
  sm-signal "${SMA[@]}" <mixed.ndjson >out 2>err
  [ "$(jq -s 'map(select(.event == "bad_line")) | length' err)" -eq 2 ]
  [ "$(jq -r 'select(.event == "bad_line") | .line' err | head -1)" -eq 21 ]
  [ "$(jq -r 'select(.event == "signal_summary") | .bars' err)" -eq 50 ]
  assert_json_lines out
  run sm-signal "${SMA[@]}" --strict <mixed.ndjson
  [ "$status" -eq 3 ]
}

@test "other message types pass through unchanged" {
  line='{"type":"heartbeat","ts":"2024-01-02T03:45:00.000Z","component":"x","status":"ok","pid":1,"detail":"  spaces kept "}'
  custom='{"type":"something_new","ts":"2024-01-02T03:45:00.000Z","z":1}'
  printf '%s\n%s\n' "$line" "$custom" | sm-signal "${SMA[@]}" >out 2>/dev/null
  [ "$(sed -n 1p out)" = "$line" ]
  [ "$(sed -n 2p out)" = "$custom" ]
}

@test "fills on the input are stored and the strategy sees the position: exits follow entries" {
  bars_of TCS >bars.ndjson
  sm-backtest run "${BT_ASIS[@]}" "${SMA[@]}" --file "$DAILY/TCS.csv" --out bt --format json >/dev/null 2>&1
  cat bars.ndjson bt/fills.ndjson | jq -c -s 'sort_by(.ts, (if .type == "fill" then 0 else 1 end)) | .[]' >merged.ndjson
  sm-signal "${SMA[@]}" <merged.ndjson >out 2>err
  [ "$(jq -s 'map(select(.type == "signal" and .action == "exit_long")) | length' out)" -eq 30 ]
  [ "$(jq -s 'map(select(.type == "fill")) | length' out)" -eq 61 ]
  [ "$(sqlite3 "$SM_DB" "select qty || ' ' || cost_paise from positions where strategy = 'sma-cross' and symbol = 'TCS'")" = "100 23250000" ]
  [ "$(jq -r 'select(.event == "signal_summary") | .fills_stored' err)" -eq 61 ]
}

@test "parity: the live path (sm-signal) and sm-backtest give identical signals" {
  # The live pipeline is approximated by feeding sm-signal the bars together with the fills the
  # simulated broker made, in time order (a fill at an open before that bar's close). Later the
  # fills will come from sm-risk and the paper broker (sm-paper) instead.
  for symbol in RELIANCE TCS WIPRO INFY; do
    rm -f "$SM_DB"
    sm-ingest --dry-run --emit "$DAILY/$symbol.csv" >bars.ndjson 2>/dev/null
    sm-backtest run "${BT_ASIS[@]}" "${SMA[@]}" --file "$DAILY/$symbol.csv" --out bt --format json >/dev/null 2>&1
    cat bars.ndjson bt/fills.ndjson | jq -c -s 'sort_by(.ts, (if .type == "fill" then 0 else 1 end)) | .[]' >merged.ndjson
    sm-signal "${SMA[@]}" <merged.ndjson >live.ndjson 2>/dev/null
    signal_keys live.ndjson >live.keys
    signal_keys bt/signals.ndjson >bt.keys
    [ -s bt.keys ]
    diff bt.keys live.keys
  done
  rm -f "$SM_DB"
  DONCHIAN=(--strategy donchian --param entry_bars=20 --param exit_bars=10 --param qty=100)
  sm-ingest --dry-run --emit "$DAILY/RELIANCE.csv" >bars.ndjson 2>/dev/null
  sm-backtest run "${BT_ASIS[@]}" "${DONCHIAN[@]}" --file "$DAILY/RELIANCE.csv" --out bt2 --format json >/dev/null 2>&1
  cat bars.ndjson bt2/fills.ndjson | jq -c -s 'sort_by(.ts, (if .type == "fill" then 0 else 1 end)) | .[]' >merged.ndjson
  sm-signal "${DONCHIAN[@]}" <merged.ndjson >live.ndjson 2>/dev/null
  diff <(signal_keys bt2/signals.ndjson) <(signal_keys live.ndjson)
}

@test "restart-resume: two runs over halves give exactly the signals of one run" {
  bars_of WIPRO >bars.ndjson
  sm-backtest run "${BT_ASIS[@]}" "${SMA[@]}" --file "$DAILY/WIPRO.csv" --out bt --format json >/dev/null 2>&1
  cat bars.ndjson bt/fills.ndjson | jq -c -s 'sort_by(.ts, (if .type == "fill" then 0 else 1 end)) | .[]' >merged.ndjson
  SM_DB="$SM_TEST_DIR/one.db" sm-signal "${SMA[@]}" <merged.ndjson >one.ndjson 2>/dev/null
  head -800 merged.ndjson >first
  tail -n +801 merged.ndjson >second
  sm-signal "${SMA[@]}" <first >a.ndjson 2>/dev/null
  sm-signal "${SMA[@]}" <second >b.ndjson 2>err
  has_event err state_restored
  cat a.ndjson b.ndjson >two.ndjson
  diff <(signal_keys one.ndjson) <(signal_keys two.ndjson)
  # Feeding everything again after a restart skips what was already taken: nothing new.
  sm-signal "${SMA[@]}" <merged.ndjson >again.ndjson 2>err
  [ "$(jq -s 'map(select(.type == "signal")) | length' again.ndjson)" -eq 0 ]
  [ "$(jq -r 'select(.event == "signal_summary") | .already_seen' err)" -eq 1444 ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from signals")" -eq "$(jq -s 'map(select(.type == "signal")) | length' one.ndjson)" ]
}

@test "a bar stamped in 2100 among real ones is refused with a warning and advances nothing" {
  bars_of TCS >bars.ndjson
  # Line 501 is a copy of bar 500 stamped 2100; the real bars after it must still be taken.
  { head -500 bars.ndjson
    sed -n 500p bars.ndjson | jq -c '.ts = "2100-01-01T03:45:00.000Z"'
    tail -n +501 bars.ndjson; } >poisoned.ndjson
  sm-signal "${SMA[@]}" <poisoned.ndjson >out 2>err
  assert_json_lines err
  jq -e -s 'map(select(.event == "future_data")) | length == 1 and (.[0] | .level == "warning"
    and .symbol == "TCS" and .message_ts == "2100-01-01T03:45:00.000Z" and .input == "stdin" and .line == 501)' err
  [ "$(jq -s 'map(select(.type == "signal")) | length' out)" -eq 31 ]
  [ "$(jq -r 'select(.event == "signal_summary") | [.bars, .already_seen, .future_refused] | @csv' err)" = "1444,0,1" ]
  # The saved last-seen time is the last real bar's, so a restart takes newer real bars.
  last_real=$(tail -1 bars.ndjson | jq -r .ts)
  [ "$(sqlite3 "$SM_DB" "select strftime('%Y-%m-%dT%H:%M:%fZ', event_ts_ms / 1000.0, 'unixepoch') from strategy_state where strategy = 'sma-cross/TCS'")" = "$last_real" ]
}

@test "changed parameters discard the saved state instead of mixing it" {
  bars_of TCS | head -100 >bars.ndjson
  sm-signal "${SMA[@]}" <bars.ndjson >/dev/null 2>&1
  bars_of TCS | sed -n '101,200p' >more.ndjson
  sm-signal --strategy sma-cross --param fast=5 --param slow=30 --param qty=100 <more.ndjson >/dev/null 2>err
  has_event err state_discarded
}

@test "--replay reads stored bars and gives the same signals as stdin" {
  sm-ingest "$DAILY/RELIANCE.csv" "$DAILY/TCS.csv" 2>/dev/null
  SM_DB="$SM_TEST_DIR/stdin.db" sm-signal "${SMA[@]}" < <(bars_of RELIANCE) >stdin.ndjson 2>/dev/null
  sm-signal "${SMA[@]}" --symbol RELIANCE --replay >replay.ndjson 2>err
  assert_json_lines replay.ndjson
  [ -s replay.ndjson ]
  diff <(signal_keys stdin.ndjson) <(signal_keys replay.ndjson)
  run sm-signal "${SMA[@]}" --replay --from 2020-01-01 --to nonsense
  [ "$status" -eq 2 ]
}

@test "instances come from the signal section of the config file" {
  cat >cfg.json <<'EOF'
{"signal": {"symbols": ["TCS"],
            "strategies": [{"id": "fast", "name": "sma-cross", "params": {"fast": 5, "slow": 20, "qty": 10}},
                           {"id": "slow", "name": "sma-cross", "params": {"fast": 10, "slow": 30, "qty": 10}},
                           {"id": "other", "name": "donchian", "symbols": ["INFY"]}]}}
EOF
  bars_of TCS >bars.ndjson
  sm-signal --config cfg.json <bars.ndjson >out 2>/dev/null
  [ "$(jq -r 'select(.type == "signal") | .strategy' out | sort -u | tr '\n' ' ')" = "fast slow " ]
  # The configuration it ran with is recorded once (again only when it changes).
  sm-signal --config cfg.json </dev/null >/dev/null 2>&1
  [ "$(sqlite3 "$SM_DB" "select count(*) from config_changes where program = 'sm-signal'")" -eq 1 ]
  printf '{"signal": {"strategies": [{"name": "sma-cross", "bogus": 1}]}}\n' >bad.json
  run sm-signal --config bad.json </dev/null
  [ "$status" -eq 4 ]
  printf '{"signal": {"strategies": [{"name": "sma-cross"}, {"name": "sma-cross"}]}}\n' >dup.json
  run sm-signal --config dup.json </dev/null
  [ "$status" -eq 2 ]
}

@test "indicators: a CSV series matching the TA-Lib reference within 1e-6, and NDJSON" {
  sm-signal indicators --file "$DAILY/RELIANCE.csv" --indicator sma:20 --indicator ema:20 \
    --indicator rsi:14 --indicator atr:14 --indicator macd:12,26,9 --indicator bbands:20,2 >ours.csv 2>/dev/null
  [ "$(head -1 ours.csv)" = "date,symbol,open,high,low,close,sma_20,ema_20,rsi_14,atr_14,macd_12_26_9,macd_signal_12_26_9,macd_hist_12_26_9,bb_upper_20_2,bb_middle_20_2,bb_lower_20_2" ]
  # Drop our symbol column and compare cell by cell with the reference file.
  cut -d, -f2 --complement ours.csv >ours-nosym.csv
  paste -d'|' ours-nosym.csv "$SM_FIXTURES/reference/indicators_RELIANCE.csv" | awk -F'|' '
    NR == 1 { if ($1 != $2) { print "header differs"; bad = 1 } next }
    { n = split($1, a, ","); split($2, b, ",");
      if (a[1] != b[1]) { print "date " a[1] " vs " b[1]; bad = 1 }
      for (i = 6; i <= n; i++) {
        if ((a[i] == "") != (b[i] == "")) { print NR ": empty differs in column " i; bad = 1 }
        else if (a[i] != "" && (a[i] - b[i] > 1e-6 || b[i] - a[i] > 1e-6)) { print NR ": " a[i] " vs " b[i]; bad = 1 }
      } rows++ }
    END { if (rows != 1444) { print rows " rows"; bad = 1 } exit bad }'
  sm-signal indicators --file "$DAILY/TCS.csv" --indicator rsi:14 --format ndjson >ours.ndjson 2>/dev/null
  assert_json_lines ours.ndjson
  [ "$(jq -s 'length' ours.ndjson)" -eq 1444 ]
  [ "$(sed -n 14p ours.ndjson | jq -r .rsi_14)" = "null" ]
  [ "$(sed -n 15p ours.ndjson | jq -r '.rsi_14 != null')" = "true" ]
  run sm-signal indicators --file "$DAILY/TCS.csv" --indicator wobble:3
  [ "$status" -eq 2 ]
  run sm-signal indicators --file "$DAILY/TCS.csv"
  [ "$status" -eq 2 ]
  run sm-signal indicators --file "$SM_TEST_DIR/missing.csv" --indicator sma:5
  [ "$status" -eq 3 ]
}

@test "indicators from the database" {
  sm-ingest "$DAILY/WIPRO.csv" 2>/dev/null
  sm-signal indicators --symbol WIPRO --indicator sma:5 --from 2020-10-01 >out.csv 2>/dev/null
  [ "$(head -1 out.csv)" = "date,symbol,open,high,low,close,sma_5" ]
  [ "$(sed -n 2p out.csv | cut -d, -f1)" = "2020-10-01" ]
  [ "$(sed -n 2p out.csv | cut -d, -f7)" = "" ]
  [ "$(sed -n 6p out.csv | cut -d, -f7)" != "" ]
}

@test "--config: a missing file, an unknown key or section is a configuration error (exit 4)" {
  assert_config_refused sm-signal "${SMA[@]}"
}

@test "--config: the example configuration loads" {
  assert_example_config_loads sm-signal
  [ "$status" -eq 0 ]
}

@test "a burst on a live stream is stored in a few commits, not one per bar, with the same signals" {
  bars_of TCS >bars.ndjson
  sm-signal "${SMA[@]}" <bars.ndjson >file.out 2>/dev/null
  rm -f "$SM_DB" "$SM_DB-wal" "$SM_DB-shm"
  mkfifo in.fifo
  sm-signal "${SMA[@]}" <in.fifo >out 2>err &
  pid=$!
  cat bars.ndjson >in.fifo  # 1,444 bars in one write: each read takes what the pipe holds
  wait "$pid"
  assert_json_lines out
  [ "$(jq -r 'select(.event == "signal_summary") | .bars' err)" -eq 1444 ]
  commits=$(jq -r 'select(.event == "signal_summary") | .commits' err)
  [ "$commits" -ge 1 ] && [ "$commits" -lt 200 ]
  diff <(signal_keys file.out) <(signal_keys out)
  [ "$(sqlite3 "$SM_DB" "select count(*) from signals where strategy = 'sma-cross'")" -eq 31 ]
}

@test "sm-signal beats a heartbeat while its input is quiet, and stopping at the end; not on stdout" {
  mkfifo in.fifo
  SM_CFG__SIGNAL__HEARTBEAT_INTERVAL_MS=100 sm-signal "${SMA[@]}" <in.fifo >out 2>err &
  pid=$!
  exec 7>in.fifo  # input open and quiet
  beat() { sqlite3 "$SM_DB" "select status || ' ' || ts_ms from heartbeats where component = 'sm-signal'" 2>/dev/null; }
  for _ in $(seq 1 200); do
    [[ "$(beat)" == ok* ]] && break
    sleep 0.05
  done
  first="$(beat)"
  [[ "$first" == ok* ]]
  # A later beat with no input in between.
  for _ in $(seq 1 200); do
    [ "$(beat)" != "$first" ] && break
    sleep 0.05
  done
  [[ "$(beat)" == ok* ]] && [ "$(beat)" != "$first" ]
  bars_of TCS >&7
  exec 7>&-
  wait "$pid"
  [[ "$(beat)" == stopping* ]]
  [ "$(sqlite3 "$SM_DB" "select pid from heartbeats where component = 'sm-signal'")" = "$pid" ]
  sqlite3 "$SM_DB" "select detail from heartbeats where component = 'sm-signal'" | jq -e '.bars > 0 and .signals > 0 and .bad_lines == 0'
  ! grep -q '"heartbeat"' out
  SM_CFG__SIGNAL__HEARTBEAT_INTERVAL_MS=0 run --separate-stderr sm-signal "${SMA[@]}" </dev/null
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "config_error"))[0].message | test("heartbeat_interval_ms")'
}

@test "signal.checkpoint_bars and checkpoint_interval_s out of range are configuration errors" {
  SM_CFG__SIGNAL__CHECKPOINT_BARS=0 run --separate-stderr sm-signal "${SMA[@]}" </dev/null
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "config_error"))[0].message | test("checkpoint_bars")'
  SM_CFG__SIGNAL__CHECKPOINT_INTERVAL_S=0 run --separate-stderr sm-signal "${SMA[@]}" </dev/null
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "config_error"))[0].message | test("checkpoint_interval_s")'
}

@test "a killed sm-signal catches up from the stored bars after its last checkpoint" {
  # Twenty stored 1-minute bars: sma(2)/sma(3) cross up at bars 4 and 13 (entries; no fills, so no
  # exits). Bars 0-9 are taken, then SIGKILL: the state saved is bar 4's (its signal), not bar
  # 9's. The restart is given only bar 19, as a live feed goes on from now; it replays 5-18 from
  # the bars table and emits bar 13's entry, as one uninterrupted run does.
  closes=(10 10 10 9 12 13 13 13 13 13 8 7 7 9 12 12 12 8 8 8)
  for i in "${!closes[@]}"; do
    c=${closes[$i]}
    printf '{"type":"bar","ts":"2024-03-28T04:%02d:00Z","symbol":"TCS","timeframe":"1m","open":%d,"high":%d,"low":%d,"close":%d,"volume":10}\n' \
      "$i" "$c" "$c" "$c" "$c"
  done >bars.ndjson
  sm-ingest --stdin <bars.ndjson >/dev/null 2>&1
  run_signal() { sm-signal --strategy sma-cross --param fast=2 --param slow=3 --timeframe 1m "$@"; }
  # FIFOs both ways, as under systemd: the output is flushed line by line.
  mkfifo in out
  cat out >out1 &
  sm-signal --strategy sma-cross --param fast=2 --param slow=3 --timeframe 1m --echo-market-data \
    <in >out 2>err1 &
  pid=$!
  exec 5>in
  # Echoed bars are written after their commit. Bars 0-4 in one read (bar 4's signal commits the
  # state of bar 4), then 5-9 in another.
  taken() {
    for _ in $(seq 200); do
      [ "$(grep -c '"type":"bar"' out1)" -ge "$1" ] && return 0
      sleep 0.05
    done
    return 1
  }
  head -5 bars.ndjson >&5
  taken 5
  sed -n 6,10p bars.ndjson >&5
  taken 10
  kill -KILL "$pid"
  exec 5>&-
  wait "$pid" || true
  [ "$(grep -c '"type":"bar"' out1)" -eq 10 ]
  [ "$(sqlite3 "$SM_DB" "select strftime('%H:%M', event_ts_ms / 1000, 'unixepoch') from strategy_state")" = 04:04 ]
  tail -1 bars.ndjson | run_signal >out2 2>err2
  [ "$(jq -r 'select(.event == "signal_summary") | .bars_replayed' err2)" -eq 14 ]
  rm -f "$SM_DB" "$SM_DB-wal" "$SM_DB-shm"
  sm-ingest --stdin <bars.ndjson >/dev/null 2>&1
  run_signal <bars.ndjson >whole 2>/dev/null
  [ "$(jq -s 'map(select(.type == "signal")) | length' whole)" -eq 2 ]
  diff <(cat out1 out2 | jq -c 'select(.type == "signal")') <(jq -c 'select(.type == "signal")' whole)
}

@test "under systemd sm-signal notifies READY=1, WATCHDOG=1 from its loop, and STOPPING=1 on SIGTERM" {
  WATCHDOG_USEC=400000 run --separate-stderr "$BATS_TEST_DIRNAME/notify-socket.py" 1 term sm-signal "${SMA[@]}"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = READY=1 ]
  # A ping every watchdog interval / 4 (100 ms) while the input is quiet for a second.
  [ "$(printf '%s\n' "${lines[@]}" | grep -c '^WATCHDOG=1$')" -ge 3 ]
  [ "${lines[-1]}" = STOPPING=1 ]
  # No watchdog armed: READY and STOPPING only.
  run --separate-stderr "$BATS_TEST_DIRNAME/notify-socket.py" 0.3 eof sm-signal "${SMA[@]}"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'READY=1\nSTOPPING=1')" ]
}

@test "SM_STAGE_TRACE: each bar read and each signal written is traced with its symbol" {
  bars_of TCS | head -40 >bars.ndjson
  SM_STAGE_TRACE="$PWD/stages.ndjson" sm-signal "${SMA[@]}" <bars.ndjson >out 2>/dev/null
  assert_json_lines stages.ndjson
  [ "$(jq -s 'map(select(.stage == "signal.read" and .key == "TCS")) | length' stages.ndjson)" -eq 40 ]
  signals=$(jq -s 'map(select(.type == "signal")) | length' out)
  [ "$signals" -ge 1 ]
  [ "$(jq -s 'map(select(.stage == "signal.written")) | length' stages.ndjson)" -eq "$signals" ]
  jq -se 'all(.mono_ns > 0 and .pid > 0)' stages.ndjson
}
