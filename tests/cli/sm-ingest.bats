#!/usr/bin/env bats
# sm-ingest: CSV files and NDJSON stdin into the database, --emit, resample, replay, bad input.

load common

# Succeeds when some JSON line of the file has the event (jq -e alone only looks at the last line).
has_event() {
  jq -s -e --arg event "$2" 'any(.[]; .event == $event)' "$1" >/dev/null
}

# The value of a field of the last stderr line with the given event (stderr in $1).
event_field() {
  jq -r --arg event "$2" "select(.event == \$event) | $3" "$1" | tail -1
}

@test "--help describes the options and exits 0" {
  run sm-ingest --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--map"* ]]
  [[ "$output" == *"--time-label"* ]]
  [[ "$output" == *"replay"* ]]
}

@test "an unknown flag is a usage error (exit 2) reported as JSON on stderr" {
  run --separate-stderr sm-ingest --no-such-flag "$SM_SAMPLE/RELIANCE.csv"
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  echo "$stderr" >err
  has_event err usage_error
}

@test "bad flag values are usage errors" {
  run sm-ingest --tz Mars/Olympus "$SM_SAMPLE/RELIANCE.csv"
  [ "$status" -eq 2 ]
  run sm-ingest --timeframe 7x "$SM_SAMPLE/RELIANCE.csv"
  [ "$status" -eq 2 ]
  run sm-ingest --map nonsense "$SM_SAMPLE/RELIANCE.csv"
  [ "$status" -eq 2 ]
  run sm-ingest --map close=NoSuchColumn "$SM_SAMPLE/RELIANCE.csv"
  [ "$status" -eq 2 ]
  run sm-ingest replay --speed fast
  [ "$status" -eq 2 ]
}

@test "a missing file is a data error (exit 3) naming the file; other files are still loaded" {
  sm-ingest "$SM_TEST_DIR/nope.csv" "$SM_SAMPLE/TCS.csv" 2>err && status=0 || status=$?
  [ "$status" -eq 3 ]
  grep -q 'nope.csv' err
  has_event err input_unreadable
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars where symbol = 'TCS'")" -eq 1444 ]
}

@test "the three nsepy daily files load completely" {
  sm-ingest "$SM_SAMPLE/RELIANCE.csv" "$SM_SAMPLE/TCS.csv" "$SM_SAMPLE/WIPRO.csv" 2>err
  [ "$(event_field err ingest_summary .stored.bars.inserted)" -eq 4332 ]
  [ "$(event_field err ingest_summary .dropped)" -eq 0 ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars where symbol = 'WIPRO' and timeframe_minutes = 1440")" -eq 1444 ]
  # Close, not Last: 2015-01-01 RELIANCE closed at 887.90 (Last 888.00).
  [ "$(sqlite3 "$SM_DB" "select close_paise from bars where symbol = 'RELIANCE' order by ts_ms limit 1")" -eq 88790 ]
}

@test "INFY long history: newest-first rows sorted, 14 duplicate dates reported and dropped" {
  sm-ingest "$SM_SAMPLE/INFY.csv" 2>err
  [ "$(event_field err ingest_summary .accepted)" -eq 3087 ]
  [ "$(event_field err ingest_summary .issues.duplicate_timestamp)" -eq 14 ]
  [ "$(jq -c 'select(.event == "bad_row")' err | wc -l)" -eq 14 ]
  [ "$(jq -r 'select(.event == "bad_row") | .at' err | grep -c 'INFY.csv:[0-9][0-9]*$')" -eq 14 ]
  run --separate-stderr sm-ingest replay --symbol INFY --from 2011-06-29 --to 2011-06-29
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .close)" = "2881.75" ]
}

@test "IBULHSGFIN 1-minute: end-of-minute labels detected and mapped to minute starts" {
  sm-ingest "$SM_SAMPLE/IBULHSGFIN_1min.csv" 2>err
  [ "$(event_field err file_ingested .time_label)" = "end" ]
  [ "$(event_field err ingest_summary .stored.bars.inserted)" -eq 3712 ]
  run --separate-stderr sm-ingest replay --symbol IBULHSGFIN --timeframe 1m --from "2017-09-26 09:15" --to "2017-09-26 09:16"
  [ "$(echo "$output" | jq -r .ts)" = "2017-09-26T03:45:00.000Z" ]
  [ "$(echo "$output" | jq -r .open)" = "1215.95" ]
}

