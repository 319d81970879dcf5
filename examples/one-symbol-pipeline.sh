#!/usr/bin/env bash
# One symbol through the whole live pipeline, on history instead of the market:
#   stored bars -> sm-ingest replay -> sm-signal -> sm-risk -> sm-order -> sm-paper (paper broker)
# then sm-reconcile and sm-status. The same chain the systemd units run, in one shell pipe.
#   usage: examples/one-symbol-pipeline.sh [SYMBOL [OUT_DIR]]   (programs on PATH; default TCS)
# The bars come from data/sample/SYMBOL.csv (RELIANCE, TCS, INFY, WIPRO); the year 2019 is
# replayed at a calendar day every 30 ms, so each fill is stored before the next bar comes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
symbol=${1:-TCS}
out=${2:-out/pipeline-$symbol}
rm -rf "$out" && mkdir -p "$out"
# History in a database of its own, trades in another: the risk gateway then sees only the prices
# up to the replayed moment.
export SM_DB="$out/stalkmarket.db"
export SM_PAPER_API_KEY=example SM_KITE_API_KEY=example
export SM_PAPER_ACCESS_TOKEN=example-token SM_KITE_ACCESS_TOKEN=example-token
unset SM_CONFIG SM_SECRETS_FILE SM_KITE_TOKEN_FILE
sm-ingest --db "$out/market.db" "$root/data/sample/$symbol.csv" >/dev/null 2>"$out/ingest.log"

sm-paper --port 0 --state "$out/paper.db" --clock market --market-hours always --cash 1000000 \
  >"$out/paper.out" 2>"$out/paper.log" &
paper=$!
trap 'kill "$paper" 2>/dev/null || true' EXIT
# Up to 2 minutes: under emulation on a busy machine (qemu-user, bench/pipeline-memory on the Pi
# build) starting it has taken over a minute.
for _ in $(seq 1200); do
  [ -s "$out/paper.out" ] && break
  kill -0 "$paper" 2>/dev/null || break
  sleep 0.1
done
url=$(jq -r 'select(.type == "paper_listening") | .url' "$out/paper.out")
[ -n "$url" ] || { echo "sm-paper did not start: $out/paper.log" >&2; exit 1; }

sm-ingest replay --db "$out/market.db" --symbol "$symbol" --timeframe 1d \
  --from 2019-01-01 --to 2019-12-31 --speed 2880000 2>"$out/replay.log" |
  sm-signal --strategy sma-cross --param fast=10 --param slow=30 --param sizing=fixed_qty \
    --param qty=100 --echo-market-data 2>"$out/signal.log" |
  sm-risk --config "$root/examples/demo.jsonc" --event-time 2>"$out/risk.log" |
  sm-order --broker-url "$url" --paper-prices --eof-wait 5 2>"$out/order.log" >"$out/pipeline.ndjson"

echo "what came out of the pipeline ($out/pipeline.ndjson):"
jq -r 'select(.type != "bar") | .type' "$out/pipeline.ndjson" | sort | uniq -c
sm-reconcile --broker-url "$url" --table 2>"$out/reconcile.log"
# The trading database gets the replayed prices too, so sm-status can value what is still held.
sm-ingest replay --db "$out/market.db" --symbol "$symbol" --timeframe 1d --to 2019-12-31 \
  2>/dev/null | sm-ingest --stdin 2>>"$out/ingest.log"
sm-status
