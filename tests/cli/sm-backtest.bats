#!/usr/bin/env bats
# sm-backtest: one run and its reports, the eight reference backtests, sweeps, walk-forward, the
# risk gate, corporate actions, bad input and usage errors.

load common

DAILY="$SM_FIXTURES/data/daily"
REFERENCE="$SM_FIXTURES/reference"
SMA=(--strategy sma-cross --param fast=10 --param slow=30 --param qty=100)
BREAKOUT=(--strategy donchian --param entry_bars=20 --param exit_bars=10 --param qty=100)

# The tests here are of the engine on prices as printed (the references were computed on them):
# no corporate action is known to them unless a test names a file. The bundled actions, applied
# by default, are tested below with SM_CORPORATE_ACTIONS unset.
setup_file() {
  echo "symbol,ex_date,kind,ratio" >"$BATS_FILE_TMPDIR/no-actions.csv"
  export SM_CORPORATE_ACTIONS="$BATS_FILE_TMPDIR/no-actions.csv"
}

# Succeeds when some JSON line of the file has the event.
has_event() {
  jq -s -e --arg event "$2" 'any(.[]; .event == $event)' "$1" >/dev/null
}

# Runs one reference configuration and compares everything the reference file holds.
check_reference() {
  local name=$1 symbol=$2
  shift 2
  local ref="$REFERENCE/backtest_${name}_${symbol}.json"
  sm-backtest run "$@" --file "$DAILY/$symbol.csv" --fill next-open --costs zero \
    --cash 10000000 --out "out-$name-$symbol" --format json >summary.json 2>/dev/null
  local dir="out-$name-$symbol"
  # Trades: fill dates and prices, quantity and P&L.
  jq -c 'select(.type == "trade") | [.entry_date, .entry_price, .qty, .exit_date, .exit_price, .gross_pnl]' \
    "$dir/trades.ndjson" >ours.trades
  jq -c '.trades[] | [.entry_date, .entry_price, .qty, .exit_date, .exit_price, .pnl]' "$ref" >ref.trades
  diff ref.trades ours.trades
  # Signals: the bar whose close decided, the side, that close (signal ts is 15:30 IST that day).
  jq -c '[(.ts | .[0:10]), (if .action == "enter_long" then "BUY" else "SELL" end), .price]' \
    "$dir/signals.ndjson" >ours.signals
  jq -c '.signals[] | [.signal_date, .signal, .close]' "$ref" >ref.signals
  diff ref.signals ours.signals
  # Money to the paisa and the open position.
  jq -e --slurpfile ref "$ref" '
    .bars == $ref[0].bars and .first_date == $ref[0].first_date and .last_date == $ref[0].last_date
    and .trades == $ref[0].n_closed_trades and .realized_pnl == $ref[0].realized_pnl
    and .unrealized_pnl == $ref[0].unrealized_pnl and .net_pnl == $ref[0].total_pnl
    and .final_equity == $ref[0].final_broker_value and .charges_paid == 0
    and (if $ref[0].open_position == null then (.open_positions | length) == 0
         else (.open_positions | length) == 1
              and .open_positions[0].entry_date == $ref[0].open_position.entry_date
              and .open_positions[0].entry_price == $ref[0].open_position.entry_price
              and .open_positions[0].mark_date == $ref[0].open_position.mark_date
              and .open_positions[0].mark_price == $ref[0].open_position.mark_price
              and .open_positions[0].unrealized_pnl == $ref[0].open_position.unrealized_pnl end)' \
    summary.json >/dev/null
}

@test "--help describes the subcommands and exits 0" {
  run sm-backtest --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"walk-forward"* ]]
  run sm-backtest run --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--slippage"* ]]
  [[ "$output" == *"--risk"* ]]
}

@test "an unknown flag is a usage error (exit 2) reported as JSON on stderr" {
  run --separate-stderr sm-backtest run --no-such-flag
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  echo "$stderr" >err
  has_event err usage_error
}

@test "an unknown flag before any subcommand is named in the usage error, not 'a subcommand is required'" {
  run --separate-stderr sm-backtest --bogus
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e '.event == "usage_error" and (.message | contains("--bogus"))'
  # With no subcommand and nothing unknown, the error still lists the subcommands.
  run --separate-stderr sm-backtest
  [ "$status" -eq 2 ]
  echo "$stderr" | jq -e '.event == "usage_error" and (.message | contains("run, sweep, merge, walk-forward or divergence"))'
}

