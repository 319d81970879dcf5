#!/usr/bin/env bats
# sm-records: the trade ledger and the capital-gains report from a database of fills
# (tests/fixtures/records/trades.ndjson: INFY bought 2023-05-02, 4 sold 2024-06-03; TCS bought and
# sold intraday 2024-09-02).
load common

populate() {
  sm-test-record --db "$SM_DB" <"$SM_FIXTURES/records/trades.ndjson"
}

@test "the ledger lists every fill with IST time, product and itemised charges" {
  populate
  run sm-records ledger
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 5 ]
  [[ "${lines[0]}" == date_ist,time_ist,exchange,symbol,isin,* ]]
  [[ "${lines[1]}" == 2023-05-02,10:00:01,NSE,INFY,,t1,b1,trend,CNC,BUY,10,1200.00,12000.00,* ]]
  [[ "${lines[4]}" == 2024-09-02,14:00:01,NSE,TCS,,t4,b4,trend,MIS,SELL,5,4010.00,* ]]
}

@test "the ledger of a financial year or a date range holds only its fills" {
  populate
  run sm-records ledger --fy 2024-25
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 4 ]
  run sm-records ledger --from 2024-09-02 --to 2024-09-02
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
}

@test "the day totals add a day's fills" {
  populate
  run sm-records ledger --totals --fy 2024-25
  [ "$status" -eq 0 ]
  [ "${lines[2]%%,*}" = 2024-09-02 ]
  [[ "${lines[2]}" == 2024-09-02,2,20000.00,20050.00,* ]]
}

@test "every NDJSON line of the ledger and the gains report is valid JSON" {
  populate
  sm-records ledger --format ndjson >ledger.ndjson
  [ "$(jq -c . ledger.ndjson | wc -l)" -eq 7 ]
  [ "$(jq -r 'select(.record == "day_total") | .date_ist' ledger.ndjson | wc -l)" -eq 3 ]
  sm-records gains --fy 2024-25 --format ndjson >gains.ndjson
  jq -e . gains.ndjson >/dev/null
  [ "$(jq -r 'select(.record == "summary") | .speculative_gain' gains.ndjson)" = 28.58 ]
}

@test "the gains report splits long-term from speculative and applies the exemption" {
  populate
  run sm-records gains --fy 2024-25
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[1]}" == 2024-25,INFY,,long_term,2023-05-02,2024-06-03,398,4,* ]]
  [[ "${lines[2]}" == 2024-25,TCS,,speculative,* ]]
  run sm-records gains --fy 2024-25 --summary
  [ "$status" -eq 0 ]
  [[ "$output" == *"2024-25,ltcg_exemption,,,,125000.00,"* ]]
  [[ "$output" == *"2024-25,tax,,,,,0.00"* ]]
}

@test "the summary shows the s.44AB turnover: absolute differences of intraday, sale value of delivery" {
  populate
  run sm-records gains --fy 2024-25 --summary
  [ "$status" -eq 0 ]
  # TCS: |5 x 4010 - 5 x 4000| = 50; INFY: 4 x 1500 = 6000.
  [[ "$output" == *"2024-25,speculative_turnover,,,,50.00,"* ]]
  [[ "$output" == *"2024-25,delivery_turnover,,,,6000.00,"* ]]
}

@test "losses brought forward are set off, and the --losses CSV is next year's file" {
  populate
  # INFY's long-term gain 1182.91 takes the long-term loss 500, then the short-term 100;
  # TCS's speculative 28.58 takes 28.58 of the 40 and 11.42 is carried.
  printf 'incurred,kind,amount\n2022-23,speculative,40\n2016-17,short_term,100\n2020-21,long_term,500\n' >cfl.csv
  run sm-records gains --fy 2024-25 --losses-brought-forward cfl.csv --losses
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = financial_year,incurred,kind,brought_forward,set_off,lapsed,carried_forward ]
  [ "${lines[1]}" = 2024-25,2016-17,short_term,100.00,100.00,0.00,0.00 ]
  [ "${lines[2]}" = 2024-25,2020-21,long_term,500.00,500.00,0.00,0.00 ]
  [ "${lines[3]}" = 2024-25,2022-23,speculative,40.00,28.58,0.00,11.42 ]
  printf '%s\n' "${lines[@]}" >next.csv
  run sm-records gains --fy 2024-25 --losses-brought-forward cfl.csv --summary
  [[ "$output" == *"2024-25,exemption_used,,,,582.91,"* ]]
  [[ "$output" == *"2024-25,speculative_taxable,,,,0.00,"* ]]
  [[ "$output" == *"2024-25,speculative_loss_carried_forward,,,,11.42,"* ]]
  run sm-records gains --fy 2025-26 --losses-brought-forward next.csv --losses
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  [ "${lines[1]}" = 2025-26,2022-23,speculative,11.42,0.00,0.00,11.42 ]
}

