// The simulated broker and portfolio on hand-made bars: when and at what price orders fill, what
// slippage, the volume cap and cash do to them, costs, position limits and the gate.
#include <catch2/catch.hpp>

#include <algorithm>

#include "backtest/engine.h"
#include "strategy/strategy.h"
#include "test_bars.h"
#include "time/bar_time.h"

using namespace sm;
using namespace sm::backtest;
using namespace sm::backtest::testing;

namespace {

// Entry decided at day 1's close (close 102.50 above day 0's high 101, stop = day 0's low 99),
// exit decided at day 3's close (99 below day 2's low 102).
std::vector<Bar> round_trip() {
  return {bar(0, 100, 101, 99, 100), bar(1, 100, 103, 100, 102.5), bar(2, 103, 104, 102, 103),
          bar(3, 103, 103, 98, 99), bar(4, 98, 99, 97, 98)};
}

std::string date_of(TimestampMs ts) { return format_date(ist_date(ts)); }

class DenyEntries final : public SignalGate {
 public:
  GateDecision review(const Signal& signal, const PortfolioSnapshot& portfolio) override {
    last_cash = portfolio.cash;
    if (signal.action == SignalAction::kEnterLong) return {false, "NO_ENTRIES", "test gate", ""};
    return {};
  }
  void on_fill(const Fill&, const PortfolioSnapshot&) override { ++fills; }
  void on_order_done(const OrderDone& done) override { ended.push_back(done); }
  std::string name() const override { return "deny-entries"; }
  Paise last_cash = 0;
  int fills = 0;
  std::vector<OrderDone> ended;
};

class RecordingGate final : public SignalGate {
 public:
  GateDecision review(const Signal&, const PortfolioSnapshot&) override {
    GateDecision d;
    d.client_order_id = "gate" + std::to_string(++n);
    return d;
  }
  void on_order_done(const OrderDone& done) override { ended.push_back(done); }
  std::string name() const override { return "recording"; }
  int n = 0;
  std::vector<OrderDone> ended;
};

// Forces an exit of strategy "b" in TEST at the bar starting at force_at, as the risk engine's
// position-loss kill switch does; with deny_while_selling, refuses an exit of the position it is
// already selling (the risk engine's NO_POSITION).
class ForcingGate final : public SignalGate {
 public:
  GateDecision review(const Signal& signal, const PortfolioSnapshot&) override {
    reviewed.push_back(signal);
    if (signal.action == SignalAction::kExitLong && selling && deny_while_selling)
      return {false, "NO_POSITION", "already being sold", ""};
    return {true, "APPROVED", "", "gate" + std::to_string(reviewed.size())};
  }
  void on_bar(const Bar& b) override { pending = pending || b.ts == force_at; }
  std::vector<ForcedExit> take_forced_exits() override {
    if (!pending) return {};
    pending = false;
    selling = true;
    return {ForcedExit{"b", "TEST", 10, "force1", "FORCED_EXIT", "position loss"}};
  }
  void on_order_done(const OrderDone& done) override { ended.push_back(done); }
  std::string name() const override { return "forcing"; }
  TimestampMs force_at = 0;
  bool deny_while_selling = true;
  bool pending = false;
  bool selling = false;
  std::vector<Signal> reviewed;
  std::vector<OrderDone> ended;
};

}  // namespace

TEST_CASE("a market order decided at a close fills at the next bar's open", "[backtest][fill]") {
  EngineConfig config;
  BacktestResult r = run(data_of({round_trip()}), config);
  REQUIRE(r.signals.size() == 2);
  CHECK(date_of(r.signals[0].signal.ts) == "2024-01-02");
  CHECK(r.signals[0].outcome == SignalOutcome::kFilled);
  REQUIRE(r.fills.size() == 2);
  CHECK(r.fills[0].fill.price == rs(103));
  CHECK(r.fills[0].trigger == "open");
  CHECK(date_of(r.fills[0].fill.ts) == "2024-01-03");
  CHECK(r.fills[1].fill.price == rs(98));
  REQUIRE(r.trades.size() == 1);
  CHECK(r.trades[0].gross_pnl == rs(-50));
  CHECK(r.trades[0].bars_held == 2);
  CHECK(r.final_equity == config.starting_cash - rs(50));
  CHECK(r.equity.size() == 5);
}