@test "NIFTY ticks: price-only ticks need --symbol; pre-open values are stored but not made into bars" {
  run sm-ingest "$SM_SAMPLE/NIFTY_ticks_2022-10-14_0900-0945.csv"
  [ "$status" -eq 3 ]
  sm-ingest --symbol NIFTY --resample 1m "$SM_SAMPLE/NIFTY_ticks_2022-10-14_0900-0945.csv" 2>err
  [ "$(event_field err ingest_summary .stored.ticks.inserted)" -eq 2674 ]
  [ "$(event_field err ingest_summary .stored.ticks_outside_session)" -gt 800 ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars where symbol = 'NIFTY' and timeframe_minutes = 1")" -eq 31 ]
}

@test "re-ingesting the same files adds nothing" {
  sm-ingest "$SM_SAMPLE/INFY.csv" "$SM_SAMPLE/IBULHSGFIN_1min.csv" --resample 5m 2>/dev/null
  before=$(sqlite3 "$SM_DB" "select count(*) from bars")
  sm-ingest "$SM_SAMPLE/INFY.csv" "$SM_SAMPLE/IBULHSGFIN_1min.csv" --resample 5m 2>err
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars")" -eq "$before" ]
  [ "$(event_field err ingest_summary .stored.bars.inserted)" -eq 0 ]
  [ "$(event_field err ingest_summary .stored.bars.already_stored)" -eq $((3087 + 3712)) ]
  [ "$(event_field err ingest_summary .stored.resampled_bars.already_stored)" -eq 749 ]
}

@test "--emit pipes normalised NDJSON into jq; every stdout line is JSON" {
  sm-ingest --emit "$SM_SAMPLE/WIPRO.csv" "$SM_SAMPLE/INFY.csv" >out 2>err
  assert_json_lines out
  [ "$(jq -r 'select(.type == "bar") | .symbol' out | sort -u | tr '\n' ' ')" = "INFY WIPRO " ]
  [ "$(sm-ingest --emit --dry-run "$SM_SAMPLE/WIPRO.csv" 2>/dev/null | jq -s 'length')" -eq 1444 ]
  # A dry run stores nothing.
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars where symbol = 'WIPRO'")" -eq 1444 ]
}

@test "NDJSON bars and ticks on stdin are stored and replayed" {
  printf '%s\n' \
    '{"type":"bar","ts":"2024-01-02T03:45:00Z","symbol":"reliance.ns","timeframe":"5m","open":2590,"high":2598.5,"low":2586.1,"close":2597,"volume":100}' \
    '{"type":"tick","ts":"2024-01-02T03:45:01.250Z","symbol":"NSE:TCS","price":3500.05,"qty":3,"volume":1003}' \
    | sm-ingest - 2>err
  [ "$(event_field err ingest_summary .accepted)" -eq 2 ]
  run --separate-stderr sm-ingest replay --timeframe 5m
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .symbol)" = "RELIANCE" ]
  run --separate-stderr sm-ingest replay --ticks --symbol tcs
  [ "$(echo "$output" | jq -r .price)" = "3500.05" ]
  [ "$(echo "$output" | jq -r .ts)" = "2024-01-02T03:45:01.250Z" ]
}

