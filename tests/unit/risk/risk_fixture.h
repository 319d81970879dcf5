// Shared set-up for the risk engine tests: a small calendar (2024 listed, Holi on Monday 25 March
// and Good Friday 29 March closed), a configuration with round numbers, a fresh heartbeat from
// sm-order and a price for the symbols used, all on Thursday 2024-03-28 at 10:00 IST.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/timestamp.h"
#include "risk/engine.h"
#include "time/calendar.h"

namespace sm::risk::testing {

inline const time::Calendar& test_calendar() {
  static const time::Calendar calendar = [] {
    Result<time::Calendar> parsed = time::Calendar::parse(
        "date,kind,name,pre_open_start,pre_open_end,open,close,closing_session_start,"
        "closing_session_end,source\n"
        "2010-10-18,regular_session,Normal,09:00,09:08,09:15,15:30,15:40,16:00,test\n"
        "2024,year_covered,2024 holidays,,,,,,,test\n"
        "2024-03-25,holiday,Holi,,,,,,,test\n"
        "2024-03-29,holiday,Good Friday,,,,,,,test\n",
        "test-calendar");
    REQUIRE(parsed.ok());
    return std::move(parsed).value();
  }();
  return calendar;
}

inline constexpr Date kDay{2024, 3, 28};
inline TimestampMs at(int hour, int minute, int second = 0, Date date = kDay) {
  return from_ist(date, hour, minute, second);
}
inline const TimestampMs kTen = at(10, 0);

// Capital 10,00,000; other limits at their defaults unless a test changes them.
inline RiskConfig test_config() {
  RiskConfig config;
  config.capital = 10'00'000'00;
  return config;
}

inline Paise rupees(std::int64_t whole) { return whole * 100; }

// prefix followed by n ("s7"). Appending avoids a GCC 12 -Wrestrict false positive on
// const char* + std::string temporaries.
inline std::string numbered(std::string prefix, std::int64_t n) {
  prefix.append(std::to_string(n));
  return prefix;
}

struct Harness {
  explicit Harness(RiskConfig config = test_config(), bool with_calendar = true)
      : engine(std::move(config), with_calendar ? &test_calendar() : nullptr) {
    heartbeat("sm-order", "ok", kTen - 1000);
    price("TCS", rupees(3000), kTen - 1000);
    price("INFY", rupees(1500), kTen - 1000);
    price("SBIN", rupees(600), kTen - 1000);
  }

  void heartbeat(const std::string& component, const std::string& status, TimestampMs ts) {
    Heartbeat hb;
    hb.ts = ts;
    hb.component = component;
    hb.status = status;
    engine.on_heartbeat(hb, ts, out);
  }
  void price(const std::string& symbol, Paise value, TimestampMs ts, TimestampMs now = 0) {
    engine.on_price(symbol, value, ts, now == 0 ? ts : now, out);
  }
  // A fill of qty at price for the strategy, optionally against an approved order.
  void fill(const std::string& strategy, const std::string& symbol, Side side, Quantity qty,
            Paise value, TimestampMs ts, const std::string& client_order_id = "") {
    Fill f;
    f.ts = ts;
    f.trade_id = numbered("T", ++trades);
    f.client_order_id = client_order_id;
    f.strategy = strategy;
    f.symbol = symbol;
    f.side = side;
    f.qty = qty;
    f.price = value;
    engine.on_fill(f, ts, out);
  }
  const RiskDecision& decide(const Signal& signal, TimestampMs now) {
    return engine.decide(signal, now, out);
  }
  // The messages of one type in out, in order.
  template <typename T>
  std::vector<T> all() const {
    std::vector<T> found;
    for (const Message& m : out) {
      if (const T* typed = std::get_if<T>(&m)) found.push_back(*typed);
    }
    return found;
  }
  template <typename T>
  T last() const {
    std::vector<T> found = all<T>();
    REQUIRE_FALSE(found.empty());
    return found.back();
  }

  RiskEngine engine;
  std::vector<Message> out;
  int trades = 0;
};

inline Signal entry(const std::string& symbol, Quantity qty, Paise price, TimestampMs ts = kTen,
                    const std::string& strategy = "trend") {
  Signal s;
  s.ts = ts;
  s.strategy = strategy;
  s.symbol = symbol;
  s.action = SignalAction::kEnterLong;
  s.qty = qty;
  s.price = price;
  s.reason = "test entry";
  return s;
}

inline Signal exit_signal(const std::string& symbol, Quantity qty, Paise price,
                          TimestampMs ts = kTen, const std::string& strategy = "trend") {
  Signal s = entry(symbol, qty, price, ts, strategy);
  s.action = SignalAction::kExitLong;
  s.reason = "test exit";
  return s;
}

}  // namespace sm::risk::testing
