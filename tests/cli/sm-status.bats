#!/usr/bin/env bats
# sm-status: reads the database and reports; never creates or changes it.

load common

AT="2024-03-28 15:00"

populate() {
  sm-test-record --db "$SM_DB" <"$SM_FIXTURES/store/populated.ndjson"
}

@test "a missing database exits 1 with one JSON error naming it and is not created" {
  run --separate-stderr sm-status --db "$SM_TEST_DIR/var/none.db"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [ "$(echo "$stderr" | wc -l)" -eq 1 ]
  echo "$stderr" | jq -e --arg db "$SM_TEST_DIR/var/none.db" \
    '.level == "error" and .code == "not_found" and .db == $db and (.message | contains($db))'
  [ ! -e "$SM_TEST_DIR/var" ]
}

@test "an empty database file (empty input) reports no data and stays empty" {
  : >"$SM_DB"
  run --separate-stderr sm-status
  [ "$status" -eq 0 ]
  [[ "$output" == *"no StalkMarket schema yet"* ]]
  [ ! -s "$SM_DB" ]
}

@test "a populated database shows every section with IST times" {
  populate
  run --separate-stderr sm-status --at "$AT"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [[ "$output" == *"StalkMarket status at 2024-03-28 15:00:00 IST"* ]]
  # The latest schema (not a number: helpers append migrations), as the file itself records it.
  [[ "$output" == *"Database: $SM_DB (schema version $(sqlite3 "$SM_DB" 'PRAGMA user_version'))"* ]]
  # Per-symbol last tick and bar, when each price became known (a bar's end; 15:30 IST for a daily
  # bar), with its age.
  # Amounts for people carry Indian digit grouping.
  echo "$output" | grep -E '^  INFY +tick +2024-03-28 14:59:58 +1,500\.00 +2 +2s$'
  echo "$output" | grep -E '^  TCS +1m +2024-03-28 15:00:00 +3,920\.50 +2 +0s$'
  echo "$output" | grep -E '^  TCS +1d +2024-03-27 15:30:00 +3,900\.00 +1 +23h 30m$'
  # Position 10 bought at 3910, 4 sold at 3930: 6 left, last price 3920.50.
  echo "$output" | grep -E '^  sma-cross +TCS +6 +3,910\.00 +3,920\.50 +63\.00 +80\.00 '
  echo "$output" | grep -E '^  sminfy0001 +240328000000103 +donchian +INFY +BUY +5 +0 +LIMIT +1,490\.00 +OPEN '
  echo "$output" | grep -E '^  total +80\.00 +7\.50 +63\.00 +135\.50$'
  echo "$output" | grep -E '^  block_entries +manual +2024-03-28 14:00:00 +cleared by a person +pavan +results day$'
  echo "$output" | grep -E '^  sm-ingest +ok +2024-03-28 14:59:30 +30s +4242 +2 symbols$'
  # Completed orders are not open.
  [[ "$output" != *"smtcs0001"* ]]
}

@test "--json prints one valid JSON object with the same figures" {
  populate
  run --separate-stderr sm-status --at "$AT" --json
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
  assert_json_lines
  echo "$output" | jq -e '.ts == "2024-03-28T09:30:00.000Z"'
  echo "$output" | jq -e --argjson v "$(sqlite3 "$SM_DB" 'PRAGMA user_version')" \
    '.database.has_data and .database.schema_version == $v and $v == .database.known_schema_version'
  echo "$output" | jq -e '.market_data | length == 3'
  echo "$output" | jq -e '.positions[0] | .symbol == "TCS" and .qty == 6 and .unrealised == 63'
  echo "$output" | jq -e '.open_orders | map(.client_order_id) == ["sminfy0001"]'
  echo "$output" | jq -e '.pnl | .ist_date == "2024-03-28" and .realised == 80 and .net == 135.5'
  echo "$output" | jq -e '.halts[0] | .level == "block_entries" and .until_ts == null'
  echo "$output" | jq -e '.heartbeats | map(.component) == ["sm-ingest", "sm-risk"]'
  # Money keeps two decimals on the wire.
  [[ "$output" == *'"net":135.50'* ]]
}

