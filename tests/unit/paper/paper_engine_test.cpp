// The engine's books, persistence and day handling, and the fault rules, without HTTP.
#include <catch2/catch.hpp>

#include <algorithm>

#include "paper/faults.h"
#include "paper_rig.h"

using namespace sm;
using namespace sm::broker;
using sm::test::PaperRig;

namespace {

test::RigOptions engine_only() {
  test::RigOptions o = test::default_rig_options();
  o.start = false;
  return o;
}

Order only_order(paper::PaperEngine& engine) {
  std::vector<Order> book = engine.orders();
  REQUIRE(book.size() == 1);
  return book.front();
}

}  // namespace

TEST_CASE("a restarted paper broker continues with the same orders, trades, positions and cash") {
  PaperRig rig(engine_only());
  rig.price("INFY", "1500");
  rig.price("TCS", "3500");
  REQUIRE(rig.engine->place_order(test::market_buy("INFY", 10, "a1")).ok());
  BrokerResult<std::string> resting =
      rig.engine->place_order(test::limit("TCS", Side::kBuy, 2, 340000, "a2"));
  REQUIRE(resting.ok());
  const Paise cash_before = rig.engine->cash();
  const Paise available_before = rig.engine->available_margin();
  const std::vector<Order> book_before = rig.engine->orders();
  const std::vector<Order> history_before = *rig.engine->order_history(*resting);

  rig.restart();

  CHECK(rig.engine->cash() == cash_before);
  CHECK(rig.engine->available_margin() == available_before);
  const std::vector<Order> book_after = rig.engine->orders();
  REQUIRE(book_after.size() == book_before.size());
  for (size_t i = 0; i < book_after.size(); ++i) {
    CHECK(book_after[i].order_id == book_before[i].order_id);
    CHECK(book_after[i].status == book_before[i].status);
    CHECK(book_after[i].average_price == book_before[i].average_price);
    CHECK(book_after[i].tag == book_before[i].tag);
  }
  CHECK(rig.engine->order_history(*resting)->size() == history_before.size());
  CHECK(rig.engine->trades().size() == 1);
  CHECK(rig.engine->positions().net.size() == 1);

  // The resting order is still live: it fills on the next price, and new ids do not collide.
  rig.engine_clock.advance(1000);
  rig.price("TCS", "3390");
  CHECK(rig.engine->order_history(*resting)->size() == history_before.size() + 1);
  CHECK(rig.engine->orders()[1].status == "COMPLETE");
  BrokerResult<std::string> next = rig.engine->place_order(test::market_buy("INFY", 1, "a3"));
  REQUIRE(next.ok());
  CHECK(*next != book_before[0].order_id);
  CHECK(*next != *resting);
  CHECK(rig.engine->trades().size() == 3);
}

TEST_CASE("a new state file starts with the configured cash, an existing one keeps its own") {
  test::RigOptions options = engine_only();
  options.engine.initial_cash = 5000 * kPaisePerRupee;
  PaperRig rig(options);
  CHECK(rig.engine->cash() == 5000 * kPaisePerRupee);
  REQUIRE(rig.engine->add_funds(250 * kPaisePerRupee, "top up").ok());
  rig.restart();
  CHECK(rig.engine->cash() == 5250 * kPaisePerRupee);
}

TEST_CASE("open orders from an earlier IST day expire, the book shows today's orders") {
  PaperRig rig(engine_only());
  rig.price("TCS", "3500");
  BrokerResult<std::string> id =
      rig.engine->place_order(test::limit("TCS", Side::kBuy, 1, 340000, "d1"));
  REQUIRE(id.ok());
  CHECK(rig.engine->orders().size() == 1);
  rig.engine_clock.set(from_ist(Date{2024, 3, 29}, 9, 15));
  CHECK(rig.engine->orders().empty());
  BrokerResult<std::vector<Order>> history = rig.engine->order_history(*id);
  REQUIRE(history.ok());
  CHECK(history->back().status == "CANCELLED");
  CHECK(history->back().status_message == "Order expired at end of day");
  CHECK(history->back().cancelled_quantity == 1);
  // A price that would have filled it no longer does.
  rig.price("TCS", "3300");
  CHECK(rig.engine->trades().empty());
}

