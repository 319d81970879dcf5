#!/usr/bin/env bats
# sm-alert: delivery through the outbox to local stand-ins of Telegram, Discord, PagerDuty and a
# webhook (tests/cli/alert_server.py on 127.0.0.1), which check the exact requests and answer with
# the services' success, 429 and error responses.
load common

eval "common_$(declare -f teardown)"
teardown() {
  local pid
  for pid in "${ALERT_PID:-}" "${SERVER_PID:-}" "${RISK_PID:-}"; do
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid"
      wait "$pid" 2>/dev/null || true
    fi
  done
  common_teardown
}

# start_server RESPONSES_JSON: the stand-in service answering with the given responses (a JSON
# list, the last repeating), its requests logged to $SERVER_LOG; sets SERVER_PID and SERVER_URL.
start_server() {
  if [ -n "${SERVER_PID:-}" ]; then
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_LOG="$SM_TEST_DIR/requests.ndjson"
  rm -f "$SM_TEST_DIR/server.out"
  printf '{"responses": %s}\n' "$1" >"$SM_TEST_DIR/script.json"
  python3 "$SM_ROOT/tests/cli/alert_server.py" "$SM_TEST_DIR/script.json" "$SERVER_LOG" \
    >"$SM_TEST_DIR/server.out" &
  SERVER_PID=$!
  wait_for 10 test -s "$SM_TEST_DIR/server.out"
  SERVER_URL="http://127.0.0.1:$(jq -r .port "$SM_TEST_DIR/server.out")"
}

# requests: the requests the server received, one JSON object per line.
requests() { jq -c 'select(has("method"))' "$SERVER_LOG"; }

# alert_line EVENT SEVERITY DEDUP_KEY [TEXT] [TS]: one alert NDJSON line from sm-risk.
alert_line() {
  jq -cn --arg event "$1" --arg severity "$2" --arg dedup "$3" \
    --arg text "${4:-daily loss 5.20% of capital (52000.00) > 5.00%: exiting 2 position(s)}" \
    --arg ts "${5:-2025-12-08T09:02:05.000Z}" \
    '{type: "alert", ts: $ts, severity: $severity, component: "sm-risk", event: $event,
      text: $text, dedup_key: $dedup}'
}

config() { printf '%s\n' "$1" >"$SM_TEST_DIR/alert.jsonc"; }

@test "--help names the subcommand, the secrets and the exit codes" {
  run sm-alert --help
  [ "$status" -eq 0 ]
  [[ "$output" == *deliver* ]]
  [[ "$output" == *SM_TELEGRAM_BOT_TOKEN* ]]
  [[ "$output" == *"Exit status"* ]]
}

@test "an unknown flag is a usage error" {
  assert_usage_error sm-alert --no-such-flag
}

@test "a bad --config is a configuration error" {
  assert_config_refused sm-alert
}

@test "the example configuration loads" {
  assert_example_config_loads sm-alert --drain-ms 0
  [ "$status" -eq 0 ]
}

@test "empty input: nothing sent, exit 0" {
  run --separate-stderr sm-alert </dev/null
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e -s 'any(.event == "finished" and .delivered == 0 and .pending == 0)'
}

@test "stdout channel: one alert_message line for a phone: IST, grouped rupees, what to do" {
  run --separate-stderr sm-alert < <(alert_line kill_switch_daily_loss_halt critical daily_loss_halt:2025-12-08)
  [ "$status" -eq 0 ]
  assert_json_lines
  [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
  echo "$output" | jq -e '.type == "alert_message" and .incident_key == "sm-risk:daily_loss_halt:2025-12-08"'
  echo "$output" | jq -e '.text | contains("2025-12-08 14:32:05 IST · sm-risk")
    and contains("(52,000.00)") and contains("sm-risk resume")'
}

@test "a malformed line is reported and skipped; the alerts around it are delivered" {
  run --separate-stderr sm-alert < <(alert_line manual_halt warning manual_halt:1; echo '{"type":"alert",'; alert_line manual_halt warning manual_halt:2)
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | wc -l)" -eq 2 ]
  echo "$stderr" | jq -e -s 'any(.event == "bad_line" and .line == 2)'
}

