#!/usr/bin/env bash
# Memory of `sm-ingest ticker` over a long stream: N symbols ticking once a simulated second for
# MINUTES simulated minutes, stored, replayed at SPEED times real time into sm-paper, whose ticker
# sends what changed every millisecond (--ticker-interval-ms 1, its fastest) to sm-ingest ticker
# (quote mode by default), which stores every tick and builds the bars. The resident set size of
# sm-ingest is sampled about every second (rss.csv in the --keep directory: wall seconds, RSS, ticks
# stored); the summary line gives the RSS at the first sample, once warmed up (after the first
# tenth of the samples), at the end, the growth between the last two and the peak (VmHWM).
# --speed 1 streams in real time: --minutes 60 is a wall-clock hour.
#
#   bench/ticker_memory.sh [BUILD_DIR] [--symbols N] [--minutes N] [--speed N] [--mode M]
#                          [--keep DIR]
#
# Quote packets are stamped with the time they arrive, so bars follow the wall clock as live.
# Full packets carry the replayed (past) exchange time: --mode full also runs the depth path and
# builds a bar per symbol and simulated minute.
#
# Figures and the machine they were measured on: bench/README.md, "ticker_memory.sh".
set -euo pipefail

build=build
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then build=$1; shift; fi
symbols=50
minutes=60
speed=60
mode=quote
keep=
while [ $# -gt 0 ]; do
  case $1 in
    --symbols) symbols=$2; shift 2 ;;
    --minutes) minutes=$2; shift 2 ;;
    --speed) speed=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    *) echo "ticker_memory.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
bin=$(cd "$build/bin" && pwd)
dir=${keep:-$(mktemp -d "${TMPDIR:-/tmp}/ticker-memory.XXXXXX")}
mkdir -p "$dir"
cd "$dir"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$keep" ] || rm -rf "$dir"
}
trap cleanup EXIT

# The instruments both sides know: tokens 256 * i + 1 (segment NSE), tick 5 paise.
{
  echo "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,instrument_type,segment,exchange"
  for i in $(seq 1 "$symbols"); do echo "$((256 * i + 1)),$i,SYM$i,SYMBOL $i,0.0,,0.0,0.05,1,EQ,NSE,NSE"; done
} >instruments.csv

# A Monday's session from 10:00 IST: one tick a second per symbol, a random walk in paise.
start_s=$(date -u -d '2025-03-03T04:30:00Z' +%s)
awk -v n="$symbols" -v seconds=$((minutes * 60)) -v start="$start_s" 'BEGIN {
  srand(1)
  for (i = 1; i <= n; ++i) price[i] = 100000 + i * 100
  for (s = 0; s < seconds; ++s) {
    ts = strftime("%Y-%m-%dT%H:%M:%S.000Z", start + s, 1)
    for (i = 1; i <= n; ++i) {
      price[i] += int(rand() * 11) * 5 - 25
      if (price[i] < 1000) price[i] = 1000
      volume[i] += 1 + int(rand() * 20)
      printf "{\"type\":\"tick\",\"ts\":\"%s\",\"symbol\":\"SYM%d\",\"price\":%.2f,\"qty\":1,\"volume\":%d}\n", ts, i, price[i] / 100, volume[i]
    }
  }
}' >ticks.ndjson
"$bin/sm-ingest" --db market.db <ticks.ndjson >/dev/null 2>market.log
ticks=$(wc -l <ticks.ndjson)

export SM_PAPER_API_KEY=benchkey SM_PAPER_ACCESS_TOKEN=benchtoken SM_PAPER_API_SECRET=benchsecret
export SM_KITE_API_KEY=benchkey SM_KITE_ACCESS_TOKEN=benchtoken SM_KITE_TOKEN_FILE="$dir/token"
# The replay starts once sm-ingest is connected (the file `go` appears).
(
  while [ ! -e go ]; do sleep 0.05; done
  exec "$bin/sm-ingest" --db market.db replay --ticks --from 2025-03-03 --to 2025-03-03 \
    --speed "$speed" 2>replay.log
) | "$bin/sm-paper" --port 0 --state paper.db --market-hours always --no-rate-limits \
  --instruments instruments.csv --prices - --ticker-port 0 --ticker-interval-ms 1 \
  >paper.out 2>paper.err &
pids+=($!)
for _ in $(seq 1 200); do [ -s paper.out ] && break; sleep 0.05; done
ticker_url=$(jq -r .ticker_url paper.out)

"$bin/sm-ingest" --db live.db instruments --file instruments.csv >/dev/null 2>instruments.log
args=()
for i in $(seq 1 "$symbols"); do args+=(--symbol "SYM$i"); done
"$bin/sm-ingest" --db live.db ticker --url "$ticker_url" --mode "$mode" "${args[@]}" \
  >/dev/null 2>ingest.err &
ingest=$!
pids+=("$ingest")
for _ in $(seq 1 200); do grep -q ticker_connected ingest.err && break; sleep 0.05; done
touch go

# Sample until the replay's last tick is stored (or the stream has been quiet for 30 s).
rss() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$ingest/status"; }
stream_s=$(((minutes * 60 + speed - 1) / speed))
# The first column is wall-clock seconds since the replay started (counting the database's rows
# takes time too, so samples drift apart on a long stream); the third, the ticks stored by then.
echo "second,rss_kb,ticks_stored" >rss.csv
last_count=-1
quiet=0
samples=0
SECONDS=0
while kill -0 "$ingest" 2>/dev/null; do
  sleep 1
  samples=$((samples + 1))
  count=$(sqlite3 live.db 'SELECT count(*) FROM ticks' 2>/dev/null || echo "$last_count")
  echo "$SECONDS,$(rss VmRSS),$count" >>rss.csv
  [ "$count" -ge "$ticks" ] && break
  if [ "$count" = "$last_count" ] && [ "$SECONDS" -gt "$stream_s" ]; then
    quiet=$((quiet + 1))
    [ "$quiet" -ge 30 ] && break
  else
    quiet=0
  fi
  last_count=$count
done
peak=$(rss VmHWM)
elapsed=$SECONDS
kill -TERM "$ingest"
wait "$ingest" || true
start=$(sed -n 2p rss.csv | cut -d, -f2)
warm_row=$((samples / 10 + 2))  # + the header line
warm=$(sed -n "${warm_row}p" rss.csv | cut -d, -f2)
final=$(tail -1 rss.csv | cut -d, -f2)
stored=$(sqlite3 live.db 'SELECT count(*) FROM ticks')
bars=$(sqlite3 live.db 'SELECT count(*) FROM bars')
printf '{"mode":"%s","symbols":%d,"simulated_minutes":%d,"speed":%d,"ticks_sent":%d,"ticks_stored":%d,"bars_stored":%d,"seconds":%d,"rss_start_kb":%d,"rss_warm_kb":%d,"rss_final_kb":%d,"rss_growth_kb":%d,"rss_peak_kb":%d}\n' \
  "$mode" "$symbols" "$minutes" "$speed" "$ticks" "$stored" "$bars" "$elapsed" "$start" "$warm" \
  "$final" "$((final - warm))" "$peak"