# Today's P&L has one definition (docs/RISK.md): realised today - charges today + the change of
# unrealised since the previous close. Worked by hand for tests/fixtures/store/todays_pnl.ndjson at
# 2024-03-28 15:00 IST:
#   TCS: 10 bought yesterday at 3850; previous close 3900 (the daily bar known at 15:30 IST);
#        4 sold today at 3950 (realised 4 x 100 = 400.00, charges 3.25); last price 3960.
#        unrealised at the previous close 10 x (3900 - 3850) = 500.00, now 6 x (3960 - 3850) = 660.00.
#   INFY: 5 bought today at 1500 (charges 1.00), last price 1510: unrealised now 50.00, at the
#        previous close 0 (not held).
#   net = 400.00 - 4.25 + (710.00 - 500.00) = 605.75
#   (priced from the previous close instead: TCS 4 x 50 + 6 x 60 = 560, INFY 50, less 4.25.)
# The old view and sm-status counted the whole 710.00 (1105.75); sm-risk status counted 605.75.
@test "sm-status and sm-risk status agree on today's P&L, net of charges, since the previous close" {
  sm-test-record --db "$SM_DB" <"$SM_FIXTURES/store/todays_pnl.ndjson"
  run --separate-stderr sm-status --at "$AT" --json
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.pnl | .realised == 400 and .charges == 4.25
    and .unrealised_at_previous_close == 500 and .unrealised == 710 and .unrealised_change == 210
    and .net == 605.75'
  echo "$output" | jq -e '.pnl.rows[] | select(.symbol == "TCS") | .start_qty == 10
    and .previous_close == 3900 and .qty == 6 and .last_price == 3960 and .net == 556.75'
  SM_CFG__RISK__CAPITAL=1000000 run --separate-stderr sm-risk status --at "$AT" --json
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.daily_pnl == 605.75'
  run --separate-stderr sm-status --at "$AT"
  echo "$output" | grep -E '^  total +400\.00 +4\.25 +210\.00 +605\.75$'
  # The view that had its own definition is gone.
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM sqlite_master WHERE name = 'todays_pnl'")" = 0 ]
}

@test "--json on a missing database prints nothing on stdout, exits 1 and does not create it" {
  run --separate-stderr sm-status --db "$SM_TEST_DIR/none.db" --json
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e '.code == "not_found"'
  [ ! -e "$SM_TEST_DIR/none.db" ]
}

@test "SM_DB chooses the database and --db overrides it" {
  populate
  run --separate-stderr sm-status --json
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg db "$SM_DB" '.database.path == $db and .database.has_data'
  : >"$SM_TEST_DIR/other.db"
  run --separate-stderr sm-status --json --db "$SM_TEST_DIR/other.db"
  echo "$output" | jq -e --arg db "$SM_TEST_DIR/other.db" '.database.path == $db and (.database.has_data | not)'
}

@test "a file that is not a database (malformed input) exits 1 with a JSON error naming it" {
  printf 'not a database at all, just text %.0s' {1..20} >"$SM_DB"
  run --separate-stderr sm-status
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e --arg db "$SM_DB" '.level == "error" and .code == "database_error" and (.message | contains($db))'
}

@test "a bad --at value is a usage error" {
  run --separate-stderr sm-status --at "yesterday"
  [ "$status" -eq 2 ]
  echo "$stderr" | jq -e '.event == "usage_error"'
}

@test "an unknown flag exits 2 with a JSON error on stderr" {
  assert_usage_error sm-status --frobnicate
}

@test "--help describes the options and exits 0" {
  run --separate-stderr sm-status --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--json"* ]]
  [[ "$output" == *"--db"* ]]
  [[ "$output" == *"--at"* ]]
}