@test "a bad losses file, or a loss not of an earlier year, is a data error" {
  populate
  printf 'incurred,kind,amount\n2020-21,business,5\n' >cfl.csv
  run sm-records gains --fy 2024-25 --losses-brought-forward cfl.csv
  [ "$status" -eq 3 ]
  [ "$(jq -r .message <<<"$output")" = "cfl.csv:2: kind 'business' is not short_term, long_term or speculative" ]
  printf 'incurred,kind,amount\n2024-25,short_term,5\n' >cfl.csv
  run sm-records gains --fy 2024-25 --losses-brought-forward cfl.csv
  [ "$status" -eq 3 ]
  [ "$(jq -r .event <<<"$output")" = losses_invalid ]
  run sm-records gains --fy 2024-25 --losses --summary
  [ "$status" -eq 2 ]
}

@test "--by-strategy splits the gains by the strategy that closed each match; the totals are the report's" {
  populate
  sm-test-record --db "$SM_DB" <<'EOF'
{"type":"order","ts":"2024-07-01T04:30:00.000Z","client_order_id":"r5","strategy":"revert","symbol":"INFY","exchange":"NSE","side":"SELL","qty":2,"order_type":"MARKET","product":"CNC","price":0.00,"trigger_price":0.00,"signal_ts":"2024-07-01T04:29:00.000Z","reason":"test"}
{"type":"fill","ts":"2024-07-01T04:30:01.000Z","client_order_id":"r5","broker_order_id":"b5","trade_id":"t5","strategy":"revert","symbol":"INFY","side":"SELL","qty":2,"price":1600.00,"charges":3.00}
EOF
  run sm-records gains --fy 2024-25 --by-strategy
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 6 ]
  [[ "${lines[1]}" == 2024-25,strategy,revert,long_term,1,2,3200.00,* ]]
  [[ "${lines[2]}" == 2024-25,strategy,trend,long_term,1,4,6000.00,* ]]
  [[ "${lines[4]}" == 2024-25,total,,long_term,2,6,9200.00,* ]]
  by_strategy=$(awk -F, '$2 == "strategy" && $4 == "long_term" { s += $11 } END { printf "%.2f", s }' <<<"$output")
  total=$(awk -F, '$2 == "total" && $4 == "long_term" { print $11 }' <<<"$output")
  unsplit=$(sm-records gains --fy 2024-25 | awk -F, '$4 == "long_term" { s += $15 } END { printf "%.2f", s }')
  [ "$by_strategy" = "$total" ]
  [ "$total" = "$unsplit" ]
}

@test "a year without sales gives only the header" {
  populate
  run sm-records gains --fy 2022-23
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 1 ]
}

@test "a financial year that is not of the form 2024-25 is a usage error" {
  populate
  run sm-records gains --fy 2024-26
  [ "$status" -eq 2 ]
  [ "$(jq -r .message <<<"$output")" = "financial year '2024-26' is not of the form 2024-25 (April 2024 to March 2025)" ]
  run sm-records ledger --fy 24-25
  [ "$status" -eq 2 ]
}

@test "a financial year before the rates file is refused by name" {
  populate
  run sm-records gains --fy 2001-02
  [ "$status" -eq 2 ]
  [ "$(jq -r .message <<<"$output")" = "financial year 2001-02 is not covered: the capital-gains rates start on 2008-04-01" ]
}

@test "bad dates and a reversed range are usage errors" {
  populate
  run sm-records ledger --from 2024-02-30
  [ "$status" -eq 2 ]
  [ "$(jq -r .message <<<"$output")" = "--from '2024-02-30' is not a date (YYYY-MM-DD)" ]
  run sm-records ledger --from 2024-03-01 --to 2024-02-01
  [ "$status" -eq 2 ]
  [ "$(jq -r .message <<<"$output")" = "--from 2024-03-01 is after --to 2024-02-01" ]
  run sm-records ledger --fy 2024-25 --from 2024-04-01
  [ "$status" -eq 2 ]
}

