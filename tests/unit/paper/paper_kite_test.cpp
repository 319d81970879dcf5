// The paper broker driven through KiteBroker over real HTTP on 127.0.0.1.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "broker/kite_json.h"
#include "paper_rig.h"

using namespace sm;
using namespace sm::broker;
using sm::test::PaperRig;

TEST_CASE("a market order fills at the last price and shows in the book, trades and positions") {
  PaperRig rig;
  rig.price("INFY", "1500.50");
  auto kite = rig.kite();
  OrderRequest request = test::market_buy("INFY", 10, "intent1");
  request.market_protection.reset();  // KiteBroker must send -1 (automatic) by itself
  BrokerResult<std::string> placed = kite->place_order(request);
  REQUIRE(placed.ok());

  BrokerResult<std::vector<Order>> book = kite->orders();
  REQUIRE(book.ok());
  REQUIRE(book->size() == 1);
  const Order& o = book->front();
  CHECK(o.order_id == *placed);
  CHECK(o.status == "COMPLETE");
  CHECK(o.tag == "intent1");
  CHECK(o.filled_quantity == 10);
  CHECK(o.pending_quantity == 0);
  CHECK(o.average_price == 150050);
  CHECK(o.order_timestamp == test::paper_start());
  CHECK(o.market_protection == -1);  // KiteBroker sends automatic protection for MARKET
  CHECK_FALSE(o.exchange_order_id.empty());

  BrokerResult<std::vector<Order>> history = kite->order_history(*placed);
  REQUIRE(history.ok());
  std::vector<std::string> statuses;
  for (const Order& h : *history) statuses.push_back(h.status);
  CHECK(statuses == std::vector<std::string>{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING",
                                             "OPEN PENDING", "OPEN", "COMPLETE"});

  BrokerResult<std::vector<Trade>> trades = kite->trades();
  REQUIRE(trades.ok());
  REQUIRE(trades->size() == 1);
  CHECK(trades->front().order_id == *placed);
  CHECK(trades->front().quantity == 10);
  CHECK(trades->front().average_price == 150050);
  CHECK(trades->front().order_time == "10:00:00");
  BrokerResult<std::vector<Trade>> order_trades = kite->order_trades(*placed);
  REQUIRE(order_trades.ok());
  CHECK(order_trades->size() == 1);

  rig.price("INFY", "1510");
  BrokerResult<Positions> positions = kite->positions();
  REQUIRE(positions.ok());
  REQUIRE(positions->net.size() == 1);
  const broker::Position& p = positions->net.front();
  CHECK(p.tradingsymbol == "INFY");
  CHECK(p.product == "CNC");
  CHECK(p.quantity == 10);
  CHECK(p.average_price == 150050);
  CHECK(p.last_price == 151000);
  CHECK(p.value == -1500500);
  CHECK(p.pnl == 9500);  // 10 * (1510 - 1500.50)
  REQUIRE(positions->day.size() == 1);
  CHECK(positions->day.front().day_buy_quantity == 10);
}