TEST_CASE("delivery bought on an earlier day moves to holdings and can be sold, but not more") {
  PaperRig rig(engine_only());
  rig.price("INFY", "1500");
  REQUIRE(rig.engine->place_order(test::market_buy("INFY", 10, "h1")).ok());
  CHECK(rig.engine->holdings().empty());
  REQUIRE(rig.engine->positions().net.size() == 1);

  rig.engine_clock.set(from_ist(Date{2024, 4, 1}, 10, 0));
  rig.price("INFY", "1520");
  CHECK(rig.engine->positions().net.empty());
  std::vector<Holding> holdings = rig.engine->holdings();
  REQUIRE(holdings.size() == 1);
  CHECK(holdings[0].quantity == 10);
  CHECK(holdings[0].average_price == 150000);
  CHECK(holdings[0].last_price == 152000);
  CHECK(holdings[0].close_price == 150000);
  CHECK(holdings[0].pnl == 20000);
  CHECK(holdings[0].day_change == 2000);

  OrderRequest sell = test::market_buy("INFY", 11, "h2");
  sell.side = Side::kSell;
  BrokerResult<std::string> too_many = rig.engine->place_order(sell);
  REQUIRE_FALSE(too_many.ok());
  CHECK(too_many.error().error_type == "HoldingException");
  sell.quantity = 6;
  REQUIRE(rig.engine->place_order(sell).ok());
  holdings = rig.engine->holdings();
  CHECK(holdings[0].used_quantity == 6);
  Positions positions = rig.engine->positions();
  REQUIRE(positions.net.size() == 1);
  CHECK(positions.net[0].quantity == -6);
  CHECK(positions.net[0].sell_price == 152000);
}

