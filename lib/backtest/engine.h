// The backtest engine: replays bars through strategy instances (the same lib/strategy code that
// sm-signal runs), passes each signal through a SignalGate, and fills the resulting orders in a
// simulated broker with one shared cash account. docs/BACKTEST.md is the user's guide; this header
// is the contract.
//
// Per bar time (all symbols with a bar at that time, in symbol order):
//   1. fills: orders waiting from earlier bars fill at this bar's open or inside its range
//      (sells before buys, so cash freed by exits is available to entries);
//   2. decisions: every instance decides at the close from the position after those fills; a
//      signal passes the gate and the portfolio checks and becomes an order (with --fill close a
//      market order fills at once at this close, sells before buys);
//   3. the equity point: cash + every position at its symbol's latest close.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/gate.h"
#include "backtest/market_data.h"
#include "core/messages.h"
#include "core/status.h"
#include "costs/cost_model.h"

namespace sm::backtest {

// When a market order decided at a bar's close fills.
enum class FillTiming {
  kNextOpen,   // "next-open": at the open of the symbol's next bar (the default)
  kSameClose,  // "close": at the close of the deciding bar itself
};
Result<FillTiming> parse_fill_timing(std::string_view text);
std::string_view fill_timing_name(FillTiming timing);

// The order an entry decision becomes. Exits are always market orders.
enum class EntryOrder {
  kMarket,  // "market"
  kLimit,   // "limit": buy limit `entry_offset` below the close
  kStop,    // "stop": buy stop `entry_offset` above the close (enter only if price keeps rising)
};
Result<EntryOrder> parse_entry_order(std::string_view text);
std::string_view entry_order_name(EntryOrder order);

// Slippage: how much worse than the reference price a market or stop order fills (buys higher,
// sells lower). Limit orders fill at their limit or better and get none.
struct Slippage {
  enum class Kind { kNone, kBasisPoints, kTicks };
  Kind kind = Kind::kNone;
  std::int64_t centi_bps = 0;  // kBasisPoints, in hundredths of a basis point: 250 = 2.5 bps
  std::int64_t ticks = 0;      // kTicks: NSE ticks at the price (0.05 at 250 and above, else 0.01)
};
// "0" or "none"; "5bps", "2.5bps"; "1tick", "2ticks". Fails with kInvalidArgument.
Result<Slippage> parse_slippage(std::string_view text);
std::string slippage_name(const Slippage& slippage);
// The price after slippage: price ± round_half_away(price * bps / 10000), or ± ticks * tick size.
Paise apply_slippage(const Slippage& slippage, Paise price, Side side);

struct EngineConfig {
  Paise starting_cash = 10'000'000 * kPaisePerRupee;
  FillTiming fill = FillTiming::kNextOpen;
  EntryOrder entry_order = EntryOrder::kMarket;
  std::int64_t entry_offset_centi_bps = 0;  // limit/stop entries: distance from the close
  int order_valid_bars = 1;       // limit/stop entries: bars they wait for a fill before expiring
  bool protective_stops = false;  // rest a sell-stop at each entry's stop while the position lasts
  Slippage slippage;
  // Fraction of a bar's volume the orders of its symbol may take together (0 = no cap). The rest
  // of a market or entry order is cancelled; a protective stop keeps the rest resting.
  double volume_cap = 0;
  Product product = Product::kDelivery;  // selects the cost model's rates
  int max_open_positions = 0;            // entries refused while this many are open; 0 = no limit
  Paise max_position_value = 0;          // entries reduced to fit at the fill price; 0 = no limit
  bool close_at_end = false;  // sell open positions at the last close (else mark them to market)
  // Bars before this time only warm the strategies up: no orders, no equity points.
  TimestampMs trade_from = std::numeric_limits<TimestampMs>::min();
  // Keep the per-signal and per-fill records and an equity point per bar time. Sweeps turn this
  // off: they need only the trades and the daily equity for the metrics, so the equity curve then
  // keeps one point per IST date (the day's last, invested when any point that day was), which
  // keeps its memory flat in the number of bars and gives summarize() the same result.
  bool record_details = true;
  // Keep every round trip in BacktestResult::trades. Off for a run that reports only the summary:
  // the result then holds trade_totals alone, which is all the metrics read of the trades.
  bool keep_trades = true;
};

// Checks the ranges (cash > 0, offsets >= 0, valid bars >= 1, volume_cap in [0, 1], limits >= 0).
Status validate(const EngineConfig& config);

// One strategy instance definition; the engine makes one Strategy object per symbol.
struct StrategySpec {
  std::string id;         // instance name used in signals, fills and positions; default: name
  std::string name;       // registry name, e.g. "sma-cross"
  nlohmann::json params;  // e.g. {"fast": 10, "slow": 30, "qty": 100}; null = defaults
  std::vector<std::string> symbols;  // empty: every symbol in the data
};

// What became of a signal.
enum class SignalOutcome {
  kFilled,            // the order filled completely
  kPartiallyFilled,   // volume cap or cash: part filled, the rest cancelled
  kDenied,            // the gate said no
  kRefusedPositions,  // max_open_positions reached
  kRefusedCash,       // not enough cash for even one share
  kExpired,           // a limit/stop entry not reached within order_valid_bars
  kUnfilled,          // still waiting when the data ended (e.g. a signal on the last bar)
  kCancelled,         // a protective stop filled first and closed the position
  kNoVolume,          // the volume cap left nothing to fill
};
std::string_view signal_outcome_name(SignalOutcome outcome);

struct SignalRecord {
  Signal signal;
  Paise bar_close = 0;
  GateDecision gate;
  SignalOutcome outcome = SignalOutcome::kUnfilled;
  std::string detail;  // why it was refused, reduced or cancelled
  Quantity filled_qty = 0;
};

struct FillRecord {
  Fill fill;  // fill.charges is charges.total()
  costs::Charges charges;
  Paise cash_after = 0;
  std::string order_type;          // MARKET, LIMIT, SL-M
  std::string trigger;             // "open", "close", "limit", "stop", "protective_stop", "end"
  std::int64_t signal_index = -1;  // into BacktestResult::signals, -1 for none (end-of-run close)
};

// A round trip: from flat to flat for one instance and symbol. Values are exact paise; prices are
// value / qty rounded half-even when the fills had several prices.
struct TradeRecord {
  std::string strategy;
  std::string symbol;
  TimestampMs entry_ts = 0;  // first entry fill
  TimestampMs exit_ts = 0;   // last exit fill
  Quantity qty = 0;          // shares bought (= sold)
  Paise entry_value = 0;     // sum of buy fills' price * qty
  Paise exit_value = 0;
  Paise gross_pnl = 0;         // exit_value - entry_value
  costs::Charges charges;      // both legs
  Paise net_pnl = 0;           // gross - charges
  std::int64_t bars_held = 0;  // the symbol's bars from the entry fill's to the exit fill's
  std::string exit_reason;     // "signal", "protective_stop", "end"
  Paise entry_price() const;
  Paise exit_price() const;
};

// What the trade statistics (metrics.h) read of the round trips: sums kept as each one closes.
struct TradeTotals {
  std::int64_t trades = 0;
  std::int64_t winners = 0;  // net P&L > 0
  std::int64_t losers = 0;   // net P&L < 0
  std::int64_t bars_held = 0;
  Paise gross_pnl = 0;
  Paise net_pnl = 0;
  Paise wins = 0;    // sum of the winners' net P&L
  Paise losses = 0;  // sum of the losers' (<= 0)
  Paise largest_win = 0;
  Paise largest_loss = 0;
  void add(const TradeRecord& trade);
};

// A position still open after the last bar, marked at its symbol's last close.
struct OpenPosition {
  std::string strategy;
  std::string symbol;
  TimestampMs entry_ts = 0;
  Quantity qty = 0;       // shares held
  Paise entry_value = 0;  // of every buy of this round trip
  Paise exit_value = 0;   // of any partial sells
  Quantity bought_qty = 0;
  Paise entry_price = 0;  // entry_value / bought_qty, rounded half even
  TimestampMs mark_ts = 0;
  Paise mark_price = 0;
  // What the round trip would make if the rest were sold at the mark: exit_value + qty * mark
  // - entry_value (gross of charges).
  Paise unrealized_pnl = 0;
  costs::Charges charges;  // paid so far
};

struct EquityPoint {
  TimestampMs ts = 0;  // the bar time (start of the bars that closed)
  Paise cash = 0;
  Paise positions_value = 0;  // sum of qty * latest close
  Paise equity() const { return cash + positions_value; }
  bool invested = false;  // some position was open at this point
};

struct BacktestResult {
  EngineConfig config;
  std::vector<StrategySpec> strategies;
  std::string gate_name;
  std::string cost_model;
  std::int64_t bars = 0;          // bars replayed (warm-up included)
  std::int64_t trading_bars = 0;  // bars at or after trade_from
  TimestampMs first_ts = 0;       // first equity point
  TimestampMs last_ts = 0;
  std::vector<SignalRecord> signals;
  std::vector<FillRecord> fills;
  std::vector<TradeRecord> trades;  // empty unless config.keep_trades
  TradeTotals trade_totals;         // of every round trip, kept or not
  std::vector<OpenPosition> open_positions;
  std::vector<EquityPoint> equity;
  Paise final_cash = 0;
  Paise final_equity = 0;
  Paise traded_value = 0;  // sum of every fill's price * qty
  costs::Charges charges;  // all fills
  std::int64_t fill_count = 0;
  std::int64_t signal_count = 0;
  std::int64_t denied_count = 0;  // signals the gate denied
  // Bars the engine's fast path took without its general per-bar-time step (see run_backtest);
  // the result is the same either way, this says only how it was reached.
  std::int64_t fast_path_bars = 0;
};

// A bar as the engine receives it: its series (an index into BarFeed::symbols()) and the bar.
struct FeedBar {
  std::uint32_t series = 0;
  const Bar* bar = nullptr;
};

// Where the bars of a run come from, one bar time at a time, so that a run holds only the bars of
// the current time: bars in memory (MarketDataFeed) or a source read as the run goes (a database
// scan, a file). The engine's per-bar-time semantics (the header comment) depend only on the order
// a feed gives: times ascending, and at one time the bars ascending by series.
class BarFeed {
 public:
  virtual ~BarFeed() = default;
  // The run's symbols, sorted, each with at least one bar; known before the first bar.
  virtual const std::vector<std::string>& symbols() const = 0;
  // The bars of the next bar time into out (replacing its contents), ascending by series; out is
  // empty once every bar was given. The bars stay valid until the next call. Fails with the
  // source's error (a read error, or a bar the source refuses).
  virtual Status next(std::vector<FeedBar>& out) = 0;
  // How many bar times the feed will give, when known (to size the equity curve); 0: unknown.
  virtual std::size_t expected_times() const { return 0; }
  // Asked before the first bar: whether the feed has one symbol and can give its bars in chunks
  // (next_chunk). The engine may then step through each chunk itself (its fast path) instead of
  // calling next() per bar time, and reads the feed through next_chunk alone. False for any
  // other feed (the default).
  virtual bool gives_chunks() const { return false; }
  // The series' next bars, consecutive and ascending by time, into out (empty once every bar was
  // given); they stay valid until the next call. A source read as the run goes gives a bounded
  // chunk at a time, so the run's memory stays flat. Fails as next() does, once the bars before
  // the failure were given. REQUIRES: gives_chunks().
  virtual Status next_chunk(std::span<const Bar>& out) {
    out = {};
    return Status();
  }
};

// A feed over bars in memory. REQUIRES: data outlives the feed.
class MarketDataFeed : public BarFeed {
 public:
  explicit MarketDataFeed(const MarketData& data);
  const std::vector<std::string>& symbols() const override { return symbols_; }
  Status next(std::vector<FeedBar>& out) override;
  std::size_t expected_times() const override { return data_.times().size(); }
  bool gives_chunks() const override;
  // The whole series, in one chunk.
  Status next_chunk(std::span<const Bar>& out) override;