@test "the same incident twice on stdin is sent once" {
  run --separate-stderr sm-alert < <(alert_line manual_halt warning manual_halt:7; alert_line manual_halt warning manual_halt:7 "again" 2025-12-08T09:03:00.000Z)
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
  run --separate-stderr sm-alert < <(alert_line manual_halt warning manual_halt:7 "third" 2025-12-08T09:04:00.000Z)
  [ -z "$output" ]
}

@test "a flood is one summary message with every alert in it" {
  config '{"alert": {"max_messages_per_minute": 3}}'
  for i in $(seq 10 29); do
    alert_line order_on_input_refused warning "" "refused $i" "2025-12-08T09:02:$i.000Z"
  done >flood.ndjson
  run --separate-stderr sm-alert --config alert.jsonc <flood.ndjson
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ]
  echo "$output" | jq -e '.text | startswith("FLOOD · 20 alerts")'
  for i in $(seq 10 29); do echo "$output" | jq -e --arg t "refused $i" '.text | contains($t)'; done
  [ "$(sqlite3 "$SM_DB" "SELECT COUNT(*) FROM alert_outbox WHERE combined_into IS NOT NULL")" -eq 20 ]
}

@test "telegram: the exact sendMessage request, a 429 honoured, the token never logged" {
  start_server '[{"status": 429, "body": "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after 1\",\"parameters\":{\"retry_after\":1}}"},
                 {"status": 200, "body": "{\"ok\":true,\"result\":{\"message_id\":7}}"}]'
  config "{\"alert\": {\"channels\": [\"telegram\"], \"telegram\": {\"chat_id\": \"-1001\", \"base_url\": \"$SERVER_URL\"}, \"poll_interval_ms\": 100}}"
  export SM_TELEGRAM_BOT_TOKEN=123456:SECRETTOKEN
  run --separate-stderr sm-alert --config alert.jsonc --drain-ms 5000 < <(alert_line kill_switch_latency critical latency:1 "latency 6000 ms > 5000 ms (x_y.z!)")
  [ "$status" -eq 0 ]
  [ "$(requests | wc -l)" -eq 2 ]
  local first
  first=$(requests | head -1)
  echo "$first" | jq -e '.method == "POST" and .path == "/bot123456:SECRETTOKEN/sendMessage"
    and .headers["content-type"] == "application/json"'
  echo "$first" | jq -e '.body | fromjson | .chat_id == "-1001" and .parse_mode == "MarkdownV2"
    and (.text | startswith("*CRITICAL · kill switch latency*\n2025\\-12\\-08 14:32:05 IST · sm\\-risk\n"))
    and (.text | contains("latency 6000 ms \\> 5000 ms \\(x\\_y\\.z\\!\\)"))'
  echo "$stderr" | jq -e -s 'any(.event == "alert_delivery_failed" and .retry_in_ms >= 1000
    and (.error | startswith("HTTP 429")))'
  echo "$stderr" | jq -e -s 'any(.event == "finished" and .delivered == 1 and .pending == 0)'
  [[ "$stderr" != *SECRETTOKEN* ]]
  [ "$(sqlite3 "$SM_DB" "SELECT attempts || ' ' || (delivered_ms IS NOT NULL) FROM alert_outbox")" = "2 1" ]
  [[ "$(sqlite3 "$SM_DB" "SELECT content FROM config_changes WHERE program = 'sm-alert'")" != *SECRETTOKEN* ]]
}

