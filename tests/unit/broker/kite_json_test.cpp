// Parsers against every Kite sample response in tests/fixtures/kite (zerodha/kiteconnect-mocks).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "broker/instruments.h"
#include "broker/kite_json.h"
#include "core/sha256.h"

using namespace sm;
using namespace sm::broker;

namespace {

std::string fixture_dir() { return std::string(SM_TEST_FIXTURES) + "/kite"; }

std::string read_fixture(const std::string& name) {
  std::ifstream in(fixture_dir() + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

nlohmann::json data_of(const std::string& name) {
  Result<KiteEnvelope> envelope = parse_envelope(read_fixture(name));
  REQUIRE(envelope.ok());
  REQUIRE(envelope->success);
  return envelope->data;
}

TimestampMs ist(int y, int mo, int d, int h, int mi, int s) {
  return from_ist(Date{y, mo, d}, h, mi, s);
}

}  // namespace

TEST_CASE("exact JSON keeps the text of fractional numbers and integers as integers") {
  Result<nlohmann::json> j =
      parse_json_exact(R"({"a": 109.4, "b": 72, "c": 0.5999999999999659, "d": [1e3, -2.50]})");
  REQUIRE(j.ok());
  CHECK((*j)["a"] == "109.4");
  CHECK((*j)["b"] == 72);
  CHECK((*j)["c"] == "0.5999999999999659");
  CHECK((*j)["d"][0] == "1e3");
  CHECK((*j)["d"][1] == "-2.50");
}

TEST_CASE("exact JSON rejects invalid text with a parse error") {
  CHECK(parse_json_exact("{\"a\": }").status().code() == ErrorCode::kParseError);
  CHECK(parse_json_exact("").status().code() == ErrorCode::kParseError);
  CHECK(parse_json_exact("[1, 2").status().code() == ErrorCode::kParseError);
}

TEST_CASE("envelope: success, error with error_type, error_type without status, garbage") {
  Result<KiteEnvelope> ok = parse_envelope(R"({"status":"success","data":{"order_id":"1"}})");
  REQUIRE(ok.ok());
  CHECK(ok->success);
  CHECK(ok->data["order_id"] == "1");

  Result<KiteEnvelope> err = parse_envelope(
      R"({"status":"error","message":"`tag` should be max 8 characters","data":null,"error_type":"InputException"})");
  REQUIRE(err.ok());
  CHECK_FALSE(err->success);
  CHECK(err->error_type == "InputException");
  CHECK(err->message == "`tag` should be max 8 characters");

  // The Python SDK treats a body with error_type as an error whatever status says.
  Result<KiteEnvelope> typed = parse_envelope(R"({"message":"x","error_type":"OrderException"})");
  REQUIRE(typed.ok());
  CHECK_FALSE(typed->success);

  Result<KiteEnvelope> untyped = parse_envelope(R"({"status":"error","message":"boom"})");
  REQUIRE(untyped.ok());
  CHECK(untyped->error_type == "GeneralException");

  CHECK(parse_envelope("<html>502 Bad Gateway</html>").status().code() == ErrorCode::kParseError);
  CHECK(parse_envelope(R"({"status":"pending","data":1})").status().code() ==
        ErrorCode::kParseError);
  CHECK(parse_envelope(R"({"message":"no data"})").status().code() == ErrorCode::kParseError);
  // mf_sips.json has data but no status; the SDK accepts that, so do we.
  CHECK(parse_envelope(R"({"data":1})").ok());
  CHECK(parse_envelope(R"([1,2])").status().code() == ErrorCode::kParseError);
}

TEST_CASE("orders.json: the day's order book, every order") {
  Result<std::vector<Order>> orders = parse_orders(data_of("orders.json"));
  REQUIRE(orders.ok());
  REQUIRE(orders->size() == 10);

  const Order& cancelled = (*orders)[0];
  CHECK(cancelled.order_id == "100000000000000");
  CHECK(cancelled.status == "CANCELLED");
  CHECK(cancelled.exchange == "CDS");
  CHECK(cancelled.price == 7200);  // integer JSON number 72
  CHECK(cancelled.pending_quantity == 1);
  CHECK(cancelled.cancelled_quantity == 1);
  CHECK(cancelled.order_timestamp == ist(2021, 5, 31, 9, 18, 57));
  CHECK(cancelled.exchange_timestamp == ist(2021, 5, 31, 9, 15, 38));
  CHECK(cancelled.tag.empty());
  CHECK(cancelled.parent_order_id.empty());

  const Order& limit_buy = (*orders)[1];
  CHECK(limit_buy.tradingsymbol == "IOC");
  CHECK(limit_buy.side == Side::kBuy);
  CHECK(limit_buy.price == 10940);
  CHECK(limit_buy.average_price == 10940);
  CHECK(limit_buy.product == "CNC");

  const Order& market_sell = (*orders)[2];
  CHECK(market_sell.side == Side::kSell);
  CHECK(market_sell.order_type == "MARKET");
  CHECK(market_sell.price == 0);
  CHECK(market_sell.average_price == 10935);

  const Order& rejected = (*orders)[3];
  CHECK(rejected.status == "REJECTED");
  CHECK(rejected.variety == "iceberg");
  CHECK(rejected.exchange_order_id.empty());
  CHECK(rejected.exchange_timestamp == 0);
  CHECK(rejected.exchange_update_timestamp == 0);
  CHECK(rejected.status_message.rfind("Insufficient funds. Required margin is 95417.84", 0) == 0);
  CHECK(rejected.status_message_raw.rfind("RMS:Margin Exceeds", 0) == 0);
  CHECK(rejected.tag == "icebergord");
  CHECK(rejected.validity_ttl == 2);

  const Order& tagged = (*orders)[5];
  CHECK(tagged.tag == "connect test order2");
  CHECK(tagged.tags == std::vector<std::string>{"connect test order2", "XXXXX"});
  CHECK(tagged.price == 485400);
  CHECK(tagged.average_price == 485200);

  const Order& protected_market = (*orders)[8];
  CHECK(protected_market.price == 15982);
  CHECK(protected_market.average_price == 15670);
  CHECK(protected_market.tags == std::vector<std::string>{"mktp", "mktp:2.00"});
  CHECK(protected_market.order_id == "1953341975595868160");
}

TEST_CASE("order_info.json: one entry per state transition, oldest first") {
  Result<std::vector<Order>> history = parse_orders(data_of("order_info.json"));
  REQUIRE(history.ok());
  std::vector<std::string> statuses;
  for (const Order& o : *history) statuses.push_back(o.status);
  CHECK(statuses == std::vector<std::string>{"PUT ORDER REQ RECEIVED", "VALIDATION PENDING",
                                             "OPEN PENDING", "OPEN", "MODIFY VALIDATION PENDING",
                                             "MODIFY PENDING", "MODIFIED", "OPEN"});
  CHECK(history->front().exchange_order_id.empty());
  CHECK((*history)[3].exchange_order_id == "1300000001887410");
  CHECK(history->back().price == 30010);  // 300.1 after the modification
  CHECK(history->back().order_timestamp == ist(2017, 12, 29, 11, 8, 16));
  for (const Order& o : *history) CHECK_FALSE(is_terminal_status(o.status));
}

TEST_CASE("order_response, order_modify, order_cancel: the order id") {
  for (const char* name : {"order_response.json", "order_modify.json", "order_cancel.json"}) {
    Result<PlaceOrderResponse> r = parse_order_response(data_of(name));
    REQUIRE(r.ok());
    CHECK(r->order_id == "151220000000000");
    CHECK(r->children.empty());
  }
}

TEST_CASE("autoslice_response.json: parent id and children with ids or errors") {
  Result<PlaceOrderResponse> r = parse_order_response(data_of("autoslice_response.json"));
  REQUIRE(r.ok());
  CHECK(r->order_id == "1914227164488687616");
  REQUIRE(r->children.size() == 4);
  CHECK(r->children[0].order_id == "1914227164534824960");
  CHECK(r->children[2].order_id.empty());
  CHECK(r->children[2].error_type == "MarginException");
  CHECK(r->children[2].code == 400);
  CHECK(r->children[2].message.find("228365.92") != std::string::npos);
}

TEST_CASE("trades.json and order_trades.json: executions with exact prices") {
  Result<std::vector<Trade>> trades = parse_trades(data_of("trades.json"));
  REQUIRE(trades.ok());
  REQUIRE(trades->size() == 4);
  CHECK((*trades)[0].trade_id == "10000000");
  CHECK((*trades)[0].average_price == 42065);
  CHECK((*trades)[0].fill_timestamp == ist(2021, 5, 31, 9, 16, 39));
  CHECK((*trades)[0].order_time == "09:16:39");  // bare time in trades
  // 72.755 (a currency future) is rounded half-even to the paisa: 7275.5 -> 7276.
  CHECK((*trades)[1].average_price == 7276);
  CHECK((*trades)[2].average_price == 485200);

  Result<std::vector<Trade>> one = parse_trades(data_of("order_trades.json"));
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK(one->front().order_id == "200000000000000");
  CHECK(one->front().quantity == 1);
  CHECK(one->front().side == Side::kBuy);
}

TEST_CASE("positions.json: net and day, money in paise") {
  Result<Positions> p = parse_positions(data_of("positions.json"));
  REQUIRE(p.ok());
  REQUIRE(p->net.size() == 3);
  REQUIRE(p->day.size() == 3);
  const Position& lead = p->net[0];
  CHECK(lead.tradingsymbol == "LEADMINI17DECFUT");
  CHECK(lead.multiplier == 1000);
  CHECK(lead.average_price == 16105);
  CHECK(lead.value == -16105000);
  const Position& gold = p->net[1];
  CHECK(gold.overnight_quantity == 3);
  CHECK(gold.buy_price == 2313975);
  CHECK(gold.pnl == 80100);
  CHECK(p->day[0].quantity == -3);
}

TEST_CASE("holdings.json: float noise in broker-computed amounts is rounded to the paisa") {
  Result<std::vector<Holding>> h = parse_holdings(data_of("holdings.json"));
  REQUIRE(h.ok());
  REQUIRE(h->size() == 2);
  CHECK((*h)[0].tradingsymbol == "AARON");
  CHECK((*h)[0].isin == "INE721Z01010");
  CHECK((*h)[0].last_price == 35295);
  CHECK((*h)[0].day_change == 60);  // 0.5999999999999659
  CHECK((*h)[0].day_change_percentage == Approx(0.17028522775648244));
  CHECK((*h)[1].average_price == 80178);  // 801.78125 -> 801.78
  CHECK((*h)[1].pnl == -62930);           // -629.2999999999993
  CHECK((*h)[1].quantity == 16);
}

TEST_CASE("quote.json, ltp.json, ohlc.json: keyed by EXCHANGE:SYMBOL") {
  Result<std::map<std::string, Quote>> q = parse_quotes(data_of("quote.json"));
  REQUIRE(q.ok());
  REQUIRE(q->count("NSE:INFY") == 1);
  const Quote& infy = q->at("NSE:INFY");
  CHECK(infy.instrument_token == 408065);
  CHECK(infy.last_price == 141295);
  CHECK(infy.volume == 7360198);
  CHECK(infy.lower_circuit_limit == 125070);
  CHECK(infy.upper_circuit_limit == 152860);
  CHECK(infy.ohlc.open == 139600);
  CHECK(infy.ohlc.close == 138965);
  CHECK(infy.timestamp == ist(2021, 6, 8, 15, 45, 56));
  REQUIRE(infy.depth_sell.size() == 5);
  CHECK(infy.depth_sell[0].price == 141295);
  CHECK(infy.depth_sell[0].orders == 13);
  CHECK(infy.depth_buy[0].price == 0);

  Result<std::map<std::string, LtpQuote>> ltp = parse_ltp_quotes(data_of("ltp.json"));
  REQUIRE(ltp.ok());
  CHECK(ltp->at("NSE:INFY").last_price == 107435);

  Result<std::map<std::string, LtpQuote>> ohlc = parse_ltp_quotes(data_of("ohlc.json"));
  REQUIRE(ohlc.ok());
  CHECK(ohlc->at("NSE:INFY").last_price == 107500);
  CHECK(ohlc->at("NSE:INFY").ohlc.high == 108590);
}

TEST_CASE("generate_session.json and profile.json") {
  Result<Session> s = parse_session(data_of("generate_session.json"));
  REQUIRE(s.ok());
  CHECK(s->user_id == "XX0000");
  CHECK(s->access_token == "XXXXXX");
  CHECK(s->login_time == ist(2021, 1, 1, 16, 15, 14));
  CHECK(s->order_types == std::vector<std::string>{"MARKET", "LIMIT", "SL", "SL-M"});

  Result<Profile> p = parse_profile(data_of("profile.json"));
  REQUIRE(p.ok());
  CHECK(p->user_id == "AB1234");
  CHECK(p->broker == "ZERODHA");
  CHECK(p->exchanges.size() == 8);

  Result<Profile> full = parse_profile(data_of("full_profile.json"));
  REQUIRE(full.ok());
  CHECK_FALSE(full->user_id.empty());
}

TEST_CASE("margins.json, margins_equity.json, margin_commodity.json") {
  Result<Margins> m = parse_margins(data_of("margins.json"));
  REQUIRE(m.ok());
  REQUIRE(m->equity.has_value());
  REQUIRE(m->commodity.has_value());
  CHECK(m->equity->net == 9972505);  // 99725.05000000002
  CHECK(m->equity->available_cash == 24543160);
  CHECK(m->equity->utilised_debits == 14570655);
  CHECK(m->equity->utilised_span == 10198900);
  CHECK(m->commodity->net == 10066170);

  Result<SegmentMargins> equity = parse_segment_margins(data_of("margins_equity.json"));
  REQUIRE(equity.ok());
  CHECK(equity->enabled);
  CHECK(equity->live_balance == 9972505);

  Result<SegmentMargins> commodity = parse_segment_margins(data_of("margin_commodity.json"));
  REQUIRE(commodity.ok());
  CHECK(commodity->enabled);
}

TEST_CASE("postback.json: the order plus checksum and unfilled quantity") {
  Result<Order> o = parse_postback(read_fixture("postback.json"));
  REQUIRE(o.ok());
  CHECK(o->order_id == "220303000308932");
  CHECK(o->status == "COMPLETE");
  CHECK(o->average_price == 47000);
  CHECK(o->unfilled_quantity == 0);
  CHECK(o->checksum == "2011845d9348bd6795151bf4258102a03431e3bb12a79c0df73fcb4b7fde4b5d");
  CHECK(o->order_timestamp == ist(2022, 3, 3, 9, 24, 25));
}

TEST_CASE("instruments_nse.csv and instruments_all.csv") {
  Result<std::vector<Instrument>> nse = parse_instruments_csv(read_fixture("instruments_nse.csv"));
  REQUIRE(nse.ok());
  REQUIRE(nse->size() == 99);
  const Instrument& first = nse->front();
  CHECK(first.instrument_token == 3813889);
  CHECK(first.exchange_token == 14898);
  CHECK(first.tradingsymbol == "CENTRALBK-BE");
  CHECK(first.name == "CENTRAL BANK OF INDIA");
  CHECK(first.tick_size == 5);
  CHECK(first.lot_size == 1);
  CHECK_FALSE(first.expiry.has_value());
  CHECK(first.instrument_type == "EQ");
  int one_paisa_ticks = 0;
  for (const Instrument& i : *nse) {
    CHECK((i.tick_size == 1 || i.tick_size == 5));
    if (i.tick_size == 1) ++one_paisa_ticks;
  }
  CHECK(one_paisa_ticks == 11);

  Result<std::vector<Instrument>> all = parse_instruments_csv(read_fixture("instruments_all.csv"));
  REQUIRE(all.ok());
  bool saw_option = false;
  for (const Instrument& i : *all) {
    if (i.segment == "NFO-OPT") {
      saw_option = true;
      REQUIRE(i.expiry.has_value());
      CHECK(i.expiry->year >= 2017);
      CHECK(i.strike > 0);
    }
  }
  CHECK(saw_option);
}

TEST_CASE("instruments CSV round-trips and reports the bad line") {
  Result<std::vector<Instrument>> nse = parse_instruments_csv(read_fixture("instruments_nse.csv"));
  REQUIRE(nse.ok());
  Result<std::vector<Instrument>> again = parse_instruments_csv(instruments_to_csv(*nse));
  REQUIRE(again.ok());
  REQUIRE(again->size() == nse->size());
  CHECK((*again)[10].tradingsymbol == (*nse)[10].tradingsymbol);
  CHECK((*again)[10].tick_size == (*nse)[10].tick_size);

  const std::string header =
      "instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_"
      "size,"
      "instrument_type,segment,exchange\n";
  Result<std::vector<Instrument>> bad =
      parse_instruments_csv(header +
                            "1,2,A,\"X, Y\",0.0,,0.0,0.05,1,EQ,NSE,NSE\n"
                            "x,2,B,N,0.0,,0.0,0.05,1,EQ,NSE,NSE\n");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message().find("line 3") != std::string::npos);
  CHECK(bad.status().message().find("instrument_token") != std::string::npos);

  Result<std::vector<Instrument>> quoted =
      parse_instruments_csv(header + "1,2,A,\"X, \"\"Y\"\"\",0.0,,0.0,0.05,1,EQ,NSE,NSE\r\n");
  REQUIRE(quoted.ok());
  CHECK(quoted->front().name == "X, \"Y\"");
  CHECK(parse_instruments_csv("instrument_token,name\n1,x\n").status().code() ==
        ErrorCode::kParseError);
}

TEST_CASE("parsers name the element and field that is wrong") {
  Result<std::vector<Order>> missing =
      parse_orders(nlohmann::json::parse(R"([{"order_id":"1","status":"OPEN",
      "tradingsymbol":"INFY","transaction_type":"BUY","quantity":1},{"order_id":"2","status":"OPEN",
      "tradingsymbol":"INFY","transaction_type":"HOLD","quantity":1}])"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == ErrorCode::kParseError);
  CHECK(missing.status().message().find("orders[1]") != std::string::npos);
  CHECK(missing.status().message().find("transaction_type") != std::string::npos);