@test "bad values are usage errors: no strategy, unknown strategy or parameter, bad fill" {
  run sm-backtest run --file "$DAILY/TCS.csv"
  [ "$status" -eq 2 ]
  run sm-backtest run --strategy no-such --file "$DAILY/TCS.csv"
  [ "$status" -eq 2 ]
  run --separate-stderr sm-backtest run --strategy sma-cross --param slow=5000 --file "$DAILY/TCS.csv"
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"slow"* ]]
  run sm-backtest run "${SMA[@]}" --fill tomorrow --file "$DAILY/TCS.csv"
  [ "$status" -eq 2 ]
  run sm-backtest run "${SMA[@]}" --slippage lots --file "$DAILY/TCS.csv"
  [ "$status" -eq 2 ]
  run sm-backtest run "${SMA[@]}" --format xml --file "$DAILY/TCS.csv"
  [ "$status" -eq 2 ]
  run sm-backtest sweep "${SMA[@]}" --file "$DAILY/TCS.csv"
  [ "$status" -eq 2 ]
}

@test "a bar stamped 2100 among real ones is refused with a warning naming file and line; the range stays real" {
  # Line 701 is a copy of line 700 dated 2100; real rows follow it.
  { head -700 "$DAILY/TCS.csv"
    sed -n 700p "$DAILY/TCS.csv" | sed 's/^[0-9-]*,/2100-01-01,/'
    tail -n +701 "$DAILY/TCS.csv"; } >poisoned.csv
  sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --format json >clean.json 2>/dev/null
  run --separate-stderr sm-backtest run "${SMA[@]}" --file poisoned.csv --format json
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -e -s --arg file poisoned.csv 'map(select(.event == "bad_row")) | length == 1
    and (.[0] | .level == "warning" and .input == $file and .line == 701
         and .reason == "timestamp_out_of_range" and .action == "dropped"
         and (.detail | contains("TCS") and contains("2100-01-01")))'
  echo "$output" | jq -e '.last_date == "2020-10-30"'
  [ "$(echo "$output" | jq -c '[.first_date, .last_date, .bars, .net_pnl, .cagr]')" = "$(jq -c '[.first_date, .last_date, .bars, .net_pnl, .cagr]' clean.json)" ]
}

@test "a missing or empty input is a data error (exit 3) naming it" {
  run --separate-stderr sm-backtest run "${SMA[@]}" --file "$SM_TEST_DIR/nope.csv"
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"nope.csv"* ]]
  : >empty.csv
  run sm-backtest run "${SMA[@]}" --file empty.csv
  [ "$status" -eq 3 ]
  head -1 "$DAILY/TCS.csv" >header.csv
  run sm-backtest run "${SMA[@]}" --file header.csv
  [ "$status" -eq 3 ]
  # An empty database has no bars either.
  run sm-backtest run "${SMA[@]}" --db "$SM_TEST_DIR/none.db"
  [ "$status" -eq 3 ]
}

@test "a malformed row is reported on stderr and skipped; the run goes on" {
  { head -100 "$DAILY/TCS.csv"; echo "2015-05-29,TCS,EQ,not,a,row"; tail -n +101 "$DAILY/TCS.csv"; } >bad.csv
  sm-backtest run "${SMA[@]}" --file bad.csv --format json >out 2>err
  has_event err bad_row
  [ "$(jq -r 'select(.event == "bad_row") | .at' err)" = "bad.csv:101" ]
  [ "$(jq -r .bars out)" -eq 1444 ]
}

