// What the tests of the migrations that move the ticks table share: the schema version before a
// migration, ticks to store and the prices read back.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "store/market_data.h"
#include "store/schema.h"

namespace sm::testing {

// The schema version just before the migration whose description starts with `description`,
// found by it so that migrations appended later do not move it.
inline int schema_version_before(std::string_view description) {
  const auto migrations = sm::store::schema_migrations();
  const auto found = std::find_if(migrations.begin(), migrations.end(), [&](const auto& step) {
    return step.description.starts_with(description);
  });
  REQUIRE(found != migrations.end());
  return static_cast<int>(found - migrations.begin());
}

inline std::vector<sm::Paise> stored_prices(sm::store::Database& db, const std::string& symbol) {
  sm::store::TickQuery query;
  query.symbol = symbol;
  std::vector<sm::Paise> prices;
  REQUIRE(sm::store::for_each_tick(db, query, [&](const sm::Tick& tick) {
            prices.push_back(tick.price);
            return true;
          }).ok());
  return prices;
}

inline sm::Tick tick_of(const std::string& symbol, sm::TimestampMs ts, sm::Paise price) {
  sm::Tick tick;
  tick.symbol = symbol;
  tick.ts = ts;
  tick.price = price;
  tick.qty = 1;
  return tick;
}

}  // namespace sm::testing