@test "malformed NDJSON lines are reported with line numbers; good lines are still stored" {
  {
    echo '{"type":"tick","ts":"2024-01-02T03:45:00Z","symbol":"TCS","price":3500}'
    echo 'this is not json'
    echo '{"type":"tick","ts":"2024-01-02T03:45:01Z","symbol":"TCS","price":{"a":1}}'
    echo '{"type":"tick","ts":"2024-01-02T03:45:02Z","symbol":7,"price":3501}'
    echo '{"type":"tick","ts":"2024-01-02T03:45:03Z","symbol":"TCS","price":"NaN"}'
    echo '{"type":"tick","ts":"2024-01-02T03:45:04Z","symbol":"TCS","price":1e400}'
    echo '{"type":"tick","ts":"2024-01-02T03:45:05Z","symbol":"TCS","price":123456789012345678901234}'
    echo '{"type":"tick","ts":"1901-01-02T03:45:06Z","symbol":"TCS","price":3500}'
    echo '{"type":"bar","ts":"2024-01-02T03:45:00Z","symbol":"TCS","timeframe":"1m","open":10,"high":9,"low":11,"close":10}'
    echo '{"type":"tick","ts":"2024-01-02T03:45:07Z","symbol":"TCS","price":3502}'
    printf '{"type":"tick","ts":"2024-01-02T03:45:08Z","symbol":"TCS","pri'
  } | sm-ingest --stdin 2>err
  [ "$(event_field err ingest_summary .accepted)" -eq 2 ]
  [ "$(event_field err ingest_summary .issues.bad_line)" -eq 7 ]
  [ "$(event_field err ingest_summary .issues.timestamp_out_of_range)" -eq 1 ]
  [ "$(event_field err ingest_summary .issues.high_below_low)" -eq 1 ]
  [ "$(jq -r 'select(.event == "bad_row") | .line' err | tr '\n' ' ')" = "2 3 4 5 6 7 8 9 11 " ]
  [ "$(jq -r 'select(.event == "bad_row" and .line == 3) | .field' err)" = "price" ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from ticks")" -eq 2 ]
}

@test "an empty NDJSON stream is not an error; an empty or header-only CSV file is (exit 3)" {
  run --separate-stderr sm-ingest - </dev/null
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(echo "$stderr" | jq -r 'select(.event == "ingest_summary") | .accepted')" -eq 0 ]
  : >empty.csv
  printf 'Date,Symbol,Open,High,Low,Close,Volume\n' >header.csv
  for file in empty.csv header.csv; do
    run --separate-stderr sm-ingest --emit "$file"
    [ "$status" -eq 3 ]
    [ -z "$output" ]
    echo "$stderr" >err
    [ "$(jq -c 'select(.level == "error") | [.event, .input]' err)" = "[\"nothing_stored\",\"$file\"]" ]
  done
}

@test "a file of which every row is dropped fails with one error line; partial drops exit 0" {
  printf 'Date,Open,High,Low,Close\n01-01-2019,10,11,9,10.5\nsoon,10,11,9,10.5\n' >partial.csv
  run --separate-stderr sm-ingest --symbol ABC --date-format %d-%m-%Y partial.csv
  [ "$status" -eq 0 ]
  echo "$stderr" >err
  [ "$(jq -c 'select(.event == "file_ingested") | [.rows_read, .accepted, .dropped, .issues]' err)" = '[2,1,1,{"unparsable_timestamp":1}]' ]
  # Cron's case: a vendor file whose every row is unusable.
  printf 'Date,Symbol,Open,High,Low,Close\n2019-01-31 09:15,ABC,10,9,11,10.5\nlater,ABC,10,11,9,10.5\n' >vendor.csv
  run --separate-stderr sm-ingest vendor.csv "$SM_SAMPLE/TCS.csv"
  [ "$status" -eq 3 ]
  echo "$stderr" >err
  [ "$(jq -r 'select(.level == "error") | .event' err)" = "nothing_stored" ]
  [[ "$(event_field err nothing_stored .message)" == *"vendor.csv: nothing stored: none of its 2 data rows could be used (high_below_low 1, unparsable_timestamp 1)"* ]]
  [ "$(event_field err ingest_summary .exit_code)" -eq 3 ]
  # The other file is still loaded.
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars where symbol = 'TCS'")" -eq 1444 ]
}

