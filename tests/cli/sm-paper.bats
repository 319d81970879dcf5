#!/usr/bin/env bats
# sm-paper: the Kite REST paper broker as a program: start on port 0, talk HTTP to it, stop it.

load common

@test "--help describes the program and exits 0" {
  run --separate-stderr sm-paper --help
  [ "$status" -eq 0 ]
  [[ "$output" == *"--port"* ]]
  [[ "$output" == *"--fault"* ]]
  [[ "$output" == *"Exit status"* ]]
}

@test "an unknown flag exits 2 with a JSON error on stderr" {
  assert_usage_error sm-paper --no-such-flag
}

@test "no api key is a configuration error (exit 4)" {
  unset SM_PAPER_API_KEY
  run --separate-stderr sm-paper --port 0 --market-hours always --state "$SM_TEST_DIR/p.db"
  [ "$status" -eq 4 ]
  [[ "$stderr" == *"SM_PAPER_API_KEY"* ]]
}

@test "a malformed --fault rule is a usage error (exit 2)" {
  export SM_PAPER_API_KEY=k
  run --separate-stderr sm-paper --port 0 --market-hours always --fault '{"kind":"explode"}'
  [ "$status" -eq 2 ]
  [[ "$stderr" == *"explode"* ]]
}

@test "a --mis-square-off that is not HH:MM or off is a usage error (exit 2)" {
  export SM_PAPER_API_KEY=k
  for bad in 25:00 15:60 1520 3pm; do
    run --separate-stderr sm-paper --port 0 --market-hours always --mis-square-off "$bad"
    [ "$status" -eq 2 ]
    echo "$stderr" | jq -e 'select(.event == "usage_error") | .message | contains("--mis-square-off")'
  done
}

@test "a --postback-url with plain http to a remote host is a usage error (exit 2)" {
  export SM_PAPER_API_KEY=k SM_PAPER_API_SECRET=s
  run --separate-stderr timeout 10 sm-paper --port 0 --market-hours always \
    --state "$SM_TEST_DIR/p.db" --postback-url http://example.com/postback
  [ "$status" -eq 2 ]
  [[ "$stderr" == *https* ]]
}

@test "a missing --instruments file is a configuration error (exit 4) naming the path once" {
  export SM_PAPER_API_KEY=k
  missing="$SM_TEST_DIR/no-such-instruments.csv"
  run --separate-stderr sm-paper --port 0 --market-hours always --state "$SM_TEST_DIR/p.db" \
    --instruments "$missing"
  [ "$status" -eq 4 ]
  message=$(echo "$stderr" | jq -r 'select(.event == "config_error") | .message')
  [[ "$message" == *"cannot open"* ]]
  [ "$(grep -o -F "$missing" <<<"$message" | wc -l)" -eq 1 ]
}

@test "a malformed --instruments file is a configuration error (exit 4) naming the path once" {
  export SM_PAPER_API_KEY=k
  printf 'not,an,instruments,dump\n' >"$SM_TEST_DIR/bad-instruments.csv"
  run --separate-stderr sm-paper --port 0 --market-hours always --state "$SM_TEST_DIR/p.db" \
    --instruments "$SM_TEST_DIR/bad-instruments.csv"
  [ "$status" -eq 4 ]
  message=$(echo "$stderr" | jq -r 'select(.event == "config_error") | .message')
  [[ "$message" == *"instrument_token"* ]]
  [ "$(grep -o -F "$SM_TEST_DIR/bad-instruments.csv" <<<"$message" | wc -l)" -eq 1 ]
}