TEST_CASE("with --fill close a market order fills at the deciding bar's close",
          "[backtest][fill]") {
  EngineConfig config;
  config.fill = FillTiming::kSameClose;
  BacktestResult r = run(data_of({round_trip()}), config);
  REQUIRE(r.fills.size() == 2);
  CHECK(r.fills[0].fill.price == rs(102.5));
  CHECK(r.fills[0].trigger == "close");
  CHECK(r.fills[0].fill.ts == time::bar_known_at(round_trip()[1]));
  CHECK(r.trades[0].gross_pnl == rs(-35));
}

TEST_CASE("a signal on the last bar is listed but never fills", "[backtest][fill]") {
  auto bars = round_trip();
  bars.resize(2);
  BacktestResult r = run(data_of({bars}), EngineConfig{});
  REQUIRE(r.signals.size() == 1);
  CHECK(r.signals[0].outcome == SignalOutcome::kUnfilled);
  CHECK(r.fills.empty());
  CHECK(r.open_positions.empty());
}

TEST_CASE(
    "a limit entry fills at its price when the range reaches it, at the open when it gaps "
    "through, and expires otherwise",
    "[backtest][fill]") {
  EngineConfig config;
  config.entry_order = EntryOrder::kLimit;
  config.entry_offset_centi_bps = 100'00;  // 1 %: 102.50 -> 101.475 -> 101.47 (tick down)

  SECTION("not reached within one bar: expired") {
    BacktestResult r = run(data_of({round_trip()}), config);
    REQUIRE(r.signals.size() >= 1);
    CHECK(r.signals[0].outcome == SignalOutcome::kExpired);
    CHECK(r.fills.empty());
  }
  SECTION("reached on a later bar inside its validity: at the limit") {
    config.order_valid_bars = 3;
    BacktestResult r = run(data_of({round_trip()}), config);
    REQUIRE(!r.fills.empty());
    CHECK(r.fills[0].fill.price == rs(101.47));
    CHECK(r.fills[0].order_type == "LIMIT");
    CHECK(date_of(r.fills[0].fill.ts) == "2024-01-04");
  }
  SECTION("gapping through: at the open, the better price") {
    auto bars = round_trip();
    bars[2] = bar(2, 100, 104, 99.5, 103);
    BacktestResult r = run(data_of({bars}), config);
    REQUIRE(!r.fills.empty());
    CHECK(r.fills[0].fill.price == rs(100));
  }
}

TEST_CASE("a stop entry fills at its trigger inside the range and at the open on a gap up",
          "[backtest][fill]") {
  EngineConfig config;
  config.entry_order = EntryOrder::kStop;
  config.entry_offset_centi_bps = 100'00;  // 102.50 + 1 % = 103.525 -> 103.53 (tick up)
  BacktestResult r = run(data_of({round_trip()}), config);
  REQUIRE(!r.fills.empty());
  CHECK(r.fills[0].fill.price == rs(103.53));
  CHECK(r.fills[0].order_type == "SL-M");

  auto bars = round_trip();
  bars[2] = bar(2, 105, 106, 104, 105);
  BacktestResult gap = run(data_of({bars}), config);
  REQUIRE(!gap.fills.empty());
  CHECK(gap.fills[0].fill.price == rs(105));
}

TEST_CASE("a protective stop sells at the stop inside a bar and at the open below it on a gap",
          "[backtest][fill]") {
  EngineConfig config;
  config.protective_stops = true;
  SECTION("inside the range") {
    BacktestResult r = run(data_of({round_trip()}), config);
    REQUIRE(r.trades.size() == 1);
    CHECK(r.trades[0].exit_price() == rs(99));  // the stop: day 0's low
    CHECK(r.trades[0].exit_reason == "protective_stop");
    CHECK(date_of(r.trades[0].exit_ts) == "2024-01-04");
    CHECK(r.fills.back().trigger == "protective_stop");
  }
  SECTION("gap below the stop: at the open") {
    auto bars = round_trip();
    bars[3] = bar(3, 97, 98, 96, 97.5);
    BacktestResult r = run(data_of({bars}), config);
    REQUIRE(r.trades.size() == 1);
    CHECK(r.trades[0].exit_price() == rs(97));
  }
  SECTION("hit on the entry's own bar, after the open fill") {
    auto bars = round_trip();
    bars[2] = bar(2, 103, 104, 98.5, 103);
    BacktestResult r = run(data_of({bars}), config);
    REQUIRE(!r.trades.empty());
    CHECK(date_of(r.trades[0].entry_ts) == "2024-01-03");
    CHECK(date_of(r.trades[0].exit_ts) == "2024-01-03");
    CHECK(r.trades[0].exit_price() == rs(99));
  }
}

