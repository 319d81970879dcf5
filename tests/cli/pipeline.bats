#!/usr/bin/env bats
# The trading pipeline exactly as systemd/ wires it (issue 11): the ExecStartPre= and ExecStart=
# lines of sm-feed-replay, sm-signal, sm-risk and sm-order are read from the unit templates and run as
# they are, with only the paths moved into the test directory (@SM_BINDIR@ -> the build,
# /run/stalkmarket -> a directory here; tests/cli/pipeline_units.bash). The environment is what
# /etc/stalkmarket/env would hold for paper trading a replay of stored history against sm-paper
# (sm-feed-replay.service; sm-feed.service polls the broker live). The only other change: the
# feed replays the bundled daily bars of 2019-2020 at speed, from a market database of their own
# (as `make demo` does), instead of today's 1-minute bars of the trading database in real time.
# Nothing is fed back: sm-signal learns its fills from the database, so strategies exit by
# themselves.

load common
load pipeline_units

SYMBOLS=(RELIANCE TCS WIPRO INFY)

teardown() {
  local pid
  for pid in ${UNIT_PIDS:-}; do kill -TERM "$pid" 2>/dev/null || true; done
  stop_paper || true
  cd / && rm -rf "$SM_TEST_DIR"
}

# What /etc/stalkmarket/env holds here: the database, the configuration, sm-order's credentials
# for the paper broker, and the flags for paper-trading a replay.
write_environment() {
  cat >pipeline.jsonc <<EOF
{
  "signal": {
    "symbols": ["RELIANCE", "TCS", "WIPRO", "INFY"],
    "strategies": [{"name": "sma-cross",
                    "params": {"fast": 10, "slow": 30, "sizing": "fixed_qty", "qty": 100}}]
  },
$(replay_risk_section),
  "broker": {
    "base_url": "$PAPER_URL",
    "rate_limits": { "order_per_second": 100000, "other_per_second": 100000 }
  },
  "order": { "eof_wait_ms": 5000 }
}
EOF
  export SM_CONFIG="$SM_TEST_DIR/pipeline.jsonc"
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  export SM_RISK_ARGS=--event-time SM_ORDER_ARGS=--paper-prices
}

@test "pipeline: the units' ExecStart lines over four symbols and two years enter and exit by themselves" {
  mkdir -p run
  start_paper --clock market --no-rate-limits --costs india-equity --cash 1000000
  write_environment
  files=()
  for s in "${SYMBOLS[@]}"; do files+=("$SM_SAMPLE/$s.csv"); done
  sm-ingest --db market.db "${files[@]}" >/dev/null 2>ingest.log

  # The feed's replay of today's 1-minute bars in real time becomes 2019-2020's daily bars of
  # market.db at 2,880,000 x real time (a calendar day every 30 ms, time for each fill to be
  # stored before the next bar); everything else of its line stays.
  feed=$(unit_lines sm-feed-replay ExecStart)
  [[ "$feed" == *'sm-ingest replay --timeframe 1m --from "$(date +%F)" --speed realtime >'* ]]
  feed=${feed/--timeframe 1m --from \"\$(date +%F)\" --speed realtime/--db market.db --timeframe 1d --from 2019-01-01 --to 2020-10-30 --speed 2880000}
  # systemd starts them together; the FIFOs make each wait for its neighbours.
  start_unit sm-order
  start_unit sm-risk
  start_unit sm-signal
  start_unit sm-feed-replay "$feed"
  [ -p run/market ] && [ -p run/signals ] && [ -p run/intents ]

  # The feed ends, and with it, stage by stage, the pipeline.
  wait_unit "$PID_sm_feed_replay" 120
  wait_unit "$PID_sm_signal" 30
  wait_unit "$PID_sm_risk" 30
  wait_unit "$PID_sm_order" 60

  q() { sqlite3 "$SM_DB" "$1"; }
  # The strategies' own exits: exit_long signals, approved as such (not the kill switches'
  # FORCED_EXIT), placed and filled by the paper broker, on more than one symbol.
  [ "$(q "select count(*) from signals where action = 'enter_long'")" -ge 10 ]
  [ "$(q "select count(*) from signals where action = 'exit_long'")" -ge 5 ]
  [ "$(q "select count(*) from risk_decisions where action = 'exit_long' and code = 'APPROVED'")" -ge 5 ]
  closing="select count(*) from fills f join risk_decisions d on d.client_order_id = f.client_order_id
           where f.side = 'SELL' and d.code = 'APPROVED' and d.action = 'exit_long'"
  [ "$(q "$closing")" -ge 5 ]
  [ "$(q "select count(distinct f.symbol) from fills f join risk_decisions d on d.client_order_id = f.client_order_id
          where f.side = 'SELL' and d.code = 'APPROVED'")" -ge 2 ]
  # sm-signal heard those fills from the database.
  [ "$(jq -r 'select(.event == "signal_summary") | .fills_followed' sm-signal.log)" -gt 0 ]
  # Every approved order reached the broker and was filled; the database agrees with the broker.
  [ "$(q "select count(*) from risk_decisions where approved = 1")" -eq "$(q "select count(*) from orders where status = 'COMPLETE'")" ]
  sm-reconcile --fail-on-drift --json >reconcile.ndjson 2>reconcile.log
  [ -s sm-order.out ]
  assert_json_lines sm-order.out
}