TEST_CASE(
    "a limit order rests, is modified, then fills at its limit when the price comes through") {
  PaperRig rig;
  rig.price("TCS", "3500");
  auto kite = rig.kite();
  BrokerResult<std::string> id =
      kite->place_order(test::limit("TCS", Side::kBuy, 2, 345000, "lim1"));
  REQUIRE(id.ok());
  CHECK(kite->orders()->front().status == "OPEN");

  ModifyRequest m;
  m.order_id = *id;
  m.price = 346000;
  REQUIRE(kite->modify_order(m).ok());
  BrokerResult<std::vector<Order>> history = kite->order_history(*id);
  REQUIRE(history.ok());
  CHECK(history->back().status == "OPEN");
  CHECK(history->back().price == 346000);
  CHECK(history->back().modified);
  CHECK((*history)[history->size() - 2].status == "MODIFIED");

  rig.engine_clock.advance(60'000);
  rig.price("TCS", "3470");  // not through 3460 yet
  CHECK(kite->orders()->front().status == "OPEN");
  rig.engine_clock.advance(60'000);
  REQUIRE(
      rig.server->feed()
          .apply_line(
              R"({"type":"bar","symbol":"TCS","timeframe":"1m","ts":"2024-03-28T04:32:00.000Z",)"
              R"("open":3470,"high":3475,"low":3455.5,"close":3468,"volume":100})")
          .ok());
  const Order filled = kite->orders()->front();
  CHECK(filled.status == "COMPLETE");
  CHECK(filled.average_price == 346000);  // a resting limit fills at its limit
}

TEST_CASE("a marketable limit fills at once at the last price") {
  PaperRig rig;
  rig.price("WIPRO", "480.25");
  auto kite = rig.kite();
  BrokerResult<std::string> id =
      kite->place_order(test::limit("WIPRO", Side::kBuy, 5, 48100, "lim2"));
  REQUIRE(id.ok());
  const Order o = kite->orders()->front();
  CHECK(o.status == "COMPLETE");
  CHECK(o.average_price == 48025);
}

TEST_CASE("cancel moves an open order to CANCELLED, cancelling again is an OrderException") {
  PaperRig rig;
  rig.price("TCS", "3500");
  auto kite = rig.kite();
  BrokerResult<std::string> id = kite->place_order(test::limit("TCS", Side::kBuy, 1, 340000, "c1"));
  REQUIRE(id.ok());
  REQUIRE(kite->cancel_order("regular", *id).ok());
  const Order o = kite->orders()->front();
  CHECK(o.status == "CANCELLED");
  CHECK(o.cancelled_quantity == 1);
  BrokerResult<std::string> again = kite->cancel_order("regular", *id);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().error_type == "OrderException");
  CHECK(again.error().http_status == 400);
  CHECK(again.error().code == ErrorCode::kRejected);
  CHECK(again.error().attempts == 1);
}

TEST_CASE("stop orders trigger when the price reaches them") {
  PaperRig rig;
  rig.price("RELIANCE", "2900");
  auto kite = rig.kite();
  OrderRequest slm;
  slm.tradingsymbol = "RELIANCE";
  slm.side = Side::kBuy;
  slm.order_type = OrderType::kStopLossMarket;
  slm.trigger_price = 295000;
  slm.quantity = 3;
  slm.product = Product::kIntraday;
  slm.tag = "slm1";
  BrokerResult<std::string> id = kite->place_order(slm);
  REQUIRE(id.ok());
  CHECK(kite->orders()->front().status == "TRIGGER PENDING");
  rig.engine_clock.advance(1000);
  rig.price("RELIANCE", "2940");
  CHECK(kite->orders()->front().status == "TRIGGER PENDING");
  rig.engine_clock.advance(1000);
  rig.price("RELIANCE", "2961.30");
  const Order o = kite->orders()->front();
  CHECK(o.status == "COMPLETE");
  CHECK(o.average_price == 296130);  // the worse of trigger and last

  // A buy stop below the market is refused like Kite refuses it.
  slm.trigger_price = 290000;
  BrokerResult<std::string> bad = kite->place_order(slm);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().error_type == "InputException");
}