  Result<std::vector<Trade>> bad_price = parse_trades(*parse_json_exact(
      R"([{"trade_id":"1","order_id":"2","tradingsymbol":"X","transaction_type":"BUY","quantity":1,"average_price":"abc"}])"));
  REQUIRE_FALSE(bad_price.ok());
  CHECK(bad_price.status().message().find("average_price") != std::string::npos);

  Result<std::vector<Order>> bad_time = parse_orders(*parse_json_exact(
      R"([{"order_id":"1","status":"OPEN","tradingsymbol":"X","transaction_type":"BUY","quantity":1,
          "order_timestamp":"2021-05-31T09:18:57+05:30"}])"));
  REQUIRE_FALSE(bad_time.ok());
  CHECK(bad_time.status().message().find("order_timestamp") != std::string::npos);
}

TEST_CASE("encoders round-trip through the parsers") {
  Result<std::vector<Order>> orders = parse_orders(data_of("orders.json"));
  REQUIRE(orders.ok());
  for (const Order& o : *orders) {
    Result<std::vector<Order>> back =
        parse_orders(*parse_json_exact(nlohmann::json::array({order_to_json(o)}).dump()));
    REQUIRE(back.ok());
    const Order& b = back->front();
    CHECK(b.order_id == o.order_id);
    CHECK(b.status == o.status);
    CHECK(b.price == o.price);
    CHECK(b.average_price == o.average_price);
    CHECK(b.order_timestamp == o.order_timestamp);
    CHECK(b.exchange_timestamp == o.exchange_timestamp);
    CHECK(b.tag == o.tag);
    CHECK(b.tags == o.tags);
    CHECK(b.side == o.side);
  }
  Result<Positions> positions = parse_positions(data_of("positions.json"));
  REQUIRE(positions.ok());
  nlohmann::json net = nlohmann::json::array();
  for (const Position& p : positions->net) net.push_back(position_to_json(p));
  Result<Positions> back =
      parse_positions(*parse_json_exact(nlohmann::json{{"net", net}, {"day", nullptr}}.dump()));
  REQUIRE(back.ok());
  CHECK(back->net[1].buy_price == positions->net[1].buy_price);
  CHECK(back->net[0].value == positions->net[0].value);

  Result<std::map<std::string, Quote>> quotes = parse_quotes(data_of("quote.json"));
  REQUIRE(quotes.ok());
  Result<std::map<std::string, Quote>> quotes_back = parse_quotes(*parse_json_exact(
      nlohmann::json{{"NSE:INFY", quote_to_json(quotes->at("NSE:INFY"))}}.dump()));
  REQUIRE(quotes_back.ok());
  CHECK(quotes_back->at("NSE:INFY").upper_circuit_limit == 152860);
  CHECK(quotes_back->at("NSE:INFY").depth_sell[0].quantity == 5191);

  Result<KiteEnvelope> err = parse_envelope(error_body("MarginException", "Insufficient funds"));
  REQUIRE(err.ok());
  CHECK(err->error_type == "MarginException");
  CHECK(err->message == "Insufficient funds");
}

