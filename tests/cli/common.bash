# Shared set-up for every program's bats tests: a private temporary directory and database, and
# the build's programs first on PATH. scripts/run-tests sets SM_BIN to the build's bin directory.
bats_require_minimum_version 1.5.0

SM_ROOT="$(cd "$BATS_TEST_DIRNAME/../.." && pwd)"
SM_SAMPLE="$SM_ROOT/data/sample"
SM_FIXTURES="$SM_ROOT/tests/fixtures"
# SM_TIME_SCALE: how many times longer the tests wait for something to happen: wait_for's
# deadlines, start_paper's wait for the announcement, the window notify-socket.py holds a program
# open, and what a test passes through `scaled`. 1 natively; scripts/pi-test sets it for programs
# run under qemu-user, which are many times slower. It stretches only the tests' waits: the
# programs' own settings (timeouts, intervals, ages) are what the test gives them either way.
export SM_TIME_SCALE=${SM_TIME_SCALE:-1}

# scaled SECONDS: SECONDS (fractions allowed) times SM_TIME_SCALE, e.g. sleep "$(scaled 0.5)".
scaled() {
  awk -v s="$1" -v k="$SM_TIME_SCALE" 'BEGIN { printf "%.3f\n", s * k }'
}

# scaled_whole SECONDS: the same rounded up to whole seconds, for deadlines on bash's $SECONDS.
scaled_whole() {
  awk -v s="$1" -v k="$SM_TIME_SCALE" 'BEGIN { x = s * k; printf "%d\n", (x > int(x) ? int(x) + 1 : x) }'
}

setup() {
  SM_TEST_DIR="$(mktemp -d "${BATS_TMPDIR:-/tmp}/sm-cli.XXXXXX")"
  export SM_DB="$SM_TEST_DIR/test.db"
  export PATH="${SM_BIN:?set SM_BIN to the build bin directory}:$PATH"
  unset SM_CONFIG SM_LOG_LEVEL
  cd "$SM_TEST_DIR" || return 1
}

# The CMake build directory SM_BIN belongs to (the install and package tests install from it).
build_dir() {
  (cd "$SM_BIN/.." && pwd)
}

# A test that runs sm-order in the background names it in ORDER_PID; whatever state the test
# ended in, it is killed here before the paper broker stops.
teardown() {
  if [ -n "${ORDER_PID:-}" ] && kill -0 "$ORDER_PID" 2>/dev/null; then
    kill -KILL "$ORDER_PID"
    wait "$ORDER_PID" || true
  fi
  stop_paper || true
  cd / && rm -rf "$SM_TEST_DIR"
}

# start_paper [sm-paper flags...]: starts the paper broker in the background on an ephemeral
# 127.0.0.1 port (state $SM_TEST_DIR/paper.db, stdout paper.out, stderr paper.err, credentials
# testkey / testtoken / testsecret), waits for its announcement line and sets PAPER_PID and
# PAPER_URL. Fails when sm-paper exits or stays silent for 10 s (scaled).
start_paper() {
  export SM_PAPER_API_KEY=testkey SM_PAPER_ACCESS_TOKEN=testtoken SM_PAPER_API_SECRET=testsecret
  sm-paper --port 0 --state "$SM_TEST_DIR/paper.db" --market-hours always "$@" \
    >"$SM_TEST_DIR/paper.out" 2>"$SM_TEST_DIR/paper.err" &
  PAPER_PID=$!
  for _ in $(seq 1 "$(awk -v k="$SM_TIME_SCALE" 'BEGIN { printf "%d", 200 * k }')"); do
    [ -s "$SM_TEST_DIR/paper.out" ] && break
    kill -0 "$PAPER_PID" 2>/dev/null || break
    sleep 0.05
  done
  PAPER_URL=$(jq -r .url "$SM_TEST_DIR/paper.out")
  if [ -z "$PAPER_URL" ] || [ "$PAPER_URL" = null ]; then
    echo "sm-paper did not start:" >&2
    cat "$SM_TEST_DIR/paper.err" >&2
    return 1
  fi
}

# stop_paper: SIGTERM to the paper broker start_paper started, and its exit status once it ended.
# Nothing to do (status 0) when none is running; the common teardown calls it.
stop_paper() {
  [ -n "${PAPER_PID:-}" ] || return 0
  local pid=$PAPER_PID status=0
  PAPER_PID=
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || status=$?
  return "$status"
}

# start_quoted_paper QUOTE_LINES: start_paper --no-rate-limits fed the given paper_quote NDJSON
# lines, with the Kite settings of sm-order and sm-reconcile (testkey / testtoken, a token file in
# the test directory, the broker's base URL) pointing at it.
start_quoted_paper() {
  start_paper --no-rate-limits
  curl -sf -X POST "$PAPER_URL/_paper/prices" --data-binary "$1" >/dev/null
  export SM_KITE_API_KEY=testkey SM_KITE_ACCESS_TOKEN=testtoken SM_KITE_TOKEN_FILE="$SM_TEST_DIR/kite_token"
  export SM_CFG__BROKER__BASE_URL="$PAPER_URL"
}

# replay_risk_section: the "risk" member of the configuration the parity and pipeline tests run
# with (close to examples/demo.jsonc: daily bars replayed as history), without a trailing comma.
# The kill switches keep their defaults, so position-loss exits happen on the bundled data.
replay_risk_section() {
  cat <<'EOF'
  "risk": {
    "capital": "1000000.00",
    "max_order_qty": 500,
    "max_order_value": "300000.00",
    "max_total_exposure": "900000.00",
    "max_symbol_exposure": "300000.00",
    "max_open_positions": 3,
    "order_type": "MARKET",
    "session_checks": false,
    "required_components": [],
    "broker_disconnect_halt_s": 1000000000
  }
EOF
}