@test "port 0: announces the port as one JSON line, serves Kite requests, stops cleanly on SIGTERM" {
  start_paper
  assert_json_lines "$SM_TEST_DIR/paper.out"
  jq -e '.type == "paper_listening" and (.port | type == "number") and .port > 0' "$SM_TEST_DIR/paper.out"
  run kite GET /orders
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.status == "success" and .data == []'
  # A price, a market order, and the fill in the book.
  curl -s -X POST "$PAPER_URL/_paper/prices" -d '{"type":"paper_quote","symbol":"INFY","last_price":1500.5}' \
    | jq -e '.data.applied == 1'
  run kite POST /orders/regular -d 'tradingsymbol=INFY&exchange=NSE&transaction_type=BUY&order_type=MARKET&quantity=3&product=CNC&market_protection=-1&tag=bats1'
  echo "$output" | jq -e '.status == "success" and (.data.order_id | length) == 15'
  run kite GET /orders
  echo "$output" | jq -e '.data[0].status == "COMPLETE" and .data[0].average_price == 1500.5 and .data[0].tag == "bats1"'
  # Errors come in Kite's envelope with its status codes.
  run curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: token testkey:wrong' "$PAPER_URL/orders"
  [ "$output" = 403 ]
  run curl -s -o /dev/null -w '%{http_code}' "$PAPER_URL/no/such/route"
  [ "$output" = 404 ]
  # Not under `run`: wait needs the shell that started the server.
  local rc=0
  stop_paper || rc=$?
  [ "$rc" -eq 0 ]
  assert_json_lines "$SM_TEST_DIR/paper.err"
  grep -q '"event":"stopped"' "$SM_TEST_DIR/paper.err"
  # stdout carried only the announcement.
  [ "$(wc -l <"$SM_TEST_DIR/paper.out")" -eq 1 ]
}

@test "state survives a restart: the order placed before is in the book after" {
  start_paper
  curl -s -X POST "$PAPER_URL/_paper/prices" -d '{"type":"paper_quote","symbol":"TCS","last_price":3500}' >/dev/null
  kite POST /orders/regular -d 'tradingsymbol=TCS&exchange=NSE&transaction_type=BUY&order_type=LIMIT&price=3400&quantity=1&product=CNC&tag=keep1' \
    | jq -e '.status == "success"'
  stop_paper
  start_paper
  run kite GET /orders
  echo "$output" | jq -e '.data | length == 1 and .[0].tag == "keep1" and .[0].status == "OPEN"'
}

@test "empty price input: serves with no prices; a market order is refused with OrderException" {
  start_paper --prices - </dev/null
  run kite POST /orders/regular -d 'tradingsymbol=INFY&exchange=NSE&transaction_type=BUY&order_type=MARKET&quantity=1&product=CNC&market_protection=-1'
  echo "$output" | jq -e '.status == "error" and .error_type == "OrderException"'
}

@test "a malformed price line is reported with its line number and skipped; good lines apply" {
  printf '%s\n' '{"type":"tick","ts":"2024-03-28T04:30:00.000Z","symbol":"INFY","price":1501.25,"qty":1}' \
    '{"type":"tick","ts":"2024-03-28T04:30:01.000Z","symbol":"INFY","price":"abc"}' \
    'not json at all' \
    '{"type":"tick","ts":"2024-03-28T04:30:02.000Z","symbol":"WIPRO","price":480.5,"qty":1}' >"$SM_TEST_DIR/prices.ndjson"
  start_paper --prices "$SM_TEST_DIR/prices.ndjson"
  for _ in $(seq 1 100); do grep -q price_feed_done "$SM_TEST_DIR/paper.err" && break; sleep 0.05; done
  grep '"event":"bad_price_line"' "$SM_TEST_DIR/paper.err" >"$SM_TEST_DIR/bad.ndjson"
  jq -s -e 'map(.line) == [2, 3] and all(.input | endswith("prices.ndjson")) and (.[0].reason | contains("price"))' \
    "$SM_TEST_DIR/bad.ndjson"
  grep '"event":"price_feed_done"' "$SM_TEST_DIR/paper.err" | jq -e '.prices == 2'
  run kite GET '/quote/ltp?i=NSE:INFY&i=NSE:WIPRO'
  echo "$output" | jq -e '.data["NSE:INFY"].last_price == 1501.25 and .data["NSE:WIPRO"].last_price == 480.5'
}

@test "faults from flags: a 429 first, then normal service" {
  start_paper --fault '{"kind":"http_error","status":429,"path":"/orders"}'
  run kite GET /orders -w ' %{http_code}'
  [[ "$output" == *'"error_type":"NetworkException"'*' 429' ]]
  run kite GET /orders
  echo "$output" | jq -e '.status == "success"'
}