// Every JSON file in the fixture directory parses; enveloped ones (all but postback and the
// decoded ticker samples) are success envelopes. Files for endpoints the Broker port does not use
// (GTT, mutual funds, alerts, historical, ...) are covered by this check only.
TEST_CASE("every Kite fixture file parses, and every REST sample is a success envelope") {
  const std::set<std::string> not_enveloped = {"postback.json", "ticker_full.json",
                                               "ticker_ltp.json", "ticker_quote.json"};
  int json_files = 0;
  int csv_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fixture_dir())) {
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    const std::string text = read_fixture(name);
    INFO(name);
    if (ext == ".json") {
      ++json_files;
      REQUIRE(parse_json_exact(text).ok());
      if (not_enveloped.count(name) == 0) {
        Result<KiteEnvelope> envelope = parse_envelope(text);
        REQUIRE(envelope.ok());
        CHECK(envelope->success);
      }
    } else if (ext == ".csv") {
      ++csv_files;
      if (name.rfind("instruments", 0) == 0) CHECK(parse_instruments_csv(text).ok());
    }
  }
  CHECK(json_files == 57);
  CHECK(csv_files == 3);
}

TEST_CASE("Kite timestamps are IST wall-clock text") {
  CHECK(*parse_kite_timestamp("2021-05-31 09:18:57") == ist(2021, 5, 31, 9, 18, 57));
  CHECK(format_kite_timestamp(ist(2021, 5, 31, 9, 18, 57)) == "2021-05-31 09:18:57");
  CHECK(*parse_kite_timestamp("2025-01-17") == ist(2025, 1, 17, 0, 0, 0));
  CHECK_FALSE(parse_kite_timestamp("2021-05-31T09:18:57Z").ok());
  CHECK_FALSE(parse_kite_timestamp("09:16:39").ok());
}