TEST_CASE("Kite refusals arrive with their error_type, HTTP status and our code") {
  PaperRig rig;
  rig.price("INFY", "1500");
  rig.price("TINY", "100", R"(,"lower_circuit_limit":95,"upper_circuit_limit":105)");
  auto kite = rig.kite();

  SECTION("tick size: InputException 400 -> invalid_argument") {
    BrokerResult<std::string> r =
        kite->place_order(test::limit("INFY", Side::kBuy, 1, 149999, "t1"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().error_type == "InputException");
    CHECK(r.error().http_status == 400);
    CHECK(r.error().code == ErrorCode::kInvalidArgument);
    CHECK(r.error().message.find("Tick size") != std::string::npos);
  }
  SECTION("insufficient funds: MarginException 400 -> rejected") {
    BrokerResult<std::string> r = kite->place_order(test::market_buy("INFY", 100000, "t2"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().error_type == "MarginException");
    CHECK(r.error().http_status == 400);
    CHECK(r.error().code == ErrorCode::kRejected);
    CHECK(r.error().message.find("Insufficient funds. Required margin is 150000000.00") !=
          std::string::npos);
  }
  SECTION("selling delivery shares we do not hold: HoldingException 400 -> rejected") {
    OrderRequest sell = test::market_buy("INFY", 1, "t3");
    sell.side = Side::kSell;
    BrokerResult<std::string> r = kite->place_order(sell);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().error_type == "HoldingException");
    CHECK(r.error().code == ErrorCode::kRejected);
  }
  SECTION("price outside the circuit band: OrderException 400 -> rejected") {
    BrokerResult<std::string> r =
        kite->place_order(test::limit("TINY", Side::kBuy, 1, 10600, "t4"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().error_type == "OrderException");
    CHECK(r.error().message.find("95.00 - 105.00") != std::string::npos);
  }
  SECTION("market closed: InputException") {
    rig.engine->set_session_predicate([](TimestampMs) -> Result<bool> { return false; });
    BrokerResult<std::string> r = kite->place_order(test::market_buy("INFY", 1, "t5"));
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().error_type == "InputException");
    CHECK(r.error().message.find("Markets are closed") != std::string::npos);
  }
  SECTION("a session predicate that cannot decide counts as closed") {
    rig.engine->set_session_predicate([](TimestampMs) -> Result<bool> {
      return error(ErrorCode::kUnavailable, "calendar does not cover 2024");
    });
    CHECK_FALSE(kite->place_order(test::market_buy("INFY", 1, "t6")).ok());
  }
  SECTION("an unknown order id: 404 -> not_found") {
    BrokerResult<std::vector<Order>> r = kite->order_history("999");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().http_status == 404);
    CHECK(r.error().code == ErrorCode::kNotFound);
  }
  // None of these created an order.
  CHECK(kite->orders()->empty());
}