@test "discord: content and no mentions; a 429 waits for Retry-After" {
  start_server '[{"status": 429, "headers": {"Retry-After": "1"}, "body": "{\"message\":\"You are being rate limited.\",\"retry_after\":0.2,\"global\":false}"},
                 {"status": 204}]'
  config '{"alert": {"channels": ["discord"], "poll_interval_ms": 100}}'
  export SM_DISCORD_WEBHOOK_URL="$SERVER_URL/api/webhooks/42/hooksecret"
  local start=$SECONDS
  run --separate-stderr sm-alert --config alert.jsonc --drain-ms 5000 < <(alert_line manual_halt warning manual_halt:3 "@everyone look")
  [ "$status" -eq 0 ]
  [ "$(requests | wc -l)" -eq 2 ]
  requests | jq -e -s 'all(.path == "/api/webhooks/42/hooksecret" and .method == "POST")'
  requests | head -1 | jq -e '.body | fromjson | .allowed_mentions == {parse: []}
    and (.content | startswith("WARNING · manual halt\n2025-12-08 14:32:05 IST"))'
  echo "$stderr" | jq -e -s 'any(.event == "alert_delivery_failed" and .retry_in_ms == 1000)'
  [[ "$stderr" != *hooksecret* ]]
}

@test "pagerduty: a halt triggers its incident and the resume resolves it" {
  start_server '[{"status": 202, "body": "{\"status\":\"success\",\"message\":\"Event processed\"}"}]'
  config "{\"alert\": {\"channels\": [\"pagerduty\"], \"pagerduty\": {\"url\": \"$SERVER_URL/v2/enqueue\"}}}"
  export SM_PAGERDUTY_ROUTING_KEY=R0UT1NGKEY0000000000000000000000
  sm-risk halt --reason "testing the pager" --by tester >/dev/null 2>&1
  run --separate-stderr sm-alert --config alert.jsonc --no-stdin
  [ "$status" -eq 0 ]
  [ "$(requests | wc -l)" -eq 1 ]
  requests | jq -e '.path == "/v2/enqueue" and .headers["content-type"] == "application/json"'
  requests | jq -e '.body | fromjson | .routing_key == "R0UT1NGKEY0000000000000000000000"
    and .event_action == "trigger" and .dedup_key == "sm-risk:manual_halt:1"
    and .payload.severity == "warning" and .payload.source == "stalkmarket"
    and (.payload.summary | contains("tester set halt: testing the pager"))'
  sm-risk resume --reason "pager works" --by tester >/dev/null 2>&1
  run --separate-stderr sm-alert --config alert.jsonc --no-stdin
  [ "$status" -eq 0 ]
  [ "$(requests | wc -l)" -eq 2 ]
  requests | tail -1 | jq -e '.body | fromjson | . == {routing_key: "R0UT1NGKEY0000000000000000000000",
    event_action: "resolve", dedup_key: "sm-risk:manual_halt:1"}'
  [[ "$stderr" != *R0UT1NGKEY* ]]
}

@test "webhook: a channel outage across a restart loses nothing" {
  start_server '[{"status": 503, "body": "down"}]'
  config '{"alert": {"channels": ["webhook"], "retry": {"initial_backoff_ms": 100}, "poll_interval_ms": 100}}'
  export SM_ALERT_WEBHOOK_URL="$SERVER_URL/hook"
  run --separate-stderr sm-alert --config alert.jsonc --drain-ms 300 < <(alert_line kill_switch_error_rate critical errors:1)
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -e -s 'any(.event == "finished" and .delivered == 0 and .pending == 1)'
  start_server '[{"status": 200, "body": "{}"}]'
  export SM_ALERT_WEBHOOK_URL="$SERVER_URL/hook"
  run --separate-stderr sm-alert --config alert.jsonc --no-stdin --drain-ms 3000
  [ "$status" -eq 0 ]
  requests | tail -1 | jq -e '.body | fromjson | .incident_key == "sm-risk:errors:1"
    and .action == "trigger" and .severity == "critical" and .event == "kill_switch_error_rate"'
  [ "$(sqlite3 "$SM_DB" "SELECT delivered_ms IS NOT NULL FROM alert_outbox")" = 1 ]
}