TEST_CASE("a postback is accepted only with the checksum made from its own text and our secret") {
  // The fixture's checksum was made with a secret we do not know: verifying it must fail.
  Result<Order> fixture = parse_verified_postback(read_fixture("postback.json"), "oursecret");
  REQUIRE_FALSE(fixture.ok());
  CHECK(fixture.status().code() == ErrorCode::kAuthError);

  Result<Order> base = parse_postback(read_fixture("postback.json"));
  REQUIRE(base.ok());
  base->tag = "smTag0001";
  const std::string body = postback_to_json(*base, "AB1234", 1234, "oursecret").dump();
  Result<Order> ok = parse_verified_postback(body, "oursecret");
  REQUIRE(ok.ok());
  CHECK(ok->order_id == "220303000308932");
  CHECK(ok->tag == "smTag0001");
  CHECK(ok->status == "COMPLETE");
  CHECK(ok->checksum == sha256_hex("220303000308932"
                                   "2022-03-03 09:24:25"
                                   "oursecret"));

  CHECK(parse_verified_postback(body, "othersecret").status().code() == ErrorCode::kAuthError);
  nlohmann::json tampered = nlohmann::json::parse(body);
  tampered["order_id"] = "220303000308933";
  CHECK(parse_verified_postback(tampered.dump(), "oursecret").status().code() ==
        ErrorCode::kAuthError);
  tampered = nlohmann::json::parse(body);
  tampered.erase("checksum");
  CHECK(parse_verified_postback(tampered.dump(), "oursecret").status().code() ==
        ErrorCode::kAuthError);
  CHECK(parse_verified_postback("{\"order_id\":", "oursecret").status().code() ==
        ErrorCode::kParseError);
}

