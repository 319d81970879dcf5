#!/usr/bin/env bash
# A research session on the bundled NSE daily bars: ingest into a database of its own, look at an
# indicator, sweep a strategy's parameters, then run the best set once more for its full report.
#   usage: examples/research.sh [OUT_DIR]        (the sm-* programs on PATH; default out/research)
# Everything it writes is under OUT_DIR: research.db, sweep/, best/report.html.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-out/research}
symbol=TCS
mkdir -p "$out"
export SM_DB="$out/research.db"

echo "== ingest $symbol and INFY daily bars into $SM_DB"
sm-ingest "$root/data/sample/$symbol.csv" "$root/data/sample/INFY.csv" 2>"$out/ingest.log" >/dev/null
jq -r 'select(.event == "ingest_summary") | "   \(.accepted) bars stored"' "$out/ingest.log"

echo "== the last three days of RSI(14) on $symbol"
sm-signal indicators --symbol "$symbol" --timeframe 1d --indicator rsi:14 --format csv 2>/dev/null |
  tail -n 3

echo "== sweep sma-cross over fast x slow on $symbol (from the database), ranked by Sharpe"
sm-backtest sweep --strategy sma-cross --param sizing=fixed_qty --param qty=100 --symbol "$symbol" \
  --grid fast=5:20:5 --grid slow=30,50,100 --rank-by sharpe --no-progress --out "$out/sweep" \
  2>"$out/sweep.log" | head -n 8

best=$(jq -c 'select(.type == "sweep_result" and .rank == 1) | .params' "$out/sweep/sweep.ndjson")
fast=$(jq -r .fast <<<"$best")
slow=$(jq -r .slow <<<"$best")
echo "== the best set, fast=$fast slow=$slow, with India equity delivery charges"
sm-backtest run --strategy sma-cross --param sizing=fixed_qty --param qty=100 \
  --param fast="$fast" --param slow="$slow" --symbol "$symbol" --costs india-equity \
  --out "$out/best" 2>"$out/best.log" | tail -n 12
echo "report: $out/best/report.html"
