#!/usr/bin/env bats
# Partial fills: sm-paper --volume-cap lets an order take only a share of each bar's volume, and
# sm-order follows it through OPEN (partly filled) to COMPLETE, one fill line per trade.

load common

bar() {  # bar MINUTE CLOSE VOLUME: a 1-minute INFY bar through the control endpoint
  curl -sf -X POST "$PAPER_URL/_paper/prices" --data-binary \
    "$(printf '{"type":"bar","ts":"2024-03-28T04:%02d:00.000Z","symbol":"INFY","timeframe":"1m","open":%s,"high":%s,"low":%s,"close":%s,"volume":%d}' \
      "$1" "$2" "$2" "$2" "$2" "$3")" | jq -e '.data.applied == 1' >/dev/null
}

order_state() { sqlite3 "$SM_DB" "SELECT status || ' ' || filled_qty FROM orders WHERE client_order_id = '$1'"; }
state_is() { [ "$(order_state "$1")" = "$2" ]; }

@test "--volume-cap: a market order fills over several bars and sm-order follows it to COMPLETE" {
  start_paper --no-rate-limits --volume-cap 10
  bar 30 1500 40  # 10 % of 40: 4 shares an update
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken
  export SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token" SM_CFG__BROKER__BASE_URL="$PAPER_URL"
  export SM_CFG__ORDER__POLL_INTERVAL_MS=100

  mkfifo in.fifo
  sm-order --eof-wait 20 <in.fifo >out.ndjson 2>err.ndjson &
  ORDER_PID=$!
  exec 7>in.fifo
  printf '%s\n' '{"type":"order","ts":"2024-03-28T04:31:00.000Z","client_order_id":"smPF1","strategy":"bats","symbol":"INFY","side":"BUY","qty":10,"order_type":"MARKET","product":"MIS"}' >&7
  wait_for 10 state_is smPF1 "OPEN 4"
  bar 31 1510 40
  wait_for 10 state_is smPF1 "OPEN 8"
  bar 32 1505 40
  wait_for 10 state_is smPF1 "COMPLETE 10"
  exec 7>&-
  wait "$ORDER_PID"
  ORDER_PID=

  assert_json_lines out.ndjson
  jq -se '[.[] | select(.type == "fill") | .qty] == [4, 4, 2]' out.ndjson
  jq -se '[.[] | select(.type == "fill") | .trade_id] | unique | length == 3' out.ndjson
  jq -se '[.[] | select(.type == "order_update" and .status == "OPEN" and .filled_qty > 0) | .filled_qty] == [4, 8]' out.ndjson
  # (4 x 1500 + 4 x 1510 + 2 x 1505) / 10
  jq -se 'map(select(.type == "order_update")) | last | .status == "COMPLETE" and .filled_qty == 10 and .average_price == 1505' out.ndjson
  [ "$(sqlite3 "$SM_DB" "SELECT sum(qty) FROM positions WHERE symbol = 'INFY'")" = 10 ]
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM fills WHERE client_order_id = 'smPF1'")" = 3 ]
  [ "$(kite GET /portfolio/positions | jq '.data.net[] | select(.tradingsymbol == "INFY") | .quantity')" = 10 ]
  id=$(kite GET /orders | jq -r '.data[] | select(.tag == "smPF1") | .order_id')
  [ "$(kite GET "/orders/$id/trades" | jq '.data | length')" = 3 ]
  [ "$(kite GET "/orders/$id" | jq '[.data[] | select(.status == "OPEN" and .filled_quantity > 0)] | length')" = 2 ]
}

@test "--volume-cap: without volume nothing fills; a bad percent exits 2" {
  start_paper --no-rate-limits --volume-cap 10
  curl -sf -X POST "$PAPER_URL/_paper/prices" --data-binary '{"type":"paper_quote","symbol":"INFY","last_price":1500}' >/dev/null
  id=$(kite POST /orders/regular \
    -d tradingsymbol=INFY -d exchange=NSE -d transaction_type=BUY -d order_type=MARKET -d quantity=5 \
    -d product=MIS -d validity=DAY -d market_protection=-1 | jq -r .data.order_id)
  [ "$(kite GET "/orders/$id" | jq -r '.data | last | "\(.status) \(.filled_quantity)"')" = "OPEN 0" ]
  bar 31 1500 100
  [ "$(kite GET "/orders/$id" | jq -r '.data | last | "\(.status) \(.filled_quantity)"')" = "COMPLETE 5" ]
  stop_paper
  for bad in 0 101 abc 1.234; do
    run --separate-stderr sm-paper --port 0 --state "$SM_TEST_DIR/p2.db" --volume-cap "$bad"
    [ "$status" -eq 2 ]
    [[ "$stderr" == *volume-cap* ]]
  done
}