@test "status leaves a populated database unchanged" {
  populate
  before=$(sqlite3 "$SM_DB" 'SELECT count(*) FROM bars; SELECT count(*) FROM fills; PRAGMA user_version;')
  sum_before=$(sqlite3 "$SM_DB" .dump | sha256sum)
  sm-status >/dev/null
  sm-status --json >/dev/null
  [ "$(sqlite3 "$SM_DB" .dump | sha256sum)" = "$sum_before" ]
  [ -n "$before" ]
}

@test "regression: another user reads a stopped system's database in a read-only directory" {
  [ "$(id -u)" -eq 0 ] || skip "needs root to run sm-status as another user"
  command -v setpriv >/dev/null || skip "needs setpriv"
  id nobody >/dev/null 2>&1 || skip "needs the user nobody"
  mkdir "$SM_TEST_DIR/ro"
  SM_DB="$SM_TEST_DIR/ro/stalk.db" populate
  [ ! -e "$SM_TEST_DIR/ro/stalk.db-wal" ] && [ ! -e "$SM_TEST_DIR/ro/stalk.db-shm" ]
  [ "$(sqlite3 "$SM_TEST_DIR/ro/stalk.db" 'PRAGMA journal_mode')" = wal ]
  chmod 444 "$SM_TEST_DIR/ro/stalk.db"
  chmod 555 "$SM_TEST_DIR/ro"
  chmod 755 "$SM_TEST_DIR"
  run --separate-stderr setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    "$SM_BIN/sm-status" --db "$SM_TEST_DIR/ro/stalk.db" --at "$AT"
  [ "$status" -eq 0 ]
  [[ "$output" == *"3,920.50"* ]]
  run --separate-stderr setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    "$SM_BIN/sm-status" --db "$SM_TEST_DIR/ro/stalk.db" --at "$AT" --json
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.database.has_data'
  [ ! -e "$SM_TEST_DIR/ro/stalk.db-shm" ]
}

@test "--config: a missing file, an unknown key or section is a configuration error (exit 4)" {
  assert_config_refused sm-status
}

@test "--config: the example configuration loads, quietly" {
  : >"$SM_DB"  # a missing database is an error of its own
  run --separate-stderr sm-status --config "$SM_ROOT/examples/stalkmarket.jsonc"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
}

# A calendar like data/nse-calendar.csv's header and normal timings, listing holidays through $1.
calendar_through() {
  printf '%s\n' \
    'date,kind,name,pre_open_start,pre_open_end,open,close,closing_session_start,closing_session_end,source' \
    '2010-10-18,regular_session,Normal,09:00,09:08,09:15,15:30,15:40,16:00,test' \
    "$1,year_covered,Holidays $1,,,,,,,test" >"$SM_TEST_DIR/calendar-$1.csv"
  echo "$SM_TEST_DIR/calendar-$1.csv"
}

@test "dated dependencies: calendar, charge rates, token and instruments, with how long each holds" {
  populate
  mkdir -p var
  printf 'SM_KITE_ACCESS_TOKEN=tok\nSM_KITE_TOKEN_ISSUED_AT=2026-06-01T03:00:00.000Z\n' >var/kite_token
  chmod 600 var/kite_token
  SM_CALENDAR="$(calendar_through 2026)" run --separate-stderr sm-status --at "2026-06-01 10:00"
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  [[ "$output" == *"Dated dependencies"* ]]
  echo "$output" | grep -E '^  calendar +ok +2027-01-01 00:00:00 +213d 14h +- +holidays listed through 2026-12-31'
  echo "$output" | grep -E '^  charge_rates +no_end_date +- +- +2026-03-01 00:00:00 '
  echo "$output" | grep -E '^  broker_token +ok +2026-06-02 06:00:00 +20h 00m +2026-06-01 08:30:00 '
  echo "$output" | grep -E '^  instruments '
  SM_CALENDAR="$(calendar_through 2026)" run --separate-stderr sm-status --json --at "2026-06-01 10:00"
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.dependencies | map(.name) == ["calendar","charge_rates","broker_token","instruments"]'
  echo "$output" | jq -e '.dependencies[0] | .state == "ok" and .valid_until == "2026-12-31T18:30:00.000Z" and .counts_for_expiry'
  echo "$output" | jq -e '.dependencies[2] | .state == "ok" and .valid_until == "2026-06-02T00:30:00.000Z"'
}