@test "outbox: sm-alert killed mid-delivery and restarted delivers each alert once" {
  # The service hangs on the first request; sm-alert is killed while waiting for it.
  start_server '[{"hold": true}, {"status": 200, "body": "{}"}]'
  config '{"alert": {"channels": ["webhook"], "retry": {"initial_backoff_ms": 200}, "poll_interval_ms": 100}}'
  export SM_ALERT_WEBHOOK_URL="$SERVER_URL/hook"
  for i in 1 2 3; do alert_line kill_switch_error_rate critical "errors:$i" "incident $i"; done >alerts.ndjson
  sm-alert --config alert.jsonc --follow <alerts.ndjson >/dev/null 2>alert.err &
  ALERT_PID=$!
  wait_for 10 test -s "$SERVER_LOG"
  kill -KILL "$ALERT_PID"
  wait "$ALERT_PID" || true
  [ "$(sqlite3 "$SM_DB" "SELECT COUNT(*) FROM alert_outbox WHERE delivered_ms IS NULL")" -eq 3 ]
  # The row in flight stays claimed for the longest a send can take (15 s) and 5 s more, so no
  # other sm-alert sends it meanwhile; the restarted one sends it when the claim has run out.
  [ "$(sqlite3 "$SM_DB" "SELECT COUNT(*) FROM alert_outbox WHERE attempts = 1
         AND next_try_ms - unixepoch('now') * 1000 BETWEEN 10000 AND 21000")" -eq 1 ]
  run --separate-stderr sm-alert --config alert.jsonc --no-stdin --drain-ms 25000
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -e -s 'any(.event == "finished" and .delivered == 3 and .pending == 0)'
  # Every incident was answered with success exactly once.
  local n
  for i in 1 2 3; do
    n=$(jq -s --arg text "incident $i" '
      (map(select(has("answered") and .answered == 200)) | map(.n)) as $ok
      | map(select(has("body") and (.body | fromjson | .text | contains($text)) and (.n as $n | $ok | index($n))))
      | length' "$SERVER_LOG")
    [ "$n" -eq 1 ]
  done
  [ "$(sqlite3 "$SM_DB" "SELECT attempts FROM alert_outbox ORDER BY id LIMIT 1")" -eq 2 ]
}

# start_risk: sm-risk with the test's configuration, idle on a FIFO that stays open (fd 7), in
# the background (RISK_PID).
start_risk() {
  [ -p risk.in ] || mkfifo risk.in
  exec 7<>risk.in
  sm-risk --config alert.jsonc <risk.in >/dev/null 2>>risk.err &
  RISK_PID=$!
}

# alerts_with EVENT: how many alerts with that event the table holds.
alerts_with() { sqlite3 "$SM_DB" "SELECT COUNT(*) FROM alerts WHERE event = '$1'"; }
# alerts_are EVENT N: the table holds N alerts with that event (for wait_for).
alerts_are() { [ "$(alerts_with "$1")" -eq "$2" ]; }
# has_heartbeat COMPONENT: the component's heartbeat is stored (for wait_for).
has_heartbeat() {
  [ "$(sqlite3 "$SM_DB" "SELECT COUNT(*) FROM heartbeats WHERE component = '$1'" 2>/dev/null)" = 1 ]
}

@test "watch: a program's heartbeat stops -> alert within the limit; it beats again -> resolved" {
  config '{"risk": {"capital": 500000, "heartbeat_interval_ms": 200},
           "alert": {"watch": {"session": "always", "interval_s": 1, "heartbeats": {"sm-risk": 2}}}}'
  start_risk
  wait_for 10 has_heartbeat sm-risk
  sm-alert watch --config alert.jsonc >watch.out 2>watch.err &
  ALERT_PID=$!
  sleep 1.5
  [ "$(alerts_with heartbeat_stale)" -eq 0 ]
  # The sm-risk pipeline dies without a last word (no "stopping" heartbeat).
  kill -KILL "$RISK_PID"
  local killed=$SECONDS
  wait_for 10 alerts_are heartbeat_stale 1
  # The limit is 2 s and the watcher looks every second: the alert comes within 2 + 1 s (and
  # scheduling slack).
  [ $((SECONDS - killed)) -le 5 ]
  start_risk
  wait_for 10 alerts_are heartbeat_stale_resolved 1
  [ "$(alerts_with heartbeat_stale)" -eq 1 ]
  [ "$(sqlite3 "$SM_DB" "SELECT COUNT(DISTINCT dedup_key) FROM alerts WHERE event LIKE 'heartbeat_stale%'")" -eq 1 ]
  assert_json_lines watch.out
  grep -q '"event":"heartbeat_stale"' watch.out
  # sm-alert deliver sends the incident and its resolution.
  run --separate-stderr sm-alert --config alert.jsonc --no-stdin --drain-ms 3000
  echo "$output" | jq -e -s 'map(select(.event == "heartbeat_stale")) | length == 2
    and .[0].action == "trigger" and .[1].action == "resolve"
    and (.[1].text | startswith("RESOLVED · heartbeat stale"))'
}