@test "happy path: a table for people, reports in --out, JSON lines with --format ndjson" {
  run --separate-stderr sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Net P&L"*"-1,64,915.00"* ]]
  [[ "$output" == *"Sharpe"* ]]
  sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --out rep --format ndjson >out 2>err
  assert_json_lines out
  assert_json_lines rep/trades.ndjson
  assert_json_lines rep/fills.ndjson
  assert_json_lines rep/signals.ndjson
  assert_json_lines rep/data_quality.ndjson
  for f in summary.json summary.txt equity.csv report.html; do [ -s "rep/$f" ]; done
  [ "$(jq -s 'map(select(.type == "fill")) | length' out)" -eq 61 ]
  [ "$(jq -s 'map(select(.type == "backtest_summary")) | length' out)" -eq 1 ]
  [ "$(wc -l <rep/equity.csv)" -eq 1445 ]
  # stderr carries only JSON log lines.
  assert_json_lines err
}

@test "reference: sma-cross 10/30 reproduces the backtrader results exactly (RELIANCE TCS WIPRO INFY)" {
  for symbol in RELIANCE TCS WIPRO INFY; do
    check_reference sma_cross_10_30 "$symbol" "${SMA[@]}"
  done
}

@test "reference: donchian 20/10 reproduces the backtrader breakout results exactly (RELIANCE TCS WIPRO INFY)" {
  for symbol in RELIANCE TCS WIPRO INFY; do
    check_reference breakout_20_10 "$symbol" "${BREAKOUT[@]}"
  done
}

@test "data quality: INFY's duplicates, order and weekend sessions are reported, not hidden" {
  sm-backtest run "${SMA[@]}" --file "$DAILY/INFY.csv" --out rep --format json >out 2>err
  [ "$(jq -r 'select(.event == "data_loaded") | .issues.duplicate_timestamp' err)" -eq 14 ]
  [ "$(jq -r 'select(.event == "data_loaded") | .issues.weekend_session' err)" -eq 15 ]
  has_event err data_quality
  [ "$(jq -r .data_quality.unsorted_rows out)" -gt 3000 ]
  [ "$(jq -s 'map(select(.kind == "suspected_corporate_action")) | length' rep/data_quality.ndjson)" -ge 3 ]
}

@test "corporate actions: listed bonuses are reported and, unless --no-adjust, prices are back-adjusted" {
  printf 'symbol,ex_date,kind,ratio\nTCS,2018-05-31,bonus,1:1\n' >actions.csv
  sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --corporate-actions actions.csv --no-adjust --format json >plain 2>err
  [ "$(jq -r '.data_quality.corporate_action' plain)" -eq 1 ]
  [ "$(jq -r '.data_quality.suspected_corporate_action // 0' plain)" -eq 0 ]
  [ "$(jq -r '.corporate_actions_applied' plain)" -eq 0 ]
  sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --corporate-actions actions.csv --adjust --format json >adjusted 2>err
  [ "$(jq -r '.corporate_actions_applied' adjusted)" -eq 1 ]
  has_event err corporate_action
  # Without the fake 50 % fall the results differ.
  [ "$(jq -r .net_pnl plain)" != "$(jq -r .net_pnl adjusted)" ]
  printf 'symbol,ex_date,kind,ratio\nTCS,2018-05-31,merger,1:1\n' >bad-actions.csv
  run sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --corporate-actions bad-actions.csv
  [ "$status" -eq 3 ]
}

@test "corporate actions: the bundled file is applied by default and every report says which actions" {
  unset SM_CORPORATE_ACTIONS
  sm-backtest run "${BREAKOUT[@]}" --file "$DAILY/TCS.csv" --out rep --format json >adjusted 2>err
  jq -e --arg file "$SM_ROOT/data/corporate-actions.csv" '.net_pnl == 50219 and .corporate_actions_applied == 1
    and .corporate_actions.file == $file and .corporate_actions.adjusted
    and .corporate_actions.applied == [{"symbol":"TCS","ex_date":"2018-05-31","kind":"bonus","ratio":"1:1","bars_adjusted":845}]' adjusted
  grep -q "Corporate actions: 1 applied from .*corporate-actions.csv: TCS bonus 1:1 on 2018-05-31" rep/report.html
  grep -q "^Corporate actions .*TCS bonus 1:1 on 2018-05-31 (earlier prices back-adjusted)" rep/summary.txt
  [ "$(jq -r '.data_quality.suspected_corporate_action // 0' adjusted)" -eq 0 ]
  # The unadjusted bonus made one trade lose 1,39,600 (issue 11); adjusted, no trade loses that.
  jq -e 'select(.type == "trade") | .gross_pnl' rep/trades.ndjson | jq -s -e 'min > -100000'
  sm-backtest run "${BREAKOUT[@]}" --file "$DAILY/TCS.csv" --no-adjust --format json >printed 2>/dev/null
  jq -e '.net_pnl == -141875 and .corporate_actions.adjusted == false and .corporate_actions_applied == 0' printed
  [ "$(jq -r .net_pnl adjusted)" != "-141875" ]
  run sm-backtest run "${BREAKOUT[@]}" --file "$DAILY/TCS.csv" --no-adjust
  [[ "$output" == *"not applied (--no-adjust)"* ]]
}