@test "--expiring-within DAYS exits 8 when the calendar runs out within DAYS, else 0" {
  : >"$SM_DB"  # an empty database: a missing one is an error of its own (exit 1)
  export SM_CALENDAR
  SM_CALENDAR="$(calendar_through 2026)"
  run --separate-stderr sm-status --at "2026-12-20 09:00" --expiring-within 14
  [ "$status" -eq 8 ]
  echo "$output" | grep -E '^  calendar +expiring '
  run --separate-stderr sm-status --json --at "2026-12-20 09:00" --expiring-within 11
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.dependencies[0].state == "expiring"'
  run --separate-stderr sm-status --at "2027-01-02 09:00" --expiring-within 0
  [ "$status" -eq 8 ]
  echo "$output" | grep -E '^  calendar +expired '
  # An empty database changes nothing: the files are checked all the same.
  run --separate-stderr sm-status --at "2026-06-01 10:00" --expiring-within 30
  [ "$status" -eq 0 ]
  [[ "$output" == *"Dated dependencies"* ]]
}

@test "--expiring-within: a calendar that cannot be read counts; a negative DAYS is a usage error" {
  : >"$SM_DB"
  printf 'date,kind\n2026-13-01,holiday\n' >broken.csv
  SM_CALENDAR="$SM_TEST_DIR/broken.csv" run --separate-stderr sm-status --expiring-within 0
  [ "$status" -eq 8 ]
  echo "$output" | grep -E '^  calendar +error '
  run --separate-stderr sm-status --expiring-within -1
  [ "$status" -eq 2 ]
}

@test "calendar: one JSON line for the day; --trading-today exits 9 on a holiday, 0 on a trading day" {
  run --separate-stderr sm-status calendar --at 2026-12-07T10:00
  [ "$status" -eq 0 ]
  [ -z "$stderr" ]
  echo "$output" | jq -e '.date == "2026-12-07" and .trading_day == true
                          and .session == "continuous" and .in_session == true
                          and (.calendar | endswith("nse-calendar.csv"))'
  run --separate-stderr sm-status calendar --trading-today --at 2026-12-07T20:00
  [ "$status" -eq 0 ]
  run --separate-stderr sm-status calendar --trading-today --at 2026-03-03T10:00
  [ "$status" -eq 9 ]
  echo "$output" | jq -e '.trading_day == false and .session == "closed"'
  # A Saturday, and a Sunday with a special session (the budget).
  run sm-status calendar --trading-today --at 2026-12-05T10:00
  [ "$status" -eq 9 ]
  run sm-status calendar --trading-today --at 2026-02-01T10:00
  [ "$status" -eq 0 ]
  # It needs no database.
  [ ! -e "$SM_DB" ]
}

@test "calendar --in-session: 0 from the pre-open to the end of the closing session, else 9" {
  for case in 08:59:9 09:00:0 12:00:0 15:59:0 16:00:9; do
    run sm-status calendar --in-session --at "2026-12-07T${case%:*}"
    echo "$case: $status"
    [ "$status" -eq "${case##*:}" ]
  done
  run sm-status calendar --in-session --at 2026-03-03T12:00
  [ "$status" -eq 9 ]
}

@test "calendar: a day the calendar cannot answer exits 1 with calendar_unavailable; two questions are a usage error" {
  run --separate-stderr sm-status calendar --trading-today --at 2099-06-01T10:00
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e 'select(.level == "error") | .event == "calendar_unavailable"'
  assert_usage_error sm-status calendar --trading-today --in-session
  assert_usage_error sm-status calendar --at yesterday
}
