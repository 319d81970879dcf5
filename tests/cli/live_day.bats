#!/usr/bin/env bats
# The live day test (issue 11, "Proof"; docs/ORDERS.md "Live day test"): one recorded NSE session
# of real 1-minute bars (IBULHSGFIN, data/sample) replayed at speed through the pipeline exactly as
# systemd/ wires it (pipeline_units.bash: the units' own ExecStartPre=, ExecStart= and Restart=
# lines, FIFOs, nothing fed back), against sm-paper on the replay's clock (--clock market).
#
# The evening before (2017-09-26, from 14:00) a CNC strategy buys and holds overnight. The day
# (2017-09-27, the whole session) is the ex-date of a 1:1 bonus on that holding, from a
# corporate-actions file of the test: the day's bars are the recorded ones at half price, as the
# exchange prints them after a 1:1 bonus. During the day:
#   - an MIS strategy enters and exits by itself (it learns its fills from the database);
#   - sm-risk is SIGKILLed mid-day and restarted as Restart=always does;
#   - the holding is adjusted to twice the shares at half the price: no forced sell, no halt;
#   - the daily-loss block (a small limit) fires and new entries are denied with the reason;
#   - the paper broker squares off the open MIS position (--mis-square-off);
# and at the end nothing is lost or doubled, sm-reconcile finds no difference and today's net P&L
# of sm-status equals the paper broker's to the paisa.

load common
load pipeline_units

EVE=2017-09-26
DAY=2017-09-27
SQUARE_OFF=11:00
KILL_AT=10:20

