#include <catch2/catch.hpp>

#include <vector>

#include "feed/instruments_refresh.h"
#include "store/ops_records.h"
#include "support/temp_database.h"
#include "time/clock.h"

using namespace sm;
using namespace sm::feed;

namespace {

broker::Instrument row(const std::string& symbol, std::int64_t token, const std::string& exchange,
                       Paise tick = 5) {
  broker::Instrument i;
  i.tradingsymbol = symbol;
  i.instrument_token = token;
  i.exchange = exchange;
  i.name = symbol;
  i.tick_size = tick;
  i.lot_size = 1;
  return i;
}

}  // namespace

TEST_CASE("the dump's rows of the chosen exchange map symbols to tokens") {
  testing::TempDatabase temp;
  std::vector<broker::Instrument> dump = {row("INFY", 408065, "NSE"), row("INFY", 128053508, "BSE"),
                                          row("USDINR", 412675, "NSE", 0)};
  Result<InstrumentsRefreshCounts> counts = store_instruments(temp.db, dump, {});
  REQUIRE(counts.ok());
  CHECK(counts->stored == 2);
  CHECK(counts->other_exchange == 1);
  Result<std::optional<store::Instrument>> infy = store::find_instrument(temp.db, "INFY");
  REQUIRE(infy.ok());
  REQUIRE(infy->has_value());
  CHECK((*infy)->instrument_token == 408065);
  CHECK((*store::find_instrument(temp.db, "USDINR"))->tick_size == 1);  // finer than a paisa
}

TEST_CASE("a refresh is due when nothing is stored or the stored dump is older than the limit") {
  testing::TempDatabase temp;
  InstrumentsRefreshOptions options;
  options.max_age_ms = 20 * kMsPerHour;
  const time::SystemClock wall;
  CHECK(*instruments_refresh_due(temp.db, options, wall));
  REQUIRE(store_instruments(temp.db, {row("INFY", 408065, "NSE")}, options).ok());
  CHECK_FALSE(*instruments_refresh_due(temp.db, options, wall));
  const time::ManualClock later(wall.now_ms() + 21 * kMsPerHour);
  CHECK(*instruments_refresh_due(temp.db, options, later));
  Result<std::optional<std::int64_t>> age = stored_instruments_age(temp.db, later.now_ms());
  REQUIRE(age.ok());
  CHECK(**age >= 21 * kMsPerHour);
  options.max_age_ms = 0;
  CHECK(*instruments_refresh_due(temp.db, options, wall));
}