@test "costs: india-equity charges are itemised per fill and paid out of the P&L" {
  sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --costs india-equity --out rep --format json >out 2>/dev/null
  [ "$(jq -r '.charges_paid > 0' out)" = "true" ]
  [ "$(jq -s 'map(.charges_detail.stt > 0) | all' rep/fills.ndjson)" = "true" ]
  [ "$(jq -s 'map(select(.side == "SELL") | .charges_detail.dp > 0) | all' rep/fills.ndjson)" = "true" ]
  jq -e '(.net_pnl + .charges_paid) == -164915' out >/dev/null
}

@test "the backtest section of the config file sets defaults; flags win" {
  printf '{"backtest": {"costs": "simple:0.1:20", "fill": "close"}}\n' >cfg.json
  sm-backtest --config cfg.json run "${SMA[@]}" --file "$DAILY/TCS.csv" --format json >out 2>/dev/null
  [ "$(jq -r .costs out)" = "simple" ]
  [ "$(jq -r .fill out)" = "close" ]
  sm-backtest --config cfg.json run "${SMA[@]}" --file "$DAILY/TCS.csv" --fill next-open --format json >out 2>/dev/null
  [ "$(jq -r .fill out)" = "next-open" ]
  printf '{"backtest": {"fil": "close"}}\n' >typo.json
  run --separate-stderr sm-backtest --config typo.json run "${SMA[@]}" --file "$DAILY/TCS.csv"
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e 'select(.event == "config_error") | .message | contains("backtest.fil")'
  printf '{"backtest": {"fill": 5}}\n' >bad.json
  run sm-backtest --config bad.json run "${SMA[@]}" --file "$DAILY/TCS.csv"
  [ "$status" -eq 2 ]
  run sm-backtest --config "$SM_TEST_DIR/missing.json" run "${SMA[@]}" --file "$DAILY/TCS.csv"
  [ "$status" -eq 4 ]
}

@test "bars from the database give the same result as the CSV file" {
  sm-ingest "$DAILY/WIPRO.csv" 2>/dev/null
  sm-backtest run "${SMA[@]}" --symbol WIPRO --format json >db.json 2>/dev/null
  sm-backtest run "${SMA[@]}" --file "$DAILY/WIPRO.csv" --format json >csv.json 2>/dev/null
  [ "$(jq -c '[.net_pnl, .trades, .bars]' db.json)" = "$(jq -c '[.net_pnl, .trades, .bars]' csv.json)" ]
  [ "$(jq -r .net_pnl db.json)" = "-36090" ]
}

@test "sweep: a ranked table, JSON lines, and the same ranking on 1 and 2 threads" {
  run --separate-stderr sm-backtest sweep "${SMA[@]}" --file "$DAILY/RELIANCE.csv" \
    --grid fast=5:20:5 --grid slow=30,50 --rank-by net-pnl
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"rank"*"params"*"net-pnl"* ]]
  [ "${#lines[@]}" -eq 9 ]
  sm-backtest sweep "${SMA[@]}" --file "$DAILY/RELIANCE.csv" --grid fast=5:20:5 --grid slow=30,50 \
    --rank-by net-pnl --format ndjson --threads 1 >one 2>/dev/null
  sm-backtest sweep "${SMA[@]}" --file "$DAILY/RELIANCE.csv" --grid fast=5:20:5 --grid slow=30,50 \
    --rank-by net-pnl --format ndjson --threads 2 --out sw >two 2>/dev/null
  assert_json_lines one
  cmp one two
  cmp two sw/sweep.ndjson
  # fast=10 slow=30 is the reference run.
  [ "$(jq -r 'select(.params.fast == 10 and .params.slow == 30) | .net_pnl' one)" = "150615" ]
  run sm-backtest sweep "${SMA[@]}" --file "$DAILY/TCS.csv" --grid fast=1:2
  [ "$status" -eq 2 ]
}