teardown() {
  local f
  mkdir -p "$SM_TEST_DIR/run" && touch "$SM_TEST_DIR/run/stop"
  for f in "$SM_TEST_DIR"/run/*.pid; do [ -e "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done
  for f in ${SUPERVISORS:-}; do wait "$f" 2>/dev/null || true; done
  stop_paper || true
  cd / && [ -n "${SM_KEEP:-}" ] || rm -rf "$SM_TEST_DIR"
}

# The bars the feed replays, stored in the trading database as the live feed stores them: the
# recorded bars of the evening before and of the day, the day's at half price (a 1:1 bonus),
# rounded to NSE's tick of 0.05.
build_session() {
  sm-ingest --db recorded.db "$SM_SAMPLE/IBULHSGFIN_1min.csv" >/dev/null 2>ingest.log
  sm-ingest replay --db recorded.db --timeframe 1m --from "$EVE 14:00" --to "$EVE" >session.ndjson
  sm-ingest replay --db recorded.db --timeframe 1m --from "$DAY" --to "$DAY" |
    jq -c 'def half: (. * 10 | round) / 20; .open |= half | .high |= half | .low |= half | .close |= half' \
      >>session.ndjson
  sm-ingest --stdin <session.ndjson >/dev/null 2>>ingest.log
  [ "$(grep -c "\"ts\":\"$DAY" session.ndjson)" -eq 375 ]
}

# What /etc/stalkmarket/env and the configuration hold on a day: one strategy on 1-minute bars,
# orders as PRODUCT (CNC the evening before, MIS on the day), a daily-loss block at 0.2 % of the
# capital (2,000 rupees: on this day it fires while the 10:34 entry is held, see the test), the
# halt and the position-loss exit far away. sm-order looks for fills every 20 ms instead of every
# second: the replay runs at 600 x real time, and a strategy must learn its fill before its
# symbol's next bar as it does live. sm-signal saves its state every bar (checkpoint_bars 1): the
# state's time is the replay's clock this test reads (the reconcile timer, the kill, the restart).
write_environment() {  # write_environment STRATEGY_JSON PRODUCT
  cat >live.jsonc <<JSON
{
  "signal": {"symbols": ["IBULHSGFIN"], "timeframe": "1m", "strategies": [$1], "checkpoint_bars": 1},
  "risk": {
    "capital": "1000000.00",
    "max_order_qty": 500,
    "max_order_value": "300000.00",
    "max_symbol_exposure": "500000.00",
    "order_type": "MARKET",
    "product": "$2",
    "required_components": [],
    "broker_disconnect_halt_s": 1000000000,
    "daily_loss_block_entries_percent": 0.2,
    "daily_loss_halt_percent": 50,
    "position_loss_exit_percent": 50
  },
  "broker": {
    "base_url": "$PAPER_URL",
    "rate_limits": {"order_per_second": 100000, "other_per_second": 100000}
  },
  "order": {"eof_wait_ms": 3000, "poll_interval_ms": 20}
}
JSON
  export SM_CONFIG="$SM_TEST_DIR/live.jsonc"
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  export SM_RISK_ARGS=--event-time SM_ORDER_ARGS=--paper-prices
}

# The feed stands in for the live one: the replay of the recorded session at 600 x real time
# (a minute in 100 ms; SM_TIME_SCALE times slower, so that emulated programs, sm-reconcile's
# timer runs among them, keep up as they do natively), from FROM (a restarted live feed goes on
# from now: the last bar sm-signal took) to TO.
feed_line() {  # feed_line FROM TO
  local feed
  feed=$(unit_lines sm-feed-replay ExecStart)
  [[ "$feed" == *'sm-ingest replay --timeframe 1m --from "$(date +%F)" --speed realtime >'* ]] || return 1
  echo "${feed/--timeframe 1m --from \"\$(date +%F)\" --speed realtime/--timeframe 1m --from \"$1\" --to \"$2\" --speed $(awk -v k="$SM_TIME_SCALE" 'BEGIN { print 600 / k }')}"
}

# sm-reconcile.timer: sm-reconcile.service's ExecStart every 5 minutes of the session, on the
# replay's clock (the minute of the last bar sm-signal took). Each run's exit status and output
# are kept (reconcile-timer.log); drift it finds fails that run, as it would the unit. Only on the
# day: sm-reconcile reads the wall clock, by which tomorrow's bonus is already due on the evening
# before, while the broker's clock (the replay's) has not reached it.
run_reconcile_timer() {
  local minute slot
  # Nothing to do before sm-signal has made the database and taken a bar.
  minute=$(sqlite3 -cmd ".timeout 5000" "$SM_DB" "SELECT max(event_ts_ms) / 60000 FROM strategy_state" 2>/dev/null) || true
  [ -n "$minute" ] || return 0
  slot=$((minute / 5))
  [ "$slot" != "${RECONCILE_SLOT:-}" ] || return 0
  RECONCILE_SLOT=$slot
  local status=0
  eval "$(unit_lines sm-reconcile ExecStart)" >>reconcile-timer.ndjson 2>>reconcile-timer.log || status=$?
  echo "minute $minute status $status" >>reconcile-timer.runs
}

# One trading day of the pipeline: sm-order, sm-risk and sm-signal supervised by their units'
# Restart= policies, the feed replaying FROM..TO; returns when the feed has ended and every stage
# after it has ended by itself (end of input). KILL_AT (HH:MM) SIGKILLs sm-risk once the replay
# has passed that minute of the day; the feed is started again from where sm-signal stands when a
# stage's death took it down (see feed_line).
run_day() {  # run_day FROM TO [KILL_AT]
  local from=$1 to=$2 kill_at=${3:-} unit pid status deadline last
  rm -f run/stop
  # The units' ExecStartPre= "[ -p FIFO ] || mkfifo FIFO" races with itself when units start at
  # once (mkfifo: File exists fails the unit): the FIFOs are made first, as a boot's first unit does.
  run_start_pre sm-feed-replay
  SUPERVISORS=
  for unit in sm-order sm-risk sm-signal; do
    supervise_unit "$unit" &
    SUPERVISORS="$SUPERVISORS $!"
  done
  start_unit sm-feed-replay "$(feed_line "$from" "$to")"
  pid=$PID_sm_feed_replay
  deadline=$((SECONDS + $(scaled_whole 60)))
  while :; do
    if [ -n "$kill_at" ] && [ -s run/sm-risk.pid ] &&
      [ "$(sqlite3 -cmd ".timeout 5000" "$SM_DB" "SELECT count(*) FROM strategy_state
            WHERE event_ts_ms >= strftime('%s', '$DAY $kill_at', '-330 minutes') * 1000" 2>/dev/null)" -gt 0 ]; then
      kill -KILL "$(cat run/sm-risk.pid)"
      echo "sm-risk killed at $(sqlite3 -cmd ".timeout 5000" "$SM_DB" 'SELECT max(event_ts_ms) FROM strategy_state')" >>kills.log
      kill_at=
    fi
    [ -z "${RECONCILE_TIMER:-}" ] || run_reconcile_timer
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0
      wait "$pid" || status=$?
      [ "$status" -eq 0 ] || { echo "the feed failed: $status" >&2; return 1; }
      # The replay reached its end: the day is over. The stages end at the end of their input
      # and are not started again (a restart now would wait for tomorrow's feed).
      if tail -1 sm-feed-replay.log | jq -e '.event == "replay_summary" and .output_closed == false' >/dev/null; then
        touch run/stop
        break
      fi
      # A stage's death took the feed down (its reader went away): it goes on from the last bar
      # sm-signal took, as a restarted live feed goes on from now.
      last=$(sqlite3 -cmd ".timeout 5000" "$SM_DB" "SELECT strftime('%Y-%m-%d %H:%M', max(event_ts_ms) / 1000, 'unixepoch', '+330 minutes')
                               FROM strategy_state")
      echo "feed restarted from $last" >>kills.log
      start_unit sm-feed-replay "$(feed_line "$last" "$to")"
      pid=$PID_sm_feed_replay
    fi
    ((SECONDS < deadline)) || { echo "the day did not end in $(scaled_whole 60) s" >&2; return 1; }
    sleep 0.05
  done
  for pid in $SUPERVISORS; do wait_unit "$pid" 60; done
}

@test "live day: enter and exit, a killed stage, a bonus ex-date, the daily-loss block, MIS square-off; reconcile clean, P&L equal" {
  mkdir -p run
  printf 'symbol,ex_date,kind,ratio\nIBULHSGFIN,%s,bonus,1:1\n' "$DAY" >corporate-actions.csv
  export SM_CORPORATE_ACTIONS="$SM_TEST_DIR/corporate-actions.csv"
  build_session
  start_paper --clock market --no-rate-limits --costs india-equity --cash 1000000 --mis-square-off "$SQUARE_OFF"
  q() { sqlite3 -cmd ".timeout 5000" "$SM_DB" "$1"; }

  # The evening before: a breakout strategy buys 50 shares (CNC) and holds them overnight.
  write_environment '{"id": "overnight", "name": "donchian", "params": {"entry_bars": 20, "exit_bars": 1000, "sizing": "fixed_qty", "qty": 50}}' CNC
  run_day "$EVE 14:00" "$EVE 15:30"
  [ "$(q "SELECT qty FROM positions WHERE strategy = 'overnight'")" -eq 50 ]

  # The day. The broker's morning comes first: the pre-open call auction settles the opening price
  # at 09:08 (the first bar's open), which is when sm-paper's market clock reaches the ex-date and
  # its holdings show the bonus (live, the broker's clock is the wall clock).
  jq -c --arg ts "${DAY}T03:38:00.000Z" 'select(.ts == "\($ts[0:10])T03:45:00.000Z")
      | {type: "tick", ts: $ts, symbol, price: .open, qty: 0, volume: 0}' session.ndjson >preopen.ndjson
  [ "$(wc -l <preopen.ndjson)" -eq 1 ]
  curl -sf -X POST "$PAPER_URL/_paper/prices" --data-binary @preopen.ndjson >/dev/null
  write_environment '{"id": "intraday", "name": "sma-cross", "params": {"fast": 5, "slow": 20, "sizing": "fixed_qty", "qty": 300}}' MIS
  RECONCILE_TIMER=1 run_day "$DAY 09:15" "$DAY 15:30" "$KILL_AT"
  cat kills.log >&2

  # A strategy entered and exited by itself, from the fills it read in the database.
  [ "$(q "SELECT count(*) FROM fills f JOIN risk_decisions d ON d.client_order_id = f.client_order_id
          WHERE d.strategy = 'intraday' AND d.action = 'enter_long' AND d.code = 'APPROVED'")" -ge 1 ]
  [ "$(q "SELECT count(*) FROM fills f JOIN risk_decisions d ON d.client_order_id = f.client_order_id
          WHERE d.strategy = 'intraday' AND d.action = 'exit_long' AND d.code = 'APPROVED'")" -ge 1 ]
  jq -s -e 'map(select(.event == "signal_summary") | .fills_followed) | add > 0' sm-signal.log

  # sm-risk was killed once and started again; nothing lost, nothing twice.
  grep -q 'sm-risk killed' kills.log
  [ "$(grep -c '^start' sm-risk.starts)" -ge 3 ]
  [ "$(q "SELECT count(*) FROM signals s WHERE NOT EXISTS (SELECT 1 FROM risk_decisions d
          WHERE d.strategy = s.strategy AND d.symbol = s.symbol AND d.action = s.action AND d.signal_ts_ms = s.ts_ms)")" -eq 0 ]
  [ "$(q "SELECT count(*) FROM risk_decisions d WHERE d.approved = 1
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.client_order_id = d.client_order_id)")" -eq 0 ]
  kite GET /orders >book.json
  [ "$(jq '[.data[] | select(.placed_by != "ADMINSQF") | .tag] | group_by(.) | map(select(length > 1)) | length' book.json)" -eq 0 ]
  # The broker's book of the day holds exactly our intents of the day, each once (and the
  # square-off); every approval of the day is one of them.
  jq -r '.data[] | select(.placed_by != "ADMINSQF") | .tag' book.json | sort >broker-tags
  q "SELECT client_order_id FROM orders WHERE client_order_id LIKE 'sm%'
     AND signal_ts_ms >= strftime('%s', '$DAY', '-330 minutes') * 1000 ORDER BY 1" | sort >our-ids
  q "SELECT client_order_id FROM risk_decisions WHERE approved = 1
     AND signal_ts_ms >= strftime('%s', '$DAY', '-330 minutes') * 1000" | sort >approved-ids
  [ -s our-ids ]
  diff our-ids broker-tags
  diff our-ids approved-ids

  # The bonus: 50 shares became 100 at half the price; nothing was sold, nothing halted.
  [ "$(q "SELECT qty FROM positions WHERE strategy = 'overnight'")" -eq 100 ]
  [ "$(q "SELECT count(*) FROM fills WHERE strategy = 'overnight' AND side = 'SELL'")" -eq 0 ]
  [ "$(kite GET /portfolio/holdings | jq '.data[] | select(.tradingsymbol == "IBULHSGFIN") | .quantity')" -eq 100 ]
  [ "$(q "SELECT count(*) FROM risk_decisions WHERE code = 'FORCED_EXIT'")" -eq 0 ]
  [ "$(q "SELECT count(*) FROM halts WHERE level = 'halt'")" -eq 0 ]

  # The daily-loss block fired (while an entry approved before it was held), and every entry
  # after it was denied with the reason, stored.
  [ "$(q "SELECT count(*) FROM halts WHERE trigger_name = 'daily_loss_block' AND level = 'block_entries'")" -eq 1 ]
  blocked_ms=$(q "SELECT created_ms FROM halts WHERE trigger_name = 'daily_loss_block'")
  [ "$(q "SELECT count(*) FROM risk_decisions WHERE action = 'enter_long' AND approved = 1
          AND signal_ts_ms >= strftime('%s', '$DAY', '-330 minutes') * 1000 AND signal_ts_ms < $blocked_ms")" -ge 2 ]
  [ "$(q "SELECT count(*) FROM risk_decisions WHERE action = 'enter_long' AND signal_ts_ms > $blocked_ms
          AND code = 'ENTRIES_BLOCKED' AND detail LIKE 'trigger=daily_loss_block: daily loss %'")" -ge 1 ]
  [ "$(q "SELECT count(*) FROM risk_decisions WHERE action = 'enter_long' AND signal_ts_ms > $blocked_ms
          AND code != 'ENTRIES_BLOCKED'")" -eq 0 ]

  # The broker squared off the open MIS position at $SQUARE_OFF, and the timer's reconcile
  # recorded it for the intraday strategy (not for the holder of the bonus shares) without drift.
  [ "$(jq --arg ts "$DAY $SQUARE_OFF:00" '[.data[] | select(.placed_by == "ADMINSQF" and .status == "COMPLETE"
        and .order_timestamp == $ts)] | length' book.json)" -eq 1 ]
  [ "$(q "SELECT count(*) FROM fills WHERE client_order_id LIKE 'x%' AND strategy = 'intraday' AND side = 'SELL'")" -eq 1 ]
  [ "$(grep -c . reconcile-timer.runs)" -ge 70 ]
  ! grep -v ' status 0$' reconcile-timer.runs

  # sm-reconcile: no differences (the square-off is a known class, recorded, not drift).
  run --separate-stderr sm-reconcile --fail-on-drift --json
  echo "$output" >&2
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -s 'map(select(.drift == true)) | length')" -eq 0 ]
  [ "$(q "SELECT coalesce(sum(qty), 0) FROM positions WHERE strategy = 'intraday'")" -eq 0 ]

  # Today's net P&L: sm-status against the paper broker's (its positions and holdings, less the
  # charges of the day's trades in its state file), to the paisa.
  ours=$(sm-status --json --at "$DAY 15:30" | jq -r .pnl.net | awk '{ printf "%.2f", $1 }')
  positions=$(kite GET /portfolio/positions | jq '[.data.day[].pnl] | add // 0')
  holdings=$(kite GET /portfolio/holdings | jq '[.data[] | .quantity * .day_change] | add // 0')
  charges=$(sqlite3 -cmd '.timeout 5000' paper.db "SELECT coalesce(sum(charges), 0) FROM paper_trades
                              WHERE json_extract(body, '$.fill_timestamp') LIKE '$DAY%'")
  theirs=$(echo "$positions $holdings $charges" | awk '{ printf "%.2f", $1 + $2 - $3 / 100 }')
  echo "sm-status net $ours; paper broker: positions $positions + holdings $holdings - charges $charges paise = $theirs" >&2
  [ "$ours" = "$theirs" ]
}