@test "bad CSV rows are reported with file:line and reason; good rows are stored" {
  cat >bad.csv <<'EOF'
Date,Symbol,Open,High,Low,Close,Volume
2020-01-01,ABC,10,11,9,10.5,100
2020-01-02,ABC,10,9,11,10.5,100
2020-01-03,ABC,-1,11,9,10.5,100
2020-01-04,ABC,12,11,9,10.5,100
2020-01-05,ABC,NaN,11,9,10.5,100
2020-01-06,ABC,1e99,11,9,10.5,100
2020-31-07,ABC,10,11,9,10.5,100
2020-01-08,ABC,10,11,9,10.5,100
2020-01-08,ABC,10,11,9,10.5,10
2020-01-09,ABC,10,11
EOF
  sm-ingest bad.csv 2>err
  [ "$(event_field err ingest_summary .accepted)" -eq 3 ]
  [ "$(event_field err ingest_summary .flagged)" -eq 1 ]
  [ "$(jq -r 'select(.event == "bad_row") | "\(.at) \(.reason)"' err | sort)" = "$(sort <<'EOF'
bad.csv:3 high_below_low
bad.csv:4 non_positive_price
bad.csv:5 open_close_outside_range
bad.csv:6 unparsable_number
bad.csv:7 number_out_of_range
bad.csv:8 unparsable_timestamp
bad.csv:10 duplicate_timestamp
bad.csv:11 wrong_column_count
EOF
)" ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars")" -eq 3 ]
}

@test "--strict stops at the first bad row with exit 3 and stores nothing of that file" {
  printf 'Date,Symbol,Open,High,Low,Close,Volume\n2020-01-01,ABC,10,11,9,10.5,100\n2020-01-02,ABC,10,9,11,10.5,100\n' >bad.csv
  run sm-ingest --strict bad.csv
  [ "$status" -eq 3 ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars")" -eq 0 ]
  run sm-ingest --strict - <<<'{"type":"tick","ts":"2024-01-02T03:45:00Z","symbol":"TCS","price":0}'
  [ "$status" -eq 3 ]
  # Kept-and-flagged rows (open outside [low, high]) do not stop a strict run.
  printf 'Date,Symbol,Open,High,Low,Close,Volume\n2020-01-01,ABC,12,11,9,10.5,100\n' >flagged.csv
  run sm-ingest --strict flagged.csv
  [ "$status" -eq 0 ]
}

@test "a file whose columns cannot be understood is a data error" {
  printf 'Name,Value\nfoo,1\n' >odd.csv
  run --separate-stderr sm-ingest odd.csv
  [ "$status" -eq 3 ]
  echo "$stderr" >err
  has_event err input_not_understood
  [[ "$(jq -r 'select(.event == "input_not_understood") | .message' err)" == *odd.csv* ]]
}

@test "--map and --symbol read other layouts (TradingView export)" {
  printf 'time,open,high,low,close,Volume\n1704166500,2590,2598.5,2586.1,2597,120345\n1704166800,2597,2599.95,2595,2596.2,45678\n' >tv.csv
  sm-ingest --symbol NSE:RELIANCE --map close=open tv.csv --emit --dry-run >out 2>err
  [ "$(jq -s 'length' out)" -eq 2 ]
  [ "$(head -1 out | jq -r '"\(.symbol) \(.timeframe) \(.ts) \(.close)"')" = "RELIANCE 5m 2024-01-02T03:35:00.000Z 2590" ]
}

@test "day-first dates are read day-first when the file proves it, and refused when it cannot" {
  printf 'Date,Open,High,Low,Close,Volume\n01/02/2019,10,11,9,10.5,100\n13/02/2019,10,11,9,10.5,100\n' >vendor.csv
  sm-ingest --symbol ABC vendor.csv 2>err
  [ "$(event_field err file_ingested .date_format)" = "%d/%m/%Y" ]
  [ "$(sqlite3 "$SM_DB" "select group_concat(date(ts_ms / 1000, 'unixepoch'), ' ') from bars")" = "2019-02-01 2019-02-13" ]
  printf 'Date,Open,High,Low,Close,Volume\n01-01-2019 09:15,10,11,9,10.5,100\n02-01-2019 09:15,10,11,9,10.5,100\n' >ambiguous.csv
  run --separate-stderr sm-ingest --symbol ABC ambiguous.csv
  [ "$status" -eq 3 ]
  echo "$stderr" >err
  [[ "$(jq -r 'select(.event == "input_not_understood") | .message' err)" == *ambiguous.csv*--date-format* ]]
  run --separate-stderr sm-ingest --symbol ABC --date-format '%d-%m-%Y %H:%M' --timeframe 1d ambiguous.csv
  [ "$status" -eq 0 ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars where ts_ms >= 1546300800000 and ts_ms < 1546473600000")" -eq 2 ]
  run sm-ingest --date-format '%d/%b/%Y' ambiguous.csv
  [ "$status" -eq 2 ]
}

