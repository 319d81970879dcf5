#!/usr/bin/env bats
# Parity (docs/BACKTEST.md "Parity"): the same bundled NSE bars through the live path
#   sm-ingest replay -> sm-signal -> sm-risk -> sm-order -> sm-paper (the paper broker, Kite REST
#   on 127.0.0.1), with the fills sm-order stores read back by sm-signal and sm-risk from the
#   database (nothing is fed back on sm-signal's input, as under systemd)
# and through sm-backtest with the same strategy, the same risk configuration (--risk), the fill
# model that means what the paper broker does (a market order fills at the latest price it knows,
# the deciding bar's close: --fill close) and the same cost model (india-equity, no slippage) give
# the same signals, risk decisions, kill-switch alerts, fills (time, order id, symbol, side,
# quantity, price to the paisa) and charges.
#
# The live path runs in lock step, one bar time at a time: the paper broker hears that time's bars
# (the market moves, as the exchange's would, before our pipeline reacts), then the bars and a
# marker line go into sm-signal, and everything up to the marker comes out of sm-order: the fills
# of that time are then stored, and sm-signal reads them before the next bar (as `make demo` does,
# but without depending on timing).

load common

export LC_ALL=C  # byte lengths for the HTTP requests post_prices writes

SYMBOLS=(RELIANCE TCS WIPRO INFY)
FROM=2015-01-01
TO=2020-10-30
SMA=(--strategy sma-cross --param fast=10 --param slow=30 --param sizing=fixed_qty --param qty=100)

teardown() {
  if [ -n "${PIPELINE_PID:-}" ] && kill -0 "$PIPELINE_PID" 2>/dev/null; then kill -TERM "$PIPELINE_PID" || true; fi
  stop_paper || true
  cd / && rm -rf "$SM_TEST_DIR"
}

# Both paths run with the replay's risk section (replay_risk_section, common.bash). The broker
# section only lifts sm-order's client-side rate limits, which would pace the replay at 10
# requests a second (the paper broker runs with --no-rate-limits).
write_config() {
  # Both paths read the prices as printed and know no corporate action: the comparison is of the
  # engines on the same input (the bundled actions would back-adjust the backtest's bars and
  # adjust the live positions, two different models of the same event).
  echo "symbol,ex_date,kind,ratio" >no-actions.csv
  export SM_CORPORATE_ACTIONS="$PWD/no-actions.csv"
  cat >parity.jsonc <<EOF
{
$(replay_risk_section),
  "broker": { "rate_limits": { "order_per_second": 100000, "other_per_second": 100000 } }
}
EOF
}

# The paper broker (start_paper, common.bash) on the replayed market's clock, with the costs and
# cash the backtest uses, and sm-order's credentials for it.
start_parity_paper() {  # start_parity_paper CASH [sm-paper flags...]
  start_paper --clock market --no-rate-limits --costs india-equity --cash "$@"
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  PAPER_PORT=${PAPER_URL##*:}
}

# POSTs lines to the paper broker's price feed over one kept-alive connection (bash's /dev/tcp;
# a curl per bar time would take most of the test's time). Fails unless every line was applied.
post_prices() {  # post_prices LINE...
  local body request line length=0 close=0 answer attempt
  printf -v body '%s\n' "$@"  # (no $(...): a fork per bar time costs seconds)
  for attempt in 1 2; do
    if [ -z "${PRICE_CONN:-}" ]; then
      exec 7<>"/dev/tcp/127.0.0.1/$PAPER_PORT" || return 1
      PRICE_CONN=1
    fi
    # One write: a request split over two would wait for the server's delayed ACK (40 ms).
    printf -v request 'POST /_paper/prices HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s' \
      application/x-ndjson "${#body}" "$body"
    printf '%s' "$request" >&7 2>/dev/null && IFS= read -r -t 10 line <&7 && break
    exec 7>&- 7<&-  # the server closed the kept-alive connection: once more on a new one
    PRICE_CONN=
    [ "$attempt" = 2 ] && { echo "the price feed does not answer" >&2; return 1; }
  done
  [[ $line == "HTTP/1.1 200"* ]] || { echo "price feed: $line" >&2; return 1; }
  while IFS= read -r -t 10 line <&7; do
    line=${line%$'\r'}
    [ -z "$line" ] && break
    case ${line,,} in
      content-length:*) length=${line#*:} && length=${length// /} ;;
      connection:*close*) close=1 ;;
    esac
  done
  IFS= read -r -t 10 -N "$length" answer <&7
  [[ $answer == *'"applied":'"$#"[,}]* ]] || { echo "price feed: $answer" >&2; return 1; }
  if ((close)); then
    exec 7>&- 7<&-
    PRICE_CONN=
  fi
}