@test "watch: the dead-man's switch pings only while all is well" {
  start_server '[{"status": 200, "body": "OK", "content_type": "text/plain"}]'
  export SM_ALERT_PING_URL="$SERVER_URL/ping/5f1d-check"
  config '{"alert": {"watch": {"session": "always", "heartbeats": {"sm-order": 30}}}}'
  run --separate-stderr sm-alert watch --config alert.jsonc --once
  [ "$status" -eq 0 ]
  [ "$(alerts_with heartbeat_stale)" -eq 1 ]
  [ ! -s "$SERVER_LOG" ]
  local now
  now=$(($(date +%s) * 1000))
  sqlite3 "$SM_DB" "INSERT INTO heartbeats (component, ts_ms, status, pid, detail, recorded_ms) VALUES ('sm-order', $now, 'ok', 1, '', $now)"
  run --separate-stderr sm-alert watch --config alert.jsonc --once
  [ "$status" -eq 0 ]
  [ "$(alerts_with heartbeat_stale_resolved)" -eq 1 ]
  requests | jq -e '.method == "GET" and .path == "/ping/5f1d-check"'
  [[ "$stderr" != *5f1d-check* ]]
}

@test "watch: a degraded program is an alert until it recovers" {
  config '{"alert": {"watch": {"session": "always", "heartbeats": {}}}}'
  local now
  now=$(($(date +%s) * 1000))
  sm-alert watch --config alert.jsonc --once >/dev/null 2>&1
  sqlite3 "$SM_DB" "INSERT INTO heartbeats (component, ts_ms, status, pid, detail, recorded_ms) VALUES ('sm-order', $now, 'degraded', 1, '{\"degraded\":\"broker unreachable\"}', $now)"
  run --separate-stderr sm-alert watch --config alert.jsonc --once
  echo "$output" | jq -e '.event == "program_degraded" and (.text | contains("broker unreachable"))'
  run --separate-stderr sm-alert watch --config alert.jsonc --once
  [ -z "$output" ]
  sqlite3 "$SM_DB" "UPDATE heartbeats SET status = 'ok', ts_ms = ts_ms + 1"
  run --separate-stderr sm-alert watch --config alert.jsonc --once
  echo "$output" | jq -e '.event == "program_degraded_resolved"'
}

@test "watch: a bad watch setting is a configuration error" {
  config '{"alert": {"watch": {"session": "sometimes"}}}'
  run --separate-stderr sm-alert watch --config alert.jsonc --once
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e -s 'any(.event == "config_error" and (.message | contains("alert.watch.session")))'
}

@test "summary: the day's summary is stored once, printed as JSON and delivered at once" {
  sm-risk halt --reason "results day" --by asha >/dev/null 2>&1
  run --separate-stderr sm-alert summary
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e '.type == "daily_summary" and .stored == true and .halts == 1
    and .fills == 0 and .net == "0.00"'
  echo "$output" | jq -e '.text | contains("Net P&L today: +₹0.00 (realised +₹0.00, charges ₹0.00")
    and contains("halt (manual) by asha: results day; still in force (sm-risk resume)")
    and contains("Divergence from the backtest: not measured")'
  run --separate-stderr sm-alert summary
  echo "$output" | jq -e '.stored == false'
  [ "$(alerts_with daily_summary)" -eq 1 ]
  run --separate-stderr sm-alert --no-stdin
  echo "$output" | jq -e -s 'map(select(.event == "daily_summary")) | length == 1
    and (.[0].text | startswith("INFO · daily summary"))'
}