@test "walk-forward: rolling windows, best in-sample parameters, stitched out-of-sample result" {
  sm-backtest walk-forward "${SMA[@]}" --file "$DAILY/TCS.csv" --grid fast=5,10 --grid slow=20,30 \
    --in-sample 400 --out-sample 200 --metric net-pnl --format ndjson --out wf >out 2>err
  assert_json_lines out
  [ "$(jq -s 'map(select(.type == "walk_forward_window")) | length' out)" -eq 6 ]
  [ "$(jq -s 'map(select(.type == "walk_forward_window") | .best_params != null) | all' out)" = "true" ]
  [ "$(jq -r 'select(.type == "backtest_summary") | .first_date' out)" = "$(sed -n '402p' "$DAILY/TCS.csv" | cut -d, -f1)" ]
  [ -s wf/report.html ]
  [ -s wf/walk_forward.ndjson ]
  run sm-backtest walk-forward "${SMA[@]}" --file "$DAILY/TCS.csv" --grid fast=5 --in-sample 5000
  [ "$status" -eq 3 ]
}

@test "--risk passes every signal through the risk engine: denials show in the output" {
  cat >risk.jsonc <<'EOF'
{"risk": {"capital": "10000000", "max_order_qty": 50, "max_order_value": "10000000",
          "session_checks": false, "position_loss_exit_percent": 100,
          "max_symbol_exposure": "10000000", "max_total_exposure": "10000000"}}
EOF
  sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --risk risk.jsonc --out rep --format json >out 2>/dev/null
  [ "$(jq -r .denied out)" -eq 31 ]
  [ "$(jq -r .trades out)" -eq 0 ]
  [ "$(jq -r '.gate' out)" = "risk:risk.jsonc" ]
  [ "$(jq -s 'map(select(.action == "enter_long") | .outcome == "denied" and .gate_code == "MAX_ORDER_QTY_EXCEEDED") | all' rep/signals.ndjson)" = "true" ]
  # Within the limits every signal is approved, and the fills carry the risk engine's order ids.
  sm-backtest run "${SMA[@]}" --param qty=40 --file "$DAILY/TCS.csv" --risk risk.jsonc --out ok --format json >out 2>/dev/null
  [ "$(jq -r .denied out)" -eq 0 ]
  [ "$(jq -r .trades out)" -eq 30 ]
  [ "$(jq -r 'select(.side == "BUY") | .client_order_id' ok/fills.ndjson | head -1 | cut -c1-2)" = "sm" ]
  run sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --risk "$SM_TEST_DIR/missing.jsonc"
  [ "$status" -eq 4 ]
  printf '{"risk": {"capital": 0}}\n' >bad-risk.json
  run sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --risk bad-risk.json
  [ "$status" -eq 4 ]
}

@test "--risk: an unknown key or section in the risk file is a configuration error (exit 4)" {
  printf '{"risk": {"capital": "10000000", "max_ordr_qty": 50}}\n' >typo-risk.jsonc
  printf '{"riks": {"capital": "10000000"}}\n' >section-risk.jsonc
  assert_config_error typo-risk.jsonc risk.max_ordr_qty \
    sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --risk typo-risk.jsonc
  assert_config_error section-risk.jsonc riks \
    sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --risk section-risk.jsonc
}