# The bundled daily bars of SYMBOLS, stored the way the live system stores them (market.db),
# replayed in time order.
replayed_bars() {
  local files=()
  for s in "${SYMBOLS[@]}"; do files+=("$SM_SAMPLE/$s.csv"); done
  sm-ingest --db market.db "${files[@]}" >/dev/null 2>ingest.log
  sm-ingest replay --db market.db --timeframe 1d --from "$FROM" --to "$TO" >bars.ndjson 2>replay.log
  [ -s bars.ndjson ]
}

# Runs the live pipeline over bars.ndjson in lock step. Writes live/signals.ndjson (sm-signal's
# output) and live/out.ndjson (sm-order's; the step loop reads only the markers, which grep picks
# out). STRATEGY... are sm-signal's strategy flags. The loop runs in a bash of its own:
# bats' per-command traps would make it ten times slower.
run_live() {
  mkdir -p live
  mkfifo live/in live/out
  sm-signal "$@" --echo-market-data <live/in 2>live/signal.log | tee live/signals.ndjson |
    sm-risk --config parity.jsonc --event-time 2>live/risk.log |
    sm-order --config parity.jsonc --broker-url "$PAPER_URL" --eof-wait 5 2>live/order.log |
    tee live/out.ndjson | grep --line-buffered '"type":"parity_mark"' >live/out &
  PIPELINE_PID=$!
  PAPER_PORT=$PAPER_PORT bash -c "set -u; $(declare -f post_prices lock_step); lock_step" || return 1
  wait "$PIPELINE_PID"
}