@test "email: a plain-text UTF-8 mail over SMTP, retried after a temporary failure" {
  python3 "$SM_ROOT/tests/cli/smtp_server.py" "$SM_TEST_DIR/mail.ndjson" 1 >"$SM_TEST_DIR/smtp.out" &
  SERVER_PID=$!
  wait_for 10 test -s "$SM_TEST_DIR/smtp.out"
  local port
  port=$(jq -r .port "$SM_TEST_DIR/smtp.out")
  config "{\"alert\": {\"channels\": [\"email\"], \"poll_interval_ms\": 100,
           \"retry\": {\"initial_backoff_ms\": 100},
           \"email\": {\"url\": \"smtp://127.0.0.1:$port\", \"from\": \"bot@example.com\",
                       \"to\": [\"owner@example.com\", \"pager@example.com\"]}}}"
  run --separate-stderr sm-alert --config alert.jsonc --drain-ms 5000 < <(alert_line kill_switch_latency critical latency:1)
  [ "$status" -eq 0 ]
  echo "$stderr" | jq -e -s 'any(.event == "alert_delivery_failed" and (.error | startswith("smtp:")))'
  echo "$stderr" | jq -e -s 'any(.event == "finished" and .delivered == 1)'
  [ "$(wc -l <mail.ndjson)" -eq 1 ]
  jq -e '.from == "<bot@example.com>" and .to == ["<owner@example.com>", "<pager@example.com>"]' mail.ndjson
  jq -e '.data | contains("From: bot@example.com\r\nTo: owner@example.com, pager@example.com\r\n")
    and contains("Subject: =?UTF-8?B?")
    and contains("Content-Type: text/plain; charset=UTF-8\r\n")
    and contains("X-StalkMarket-Incident: sm-risk:latency:1\r\n")
    and contains("\r\n\r\nCRITICAL · kill switch latency\r\n2025-12-08 14:32:05 IST · sm-risk\r\n")' mail.ndjson
}

@test "email: a configured email channel without an address is a configuration error" {
  config '{"alert": {"channels": ["email"], "email": {"url": "smtp://127.0.0.1:25", "from": "bot@example.com"}}}'
  run --separate-stderr sm-alert --config alert.jsonc </dev/null
  [ "$status" -eq 4 ]
  echo "$stderr" | jq -e -s 'any(.event == "config_error" and (.message | contains("alert.email.to")))'
}

@test "unit-failed: stores the critical alert unit_failed for the unit and delivers it at once" {
  run --separate-stderr sm-alert unit-failed sm-risk.service --drain-ms 0
  echo "$stderr"
  [ "$status" -eq 0 ]
  assert_json_lines
  echo "$output" | jq -e -s 'length == 1 and (.[0].text | contains("sm-risk.service failed"))
                              and (.[0].text | contains("journalctl -u"))'
  [ "$(sqlite3 "$SM_DB" "SELECT severity || ' ' || component || ' ' || event FROM alerts")" = \
    "critical sm-risk.service unit_failed" ]
  # A second failure of the same unit is a new incident, also delivered.
  run --separate-stderr sm-alert unit-failed sm-risk.service --drain-ms 0
  [ "$status" -eq 0 ]
  [ "$(sqlite3 "$SM_DB" "SELECT count(*) FROM alerts WHERE event = 'unit_failed'")" -eq 2 ]
}