@test "--risk kill switches act in the backtest: a position-loss exit is forced and reported" {
  cat >risk.jsonc <<'EOF'
{"risk": {"capital": "10000000", "max_order_value": "10000000", "session_checks": false,
          "position_loss_exit_percent": 5,
          "max_symbol_exposure": "10000000", "max_total_exposure": "10000000"}}
EOF
  sm-backtest run "${SMA[@]}" --param qty=40 --file "$DAILY/TCS.csv" --risk risk.jsonc --out rep --format json >out 2>/dev/null
  [ "$(jq -s 'map(select(.gate_code == "FORCED_EXIT" and .outcome == "filled")) | length' rep/signals.ndjson)" -ge 1 ]
  [ "$(jq -s 'map(select(.type == "alert" and .event == "kill_switch_position_loss")) | length' rep/risk_events.ndjson)" -ge 1 ]
  # The strategy's later exits are not refused for want of a position. On the forced exit's own
  # bar the strategy, unaware of it (as sm-signal is live), may exit too: that one is refused.
  [ "$(jq -s '(map(select(.gate_code == "FORCED_EXIT") | .ts)) as $forced
              | map(select(.gate_code == "NO_POSITION" and (.ts | IN($forced[]) | not))) | length' \
      rep/signals.ndjson)" -eq 0 ]
  [ "$(jq -s 'map(select(.gate_code == "NO_POSITION")) | length' rep/signals.ndjson)" -ge 1 ]
}

@test "the HTML report renders in headless chromium (skipped without chromium)" {
  if ! command -v chromium >/dev/null 2>&1; then
    skip "chromium is not installed (apt-get install chromium); make report-check runs this too"
  fi
  run "$SM_ROOT/scripts/report-check" "$(dirname "$SM_BIN")" "$SM_TEST_DIR/rc"
  [ "$status" -eq 0 ]
  [ -s "$SM_TEST_DIR/rc/report.png" ]
}

@test "--config: a missing file, an unknown key or section is a configuration error (exit 4)" {
  assert_config_refused sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv"
}

@test "--config: the example configuration loads" {
  assert_example_config_loads sm-backtest run "${SMA[@]}" --file "$DAILY/TCS.csv" --format json
  [ "$status" -eq 0 ]
}

# The divergence subcommand's own cases; the paper day with injected faults is in parity.bats.
divergence_config() {
  printf '%s\n' '{"signal": {"strategies": [{"name": "sma-cross", "params": {"fast": 10, "slow": 30, "qty": 100}}]}}' >div.jsonc
}

@test "divergence: usage and configuration errors, and a day the live system never traded" {
  run --separate-stderr sm-backtest divergence --date 2024-13-01
  [ "$status" -eq 2 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "usage_error"))[0].message | test("--date")'
  # No strategy configured: nothing to replay.
  run --separate-stderr sm-backtest divergence --date 2024-03-28
  [ "$status" -eq 2 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "usage_error"))[0].message | test("signal.strategies")'
  run --separate-stderr sm-backtest divergence --no-such-flag
  [ "$status" -eq 2 ]
  divergence_config
  sed -i 's/}$/, "divergence": {"max_slippage_bps": -1}}/' div.jsonc
  run --separate-stderr sm-backtest --config div.jsonc divergence --date 2024-03-28
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e -s 'map(select(.event == "config_error"))[0].message | test("max_slippage_bps")'

  # Stored bars, no live signals: the replay's signals of that day are all missed.
  sm-ingest "$DAILY/TCS.csv" >/dev/null 2>&1
  divergence_config
  sm-signal --config div.jsonc --replay >signals.ndjson 2>/dev/null
  day=$(jq -r 'select(.type == "signal") | .ts[0:10]' signals.ndjson | head -1)
  [ -n "$day" ]
  sqlite3 "$SM_DB" "CREATE TABLE kept AS SELECT ts_ms, strategy, symbol, action, qty, price_paise, stop_paise, reason, recorded_ms FROM signals; DELETE FROM signals"
  run --separate-stderr sm-backtest --config div.jsonc divergence --date "$day"
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e -s '.[0].type == "alert" and .[0].event == "divergence" and .[0].severity == "warning"'
  echo "$output" | jq -e -s '.[-1] | .type == "divergence" and .signals_live == 0 and .signals_missed == 1 and .diverged'
  # With the signal back it is a clean day, and the day's record is replaced.
  sqlite3 "$SM_DB" "INSERT INTO signals (ts_ms, strategy, symbol, action, qty, price_paise, stop_paise, reason, recorded_ms) SELECT * FROM kept"
  run --separate-stderr sm-backtest --config div.jsonc divergence --date "$day" --fail-on-divergence
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.diverged == false and .signals_missed == 0 and .signals_live == 1'
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) || ' ' || breaches FROM divergence_reports")" = "1 " ]
}