@test "yfinance index tickers are stored under NSE index names that round-trip through NDJSON" {
  printf 'Price,Close,High,Low,Open,Volume\nTicker,^NSEI,^NSEI,^NSEI,^NSEI,^NSEI\nDate,,,,,\n2024-01-01,21741.9,21834.35,21680.85,21727.75,0\n' >nifty.csv
  sm-ingest --emit nifty.csv >out 2>err
  [ "$(jq -r .symbol out)" = "NIFTY 50" ]
  [ "$(sqlite3 "$SM_DB" "select symbol from bars")" = "NIFTY 50" ]
  run --separate-stderr sm-ingest replay --symbol "nifty 50"
  [ "$(echo "$output" | jq -r .close)" = "21741.9" ]
  echo "$output" | sm-ingest --dry-run --emit - >again 2>err
  [ "$(jq -r .symbol again)" = "NIFTY 50" ]
  sed 's/\^NSEI/^BSESN/g' nifty.csv >sensex.csv
  run --separate-stderr sm-ingest sensex.csv
  [ "$status" -eq 3 ]
  [[ "$stderr" == *"BSE index"*"--symbol"* ]]
  run --separate-stderr sm-ingest --symbol SENSEX sensex.csv
  [ "$status" -eq 0 ]
}

@test "resample turns the 1-minute stream into the pandas reference 5-minute candles" {
  sm-ingest --emit --dry-run "$SM_SAMPLE/IBULHSGFIN_1min.csv" 2>/dev/null | sm-ingest resample --to 5m >five 2>err
  assert_json_lines five
  [ "$(jq -s 'length' five)" -eq 749 ]
  [ "$(jq -s '[.[] | select(.partial)] | length' five)" -eq 18 ]
  [ "$(jq -s 'map(.volume) | add' five)" -eq 14495908 ]
  # Same bars as the reference file (bar start, OHLC to two decimals, volume).
  jq -r '"\(.ts) \(.open) \(.high) \(.low) \(.close) \(.volume)"' five | while read -r ts o h l c v; do
    printf '%s %.2f %.2f %.2f %.2f %s\n' "$ts" "$o" "$h" "$l" "$c" "$v"
  done >ours
  tail -n +2 "$SM_FIXTURES/ingest/candles_IBULHSGFIN_5min.csv" | while IFS=, read -r start o h l c v n; do
    printf '%s %.2f %.2f %.2f %.2f %s\n' "$(date -u -d "$start" +%Y-%m-%dT%H:%M:%S.000Z)" "$o" "$h" "$l" "$c" "$v"
  done >theirs
  diff ours theirs
}

@test "resample passes other message types through and can read from the database" {
  printf '%s\n' '{"type":"heartbeat","ts":"2024-01-02T03:45:00Z","component":"x"}' | sm-ingest resample --to 5m >out 2>/dev/null
  [ "$(jq -r .type out)" = "heartbeat" ]
  sm-ingest "$SM_SAMPLE/IBULHSGFIN_1min.csv" 2>/dev/null
  run --separate-stderr sm-ingest resample --to 15m --from-db --symbol IBULHSGFIN --from 2017-09-29 --until 2017-09-29 --store
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -s '[.[] | select(.partial)] | length')" -eq 6 ]
  [ "$(sqlite3 "$SM_DB" "select count(*) from bars where timeframe_minutes = 15")" -eq 25 ]
}

@test "replay emits a date range in order" {
  sm-ingest "$SM_SAMPLE/RELIANCE.csv" "$SM_SAMPLE/TCS.csv" 2>/dev/null
  run --separate-stderr sm-ingest replay --symbol RELIANCE --timeframe 1d --from 2020-01-01 --to 2020-06-30
  [ "$status" -eq 0 ]
  assert_json_lines
  [ "$(echo "$output" | head -1 | jq -r .ts)" = "2020-01-01T03:45:00.000Z" ]
  [ "$(echo "$output" | tail -1 | jq -r .ts)" = "2020-06-30T03:45:00.000Z" ]
  [ "$(echo "$output" | jq -s 'map(.ts) == (map(.ts) | sort)')" = "true" ]
  run --separate-stderr sm-ingest replay --from 2020-01-01 --to 2020-01-31
  [ "$(echo "$output" | jq -r .symbol | sort -u | tr '\n' ' ')" = "RELIANCE TCS " ]
}