 private:
  const MarketData& data_;
  std::vector<std::string> symbols_;
  std::size_t next_event_ = 0;
};

// Where a run's detail records go as they become final, instead of into BacktestResult: a signal
// once nothing can change its outcome (in signal order), a fill as it happens, and every equity
// point (one per bar time) once the run can no longer change it, and a round trip as it closes
// (in close order). With a sink the result keeps no signal or fill records and one equity point per
// IST date (as without record_details; the metrics are the same); it still keeps the open
// positions, and the trades when config.keep_trades is on. A failed Status ends the run with it.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual Status signal(const SignalRecord& record) = 0;
  virtual Status fill(const FillRecord& record) = 0;
  virtual Status equity(const EquityPoint& point) = 0;
  // A sink that has no use for the round trips leaves them to the result (keep_trades).
  virtual Status trade(const TradeRecord& /*record*/) { return Status(); }
};

// Runs the strategies over data. One instance of a built-in rule over one symbol whose feed gives
// chunks (BarFeed::gives_chunks), behind a pass-through gate, takes the engine's fast path: a loop
// over the symbol's bars with the rule called directly and the account in locals, which hands a bar
// to the general per-bar-time step only when an order is working or the rule signals. Its result is
// identical to the general path's (engine_fast_path_test). Fails with kInvalidArgument for a bad
// config or strategy spec (unknown strategy, bad parameters, duplicate ids, a symbol not in the
// data), with a strategy's error for a bar it refuses, or with the cost model's error. REQUIRES:
// costs and gate outlive the call; gate is used from this thread only.
Result<BacktestResult> run_backtest(const MarketData& data,
                                    const std::vector<StrategySpec>& strategies,
                                    const EngineConfig& config, const costs::CostModel& costs,
                                    SignalGate& gate);

// The same over the bars of a feed, the detail records going to sink when it is not null (with
// config.record_details on). Fails as above, or with the feed's or the sink's error. REQUIRES:
// feed, sink, costs and gate outlive the call.
Result<BacktestResult> run_backtest(BarFeed& feed, const std::vector<StrategySpec>& strategies,
                                    const EngineConfig& config, const costs::CostModel& costs,
                                    SignalGate& gate, RecordSink* sink = nullptr);

}  // namespace sm::backtest
