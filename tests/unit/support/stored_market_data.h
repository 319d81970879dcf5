// What a test reads back from a database it fed (bars, ticks), and the bundled NSE calendar the
// live-feed tests run against: #include "support/stored_market_data.h".
#pragma once

#include <catch2/catch.hpp>
#include <vector>

#include "core/messages.h"
#include "store/database.h"
#include "store/market_data.h"
#include "time/calendar.h"

namespace sm::testing {

// Every stored bar of timeframe, in the store's order.
inline std::vector<Bar> stored_bars(store::Database& db, Timeframe timeframe) {
  std::vector<Bar> out;
  store::BarQuery query;
  query.timeframe = timeframe;
  REQUIRE(store::for_each_bar(db, query, [&](const Bar& bar) {
            out.push_back(bar);
            return true;
          }).ok());
  return out;
}

// Every stored tick, in the store's order.
inline std::vector<Tick> stored_ticks(store::Database& db) {
  std::vector<Tick> out;
  REQUIRE(store::for_each_tick(db, {}, [&](const Tick& tick) {
            out.push_back(tick);
            return true;
          }).ok());
  return out;
}

// The bundled calendar (data/nse-calendar.csv), loaded once.
inline const time::Calendar& bundled_calendar() {
  static const time::Calendar loaded = [] {
    Result<time::Calendar> c = time::Calendar::load_default();
    REQUIRE(c.ok());
    return *c;
  }();
  return loaded;
}

}  // namespace sm::testing