@test "unit-failed while sm-alert.service runs: a slow channel gets the alert once" {
  # The webhook answers after 1.5 s, far beyond the first retry backoff (100 ms): before the
  # claim lasted as long as a send may take, the second sm-alert sent the row again meanwhile.
  start_server '[{"status": 200, "body": "{}", "delay_ms": 1500}]'
  config '{"alert": {"channels": ["webhook"], "retry": {"initial_backoff_ms": 100}, "poll_interval_ms": 50}}'
  export SM_ALERT_WEBHOOK_URL="$SERVER_URL/hook"
  sm-alert --config alert.jsonc --no-stdin --follow >/dev/null 2>service.err &
  ALERT_PID=$!
  run --separate-stderr sm-alert --config alert.jsonc unit-failed sm-order.service --drain-ms 4000
  [ "$status" -eq 0 ]
  delivered() { [ "$(sqlite3 "$SM_DB" "SELECT COUNT(*) FROM alert_outbox WHERE delivered_ms IS NOT NULL")" = 1 ]; }
  wait_for 10 delivered
  # A second send would have started within the 1.5 s the first one took: it would be logged.
  [ "$(requests | wc -l)" -eq 1 ]
  requests | jq -e '.body | fromjson | .event == "unit_failed" and (.text | contains("sm-order.service"))'
  [ "$(sqlite3 "$SM_DB" "SELECT attempts FROM alert_outbox")" -eq 1 ]
}

@test "unit-failed: a name that is not a unit, or none, is a usage error" {
  assert_usage_error sm-alert unit-failed 'sm-order; rm -rf /'
  assert_usage_error sm-alert unit-failed
}

# token_file ISSUED_AT: the Kite token file as sm-order login writes it (mode 0600), with the
# given login time (UTC), or without one when ISSUED_AT is empty.
token_file() {
  export SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  {
    echo "SM_KITE_ACCESS_TOKEN=tok"
    [ -z "$1" ] || echo "SM_KITE_TOKEN_ISSUED_AT=$1"
  } >"$SM_KITE_TOKEN_FILE"
  chmod 600 "$SM_KITE_TOKEN_FILE"
}

login_alerts() { sqlite3 "$SM_DB" "SELECT dedup_key FROM alerts WHERE event = 'token_login_needed' ORDER BY id" | paste -sd' '; }

@test "token-reminder: a missing or stale token file on a trading day is a stored warning, delivered" {
  export SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  run --separate-stderr sm-alert token-reminder --at 2026-12-07T08:00
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.type == "token_reminder" and .date == "2026-12-07" and .trading_day
    and .login_needed and (.text | startswith("there is no Kite access token file"))'
  # Logged in on Monday at 09:40 IST: the token ended on Tuesday at 06:00 IST.
  token_file 2026-12-07T04:10:00.000Z
  run --separate-stderr sm-alert token-reminder --at 2026-12-08T08:00
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.login_needed and (.text | contains("ended at 2026-12-08 06:00:00 IST"))'
  # A file without the login time (written by hand) counts from its modification time.
  token_file ""
  touch -d '2026-12-09T00:29:00Z' "$SM_KITE_TOKEN_FILE"
  run --separate-stderr sm-alert token-reminder --at 2026-12-09T08:00
  echo "$output" | jq -e '.login_needed'
  [ "$(login_alerts)" = "token_login:2026-12-07 token_login:2026-12-08 token_login:2026-12-09" ]
  # sm-alert deliver sends each once, with what to do.
  run --separate-stderr sm-alert --no-stdin --drain-ms 0
  [ "$status" -eq 0 ]
  echo "$output" | jq -e -s 'length == 3 and all(.text | contains("sm-order login"))'
}

@test "token-reminder: a fresh token, or a holiday, stores nothing" {
  # Logged in on Wednesday 2026-12-09 at 06:30 IST, after Kite's 06:00 cut-off.
  token_file 2026-12-09T01:00:00.000Z
  run --separate-stderr sm-alert token-reminder --at 2026-12-09T08:00
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '.trading_day and (.login_needed | not) and (has("text") | not)'
  # Christmas (a Friday) is an NSE holiday: no reminder even for a stale token.
  run --separate-stderr sm-alert token-reminder --at 2026-12-25T08:00
  [ "$status" -eq 0 ]
  echo "$output" | jq -e '(.trading_day | not) and (.login_needed | not)'
  [ -z "$(login_alerts)" ]
}

@test "token-reminder: a bad --at is a usage error" {
  assert_usage_error sm-alert token-reminder --at yesterday
}