TEST_CASE("RMS refusals can instead become REJECTED orders, as the real OMS does") {
  test::RigOptions options = test::default_rig_options();
  options.engine.rms_rejections_as_orders = true;
  options.engine.initial_cash = 1000 * kPaisePerRupee;
  PaperRig rig(options);
  rig.price("INFY", "1500");
  auto kite = rig.kite();
  BrokerResult<std::string> id = kite->place_order(test::market_buy("INFY", 1, "rms1"));
  REQUIRE(id.ok());
  const Order o = kite->orders()->front();
  CHECK(o.status == "REJECTED");
  CHECK(o.status_message.rfind(
            "Insufficient funds. Required margin is 1500.00 but available margin is 1000.00", 0) ==
        0);
  CHECK(o.status_message_raw.rfind("RMS:Margin Exceeds", 0) == 0);
  CHECK(o.exchange_order_id.empty());
  std::vector<std::string> statuses;
  BrokerResult<std::vector<Order>> history = kite->order_history(*id);
  REQUIRE(history.ok());
  for (const Order& h : *history) statuses.push_back(h.status);
  CHECK(statuses ==
        std::vector<std::string>{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING", "REJECTED"});
}

TEST_CASE("every error_type and HTTP status maps to our code, retried only when transient") {
  struct Case {
    int status;
    const char* error_type;
    ErrorCode code;
    int attempts;  // GET /orders is a read: transient errors are retried up to max_attempts (4)
  };
  const Case cases[] = {
      {403, "TokenException", ErrorCode::kAuthError, 1},
      {403, "TwoFAException", ErrorCode::kAuthError, 1},
      {403, "PermissionException", ErrorCode::kPermissionDenied, 1},
      {403, "PermissionError", ErrorCode::kPermissionDenied, 1},
      {403, "UserException", ErrorCode::kRejected, 1},
      {400, "InputException", ErrorCode::kInvalidArgument, 1},
      {400, "OrderException", ErrorCode::kRejected, 1},
      {400, "MarginException", ErrorCode::kRejected, 1},
      {400, "HoldingException", ErrorCode::kRejected, 1},
      {503, "NetworkException", ErrorCode::kNetworkError, 4},
      {502, "NetworkException", ErrorCode::kNetworkError, 4},
      {502, "DataException", ErrorCode::kNetworkError, 4},
      {504, "DataException", ErrorCode::kNetworkError, 4},
      {500, "GeneralException", ErrorCode::kNetworkError, 4},
      {400, "GeneralException", ErrorCode::kInvalidArgument, 1},
      {404, "GeneralException", ErrorCode::kNotFound, 1},
      {405, "GeneralException", ErrorCode::kInvalidArgument, 1},
      {410, "GeneralException", ErrorCode::kInvalidArgument, 1},
      {429, "NetworkException", ErrorCode::kRateLimited, 4},
      {400, "SomeNewException", ErrorCode::kInvalidArgument, 1},
  };
  PaperRig rig;
  auto kite = rig.kite();
  for (const Case& c : cases) {
    INFO(c.error_type << " " << c.status);
    rig.server->faults().clear();
    paper::FaultRule rule;
    rule.kind = paper::FaultKind::kHttpError;
    rule.method = "GET";
    rule.path_prefix = "/orders";
    rule.http_status = c.status;
    rule.error_type = c.error_type;
    rule.message = "injected";
    rule.count = 0;
    rig.server->faults().add(rule);
    BrokerResult<std::vector<Order>> r = kite->orders();
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == c.code);
    CHECK(r.error().http_status == c.status);
    CHECK(r.error().attempts == c.attempts);
    const bool known = std::string(c.error_type) != "SomeNewException";
    CHECK(r.error().error_type == (known ? c.error_type : "GeneralException"));
  }
}

TEST_CASE("429 and 5xx on reads are retried and then succeed") {
  PaperRig rig;
  auto kite = rig.kite();
  rig.fault(nlohmann::json{{"kind", "http_error"}, {"status", 429}, {"count", 2}});
  rig.fault(nlohmann::json{{"kind", "http_error"}, {"status", 503}, {"count", 1}});
  BrokerResult<std::vector<Order>> r = kite->orders();
  REQUIRE(r.ok());
  CHECK(rig.server->faults().to_json()["rules"][0]["fired"] == 2);
  CHECK(rig.server->faults().to_json()["rules"][1]["fired"] == 1);
  CHECK(rig.sleeper.sleeps() >= 3);  // three backoffs (plus rate-limit spacing)
}

TEST_CASE("429 on a placement is retried: it was refused unread, so exactly one order results") {
  PaperRig rig;
  rig.price("INFY", "1500");
  auto kite = rig.kite();
  rig.fault(nlohmann::json{{"kind", "http_error"},
                           {"status", 429},
                           {"method", "POST"},
                           {"path", "/orders"},
                           {"count", 2}});
  BrokerResult<std::string> id = kite->place_order(test::market_buy("INFY", 1, "rate1"));
  REQUIRE(id.ok());
  CHECK(kite->orders()->size() == 1);
}

TEST_CASE("a 5xx on a placement is an unknown outcome, never retried") {
  PaperRig rig;
  rig.price("INFY", "1500");
  auto kite = rig.kite();
  rig.fault(
      nlohmann::json{{"kind", "http_error"}, {"status", 504}, {"method", "POST"}, {"count", 0}});
  BrokerResult<std::string> id = kite->place_order(test::market_buy("INFY", 1, "gw1"));
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().outcome_unknown);
  CHECK(id.error().code == ErrorCode::kUnavailable);
  CHECK(id.error().attempts == 1);
  CHECK(id.status().message().rfind("outcome_unknown: ", 0) == 0);
  BrokerResult<std::optional<Order>> found = find_order_by_tag(*kite, "gw1");
  REQUIRE(found.ok());
  CHECK_FALSE(found->has_value());  // this gateway error came before the order: safe to place again
}

TEST_CASE("a connection dropped after the order was accepted: outcome unknown, then found by tag") {
  PaperRig rig;
  rig.price("INFY", "1500");
  auto kite = rig.kite();
  // A read first, so a kept-alive connection exists that libcurl could have reused.
  REQUIRE(kite->orders().ok());
  rig.fault(nlohmann::json{{"kind", "drop_after_accept"}, {"method", "POST"}, {"path", "/orders"}});
  BrokerResult<std::string> id = kite->place_order(test::market_buy("INFY", 4, "drop1"));
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().outcome_unknown);
  CHECK(id.error().attempts == 1);

  BrokerResult<std::optional<Order>> found = find_order_by_tag(*kite, "drop1");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->status == "COMPLETE");
  CHECK((*found)->quantity == 4);
  CHECK(kite->orders()->size() == 1);  // nothing was sent twice
}