@test "sweep --shard K/N under GNU parallel, merged, gives the unsharded sweep's lines and table" {
  command -v parallel >/dev/null ||
    skip "GNU parallel is not installed (scripts/install-deps --dev installs it)"
  local grid=(--grid fast=5:20:5 --grid slow=10,30,50 --rank-by net-pnl)
  sm-backtest sweep "${SMA[@]}" --file "$DAILY/RELIANCE.csv" "${grid[@]}" --format ndjson \
    --no-progress >whole 2>/dev/null
  sm-backtest sweep "${SMA[@]}" --file "$DAILY/RELIANCE.csv" "${grid[@]}" --top 0 \
    --no-progress >whole.txt 2>/dev/null
  # One job per shard, each output kept whole (parallel's default --group), in any order.
  parallel --will-cite -j 3 sm-backtest sweep "${SMA[@]}" --file "$DAILY/RELIANCE.csv" \
    "${grid[@]}" --format ndjson --no-progress --threads 1 --shard {}/3 '>' shard-{}.ndjson \
    ::: 1 2 3 2>/dev/null
  [ "$(cat shard-1.ndjson shard-2.ndjson shard-3.ndjson | wc -l)" -eq 12 ]
  ! cmp -s whole shard-1.ndjson
  sm-backtest merge --format ndjson shard-3.ndjson shard-1.ndjson shard-2.ndjson >merged 2>err
  assert_json_lines merged
  cmp whole merged
  cat shard-2.ndjson shard-3.ndjson shard-1.ndjson | sm-backtest merge --top 0 --out m >merged.txt
  cmp whole.txt merged.txt
  cmp whole m/sweep.ndjson
  # As across hosts: --sshlogin (":" is this machine), the shards' lines piped into the merge.
  parallel --will-cite --sshlogin 1/: sm-backtest sweep "${SMA[@]}" --file "$DAILY/RELIANCE.csv" \
    "${grid[@]}" --format ndjson --no-progress --shard {}/4 ::: 1 2 3 4 2>/dev/null |
    sm-backtest merge --format ndjson >piped
  cmp whole piped
  # --rank-by re-ranks the shards as a sweep ranked by that metric would be.
  sm-backtest sweep "${SMA[@]}" --file "$DAILY/RELIANCE.csv" --grid fast=5:20:5 \
    --grid slow=10,30,50 --rank-by sharpe --format ndjson --no-progress >by-sharpe 2>/dev/null
  sm-backtest merge --rank-by sharpe --format ndjson shard-*.ndjson 2>/dev/null | cmp - by-sharpe
  # Two shards of three: ranked, with a warning that grid positions are missing.
  run --separate-stderr sm-backtest merge --format ndjson shard-1.ndjson shard-3.ndjson
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 8 ]
  echo "$stderr" | jq -s -e 'any(.[]; .event == "merge_incomplete" and .missing == 4)'
}

@test "sweep --shard and merge refuse bad input with a clear error and exit code" {
  for shard in 0/3 4/3 a/b 3 1/0; do
    run --separate-stderr sm-backtest sweep "${SMA[@]}" --file "$DAILY/TCS.csv" --grid fast=5,10 \
      --shard "$shard"
    [ "$status" -eq 2 ]
    echo "$stderr" | jq -e --arg s "$shard" 'select(.event == "usage_error") | .message | contains("--shard '"'"'" + $s + "'"'"'")'
  done
  sm-backtest sweep "${SMA[@]}" --file "$DAILY/TCS.csv" --grid fast=5,10 --grid slow=30,40 \
    --format ndjson --shard 1/2 >one 2>/dev/null
  head -c -25 one >cut.ndjson
  run --separate-stderr sm-backtest merge cut.ndjson
  [ "$status" -eq 3 ]
  echo "$stderr" | jq -e 'select(.event == "data_error") | .message | contains("cut.ndjson line 2: truncated")'
  [ -z "$output" ]
  run --separate-stderr sm-backtest merge one one
  [ "$status" -eq 3 ]
  echo "$stderr" | jq -e 'select(.event == "data_error") | .message | contains("appears twice")'
  : >empty
  run sm-backtest merge empty
  [ "$status" -eq 3 ]
  run sm-backtest merge missing.ndjson
  [ "$status" -eq 3 ]
  run sm-backtest merge --bogus one
  [ "$status" -eq 2 ]
  run sm-backtest merge --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--rank-by"* ]]
}