@test "replay on a database that does not exist is a data error" {
  run sm-ingest replay --db "$SM_TEST_DIR/none.db"
  [ "$status" -eq 3 ]
}

@test "paced replay stops cleanly on SIGTERM" {
  sm-ingest "$SM_SAMPLE/IBULHSGFIN_1min.csv" 2>/dev/null
  # Real time: one bar a minute, so it would run for days.
  sm-ingest replay --symbol IBULHSGFIN --timeframe 1m --speed realtime >out 2>err &
  pid=$!
  for _ in $(seq 100); do
    [ -s out ] && break
    sleep 0.05
  done
  kill -TERM "$pid"
  wait "$pid" && status=0 || status=$?
  [ "$status" -eq 0 ]
  [ "$(wc -l <out)" -eq 1 ]
  assert_json_lines out
  [ "$(jq -r 'select(.event == "replay_summary") | .stopped_by_signal' err)" = "true" ]
}

@test "--config: a missing file, an unknown key or section is a configuration error (exit 4)" {
  assert_config_refused sm-ingest "$SM_SAMPLE/TCS.csv"
  [ ! -e "$SM_DB" ] || [ "$(sqlite3 "$SM_DB" 'select count(*) from bars')" -eq 0 ]
}

@test "--config: the example configuration loads" {
  assert_example_config_loads sm-ingest "$SM_SAMPLE/TCS.csv"
  [ "$status" -eq 0 ]
}

# A copy of the project calendar to refresh, and NSE's holiday-master JSON for a made-up 2027 list.
calendar_fixture() {
  cp "$SM_ROOT/data/nse-calendar.csv" cal.csv
  cat >nse.json <<'JSON'
{"CM":[
  {"tradingDate":"26-Jan-2027","weekDay":"Tuesday","description":"Republic Day","morning_session":null,"evening_session":null,"Sr_no":1},
  {"tradingDate":"06-Mar-2027","weekDay":"Saturday","description":"Mahashivratri","morning_session":null,"evening_session":null,"Sr_no":2},
  {"tradingDate":"22-Mar-2027","weekDay":"Monday","description":"Holi","morning_session":null,"evening_session":null,"Sr_no":3}
]}
JSON
}

@test "calendar: NSE's holiday JSON adds a year to the calendar file, atomically, and programs use it" {
  calendar_fixture
  run --separate-stderr sm-ingest calendar nse.json --calendar cal.csv --source "test list"
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e '.type == "calendar_refreshed" and .year == 2027 and .holidays == 2 and .written'
  echo "$output" | jq -e '.skipped_weekend == ["2027-03-06 Mahashivratri"]'
  grep -qx '2027,year_covered,NSE trading holidays 2027,,,,,,,test list' cal.csv
  grep -qx '2027-03-22,holiday,Holi,,,,,,,test list' cal.csv
  [ -z "$(ls cal.csv.tmp.* 2>/dev/null)" ]
  # sm-status now sees the calendar valid until the end of 2027.
  : >"$SM_DB"
  SM_CALENDAR="$SM_TEST_DIR/cal.csv" run --separate-stderr sm-status --json --at "2026-12-20 10:00" --expiring-within 14
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.dependencies[0].valid_until == "2027-12-31T18:30:00.000Z"'
}