@test "SIGKILL loses nothing that was answered: every acknowledged order is there after a restart" {
  start_paper
  curl -s -X POST "$PAPER_URL/_paper/prices" -d '{"type":"paper_quote","symbol":"INFY","last_price":1500}' >/dev/null
  for i in 1 2 3 4 5; do
    kite POST /orders/regular -d "tradingsymbol=INFY&exchange=NSE&transaction_type=BUY&order_type=MARKET&quantity=$i&product=CNC&market_protection=-1&tag=kill$i" \
      | jq -e '.status == "success"'
  done
  kill -KILL "$PAPER_PID"
  wait "$PAPER_PID" || true
  start_paper
  run kite GET /orders
  echo "$output" | jq -e '.data | length == 5 and (map(.tag) == ["kill1","kill2","kill3","kill4","kill5"])'
  run kite GET /trades
  echo "$output" | jq -e '.data | map(.quantity) | add == 15'
}

@test "--config: a missing file, an unknown key or section is a configuration error (exit 4)" {
  export SM_PAPER_API_KEY=testkey SM_PAPER_ACCESS_TOKEN=testtoken
  assert_config_refused sm-paper --state "$SM_TEST_DIR/paper.db"
}

@test "--config: the example configuration loads" {
  start_paper --config "$SM_ROOT/examples/stalkmarket.jsonc"
  jq -e -s --arg file "$SM_ROOT/examples/stalkmarket.jsonc" \
    'any(.event == "config_loaded" and .path == $file)' "$SM_TEST_DIR/paper.err"
}

@test "paper.listen sets the port when --port is not given; --port wins" {
  local port
  start_paper  # on a free port, which is free again once it stops
  port=$(jq -r .port "$SM_TEST_DIR/paper.out")
  stop_paper
  printf '{"paper": {"listen": "127.0.0.1:%s"}}\n' "$port" >cfg.jsonc
  export SM_PAPER_API_KEY=testkey SM_PAPER_ACCESS_TOKEN=testtoken
  sm-paper --config cfg.jsonc --state "$SM_TEST_DIR/paper.db" --market-hours always \
    >paper.out 2>paper.err &
  PAPER_PID=$!
  wait_for 10 test -s paper.out
  [ "$(jq -r .port paper.out)" = "$port" ]
  # While that one holds the port, another with the same configuration and --port 0 still starts.
  sm-paper --config cfg.jsonc --port 0 --state "$SM_TEST_DIR/other.db" --market-hours always \
    >other.out 2>other.err &
  local other=$!
  wait_for 10 test -s other.out
  kill -TERM "$other"
  wait "$other"
  [ "$(jq -r .port other.out)" != "$port" ]
}

@test "paper.listen on a host other than loopback is a configuration error (exit 4)" {
  printf '{"paper": {"listen": "0.0.0.0:8765"}}\n' >cfg.jsonc
  export SM_PAPER_API_KEY=testkey SM_PAPER_ACCESS_TOKEN=testtoken
  run --separate-stderr sm-paper --config cfg.jsonc --state "$SM_TEST_DIR/paper.db"
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e 'select(.event == "config_error") | .message | contains("paper.listen")'
}

@test "--ticker-port serves the Kite Ticker websocket and announces its URL" {
  start_paper --ticker-port 0
  jq -e '.ticker_url | test("^ws://127\\.0\\.0\\.1:[0-9]+/$")' "$SM_TEST_DIR/paper.out"
  run curl -s -X POST "$PAPER_URL/_paper/ticker_faults" -d '{"stall_ms": 100}'
  echo "$output" | jq -e '.data.stalled == true'
  run curl -s -X POST "$PAPER_URL/_paper/ticker_faults" -d '{"stall_ms": -1}'
  echo "$output" | jq -e '.error_type == "InputException"'
}

@test "a malformed --ticker-fault is a usage error (exit 2)" {
  export SM_PAPER_API_KEY=testkey
  assert_usage_error sm-paper --port 0 --state "$SM_TEST_DIR/p.db" --ticker-port 0 --ticker-fault '{"explode": true}'
}