TEST_CASE("cash follows delivery trades, charges and deposits exactly") {
  test::RigOptions options = engine_only();
  options.engine.initial_cash = 100'000 * kPaisePerRupee;
  PaperRig rig(options);
  rig.price("WIPRO", "480.35");
  REQUIRE(rig.engine->place_order(test::market_buy("WIPRO", 7, "m1")).ok());
  CHECK(rig.engine->cash() == 100'000 * kPaisePerRupee - 7 * 48035);
  rig.engine_clock.advance(1000);
  rig.price("WIPRO", "481.05");
  OrderRequest sell = test::market_buy("WIPRO", 7, "m2");
  sell.side = Side::kSell;
  REQUIRE(rig.engine->place_order(sell).ok());
  CHECK(rig.engine->cash() == 100'000 * kPaisePerRupee + 7 * (48105 - 48035));
}

TEST_CASE("a resting order blocks margin until it fills or is cancelled") {
  test::RigOptions options = engine_only();
  options.engine.initial_cash = 10'000 * kPaisePerRupee;
  PaperRig rig(options);
  rig.price("TCS", "3500");
  BrokerResult<std::string> first =
      rig.engine->place_order(test::limit("TCS", Side::kBuy, 2, 340000, "b1"));
  REQUIRE(first.ok());
  CHECK(rig.engine->available_margin() == 10'000 * kPaisePerRupee - 2 * 340000);
  BrokerResult<std::string> second =
      rig.engine->place_order(test::limit("TCS", Side::kBuy, 1, 340000, "b2"));
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().error_type == "MarginException");
  REQUIRE(rig.engine->cancel_order("regular", *first).ok());
  CHECK(rig.engine->available_margin() == 10'000 * kPaisePerRupee);
  CHECK(rig.engine->place_order(test::limit("TCS", Side::kBuy, 1, 340000, "b3")).ok());
}

TEST_CASE("IOC orders that do not match at once are cancelled") {
  PaperRig rig(engine_only());
  rig.price("TCS", "3500");
  OrderRequest ioc = test::limit("TCS", Side::kBuy, 1, 340000, "i1");
  ioc.validity = "IOC";
  REQUIRE(rig.engine->place_order(ioc).ok());
  const Order o = only_order(*rig.engine);
  CHECK(o.status == "CANCELLED");
  CHECK(o.cancelled_quantity == 1);
}

TEST_CASE("an SL order becomes a limit at its trigger and fills when its price is reachable") {
  PaperRig rig(engine_only());
  rig.price("TCS", "3500");
  OrderRequest sl;
  sl.tradingsymbol = "TCS";
  sl.side = Side::kSell;
  sl.order_type = OrderType::kStopLoss;
  sl.trigger_price = 345000;
  sl.price = 344000;
  sl.quantity = 1;
  sl.product = Product::kIntraday;
  sl.tag = "sl1";
  REQUIRE(rig.engine->place_order(sl).ok());
  CHECK(only_order(*rig.engine).status == "TRIGGER PENDING");
  rig.engine_clock.advance(1000);
  rig.price("TCS", "3430");  // triggered, but below the 3440 limit: rests OPEN
  CHECK(only_order(*rig.engine).status == "OPEN");
  rig.engine_clock.advance(1000);
  rig.price("TCS", "3445");
  const Order o = only_order(*rig.engine);
  CHECK(o.status == "COMPLETE");
  CHECK(o.average_price == 344000);
}

TEST_CASE("input checks: quantity, tag, market protection, tick, variety") {
  PaperRig rig(engine_only());
  rig.price("INFY", "1500");
  OrderRequest r = test::market_buy("INFY", 0, "q1");
  CHECK(rig.engine->place_order(r).error().error_type == "InputException");
  r.quantity = 1;
  r.tag = "has space";
  CHECK(rig.engine->place_order(r).error().message.find("tag") != std::string::npos);
  r.tag = "abcdefghijklmnopqrstu";  // 21
  CHECK(rig.engine->place_order(r).error().error_type == "InputException");
  r.tag = "ok1";
  r.market_protection = 0;
  CHECK(rig.engine->place_order(r).error().message.find("market protection") != std::string::npos);
  r.market_protection = -1;
  r.variety = "amo";
  CHECK(rig.engine->place_order(r).error().error_type == "InputException");
  r.variety = "regular";
  OrderRequest lim = test::limit("INFY", Side::kBuy, 1, 150003, "ok2");
  CHECK(rig.engine->place_order(lim).error().message.find("Tick size for this script is 0.05") !=
        std::string::npos);
  rig.price("PENNY", "12.34");
  OrderRequest penny = test::limit("PENNY", Side::kBuy, 1, 1233, "ok3");  // 0.01 tick below 250
  CHECK(rig.engine->place_order(penny).ok());
  CHECK(rig.engine->orders().size() == 1);
}

TEST_CASE("tick sizes from the instruments list win over the NSE default") {
  PaperRig rig(engine_only());
  Instrument etf;
  etf.tradingsymbol = "NIFTYBEES";
  etf.exchange = "NSE";
  etf.instrument_token = 2707457;
  etf.tick_size = 1;
  rig.engine->set_instruments({etf});
  rig.price("NIFTYBEES", "260.01");
  CHECK(rig.engine->place_order(test::limit("NIFTYBEES", Side::kBuy, 1, 26001, "e1")).ok());
  CHECK(rig.engine->instrument_token("NSE", "NIFTYBEES") == 2707457);
}

TEST_CASE("modifications are limited to 25 per order") {
  PaperRig rig(engine_only());
  rig.price("TCS", "3500");
  BrokerResult<std::string> id =
      rig.engine->place_order(test::limit("TCS", Side::kBuy, 1, 300000, "mod1"));
  REQUIRE(id.ok());
  for (int i = 0; i < 25; ++i) {
    ModifyRequest m;
    m.order_id = *id;
    m.price = 300000 + 5 * (i + 1);
    REQUIRE(rig.engine->modify_order(m).ok());
  }
  ModifyRequest m;
  m.order_id = *id;
  m.price = 310000;
  BrokerResult<std::string> refused = rig.engine->modify_order(m);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().error_type == "OrderException");
  CHECK(refused.error().message.find("Maximum allowed order modifications") != std::string::npos);
}

TEST_CASE("charges come from the pluggable cost model and reduce cash") {
  test::RigOptions options = engine_only();
  PaperRig rig(options);
  // Replace the zero model: reopen the engine on the same file with a simple model.
  costs::SimpleCostModel simple(costs::Rate{1'000'000},
                                20 * kPaisePerRupee);  // 0.1 % + Rs 20 per leg
  rig.server.reset();
  rig.engine.reset();
  Result<std::unique_ptr<paper::PaperEngine>> engine =
      paper::PaperEngine::open(rig.state, options.engine, rig.engine_clock, rig.prices, simple);
  REQUIRE(engine.ok());
  rig.prices.set_quote("NSE", "INFY", rig.engine_clock.now_ms(), 100000, 0, 0, 0);
  REQUIRE((*engine)->place_order(test::market_buy("INFY", 10, "c1")).ok());
  // 10 x 1000 = 10000; 0.1 % = 10; + 20 flat = 30 rupees.
  CHECK((*engine)->cash() ==
        1'000'000 * kPaisePerRupee - 10'000 * kPaisePerRupee - 30 * kPaisePerRupee);
  CHECK((*engine)->summary()["charges"] == "30.00");
}

TEST_CASE("price feed: ticks and bars move prices, bad lines name the field") {
  PaperRig rig(engine_only());
  REQUIRE(*rig.server->feed().apply_line(
      R"({"type":"tick","ts":"2024-03-28T04:30:00.000Z","symbol":"INFY","price":1501.5,"qty":10})"));
  CHECK(rig.prices.latest("NSE", "INFY")->last == 150150);
  REQUIRE(*rig.server->feed().apply_line(
      R"({"type":"bar","ts":"2024-03-28T04:31:00.000Z","symbol":"INFY",)"
      R"("timeframe":"1m","open":1501,"high":1510,"low":1499,"close":1505,"volume":5})"));
  std::optional<paper::MarketPrice> m = rig.prices.latest("NSE", "INFY");
  CHECK(m->last == 150500);
  CHECK(m->interval_low == 149900);
  CHECK(m->interval_high == 151000);
  CHECK(m->ts == parse_timestamp("2024-03-28T04:32:00.000Z").value());  // a bar counts at its end
  CHECK(m->day_high == 151000);
  CHECK_FALSE(*rig.server->feed().apply_line(
      R"({"type":"signal","ts":"2024-03-28T04:31:00.000Z","strategy":"x",)"
      R"("symbol":"INFY","action":"enter_long","qty":1,"price":1})"));
  CHECK_FALSE(*rig.server->feed().apply_line("   "));
  Result<bool> bad = rig.server->feed().apply_line(
      R"({"type":"paper_quote","symbol":"INFY","last_price":"1.234"})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("last_price") != std::string::npos);
  CHECK_FALSE(rig.server->feed().apply_line(R"({"type":"paper_quote","last_price":1})").ok());
  CHECK_FALSE(rig.server->feed().apply_line("{not json").ok());
}

TEST_CASE("a daily bar counts at 15:30 IST of its own date, the close signals are stamped with") {
  // Parity with sm-signal and sm-risk (docs/BACKTEST.md "Parity"): a replayed daily bar must not
  // move the market clock to the next morning.
  paper::InMemoryPriceSource prices;
  Bar bar;
  bar.ts = from_ist(Date{2024, 3, 28}, 9, 15);
  bar.symbol = "INFY";
  bar.timeframe = Timeframe{Timeframe::kDailyMinutes};
  bar.open = 150000;
  bar.high = 152000;
  bar.low = 149000;
  bar.close = 151000;
  bar.volume = 100;
  prices.apply_bar("NSE", bar);
  std::optional<paper::MarketPrice> m = prices.latest("NSE", "INFY");
  REQUIRE(m);
  CHECK(m->ts == from_ist(Date{2024, 3, 28}, 15, 30));
  CHECK(prices.latest_ts() == from_ist(Date{2024, 3, 28}, 15, 30));
  CHECK(m->last == 151000);
  // The next trading day's bar is a new IST day: the first bar's close is its previous close.
  bar.ts = from_ist(Date{2024, 4, 1}, 9, 15);
  bar.close = 153000;
  bar.high = 153500;
  prices.apply_bar("NSE", bar);
  m = prices.latest("NSE", "INFY");
  CHECK(m->ts == from_ist(Date{2024, 4, 1}, 15, 30));
  CHECK(m->previous_close == 151000);
  CHECK(m->day_open == 153000);
}

TEST_CASE("on a bonus's ex-date the previous close is adjusted, so the circuit band follows") {
  // TCS's 1:1 bonus: 3514.10 before, 1734.00 at the ex-date's open (outside a band of 20 % around
  // the unadjusted close, inside it around the adjusted 1757.05).
  paper::InMemoryPriceSource prices;
  auto bonus =
      parse_corporate_actions("symbol,ex_date,kind,ratio\nTCS,2018-05-31,bonus,1:1\n", "test");
  REQUIRE(bonus.ok());
  prices.set_corporate_actions(*bonus);
  prices.set_quote("NSE", "TCS", from_ist(Date{2018, 5, 30}, 15, 29), 351'410, 0, 0, 0);
  prices.set_quote("NSE", "TCS", from_ist(Date{2018, 5, 31}, 9, 15), 173'400, 0, 0, 0);
  CHECK(prices.latest("NSE", "TCS")->previous_close == 175'705);
  prices.set_quote("NSE", "TCS", from_ist(Date{2018, 6, 1}, 9, 15), 174'000, 0, 0, 0);
  CHECK(prices.latest("NSE", "TCS")->previous_close == 173'400);  // the next day: as traded
}

TEST_CASE("a new IST day rolls the previous close and clears explicit circuit limits") {
  paper::InMemoryPriceSource prices;
  prices.set_quote("NSE", "X", from_ist(Date{2024, 3, 28}, 15, 29), 10000, 0, 9000, 11000);
  CHECK(prices.latest("NSE", "X")->upper_circuit == 11000);
  prices.set_quote("NSE", "X", from_ist(Date{2024, 4, 1}, 9, 15), 10200, 0, 0, 0);
  std::optional<paper::MarketPrice> m = prices.latest("NSE", "X");
  CHECK(m->previous_close == 10000);
  CHECK(m->upper_circuit == 0);
  CHECK(m->day_open == 10200);
}

TEST_CASE("fault rules: parsing, counts, skips, and a seeded probability that repeats") {
  Result<paper::FaultRule> rule = paper::parse_fault_rule(
      nlohmann::json::parse(R"({"kind":"http_error","status":503,"count":2,"skip":1})"));
  REQUIRE(rule.ok());
  CHECK(rule->error_type == "NetworkException");
  CHECK(paper::parse_fault_rule(nlohmann::json::parse(R"({"kind":"explode"})")).status().code() ==
        ErrorCode::kInvalidArgument);
  CHECK_FALSE(
      paper::parse_fault_rule(nlohmann::json::parse(R"({"kind":"http_error","status":200})")).ok());
  CHECK_FALSE(paper::parse_fault_rule(nlohmann::json::parse(R"({"kind":"delay"})")).ok());
  CHECK_FALSE(
      paper::parse_fault_rule(nlohmann::json::parse(R"({"kind":"reject","probability":1.5})"))
          .ok());
  CHECK(paper::default_error_type(429) == "NetworkException");
  CHECK(paper::default_error_type(504) == "DataException");

  paper::FaultInjector faults;
  faults.add(*rule);
  std::vector<bool> fired;
  for (int i = 0; i < 5; ++i) fired.push_back(faults.match("GET", "/orders").has_value());
  CHECK(fired == std::vector<bool>{false, true, true, false, false});
  CHECK_FALSE(faults.match("GET", "/_paper/state").has_value());

  auto draws = [](std::uint64_t seed) {
    paper::FaultInjector f(seed);
    f.add(*paper::parse_fault_rule(nlohmann::json::parse(
        R"({"kind":"http_error","status":500,"count":0,"probability":0.3})")));
    std::vector<bool> out;
    for (int i = 0; i < 200; ++i) out.push_back(f.match("POST", "/orders/regular").has_value());
    return out;
  };
  const std::vector<bool> a = draws(42);
  CHECK(a == draws(42));
  CHECK(a != draws(43));
  const auto hits = std::count(a.begin(), a.end(), true);
  CHECK(hits > 30);
  CHECK(hits < 90);

  paper::FaultInjector tokens;
  tokens.set_token_expire_after(2);
  CHECK_FALSE(tokens.count_authenticated_call());
  CHECK_FALSE(tokens.count_authenticated_call());
  CHECK(tokens.count_authenticated_call());
  CHECK(tokens.count_authenticated_call());
  tokens.reset_token_budget();
  CHECK_FALSE(tokens.count_authenticated_call());
}

TEST_CASE(
    "at the square-off time the broker closes MIS positions at market and cancels MIS orders") {
  test::RigOptions options = engine_only();
  options.engine.mis_square_off_minute = 15 * 60 + 20;
  PaperRig rig(options);
  rig.price("INFY", "1500");
  rig.price("TCS", "3500");
  OrderRequest long_infy = test::market_buy("INFY", 10, "m1");
  long_infy.product = Product::kIntraday;
  OrderRequest short_tcs = test::market_buy("TCS", 3, "m2");
  short_tcs.product = Product::kIntraday;
  short_tcs.side = Side::kSell;
  OrderRequest resting = test::limit("INFY", Side::kBuy, 5, 140000, "m3");
  resting.product = Product::kIntraday;
  REQUIRE(rig.engine->place_order(long_infy).ok());
  REQUIRE(rig.engine->place_order(short_tcs).ok());
  BrokerResult<std::string> resting_id = rig.engine->place_order(resting);
  REQUIRE(resting_id.ok());
  REQUIRE(rig.engine->place_order(test::market_buy("INFY", 2, "c1")).ok());  // CNC: kept

  rig.engine_clock.set(from_ist(Date{2024, 3, 28}, 15, 19, 59));
  REQUIRE(rig.engine->square_off_mis().ok());
  CHECK(rig.engine->orders().size() == 4);

  rig.engine_clock.set(from_ist(Date{2024, 3, 28}, 15, 20));
  rig.price("INFY", "1510");  // the price update is what runs it in a replay
  CHECK(rig.engine->order_history(*resting_id)->back().status == "CANCELLED");
  std::vector<Order> squared;
  for (const Order& o : rig.engine->orders()) {
    if (o.placed_by == "ADMINSQF") squared.push_back(o);
  }
  REQUIRE(squared.size() == 2);
  for (const Order& o : squared) {
    CHECK(o.product == "MIS");
    CHECK(o.order_type == "MARKET");
    CHECK(o.status == "COMPLETE");
    CHECK(o.tag.empty());
  }
  auto infy = std::find_if(squared.begin(), squared.end(),
                           [](const Order& o) { return o.tradingsymbol == "INFY"; });
  REQUIRE(infy != squared.end());
  CHECK(infy->side == Side::kSell);
  CHECK(infy->filled_quantity == 10);
  CHECK(infy->average_price == 151000);
  auto tcs = std::find_if(squared.begin(), squared.end(),
                          [](const Order& o) { return o.tradingsymbol == "TCS"; });
  REQUIRE(tcs != squared.end());
  CHECK(tcs->side == Side::kBuy);
  CHECK(tcs->filled_quantity == 3);
  // The square-off trades pay charges like any trade.
  std::int64_t square_off_trades = 0;
  for (const Trade& t : rig.engine->trades()) {
    if (t.order_id == infy->order_id || t.order_id == tcs->order_id) ++square_off_trades;
  }
  CHECK(square_off_trades == 2);
  for (const broker::Position& p : rig.engine->positions().net) {
    if (p.product == "MIS") {
      CHECK(p.quantity == 0);
    } else {
      CHECK(p.quantity == 2);
    }
  }
  // Nothing more to do: a later check places nothing.
  Result<std::int64_t> again = rig.engine->square_off_mis();
  REQUIRE(again.ok());
  CHECK(*again == 0);
}

TEST_CASE("without a square-off time MIS positions stay open") {
  PaperRig rig(engine_only());
  rig.price("INFY", "1500");
  OrderRequest long_infy = test::market_buy("INFY", 10, "m1");
  long_infy.product = Product::kIntraday;
  REQUIRE(rig.engine->place_order(long_infy).ok());
  rig.engine_clock.set(from_ist(Date{2024, 3, 28}, 15, 25));
  rig.price("INFY", "1510");
  CHECK(rig.engine->orders().size() == 1);
}