@test "calendar: a CSV list with a weekend, a duplicate or a bad date is refused and the file kept" {
  calendar_fixture
  cp cal.csv before.csv
  printf 'date,name\n2027-01-26,Republic Day\n2027-03-06,Saturday\n' >weekend.csv
  run --separate-stderr sm-ingest calendar weekend.csv --calendar cal.csv
  [ "$status" -eq 3 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e 'select(.event == "calendar_refresh_refused") | .message | test("weekend.csv:3: date: 2027-03-06 is a Saturday")'
  cmp cal.csv before.csv
  printf 'date,name\n2027-01-26,A\n2027-01-26,B\n' >dup.csv
  run --separate-stderr sm-ingest calendar dup.csv --calendar cal.csv
  [ "$status" -eq 3 ]
  echo "$stderr" | jq -e 'select(.event == "calendar_refresh_refused") | .message | test("dup.csv:3: date: 2027-01-26 is listed twice")'
  printf 'date,name\n2027-02-30,A\n' >bad.csv
  run --separate-stderr sm-ingest calendar bad.csv --calendar cal.csv
  [ "$status" -eq 3 ]
  cmp cal.csv before.csv
  run --separate-stderr sm-ingest calendar missing.json --calendar cal.csv
  [ "$status" -eq 1 ]
  cmp cal.csv before.csv
}

@test "calendar: --dry-run validates and writes nothing; the list is required" {
  calendar_fixture
  cp cal.csv before.csv
  run --separate-stderr sm-ingest calendar nse.json --calendar cal.csv --dry-run
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.written == false and .year == 2027'
  cmp cal.csv before.csv
  run --separate-stderr sm-ingest calendar
  [ "$status" -eq 2 ]
}

@test "corporate-actions: a valid list replaces the file atomically and says what changed" {
  cp "$SM_ROOT/data/corporate-actions.csv" ca.csv
  { echo "symbol,ex_date,kind,ratio"; grep -E '^(TCS|WIPRO),' ca.csv; echo "HDFCBANK,2019-09-20,split,1:2"; } >new.csv
  run --separate-stderr sm-ingest corporate-actions new.csv --actions ca.csv
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | wc -l)" -eq 1 ]
  echo "$output" | jq -e '.type == "corporate_actions_refreshed" and .actions == 4 and .previous_actions == 7 and .added == 1 and .removed == 4 and .written'
  cmp new.csv ca.csv
  ! ls ca.csv.tmp.* 2>/dev/null
}

@test "corporate-actions: an unknown kind, a zero ratio, a bad or weekend date or a duplicate is refused and the file kept" {
  cp "$SM_ROOT/data/corporate-actions.csv" ca.csv
  cp ca.csv before.csv
  printf 'symbol,ex_date,kind,ratio\nTCS,2018-05-31,merger,1:1\n' >kind.csv
  printf 'symbol,ex_date,kind,ratio\nTCS,2018-05-31,bonus,0:1\n' >zero.csv
  printf 'symbol,ex_date,kind,ratio\nTCS,2018-02-30,bonus,1:1\n' >date.csv
  printf 'symbol,ex_date,kind,ratio\nTCS,2018-06-02,bonus,1:1\n' >weekend.csv
  printf 'symbol,ex_date,kind,ratio\nTCS,2018-05-31,bonus,1:1\nTCS,2018-05-31,split,1:2\n' >dup.csv
  for f in kind zero date weekend dup; do
    run --separate-stderr sm-ingest corporate-actions "$f.csv" --actions ca.csv
    [ "$status" -eq 3 ]
    [ -z "$output" ]
    echo "$stderr" | jq -e --arg f "$f.csv" 'select(.event == "corporate_actions_refresh_refused") | .message | startswith($f)'
    cmp before.csv ca.csv
  done
  echo "$stderr" | jq -e 'select(.event == "corporate_actions_refresh_refused") | .message | test("two actions on 2018-05-31")'
  run --separate-stderr sm-ingest corporate-actions missing.csv --actions ca.csv
  [ "$status" -eq 3 ]
  cmp before.csv ca.csv
}

@test "corporate-actions: --dry-run validates and writes nothing; the file is required; the bundled file is valid" {
  cp "$SM_ROOT/data/corporate-actions.csv" ca.csv
  printf 'symbol,ex_date,kind,ratio\nTCS,2018-05-31,bonus,1:1\n' >one.csv
  run --separate-stderr sm-ingest corporate-actions one.csv --actions ca.csv --dry-run
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.written == false and .actions == 1 and .removed == 6'
  cmp "$SM_ROOT/data/corporate-actions.csv" ca.csv
  run --separate-stderr sm-ingest corporate-actions
  [ "$status" -eq 2 ]
  # The bundled file passes the same validation, and is the default target.
  run --separate-stderr sm-ingest corporate-actions "$SM_ROOT/data/corporate-actions.csv" --dry-run
  [ "$status" -eq 0 ]
  echo "$output" | jq -e --arg f "$SM_ROOT/data/corporate-actions.csv" '.file == $f and .actions == 7 and .added == 0 and .removed == 0'
}

