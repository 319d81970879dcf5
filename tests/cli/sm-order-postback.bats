#!/usr/bin/env bats
# Postbacks end to end: sm-paper posts signed order updates to sm-order's listener, which follows
# the order at once. Polling is set to ten minutes, so only a postback can explain a prompt fill.

load common


@test "a fill reaches sm-order by postback at once, and a forged postback is refused" {
  port=$(free_port)
  start_paper --no-rate-limits --postback-url "http://127.0.0.1:$port/postback"
  curl -sf -X POST "$PAPER_URL/_paper/prices" --data-binary '{"type":"paper_quote","symbol":"INFY","last_price":1500}' >/dev/null
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_KITE_API_SECRET=testsecret
  export SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token" SM_CFG__BROKER__BASE_URL="$PAPER_URL"
  export SM_CFG__ORDER__POLL_INTERVAL_MS=600000

  mkfifo in.fifo
  sm-order --postback-listen "127.0.0.1:$port" --eof-wait 20 <in.fifo >out.ndjson 2>err.ndjson &
  ORDER_PID=$!
  exec 7>in.fifo
  printf '%s\n' '{"type":"order","ts":"2024-03-28T04:30:00.000Z","client_order_id":"smPB1","strategy":"bats","symbol":"INFY","side":"BUY","qty":5,"order_type":"LIMIT","product":"MIS","price":1400}' >&7
  wait_for 10 status_is smPB1 OPEN
  grep -q '"event":"postback_listening"' err.ndjson

  # A body not signed with the api secret: refused, and it changes nothing.
  forged='{"order_id":"1","order_timestamp":"2024-03-28 10:00:00","status":"COMPLETE","tag":"smPB1","checksum":"00"}'
  [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary "$forged" "http://127.0.0.1:$port/postback")" = 401 ]
  status_is smPB1 OPEN

  curl -sf -X POST "$PAPER_URL/_paper/prices" --data-binary '{"type":"paper_quote","symbol":"INFY","last_price":1399}' >/dev/null
  wait_for 5 status_is smPB1 COMPLETE
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM order_events WHERE client_order_id = 'smPB1' AND event = 'postback'")" = 1 ]
  [ "$(sqlite3 "$SM_DB" "SELECT sum(qty) FROM positions WHERE symbol = 'INFY'")" = 5 ]
  exec 7>&-
  wait "$ORDER_PID"
  ORDER_PID=
  grep -q '"event":"postback_refused"' err.ndjson
  jq -se 'map(select(.type == "fill")) | length == 1' out.ndjson
}

@test "--postback-listen without the api secret is a configuration error" {
  start_paper --no-rate-limits
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_CFG__BROKER__BASE_URL="$PAPER_URL"
  export SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  unset SM_KITE_API_SECRET
  run --separate-stderr sm-order --postback-listen 127.0.0.1:0 </dev/null
  [ "$status" -eq 4 ]
  [[ "$stderr" == *SM_KITE_API_SECRET* ]]
}

@test "sm-paper --postback-url without its api secret is a configuration error" {
  unset SM_PAPER_API_SECRET
  export SM_PAPER_API_KEY=testkey SM_PAPER_ACCESS_TOKEN=testtoken
  run --separate-stderr sm-paper --port 0 --state "$SM_TEST_DIR/paper.db" --postback-url http://127.0.0.1:9/postback
  [ "$status" -eq 4 ]
  [[ "$stderr" == *SM_PAPER_API_SECRET* ]]
}