TEST_CASE("a timeout after the order was accepted: outcome unknown, found by tag") {
  PaperRig rig;
  rig.price("INFY", "1500");
  KiteOptions options = rig.kite_options();
  options.timeout_ms = 300;
  auto kite = rig.kite(options);
  rig.fault(nlohmann::json{{"kind", "delay_after"}, {"delay_ms", 2000}, {"method", "POST"}});
  BrokerResult<std::string> id = kite->place_order(test::market_buy("INFY", 2, "slow1"));
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().outcome_unknown);
  CHECK(id.error().code == ErrorCode::kUnavailable);
  BrokerResult<std::optional<Order>> found = find_order_by_tag(*kite, "slow1");
  REQUIRE(found.ok());
  CHECK(found->has_value());
}

TEST_CASE(
    "a broker that acts after the client timed out: unknown, then found, a request dropped unread "
    "is never found") {
  PaperRig rig;
  rig.price("INFY", "1500");
  KiteOptions options = rig.kite_options();
  options.timeout_ms = 300;
  auto kite = rig.kite(options);
  rig.fault(nlohmann::json{{"kind", "delay"}, {"delay_ms", 1500}, {"method", "POST"}});
  BrokerResult<std::string> id = kite->place_order(test::market_buy("INFY", 2, "slow2"));
  REQUIRE_FALSE(id.ok());
  CHECK(id.error().outcome_unknown);
  // The request did arrive and is handled after the client gave up: poll until it shows.
  bool found = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!found && std::chrono::steady_clock::now() < deadline) {
    BrokerResult<std::optional<Order>> lookup = find_order_by_tag(*kite, "slow2");
    REQUIRE(lookup.ok());
    found = lookup->has_value();
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(found);
  // A request dropped before handling never creates an order.
  rig.fault(nlohmann::json{{"kind", "drop_before"}, {"method", "POST"}});
  BrokerResult<std::string> dropped = kite->place_order(test::market_buy("INFY", 2, "drop2"));
  REQUIRE_FALSE(dropped.ok());
  CHECK(dropped.error().outcome_unknown);
  CHECK_FALSE(find_order_by_tag(*kite, "drop2")->has_value());
}

TEST_CASE("an injected rejection: the order is accepted and turns REJECTED with the reason") {
  PaperRig rig;
  rig.price("INFY", "1500");
  auto kite = rig.kite();
  rig.fault(nlohmann::json{
      {"kind", "reject"}, {"message", "RMS:Blocked for trading"}, {"method", "POST"}});
  BrokerResult<std::string> id = kite->place_order(test::market_buy("INFY", 1, "rej1"));
  REQUIRE(id.ok());
  const Order o = kite->orders()->front();
  CHECK(o.status == "REJECTED");
  CHECK(o.status_message == "RMS:Blocked for trading");
  CHECK(kite->trades()->empty());
}

TEST_CASE("token expiry after N calls gives kAuthError at once, a new login renews") {
  PaperRig rig;
  rig.price("INFY", "1500");
  auto kite = rig.kite();
  rig.server->faults().set_token_expire_after(2);
  REQUIRE(kite->orders().ok());
  REQUIRE(kite->trades().ok());
  BrokerResult<std::string> third = kite->place_order(test::market_buy("INFY", 1, "tok1"));
  REQUIRE_FALSE(third.ok());
  CHECK(third.error().code == ErrorCode::kAuthError);
  CHECK(third.error().error_type == "TokenException");
  CHECK(third.error().http_status == 403);
  CHECK(third.error().attempts == 1);
  CHECK_FALSE(third.error().outcome_unknown);

  BrokerResult<Session> session = kite->login("requesttoken1", test::kApiSecret);
  REQUIRE(session.ok());
  CHECK(session->user_id == "PAPER1");
  CHECK(session->access_token != test::kAccessToken);
  CHECK(session->login_time == test::paper_start());
  CHECK(kite->options().access_token == session->access_token);
  rig.server->faults().set_token_expire_after(0);
  REQUIRE(kite->place_order(test::market_buy("INFY", 1, "tok2")).ok());
  CHECK(kite->orders()->size() == 1);  // the refused placement never happened
}