TEST_CASE("historical candles parse from the fixture: +0530 timestamps, exact prices, oi") {
  Result<std::vector<Candle>> minute = parse_candles(data_of("historical_minute.json"));
  REQUIRE(minute.ok());
  REQUIRE(minute->size() >= 5);
  CHECK((*minute)[0].ts == from_ist(Date{2017, 12, 15}, 9, 15));
  CHECK((*minute)[0].open == 170'450);
  CHECK((*minute)[0].high == 170'500);
  CHECK((*minute)[0].low == 169'925);
  CHECK((*minute)[0].close == 170'280);
  CHECK((*minute)[0].volume == 2499);
  Result<std::vector<Candle>> with_oi = parse_candles(data_of("historical_oi.json"));
  REQUIRE(with_oi.ok());
  REQUIRE_FALSE(with_oi->empty());
  CHECK((*with_oi)[0].oi > 0);

  // What sm-paper sends reads back the same.
  const nlohmann::json sent = candles_to_json(*minute, false);
  Result<nlohmann::json> exact = parse_json_exact(sent.dump());
  REQUIRE(exact.ok());
  Result<std::vector<Candle>> again = parse_candles(*exact);
  REQUIRE(again.ok());
  CHECK((*again)[1].close == (*minute)[1].close);
  CHECK((*again)[1].ts == (*minute)[1].ts);

  CHECK(parse_candles(nlohmann::json::object()).status().code() == ErrorCode::kParseError);
  CHECK(parse_candles(nlohmann::json{{"candles", {{"2017-12-15T09:15:00+0530", 1}}}})
            .status()
            .code() == ErrorCode::kParseError);
}