TEST_CASE("slippage makes buys dearer and sells cheaper, never outside the bar's range",
          "[backtest][fill]") {
  EngineConfig config;
  SECTION("basis points") {
    config.slippage = *parse_slippage("10bps");
    BacktestResult r = run(data_of({round_trip()}), config);
    CHECK(r.fills[0].fill.price == rs(103.10));  // 103 + 0.103 -> 10 paise
    CHECK(r.fills[1].fill.price == rs(97.90));   // 98 - 0.098 -> 10 paise
  }
  SECTION("ticks") {
    config.slippage = *parse_slippage("2ticks");
    BacktestResult r = run(data_of({round_trip()}), config);
    CHECK(r.fills[0].fill.price == rs(103.02));
    CHECK(r.fills[1].fill.price == rs(97.98));
  }
  SECTION("clamped to the high") {
    config.slippage = *parse_slippage("200bps");
    BacktestResult r = run(data_of({round_trip()}), config);
    CHECK(r.fills[0].fill.price == rs(104));  // 103 + 2.06 is above day 2's high
    CHECK(r.fills[1].fill.price == rs(97));   // 98 - 1.96 is below day 4's low
  }
}

TEST_CASE("parse_slippage reads bps and ticks and refuses anything else", "[backtest][fill]") {
  CHECK(parse_slippage("0")->kind == Slippage::Kind::kNone);
  CHECK(parse_slippage("2.5bps")->centi_bps == 250);
  CHECK(parse_slippage("1tick")->ticks == 1);
  CHECK(slippage_name(*parse_slippage("2.5bps")) == "2.50bps");
  CHECK_FALSE(parse_slippage("5%").ok());
  CHECK_FALSE(parse_slippage("-1bps").ok());
  CHECK_FALSE(parse_slippage("bps").ok());
}

TEST_CASE("the volume cap fills part of an order and cancels the rest", "[backtest][fill]") {
  auto bars = round_trip();
  bars[2].volume = 500;  // 1 % of 500 = 5 shares of the 10 wanted
  EngineConfig config;
  config.volume_cap = 0.01;
  BacktestResult r = run(data_of({bars}), config);
  CHECK(r.signals[0].outcome == SignalOutcome::kPartiallyFilled);
  CHECK(r.signals[0].filled_qty == 5);
  REQUIRE(r.trades.size() == 1);
  CHECK(r.trades[0].qty == 5);

  bars[2].volume = 0;
  BacktestResult none = run(data_of({bars}), config);
  CHECK(none.signals[0].outcome == SignalOutcome::kNoVolume);
  CHECK(none.fills.empty());
}

TEST_CASE("cash never goes negative: buys are reduced to what it pays for, or refused",
          "[backtest][portfolio]") {
  EngineConfig config;
  config.starting_cash = rs(1000);  // 10 x 103 = 1030 does not fit; 9 do
  BacktestResult r = run(data_of({round_trip()}), config);
  CHECK(r.signals[0].outcome == SignalOutcome::kPartiallyFilled);
  CHECK(r.fills[0].fill.qty == 9);
  for (const EquityPoint& p : r.equity) CHECK(p.cash >= 0);

  config.starting_cash = rs(50);
  BacktestResult broke = run(data_of({round_trip()}), config);
  CHECK(broke.signals[0].outcome == SignalOutcome::kRefusedCash);
  CHECK(broke.fills.empty());
}

TEST_CASE("with costs the cash check includes the charges", "[backtest][portfolio]") {
  auto model = costs::IndianEquityCostModel::load(std::string(SM_DATA_DIR) + "/nse-charges.csv");
  REQUIRE(model.ok());
  EngineConfig config;
  config.starting_cash = rs(1030);  // exactly 10 shares, but not their charges
  BacktestResult r = run(data_of({round_trip()}), config, {breakout_1_1()}, &*model);
  CHECK(r.fills[0].fill.qty == 9);
  for (const EquityPoint& p : r.equity) CHECK(p.cash >= 0);
}