TEST_CASE("login: a wrong checksum and a reused request token are TokenExceptions") {
  PaperRig rig;
  KiteOptions options = rig.kite_options("");
  auto kite = rig.kite(options);
  CHECK(kite->orders().error().code == ErrorCode::kAuthError);  // no token: refused locally

  BrokerResult<Session> wrong = kite->login("rt1", "not-the-secret");
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().error_type == "TokenException");
  CHECK(wrong.error().code == ErrorCode::kAuthError);

  REQUIRE(kite->login("rt2", test::kApiSecret).ok());
  REQUIRE(kite->orders().ok());
  auto other = rig.kite(rig.kite_options(""));
  BrokerResult<Session> reused = other->login("rt2", test::kApiSecret);
  REQUIRE_FALSE(reused.ok());
  CHECK(reused.error().error_type == "TokenException");

  REQUIRE(kite->logout().ok());
  CHECK_FALSE(kite->has_access_token());
}

TEST_CASE("an issued token dies at 06:00 IST the next day, at the broker and in the client") {
  PaperRig rig;
  auto kite = rig.kite(rig.kite_options(""));
  BrokerResult<Session> session = kite->login("rt-daily", test::kApiSecret);
  REQUIRE(session.ok());
  const TimestampMs expiry = from_ist(Date{2024, 3, 29}, 6, 0);
  CHECK(kite_token_expiry(session->login_time) == expiry);

  // The broker's side: a client that does not know the login time still gets TokenException.
  KiteOptions unaware = rig.kite_options(session->access_token);
  auto raw = rig.kite(unaware);
  rig.engine_clock.set(expiry - 1000);
  REQUIRE(raw->orders().ok());
  rig.engine_clock.set(expiry);
  BrokerResult<std::vector<Order>> late = raw->orders();
  REQUIRE_FALSE(late.ok());
  CHECK(late.error().error_type == "TokenException");
  CHECK(late.error().http_status == 403);

  // The client's side: knowing the login time, it refuses locally without a request.
  rig.client_clock.set(expiry);
  BrokerResult<std::vector<Order>> local = kite->orders();
  REQUIRE_FALSE(local.ok());
  CHECK(local.error().code == ErrorCode::kAuthError);
  CHECK(local.error().http_status == 0);
  CHECK(local.error().message.find("06:00 IST") != std::string::npos);
}

TEST_CASE("quotes, LTP, OHLC, instruments and margins through the adapter") {
  PaperRig rig;
  rig.price("INFY", "1500", R"(,"close":1480)");
  rig.engine_clock.advance(1000);
  rig.price("INFY", "1510.35");
  auto kite = rig.kite();
  BrokerResult<std::map<std::string, Quote>> q = kite->quote({"NSE:INFY", "NSE:NOPE"});
  REQUIRE(q.ok());
  REQUIRE(q->size() == 1);
  const Quote& infy = q->at("NSE:INFY");
  CHECK(infy.last_price == 151035);
  CHECK(infy.ohlc.close == 148000);
  CHECK(infy.ohlc.open == 150000);
  CHECK(infy.net_change == 3035);
  CHECK(infy.lower_circuit_limit == 118400);  // 20 % band around the previous close
  CHECK(infy.upper_circuit_limit == 177600);
  CHECK(infy.instrument_token == rig.engine->instrument_token("NSE", "INFY"));
  BrokerResult<std::map<std::string, LtpQuote>> ltp = kite->ltp({"NSE:INFY"});
  REQUIRE(ltp.ok());
  CHECK(ltp->at("NSE:INFY").last_price == 151035);
  BrokerResult<std::map<std::string, LtpQuote>> ohlc = kite->ohlc({"NSE:INFY"});
  REQUIRE(ohlc.ok());
  CHECK(ohlc->at("NSE:INFY").ohlc.high == 151035);

  BrokerResult<std::vector<Instrument>> instruments = kite->instruments("NSE");
  REQUIRE(instruments.ok());
  REQUIRE(instruments->size() == 1);
  CHECK(instruments->front().tradingsymbol == "INFY");
  CHECK(instruments->front().tick_size == 5);

  BrokerResult<Margins> margins = kite->margins();
  REQUIRE(margins.ok());
  REQUIRE(margins->equity.has_value());
  CHECK(margins->equity->net == 1'000'000 * kPaisePerRupee);
  CHECK_FALSE(margins->commodity->enabled);
  BrokerResult<Profile> profile = kite->profile();
  REQUIRE(profile.ok());
  CHECK(profile->user_id == "PAPER1");
}