# kite METHOD PATH [curl args...]: a request to the paper broker's Kite REST API with the
# start_paper credentials; prints the response body.
kite() {
  local method=$1 path=$2
  shift 2
  curl -s -X "$method" -H 'X-Kite-Version: 3' -H 'Authorization: token testkey:testtoken' "$@" "$PAPER_URL$path"
}

# assert_usage_error COMMAND...: the command is refused as every program refuses bad flags: exit 2,
# nothing on stdout and a usage_error JSON line on stderr.
assert_usage_error() {
  run --separate-stderr "$@"
  [ "$status" -eq 2 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e '.event == "usage_error"'
}

# A port nothing listens on (bash's /dev/tcp fails to connect to it).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

# order_status CLIENT_ORDER_ID: the order's status in $SM_DB; status_is ID STATUS: whether it is.
order_status() { sqlite3 "$SM_DB" "SELECT status FROM orders WHERE client_order_id = '$1'"; }
status_is() { [ "$(order_status "$1")" = "$2" ]; }

# wait_for SECONDS COMMAND...: runs the command every 0.1 s until it succeeds; fails after SECONDS
# (scaled, rounded up to whole seconds).
wait_for() {
  local deadline
  deadline=$((SECONDS + $(scaled_whole "$1")))
  shift
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# Fails unless every non-empty line of the file (default: $output) is one JSON object.
assert_json_lines() {
  local file=${1:-}
  if [ -z "$file" ]; then
    file="$SM_TEST_DIR/.output"
    printf '%s\n' "$output" >"$file"
  fi
  if ! jq -R -e -s 'split("\n") | map(select(length > 0) | fromjson | type == "object") | all' "$file" >/dev/null; then
    echo "not every line of $file is a JSON object:" >&2
    head -5 "$file" >&2
    return 1
  fi
}

# assert_config_error FILE EXPECTED COMMAND...: the command, given a configuration FILE it must
# refuse, exits 4 with nothing on stdout and one error line on stderr, a config_error whose
# message names the file and EXPECTED (the key or section at fault).
assert_config_error() {
  local file=$1 expected=$2
  shift 2
  run --separate-stderr "$@" </dev/null
  echo "$file: status $status, stderr: $stderr" >&2
  [ "$status" -eq 4 ]
  [ -z "$output" ]
  echo "$stderr" | jq -e -s --arg file "$file" --arg expected "$expected" \
    'map(select(.level == "error")) | length == 1 and .[0].event == "config_error"
     and (.[0].message | contains($file)) and (.[0].message | contains($expected))'
}

# assert_config_refused COMMAND...: how every program treats --config (docs/CONFIG.md). Given a
# --config file that does not exist, then one with an unknown key, then one with an unknown section,
# the command is refused as assert_config_error says, naming the file, the key, the section.
assert_config_refused() {
  local case file
  printf '{"risk": {"capital": "100000", "max_ordr_qty": 5}}\n' >"$SM_TEST_DIR/typo.jsonc"
  printf '{"riks": {"capital": "100000"}}\n' >"$SM_TEST_DIR/section.jsonc"
  for case in "missing.jsonc:missing.jsonc" "typo.jsonc:risk.max_ordr_qty" "section.jsonc:riks"; do
    file=${case%%:*}
    assert_config_error "$file" "${case#*:}" "$@" --config "$SM_TEST_DIR/$file"
  done
}

# assert_example_config_loads COMMAND...: the command accepts examples/stalkmarket.jsonc: stderr
# has a config_loaded line naming it and no config_error line naming the file. $status and
# $stderr are left for further checks.
assert_example_config_loads() {
  local example="$SM_ROOT/examples/stalkmarket.jsonc"
  run --separate-stderr "$@" --config "$example" </dev/null
  echo "status $status, stderr: $stderr" >&2
  echo "$stderr" | jq -e -s --arg file "$example" \
    'any(.event == "config_loaded" and .path == $file)
     and (map(select(.event == "config_error" and (.message | contains("stalkmarket.jsonc"))))
          | length == 0)'
}

# N one-minute bars of BENCH (a fixed-seed random walk, weekdays 09:15-15:29 from 2000-01-03).
write_minute_bars() {
  awk -v n="$1" '
    function civil(z,   era, doe, yoe, y, doy, mp, d, m) {
      z += 719468; era = int(z / 146097); doe = z - era * 146097
      yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
      y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
      mp = int((5 * doy + 2) / 153); d = doy - int((153 * mp + 2) / 5) + 1
      m = mp < 10 ? mp + 3 : mp - 9
      return sprintf("%04d-%02d-%02d", m <= 2 ? y + 1 : y, m, d)
    }
    BEGIN {
      srand(7); print "symbol,ts,open,high,low,close,volume"; close_ = 100000
      for (day = 10959; written < n; day++) {
        if ((day + 3) % 7 >= 5) continue
        date = civil(day)
        for (minute = 0; minute < 375 && written < n; minute++) {
          open_ = close_; close_ = open_ + int(rand() * 606) - 300; if (close_ < 1000) close_ = 1000
          high = (open_ > close_ ? open_ : close_) + int(rand() * 200)
          low = (open_ < close_ ? open_ : close_) - int(rand() * 200)
          t = 555 + minute
          printf "BENCH,%s %02d:%02d:00,%.2f,%.2f,%.2f,%.2f,%d\n", date, int(t / 60), t % 60,
            open_ / 100, high / 100, low / 100, close_ / 100, 100 + int(rand() * 4900)
          written++
        }
      }
    }'
}