TEST_CASE("Indian equity charges are itemised per fill and netted in the trade",
          "[backtest][costs]") {
  auto model = costs::IndianEquityCostModel::load(std::string(SM_DATA_DIR) + "/nse-charges.csv");
  REQUIRE(model.ok());
  EngineConfig config;
  BacktestResult r = run(data_of({round_trip()}), config, {breakout_1_1()}, &*model);
  REQUIRE(r.fills.size() == 2);
  const FillRecord& buy = r.fills[0];
  const FillRecord& sell = r.fills[1];
  CHECK(buy.charges.stamp > 0);
  CHECK(buy.charges.dp == 0);
  CHECK(sell.charges.stamp == 0);
  CHECK(sell.charges.dp > 0);  // a delivery sell day
  CHECK(buy.fill.charges == buy.charges.total());
  const TradeRecord& t = r.trades[0];
  CHECK(t.charges.total() == buy.charges.total() + sell.charges.total());
  CHECK(t.net_pnl == t.gross_pnl - t.charges.total());
  CHECK(r.final_cash ==
        config.starting_cash - rs(1030) - buy.charges.total() + rs(980) - sell.charges.total());
  CHECK(r.charges.total() == t.charges.total());
  CHECK(sell.cash_after == r.final_cash);
}

TEST_CASE("the DP charge is levied on the first delivery sell of a symbol on a day only",
          "[backtest][costs]") {
  auto model = costs::IndianEquityCostModel::load(std::string(SM_DATA_DIR) + "/nse-charges.csv");
  REQUIRE(model.ok());
  BacktestResult r = run(data_of({round_trip()}), EngineConfig{},
                         {breakout_1_1(10, "a"), breakout_1_1(10, "b")}, &*model);
  std::vector<Paise> dp;
  for (const FillRecord& f : r.fills) {
    if (f.fill.side == Side::kSell) dp.push_back(f.charges.dp);
  }
  REQUIRE(dp.size() == 2);
  CHECK(dp[0] > 0);
  CHECK(dp[1] == 0);

  EngineConfig intraday;
  intraday.product = Product::kIntraday;
  BacktestResult mis = run(data_of({round_trip()}), intraday, {breakout_1_1()}, &*model);
  CHECK(mis.fills[1].charges.dp == 0);
}

TEST_CASE("exits fill before entries at the same time, so freed cash pays for them",
          "[backtest][portfolio]") {
  // ZZZ is long from day 2 and exits at day 4's open; AAA's entry also fills at day 4's open and
  // needs the cash ZZZ's sale brings, although AAA comes first in symbol order.
  std::vector<Bar> zzz = round_trip();
  for (Bar& b : zzz) b.symbol = "ZZZ";
  std::vector<Bar> aaa = {bar(0, 100, 101, 99, 100, "AAA"), bar(1, 100, 101, 99, 100, "AAA"),
                          bar(2, 100, 101, 99, 100, "AAA"), bar(3, 100, 102, 99, 101.5, "AAA"),
                          bar(4, 100, 101, 99, 100, "AAA")};
  EngineConfig config;
  config.starting_cash = rs(1100);
  BacktestResult r = run(data_of({aaa, zzz}), config);
  REQUIRE(r.fills.size() == 3);
  CHECK(r.fills[1].fill.symbol == "ZZZ");
  CHECK(r.fills[1].fill.side == Side::kSell);
  CHECK(r.fills[2].fill.symbol == "AAA");
  CHECK(r.fills[2].fill.qty == 10);
}

TEST_CASE("max open positions refuses entries beyond the limit, max position value reduces them",
          "[backtest][portfolio]") {
  std::vector<Bar> a = round_trip(), b = round_trip();
  for (Bar& x : a) x.symbol = "AAA";
  for (Bar& x : b) x.symbol = "BBB";
  EngineConfig config;
  config.max_open_positions = 1;
  BacktestResult r = run(data_of({a, b}), config);
  REQUIRE(r.signals.size() >= 2);
  CHECK(r.signals[0].signal.symbol == "AAA");
  CHECK(r.signals[0].outcome == SignalOutcome::kFilled);
  CHECK(r.signals[1].signal.symbol == "BBB");
  CHECK(r.signals[1].outcome == SignalOutcome::kRefusedPositions);

  EngineConfig value;
  value.max_position_value = rs(500);
  BacktestResult v = run(data_of({round_trip()}), value);
  CHECK(v.fills[0].fill.qty == 4);  // floor(500 / 103)
}