TEST_CASE("MIS uses 20 % margin, closing it frees the margin and books the profit") {
  PaperRig rig;
  rig.price("SBIN", "700");
  auto kite = rig.kite();
  OrderRequest buy = test::market_buy("SBIN", 100, "mis1");
  buy.product = Product::kIntraday;
  REQUIRE(kite->place_order(buy).ok());
  CHECK(kite->margins()->equity->net == 1'000'000 * kPaisePerRupee - 14'000 * kPaisePerRupee);
  rig.engine_clock.advance(1000);
  rig.price("SBIN", "710");
  OrderRequest sell = buy;
  sell.side = Side::kSell;
  sell.tag = "mis2";
  REQUIRE(kite->place_order(sell).ok());
  CHECK(kite->margins()->equity->net == 1'001'000 * kPaisePerRupee);
  BrokerResult<Positions> p = kite->positions();
  REQUIRE(p.ok());
  REQUIRE(p->net.size() == 1);
  CHECK(p->net[0].quantity == 0);
  CHECK(p->net[0].pnl == 1000 * kPaisePerRupee);
}

TEST_CASE("the broker's own rate limits: bursts get 429, the adapter's limiter avoids them") {
  test::RigOptions options = test::default_rig_options();
  options.server.enforce_rate_limits = true;
  PaperRig rig(options);
  rig.price("INFY", "1500");
  // Raw requests, as fast as possible: at most 1 quote per wall-clock second gets through.
  CurlHttpClient raw;
  int ok = 0;
  int limited = 0;
  for (int i = 0; i < 10; ++i) {
    HttpRequest req;
    req.url = rig.base_url() + "/quote/ltp?i=NSE:INFY";
    req.headers.emplace_back("X-Kite-Version", "3");
    req.headers.emplace_back("Authorization",
                             std::string("token ") + test::kApiKey + ":" + test::kAccessToken);
    HttpOutcome out = raw.send(req);
    REQUIRE(out.ok());
    if (out.response().status == 200) ++ok;
    if (out.response().status == 429) {
      ++limited;
      Result<KiteEnvelope> env = parse_envelope(out.response().body);
      REQUIRE(env.ok());
      CHECK(env->error_type == "NetworkException");
    }
  }
  CHECK(ok >= 1);
  CHECK(ok <= 3);  // one per second boundary the burst happens to span
  CHECK(limited == 10 - ok);

  // Through KiteBroker on real time: spaced by its own limiter, nothing is refused.
  SystemSleeper real_sleep;
  time::SystemClock wall;
  KiteOptions k = rig.kite_options();
  k.retry.max_attempts = 1;  // any 429 would fail the call
  // The server counts requests by the second they arrive in. Spaced exactly at its limit, one
  // request held up (a loaded machine, CI) lands in the next second beside that second's full
  // quota and gets a 429 — as it would at Kite, where the retry policy absorbs it. A margin of
  // one slot keeps every second under the limit for a hold-up of up to one interval.
  k.rate_limits.order_per_second = 9;
  k.rate_limits.quote_per_second = 0.9;
  KiteBroker kite(k, rig.http, wall, real_sleep, seeded_jitter(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  for (int i = 0; i < 3; ++i) REQUIRE(kite.ltp({"NSE:INFY"}).ok());
  for (int i = 0; i < 12; ++i)
    REQUIRE(kite.place_order(test::market_buy("INFY", 1, "burst" + std::to_string(i))).ok());
  CHECK(kite.orders()->size() == 12);
}