@test "an empty database file is a clear data error, not an empty report" {
  : >"$SM_DB"
  run sm-records ledger
  [ "$status" -eq 3 ]
  [ "$(jq -r .event <<<"$output")" = database_empty ]
  [[ "$(jq -r .message <<<"$output")" == *"has no StalkMarket schema: an empty database"* ]]
  run sm-records gains --fy 2024-25
  [ "$status" -eq 3 ]
}

@test "a missing database is a data error naming the file" {
  run sm-records ledger --db "$SM_TEST_DIR/none.db"
  [ "$status" -eq 3 ]
  [[ "$(jq -r .message <<<"$output")" == *none.db* ]]
  [ ! -e "$SM_TEST_DIR/none.db" ]
}

@test "a malformed line of the FMV file is a data error with its line" {
  populate
  printf 'symbol,fmv_2018_01_31\nINFY,1150\nTCS,lots\n' >fmv.csv
  run sm-records gains --fy 2024-25 --fmv fmv.csv
  [ "$status" -eq 3 ]
  [ "$(jq -r .message <<<"$output")" = "fmv.csv:3: fmv 'lots' is not a positive amount" ]
}

@test "an unknown flag, a bad format and a missing command are usage errors" {
  run sm-records ledger --bogus
  [ "$status" -eq 2 ]
  run sm-records ledger --format xml
  [ "$status" -eq 2 ]
  run sm-records
  [ "$status" -eq 2 ]
  run sm-records gains
  [ "$status" -eq 2 ]
  [ "$(jq -r .message <<<"$output")" = "--fy is required" ]
}

@test "--help describes both commands" {
  run sm-records --help
  [ "$status" -eq 0 ]
  [[ "$output" == *ledger* ]]
  [[ "$output" == *gains* ]]
  run sm-records gains --help
  [ "$status" -eq 0 ]
  [[ "$output" == *--fmv* ]]
  [[ "$output" == *--losses-brought-forward* ]]
  [[ "$output" == *--by-strategy* ]]
}

@test "monthly statements show the positions held, realised P&L and the halts" {
  populate
  run sm-records statement --period month --from 2024-06-01 --to 2024-09-30
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "period,line,strategy,symbol,opening_qty,bought,sold,closing_qty,average_price,mark_price,realised,charges,unrealised,note" ]
  # June: 4 of 10 INFY sold at 1500 against an average of 1200: 1200.00 realised; 6 left,
  # marked at 1550: 6 x (1550 - 1200) = 2100.00.
  [[ "$output" == *"2024-06,position,trend,INFY,10,0,4,6,1200.00,1550.00,1200.00,22.18,2100.00,"* ]]
  [[ "$output" == *"2024-07,position,trend,INFY,6,0,0,6,1200.00,1550.00,0.00,0.00,2100.00,"* ]]
  [[ "$output" == *"2024-09,halt,"*"results day"* ]]
}

@test "daily statements leave out days without fills or halts" {
  populate
  run sm-records statement --period day --fy 2024-25
  [ "$status" -eq 0 ]
  [ "$(grep -c ',total,' <<<"$output")" -eq 2 ]
  [[ "$output" == *"2024-09-02,position,trend,TCS,0,5,5,0,0.00,,50.00,21.42,0.00,"* ]]
}

@test "the HTML statement is one self-contained page" {
  populate
  sm-records statement --fy 2024-25 --format html >statement.html
  grep -q '^<!DOCTYPE html>' statement.html
  grep -q '<h2>2024-06</h2>' statement.html
  run ! grep -q '<script' statement.html
  run ! grep -q 'http' statement.html
}

@test "a statement without dates or with an unknown period is a usage error" {
  populate
  run sm-records statement
  [ "$status" -eq 2 ]
  [ "$(jq -r .message <<<"$output")" = "a statement needs --fy, or --from and --to" ]
  run sm-records statement --period week --fy 2024-25
  [ "$status" -eq 2 ]
  run sm-records statement --from 2024-06-01 --to 2024-05-01
  [ "$status" -eq 2 ]
}