TEST_CASE("an open position at the end is marked at the last close, or closed on request",
          "[backtest][portfolio]") {
  auto bars = round_trip();
  bars.resize(3);  // long from day 2, no exit yet
  BacktestResult marked = run(data_of({bars}), EngineConfig{});
  REQUIRE(marked.open_positions.size() == 1);
  const OpenPosition& open = marked.open_positions[0];
  CHECK(open.qty == 10);
  CHECK(open.entry_price == rs(103));
  CHECK(open.mark_price == rs(103));
  CHECK(open.unrealized_pnl == 0);
  CHECK(marked.trades.empty());
  CHECK(marked.final_equity == marked.final_cash + 10 * rs(103));

  EngineConfig close;
  close.close_at_end = true;
  BacktestResult closed = run(data_of({bars}), close);
  CHECK(closed.open_positions.empty());
  REQUIRE(closed.trades.size() == 1);
  CHECK(closed.trades[0].exit_reason == "end");
  CHECK(closed.trades[0].exit_price() == rs(103));
  CHECK(closed.equity.back().equity() == closed.final_equity);
}

TEST_CASE("the gate sees every signal: a denial is recorded and nothing is ordered",
          "[backtest][gate]") {
  DenyEntries gate;
  BacktestResult r = run(data_of({round_trip()}), EngineConfig{}, {breakout_1_1()}, nullptr, &gate);
  REQUIRE(!r.signals.empty());
  CHECK(r.signals[0].outcome == SignalOutcome::kDenied);
  CHECK(r.signals[0].gate.code == "NO_ENTRIES");
  CHECK(r.denied_count == static_cast<std::int64_t>(r.signals.size()));
  CHECK(r.fills.empty());
  CHECK(gate.fills == 0);
  CHECK(gate.last_cash == EngineConfig{}.starting_cash);
  CHECK(r.gate_name == "deny-entries");
}

TEST_CASE("fills carry the gate's client order id and the gate hears when orders end",
          "[backtest][gate]") {
  RecordingGate gate;
  auto bars = round_trip();
  bars[2].volume = 500;
  EngineConfig config;
  config.volume_cap = 0.01;
  BacktestResult r = run(data_of({bars}), config, {breakout_1_1()}, nullptr, &gate);
  REQUIRE(r.fills.size() == 2);
  CHECK(r.fills[0].fill.client_order_id == "gate1");
  CHECK(r.fills[1].fill.client_order_id == "gate2");
  REQUIRE(gate.ended.size() == 2);
  CHECK(gate.ended[0].status == "CANCELLED");  // 5 of 10: the rest cancelled
  CHECK(gate.ended[0].filled_qty == 5);
  CHECK(gate.ended[1].status == "COMPLETE");
}

TEST_CASE("a forced exit is the gate's order: the strategy still decides, its exit meets the gate",
          "[backtest][gate]") {
  // Live, sm-signal decides upstream of sm-risk and cannot see a kill switch's exit: the strategy
  // exits at day 3's close too, and the gate refuses it. The backtest must decide the same way.
  ForcingGate gate;
  std::vector<Bar> bars = round_trip();
  gate.force_at = bars[3].ts;
  EngineConfig config;
  config.fill = FillTiming::kSameClose;
  BacktestResult r = run(data_of({bars}), config, {breakout_1_1(10, "b")}, nullptr, &gate);
  REQUIRE(r.signals.size() == 3);
  CHECK(r.signals[1].gate.code == "FORCED_EXIT");
  CHECK(r.signals[1].outcome == SignalOutcome::kFilled);
  CHECK(r.signals[2].signal.action == SignalAction::kExitLong);
  CHECK(r.signals[2].signal.ts == r.signals[1].signal.ts);
  CHECK(r.signals[2].outcome == SignalOutcome::kDenied);
  CHECK(r.signals[2].gate.code == "NO_POSITION");
  REQUIRE(gate.reviewed.size() == 2);  // the entry and the strategy's exit
  REQUIRE(r.fills.size() == 2);
  CHECK(r.fills[1].fill.client_order_id == "force1");
  CHECK(r.fills[1].fill.price == rs(99));

  SECTION("a gate that approves beside the forced exit gets that order back unfilled") {
    ForcingGate lenient;
    lenient.force_at = bars[3].ts;
    lenient.deny_while_selling = false;
    BacktestResult l = run(data_of({bars}), config, {breakout_1_1(10, "b")}, nullptr, &lenient);
    REQUIRE(l.signals.size() == 3);
    CHECK(l.signals[2].outcome == SignalOutcome::kCancelled);
    REQUIRE(l.fills.size() == 2);
    CHECK(l.fills[1].fill.client_order_id == "force1");
    CHECK(l.fills[1].fill.qty == 10);
    auto ended = std::find_if(lenient.ended.begin(), lenient.ended.end(),
                              [](const OrderDone& d) { return d.client_order_id == "gate2"; });
    REQUIRE(ended != lenient.ended.end());
    CHECK(ended->filled_qty == 0);
    CHECK(ended->status == "CANCELLED");
  }
}