# The bars of each bar time to the paper broker, then with a marker into sm-signal (live/in);
# waits for the marker to come out of sm-order (live/out).
lock_step() {
  exec 8>live/in 9<live/out
  local group=() line ts current="" marks=0
  step() {
    marks=$((marks + 1))
    post_prices "${group[@]}" || return 1
    # SLIP_TS / SLIP_QUOTE: at that bar time the market moves once more (a paper_quote) after the
    # bars and before the pipeline hears them, so the order fills away from the signal's price.
    if [ "$current" = "${SLIP_TS:-}" ]; then post_prices "$SLIP_QUOTE" || return 1; fi
    printf '%s\n' "${group[@]}" '{"type":"parity_mark","seq":'"$marks"'}' >&8
    local out
    if ! IFS= read -r -t 30 out <&9; then
      echo "the pipeline stopped answering at bar time $current (mark $marks)" >&2
      return 1
    fi
  }
  while IFS= read -r line; do
    ts=${line#*\"ts\":\"}
    ts=${ts%%\"*}
    if [ "$ts" != "$current" ] && ((${#group[@]})); then
      step || return 1
      group=()
    fi
    current=$ts
    group+=("$line")
  done <bars.ndjson
  if ((${#group[@]})); then step || return 1; fi
  exec 8>&- 7>&-
  cat <&9 >/dev/null
}

# The backtest of the same bars (the same CSV files, its own loader) with the paper broker's
# meaning: --fill close, no slippage, india-equity CNC charges, the same cash and risk config.
# FILL, SLIPPAGE and COSTS change that, to show the comparison can fail.
run_backtest() {  # run_backtest DIR STRATEGY...
  local dir=$1 files=()
  shift
  for s in "${SYMBOLS[@]}"; do files+=(--file "$SM_SAMPLE/$s.csv"); done
  sm-backtest run "$@" "${files[@]}" --from "$FROM" --to "$TO" --fill "${FILL:-close}" \
    --slippage "${SLIPPAGE:-0}" --costs "${COSTS:-india-equity}" --product CNC --cash 1000000 \
    --risk parity.jsonc --out "$dir" \
    --format json --no-progress >"$dir.json" 2>"$dir.log"
}

# What each path decided and did, one JSON array a line, in a form both write. Lines of one bar
# time are sorted by symbol (and side): the live path handles a time's bars one symbol after the
# other, the backtest all symbols together (sells first); everything else keeps its order.

live_signals() {
  jq -c 'select(.type == "signal") | [.ts, .strategy, .symbol, .action, .qty, .price, .stop, .reason]' \
    live/signals.ndjson | jq -s -c 'to_entries | sort_by(.value[0], .value[2], .key) | .[].value'
}
bt_signals() {
  jq -c 'select(.type == "signal" and .gate_code != "FORCED_EXIT")
         | [.ts, .strategy, .symbol, .action, .qty, .price, .stop, .reason]' "$1/signals.ndjson" |
    jq -s -c 'to_entries | sort_by(.value[0], .value[2], .key) | .[].value'
}

# Decisions: time, strategy, symbol, action, approved, code, and a denial's or forced exit's detail
# (the numbers behind it). An approval's detail only describes the order (side, qty, value), which
# the backtest's signals.ndjson does not repeat. The backtest keeps a denial's code in front of its
# detail; the forced exits (kill switches) are in risk_events.ndjson.
live_decisions() {
  jq -c 'select(.type == "risk_decision")
         | [.ts, .strategy, .symbol, .action, .approved, .code, (if .code == "APPROVED" then "" else .detail end)]' \
    live/out.ndjson | canonical_decisions
}
bt_decisions() {
  jq -c 'select(.type == "signal" and .gate_code != "FORCED_EXIT")
         | .gate_code as $c | [.ts, .strategy, .symbol, .action, ($c == "APPROVED"), $c,
            (.detail | ltrimstr($c + ": "))]' "$1/signals.ndjson" >decisions.tmp
  jq -c 'select(.type == "risk_decision") | [.ts, .strategy, .symbol, .action, .approved, .code, .detail]' \
    "$1/risk_events.ndjson" >>decisions.tmp
  canonical_decisions <decisions.tmp
}
# Within a time and symbol a kill switch's exit comes before the strategy's own decision.
canonical_decisions() {
  jq -s -c 'to_entries
    | sort_by(.value[0], .value[2], (if .value[5] == "FORCED_EXIT" then 0 else 1 end), .key)
    | .[].value'
}

# Kill-switch alerts and halts of the risk engine.
live_risk_events() {
  jq -c 'select((.type == "alert" and .component == "sm-risk") or .type == "halt") | del(.dedup_key)' \
    live/out.ndjson | jq -s -c 'sort_by(.ts) | .[]'
}
bt_risk_events() {
  jq -c 'select(.type == "alert" or .type == "halt") | del(.dedup_key)' "$1/risk_events.ndjson" |
    jq -s -c 'sort_by(.ts) | .[]'
}

# Fills: time, client order id, strategy, symbol, side, quantity, price, charges. Live charges are
# the paper broker's (its trades table; Kite's trade API carries none).
live_fills() {
  sqlite3 -json "$SM_TEST_DIR/paper.db" 'SELECT trade_id, charges FROM paper_trades' >charges.json
  [ -s charges.json ] || echo '[]' >charges.json
  jq -c 'select(.type == "fill")' live/out.ndjson | jq -s -c --slurpfile ch charges.json '
    ($ch[0] | map({key: .trade_id, value: .charges}) | from_entries) as $paise
    | unique_by(.trade_id) | sort_by(.ts, .symbol, .side)
    | .[] | [.ts, .client_order_id, .strategy, .symbol, .side, .qty, .price,
             ($paise[.trade_id] / 100)]'
}
bt_fills() {
  jq -c 'select(.type == "fill") | [.ts, .client_order_id, .strategy, .symbol, .side, .qty, .price, .charges]' \
    "$1/fills.ndjson" | jq -s -c 'sort_by(.[0], .[3], .[4]) | .[]'
}

# The final cash of each path, in paise.
live_cash() { curl -sf "$PAPER_URL/_paper/state" | jq -r '.data.cash | tonumber * 100 | round'; }
bt_cash() { jq -r 'select(.type == "fill") | .cash_after * 100 | round' "$1/fills.ndjson" | tail -1; }

compare() {  # compare BACKTEST_DIR: every comparison, all reported before failing
  local dir=$1 rc=0
  bt_signals "$dir" >bt.signals
  bt_decisions "$dir" >bt.decisions
  bt_risk_events "$dir" >bt.events
  bt_fills "$dir" >bt.fills
  for what in signals decisions events fills; do
    diff "bt.$what" "live.$what" >"diff.$what" || { rc=1; echo "$what differ:" >&2; head -20 "diff.$what" >&2; }
  done
  return $rc
}

# Runs both paths with the strategy flags given and fails unless they agree; leaves live.* and
# bt.* (one JSON array a line) for more checks.
check_parity() {  # check_parity STRATEGY...
  write_config
  replayed_bars
  start_parity_paper 1000000
  run_live "$@"
  assert_json_lines live/out.ndjson
  live_signals >live.signals
  live_decisions >live.decisions
  live_risk_events >live.events
  live_fills >live.fills
  # sm-order prices each fill itself (lib/costs), to the paisa as the paper broker charged it.
  diff <(sqlite3 -json "$SM_TEST_DIR/paper.db" 'SELECT trade_id, charges FROM paper_trades' |
           jq -c '.[] | [.trade_id, .charges / 100]' | sort -u) \
       <(jq -c 'select(.type == "fill") | [.trade_id, .charges]' live/out.ndjson | sort -u)
  run_backtest bt "$@"
  compare bt
  # The same money at the end: the paper broker's cash is the backtest's to the paisa.
  live_cash >live.cash
  bt_cash bt >bt.cash
  diff bt.cash live.cash
  # Every order the gateway approved was filled by the paper broker.
  [ "$(jq -s 'map(select(.type == "order_update" and .status == "REJECTED")) | length' live/out.ndjson)" -eq 0 ]
}

@test "parity: sma-cross on four symbols, the live path and sm-backtest agree on signals, decisions, fills and charges" {
  check_parity "${SMA[@]}"
  # The run exercised what parity is about: entries and exits, approvals and denials for more than
  # one reason, the kill switches, fills on every symbol.
  [ "$(grep -c '"enter_long"' live.signals)" -ge 20 ]
  [ "$(grep -c '"exit_long"' live.signals)" -ge 20 ]
  [ "$(grep -c '"APPROVED"' live.decisions)" -ge 40 ]
  grep -q '"FORCED_EXIT"' live.decisions
  grep -q '"MAX_ORDER_VALUE_EXCEEDED"' live.decisions
  grep -q '"MAX_OPEN_POSITIONS_EXCEEDED"' live.decisions
  grep -q '"kill_switch_daily_loss_halt"' live.events
  for s in "${SYMBOLS[@]}"; do grep -q "\"$s\"" live.fills; done

  # The comparison can fail: another fill model (next open), slippage, or another cost model
  # each make the backtest differ from the paper broker.
  FILL=next-open run_backtest next-open "${SMA[@]}"
  run ! compare next-open
  [[ "$output" == *"fills differ"* ]]
  SLIPPAGE=1tick run_backtest slipped "${SMA[@]}"
  run ! diff -q live.fills <(bt_fills slipped)
  COSTS=zero run_backtest zero-costs "${SMA[@]}"
  run ! diff -q live.fills <(bt_fills zero-costs)
  # ... and only the charges differ then.
  diff <(jq -c '.[:7]' live.fills) <(bt_fills zero-costs | jq -c '.[:7]')
}

@test "parity: donchian 20/10 (signals with stops) on four symbols agrees too" {
  check_parity --strategy donchian --param entry_bars=20 --param exit_bars=10 --param sizing=fixed_qty --param qty=100
  [ "$(grep -c '"enter_long"' live.signals)" -ge 20 ]
  [ "$(jq -s 'map(select(.[6] > 0)) | length' live.signals)" -ge 20 ]  # entries carry a stop
  [ "$(wc -l <live.fills)" -ge 40 ]
}

# Divergence (docs/BACKTEST.md "Divergence"): sm-backtest divergence replays the same strategy on
# the bars stored in the trading database and compares each day with what the live path did.
# The strategy of the live run, as the configuration's signal section names it.
write_divergence_config() {
  cat >divergence.jsonc <<'EOF'
{
  "signal": {
    "strategies": [{"name": "sma-cross",
                    "params": {"fast": 10, "slow": 30, "sizing": "fixed_qty", "qty": 100}}]
  }
}
EOF
}

# The replayed bars (market.db) stored in the trading database, from FROM on, with the series
# index the bar queries go by: what the live path heard is what the divergence replay reads.
store_replayed_bars() {
  sqlite3 "$SM_DB" "ATTACH 'market.db' AS m; INSERT OR IGNORE INTO bars SELECT * FROM m.bars
    WHERE ts_ms >= (strftime('%s', '$FROM') - 19800) * 1000;
    INSERT OR REPLACE INTO market_series SELECT * FROM m.market_series"
}

divergence_of() {  # divergence_of DATE: the divergence record of that day (stdout's last line)
  sm-backtest divergence --config divergence.jsonc --date "$1" 2>>divergence.log | tail -1
}

@test "divergence: a clean paper day shows none; injected slippage and a rejected order are both reported and alerted" {
  FROM=2019-01-01
  write_config
  write_divergence_config
  replayed_bars
  start_parity_paper 1000000
  run_live "${SMA[@]}"
  store_replayed_bars
  # The second buy: slipped there; the first placement after it (on another day) is rejected.
  jq -r 'select(.type == "fill" and .side == "BUY") | [.ts, .symbol, .client_order_id] | @tsv' \
    live/out.ndjson >buys.tsv
  IFS=$'\t' read -r _ slip_symbol slip_order < <(sed -n 2p buys.tsv)
  slip_signal_ms=$(sqlite3 "$SM_DB" "SELECT signal_ts_ms FROM risk_decisions WHERE client_order_id = '$slip_order'")
  slip_day=$(sqlite3 "$SM_DB" "SELECT date($slip_signal_ms / 1000, 'unixepoch', '+330 minutes')")
  slip_price=$(sqlite3 "$SM_DB" "SELECT price_paise FROM signals WHERE strategy = 'sma-cross'
    AND symbol = '$slip_symbol' AND action = 'enter_long' AND ts_ms = $slip_signal_ms")
  placed_before=$(sqlite3 "$SM_DB" "SELECT count(*) FROM orders WHERE signal_ts_ms <= $slip_signal_ms")
  reject_order=$(sqlite3 "$SM_DB" "SELECT client_order_id FROM orders
    ORDER BY signal_ts_ms, created_ms LIMIT 1 OFFSET $placed_before")
  reject_day=$(sqlite3 "$SM_DB" "SELECT date(signal_ts_ms / 1000, 'unixepoch', '+330 minutes') FROM orders
    WHERE client_order_id = '$reject_order'")
  [ -n "$slip_price" ] && [ -n "$reject_day" ] && [ "$reject_day" != "$slip_day" ]

  # The clean run: the same signals as the replay, every order filled at its signal's price.
  for day in "$slip_day" "$reject_day"; do
    divergence_of "$day" >clean.json
    jq -e '.type == "divergence" and .diverged == false and .breaches == []' clean.json
    jq -e '.signals_live >= 1 and .signals_live == .signals_expected' clean.json
    jq -e '.signals_missed == 0 and .signals_extra == 0 and .fills_missed == 0 and .fills_late == 0' clean.json
    jq -e '.orders_checked >= 1 and .slippage_bps_worst == 0 and .pnl_difference == 0' clean.json
  done
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM alerts WHERE event = 'divergence'")" = 0 ]
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM divergence_reports WHERE breaches = ''")" = 2 ]

  # Again, on fresh databases: the market moves 1% up after the bars of the slipped buy's time,
  # and the paper broker rejects the first placement after it.
  stop_paper
  rm -rf live "$SM_DB" "$SM_TEST_DIR/paper.db"
  # The lock step goes by bar start times; the signal is stamped with its bar's end.
  SLIP_TS=$(jq -r --arg d "$slip_day" --arg s "$slip_symbol" \
    'select(.symbol == $s and (.ts | startswith($d))) | .ts' bars.ndjson)
  local slipped=$((slip_price * 101 / 100))
  printf -v SLIP_QUOTE '{"type":"paper_quote","symbol":"%s","last_price":"%d.%02d"}' \
    "$slip_symbol" $((slipped / 100)) $((slipped % 100))
  export SLIP_TS SLIP_QUOTE
  start_parity_paper 1000000 \
    --fault '{"kind": "reject", "method": "POST", "path": "/orders", "skip": '"$placed_before"'}'
  run_live "${SMA[@]}"
  store_replayed_bars
  [ "$(sqlite3 "$SM_DB" "SELECT status FROM orders WHERE client_order_id = '$reject_order'")" = REJECTED ]

  divergence_of "$slip_day" >slipped.json
  jq -e '.diverged and .signals_missed == 0 and .signals_extra == 0 and .fills_missed == 0' slipped.json
  # About 100 bps worse than the signal's price, and that much P&L lost on the 100 shares.
  jq -e '.slippage_bps_worst > 95 and .slippage_bps_worst < 105 and .pnl_difference < 0' slipped.json
  jq -e --arg id "$slip_order" '.orders[] | select(.client_order_id == $id) | .slippage_bps > 95' slipped.json
  jq -e '.breaches | any(startswith("slippage"))' slipped.json

  divergence_of "$reject_day" >rejected.json
  jq -e '.diverged and .fills_missed == 1 and .signals_missed == 0 and .signals_extra == 0' rejected.json
  jq -e --arg id "$reject_order" '.orders[] | select(.client_order_id == $id) | .missed and .filled_qty == 0' rejected.json
  jq -e '.breaches | any(startswith("fills missed"))' rejected.json

  # Both stored and alerted for sm-alert; sm-status shows the latest day.
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM alerts WHERE event = 'divergence' AND component = 'sm-backtest'")" = 2 ]
  [ "$(sqlite3 "$SM_DB" "SELECT dedup_key FROM alerts WHERE event = 'divergence' ORDER BY ts_ms, id LIMIT 1")" = "divergence:$slip_day" ]
  latest=$(printf '%s\n' "$slip_day" "$reject_day" | sort | tail -1)
  run --separate-stderr sm-status --json
  echo "$output" | jq -e --arg d "$latest" '.divergence.date == $d and .divergence.diverged'
  run --separate-stderr sm-status
  [[ "$output" == *"Divergence from the backtest"*"$latest"* ]]
  # --fail-on-divergence makes it an exit code for timers and scripts.
  run sm-backtest divergence --config divergence.jsonc --date "$reject_day" --fail-on-divergence
  [ "$status" -eq 6 ]
}