eval "common_$(declare -f teardown)"
teardown() {
  if [ -n "${NSE_PID:-}" ] && kill -0 "$NSE_PID" 2>/dev/null; then
    kill -KILL "$NSE_PID"
    wait "$NSE_PID" 2>/dev/null || true
  fi
  common_teardown
}

# start_nse: the stand-in for NSE's website (tests/cli/nse_holiday_server.py) serving the 2027
# list of tests/fixtures in the holiday-master shape; sets NSE_PID, NSE_URL and NSE_LOG.
start_nse() {
  NSE_LOG="$SM_TEST_DIR/nse-requests.ndjson"
  python3 "$SM_ROOT/tests/cli/nse_holiday_server.py" "$SM_ROOT/tests/fixtures/nse-holiday-master-2027.json" \
    "$NSE_LOG" >"$SM_TEST_DIR/nse.out" &
  NSE_PID=$!
  wait_for 10 test -s "$SM_TEST_DIR/nse.out"
  NSE_URL="http://127.0.0.1:$(jq -r .port "$SM_TEST_DIR/nse.out")"
}

@test "calendar --url: downloads NSE's list as a browser would (page cookies, Referer) and refreshes" {
  start_nse
  cp "$SM_ROOT/data/nse-calendar.csv" cal.csv
  local api="$NSE_URL/api/holiday-master?type=trading"
  run --separate-stderr sm-ingest calendar --url "$api" \
    --page-url "$NSE_URL/resources/exchange-communication-holidays" --calendar cal.csv
  echo "$stderr"
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e --arg api "$api" '.type == "calendar_refreshed" and .year == 2027
    and .holidays == 2 and .written and .source == $api
    and .skipped_weekend == ["2027-03-06 Mahashivratri", "2027-08-15 Independence Day", "2027-12-25 Christmas"]'
  grep -qx "2027-03-22,holiday,Holi,,,,,,,$api" cal.csv
  # The page first, then the API with its cookies, as a browser.
  jq -s -e '.[0].path == "/resources/exchange-communication-holidays"
    and .[1].path == "/api/holiday-master?type=trading"
    and .[1].headers.cookie == "nsit=s1; nseappid=a2"
    and (.[1].headers.accept | startswith("application/json"))' "$NSE_LOG"
}

@test "calendar --url: a refused download keeps the calendar; a URL in clear or with a LIST is a usage error" {
  start_nse
  cp "$SM_ROOT/data/nse-calendar.csv" cal.csv
  cp cal.csv before.csv
  run --separate-stderr sm-ingest calendar --url "$NSE_URL/api/holiday-master?type=trading" \
    --page-url '' --calendar cal.csv
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e 'select(.event == "calendar_download_failed") | .message | test("HTTP 401")'
  cmp cal.csv before.csv
  assert_usage_error sm-ingest calendar --url http://example.com/holidays.csv --calendar cal.csv
  assert_usage_error sm-ingest calendar list.csv --url "$NSE_URL/x" --calendar cal.csv
  cmp cal.csv before.csv
}

@test "peak memory storing a CSV file does not grow with the bars" {
  [ -x /usr/bin/time ] || skip "needs /usr/bin/time"
  for n in 20000 200000; do
    write_minute_bars "$n" >"bars$n.csv"
    /usr/bin/time -f %M -o "rss$n" sm-ingest --db "m$n.db" "bars$n.csv" --timeframe 1m \
      >/dev/null 2>"err$n"
    [ "$(sqlite3 "m$n.db" 'SELECT count(*) FROM bars')" -eq "$n" ]
  done
  # Read whole, the 180,000 more bars cost about 48 MiB; streamed, the bars go to the database
  # in batches as they are read.
  echo "peak RSS KiB: $(cat rss20000) at 20,000 bars, $(cat rss200000) at 200,000"
  [ $(($(cat rss200000) - $(cat rss20000))) -lt 6144 ]
}