@test "peak memory from the database does not grow with the bars, with every report written" {
  [ -x /usr/bin/time ] || skip "needs /usr/bin/time"
  for n in 20000 200000; do
    write_minute_bars "$n" >"bars$n.csv"
    sm-ingest --db "m$n.db" "bars$n.csv" --timeframe 1m >/dev/null 2>&1
    /usr/bin/time -f %M -o "rss$n" sm-backtest --db "m$n.db" run "${SMA[@]}" --symbol BENCH \
      --timeframe 1m --out "out$n" --format json --no-progress >"summary$n.json" 2>/dev/null
    [ "$(jq .bars "summary$n.json")" -eq "$n" ]
    [ "$(wc -l <"out$n/equity.csv")" -eq $((n + 1)) ]
  done
  # Before the run streamed, the 180,000 more bars cost about 45 MiB (about 260 bytes a bar).
  echo "peak RSS KiB: $(cat rss20000) at 20,000 bars, $(cat rss200000) at 200,000"
  [ $(($(cat rss200000) - $(cat rss20000))) -lt 12288 ]
}

@test "peak memory with every report does not grow with the round trips" {
  [ -x /usr/bin/time ] || skip "needs /usr/bin/time"
  # SMA(2)/SMA(5) closes a round trip about every 9 bars: ten times the bars, ten times the trades.
  for n in 20000 200000; do
    write_minute_bars "$n" >"bars$n.csv"
    sm-ingest --db "m$n.db" "bars$n.csv" --timeframe 1m >/dev/null 2>&1
    /usr/bin/time -f %M -o "rss$n" sm-backtest --db "m$n.db" run --strategy sma-cross \
      --param fast=2 --param slow=5 --param qty=100 --symbol BENCH --timeframe 1m --out "out$n" \
      --format json --no-progress >"summary$n.json" 2>/dev/null
    trades=$(grep -c '"type":"trade"' "out$n/trades.ndjson")
    [ "$(jq .trades "summary$n.json")" -eq "$trades" ]
    # The HTML report still lists and charts them (the list is cut at 2,000 rows).
    [ "$(grep -o '<rect ' "out$n/report.html" | wc -l)" -eq "$trades" ]
    grep -q "Showing the first 2000 of $trades trades" "out$n/report.html"
    echo "$trades" >"trades$n"
  done
  [ "$(cat trades200000)" -ge $((9 * $(cat trades20000))) ]
  # Kept in memory, the 20,000 more round trips cost about 33 MiB (1.7 KiB each).
  echo "peak RSS KiB: $(cat rss20000) with $(cat trades20000) round trips," \
    "$(cat rss200000) with $(cat trades200000)"
  [ $(($(cat rss200000) - $(cat rss20000))) -lt 4096 ]
  # The scratch files the report read the trades back from leave nothing behind.
  [ "$(ls out200000 | sort | tr '\n' ' ')" = "data_quality.ndjson equity.csv fills.ndjson report.html risk_events.ndjson signals.ndjson summary.json summary.txt trades.ndjson " ]
}

@test "peak memory from a CSV file does not grow with the bars" {
  [ -x /usr/bin/time ] || skip "needs /usr/bin/time"
  for n in 20000 200000; do
    write_minute_bars "$n" >"bars$n.csv"
    /usr/bin/time -f %M -o "rss$n" sm-backtest run "${SMA[@]}" --file "bars$n.csv" \
      --timeframe 1m --format json --no-progress >"summary$n.json" 2>/dev/null
    [ "$(jq .bars "summary$n.json")" -eq "$n" ]
  done
  # Read whole, the 180,000 more bars cost about 45 MiB (about 260 bytes a bar); streamed, the
  # file is read in 1 MiB blocks and nothing per bar is kept.
  echo "peak RSS KiB: $(cat rss20000) at 20,000 bars, $(cat rss200000) at 200,000"
  [ $(($(cat rss200000) - $(cat rss20000))) -lt 4096 ]
}