TEST_CASE("bars before trade_from only warm the strategy up", "[backtest][portfolio]") {
  EngineConfig config;
  config.trade_from = round_trip()[2].ts;
  BacktestResult r = run(data_of({round_trip()}), config);
  // The day-1 entry is ignored; day 3's exit cannot happen while flat.
  CHECK(r.signals.empty());
  CHECK(r.equity.size() == 3);
  CHECK(r.trading_bars == 3);
  CHECK(r.bars == 5);
}

TEST_CASE("bad configurations and strategy specs are refused", "[backtest]") {
  costs::ZeroCostModel zero;
  ApproveAll gate;
  MarketData data = data_of({round_trip()});
  EngineConfig config;
  config.volume_cap = 1.5;
  CHECK(run_backtest(data, {breakout_1_1()}, config, zero, gate).status().code() ==
        ErrorCode::kInvalidArgument);
  CHECK_FALSE(
      run_backtest(data, {StrategySpec{"", "no-such", nullptr, {}}}, EngineConfig{}, zero, gate)
          .ok());
  CHECK_FALSE(
      run_backtest(data, {breakout_1_1(10, "x"), breakout_1_1(10, "x")}, EngineConfig{}, zero, gate)
          .ok());
  StrategySpec missing = breakout_1_1();
  missing.symbols = {"NOPE"};
  CHECK_FALSE(run_backtest(data, {missing}, EngineConfig{}, zero, gate).ok());
}

TEST_CASE("MarketData merges symbols by time and refuses unsorted or bad bars", "[backtest]") {
  MarketData data = data_of({{bar(0, 1, 1, 1, 1, "BBB"), bar(2, 1, 1, 1, 1, "BBB")},
                             {bar(1, 1, 1, 1, 1, "AAA"), bar(2, 1, 1, 1, 1, "AAA")}});
  REQUIRE(data.events().size() == 4);
  CHECK(data.series()[data.events()[0].series].symbol == "BBB");
  CHECK(data.series()[data.events()[1].series].symbol == "AAA");
  CHECK(data.series()[data.events()[2].series].symbol == "AAA");  // ties by symbol
  CHECK(data.series()[data.events()[3].series].symbol == "BBB");
  CHECK(data.times().size() == 3);
  MarketData cut = data.slice(bar(1, 1, 1, 1, 1).ts, bar(2, 1, 1, 1, 1).ts);
  CHECK(cut.bar_count() == 1);

  std::vector<SymbolSeries> unsorted = {{"X", {bar(1, 1, 1, 1, 1, "X"), bar(0, 1, 1, 1, 1, "X")}}};
  CHECK_FALSE(MarketData::make(unsorted).ok());
  std::vector<SymbolSeries> inverted = {{"X", {bar(0, 1, 1, 2, 1, "X")}}};
  CHECK_FALSE(MarketData::make(inverted).ok());
}

TEST_CASE(
    "MarketData made in parts: the timeline, and the error naming the first bad bar, of one "
    "pass",
    "[backtest]") {
  std::vector<Bar> bars;
  bars.reserve(50);
  for (int day = 0; day < 50; ++day) bars.push_back(bar(day, 10, 11, 9, 10, "X"));
  const MarketData one_pass = data_of({bars});
  for (std::size_t parts = 2; parts <= 60; ++parts) {
    INFO(parts << " parts");
    Result<MarketData> made = MarketData::make({SymbolSeries{"X", bars}}, parts);
    REQUIRE(made.ok());
    REQUIRE(made->events().size() == one_pass.events().size());
    for (std::size_t i = 0; i < one_pass.events().size(); ++i) {
      CHECK(made->events()[i].ts == one_pass.events()[i].ts);
      CHECK(made->events()[i].index == one_pass.events()[i].index);
    }
    CHECK(made->times() == one_pass.times());
  }
  std::vector<Bar> bad = bars;
  bad[31].low = rs(12);  // low above high
  bad[37].ts = bad[36].ts;
  bad[12].symbol = "Y";
  bad[44].close = 0;
  const std::string first = MarketData::make({SymbolSeries{"X", bad}}).status().message();
  CHECK(first.find("X bar 12 ") != std::string::npos);
  for (std::size_t parts = 2; parts <= 60; ++parts) {
    INFO(parts << " parts");
    CHECK(MarketData::make({SymbolSeries{"X", bad}}, parts).status().message() == first);
  }
}
