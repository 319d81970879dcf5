#include "store/market_data.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <tuple>

#include "support/temp_database.h"

using sm::Bar;
using sm::ErrorCode;
using sm::Tick;
using sm::Timeframe;
using sm::store::Database;
using sm::testing::TempDir;

namespace {

constexpr sm::TimestampMs kT0 = 1711597500000;  // 2024-03-28 09:15 IST

Bar make_bar(std::string symbol, sm::TimestampMs ts, sm::Paise close, int minutes = 1) {
  Bar bar;
  bar.symbol = std::move(symbol);
  bar.ts = ts;
  bar.timeframe = Timeframe{minutes};
  bar.open = close - 10;
  bar.high = close + 20;
  bar.low = close - 20;
  bar.close = close;
  bar.volume = 1000;
  return bar;
}

Tick make_tick(std::string symbol, sm::TimestampMs ts, sm::Paise price, sm::Quantity qty,
               sm::Quantity volume) {
  Tick tick;
  tick.symbol = std::move(symbol);
  tick.ts = ts;
  tick.price = price;
  tick.qty = qty;
  tick.volume = volume;
  return tick;
}

std::vector<Bar> read_bars(Database& db, const sm::store::BarQuery& query) {
  std::vector<Bar> out;
  REQUIRE(sm::store::for_each_bar(db, query, [&](const Bar& bar) {
            out.push_back(bar);
            return true;
          }).ok());
  return out;
}

std::vector<Tick> read_ticks(Database& db, const sm::store::TickQuery& query) {
  std::vector<Tick> out;
  REQUIRE(sm::store::for_each_tick(db, query, [&](const Tick& tick) {
            out.push_back(tick);
            return true;
          }).ok());
  return out;
}

}  // namespace

TEST_CASE("bars round-trip and re-ingesting them adds no duplicates") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  std::vector<Bar> bars = {make_bar("TCS", kT0, 400000), make_bar("INFY", kT0, 150000),
                           make_bar("TCS", kT0 + 60000, 400500)};
  bars[2].volume = 77;
  auto first = sm::store::insert_bars(*db, bars);
  REQUIRE(first.ok());
  CHECK(first->inserted == 3);
  CHECK(first->duplicates == 0);
  auto second = sm::store::insert_bars(*db, bars);
  REQUIRE(second.ok());
  CHECK(second->inserted == 0);
  CHECK(second->duplicates == 3);
  CHECK(*db->query_int64("SELECT count(*) FROM bars") == 3);

  auto all = read_bars(*db, {});
  REQUIRE(all.size() == 3);
  CHECK(all[0].symbol == "INFY");  // ts then symbol
  CHECK(all[1].symbol == "TCS");
  CHECK(all[2].ts == kT0 + 60000);
  CHECK(all[2].close == 400500);
  CHECK(all[2].low == 400480);
  CHECK(all[2].volume == 77);
  CHECK(all[2].timeframe == Timeframe{1});
}

TEST_CASE("a complete stored bar is kept, a partial one is replaced by a newer version") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  Bar forming = make_bar("TCS", kT0, 400000);
  forming.partial = true;
  REQUIRE(sm::store::insert_bars(*db, std::vector<Bar>{forming}).ok());
  Bar finished = make_bar("TCS", kT0, 400100);
  auto replaced = sm::store::insert_bars(*db, std::vector<Bar>{finished});
  REQUIRE(replaced.ok());
  CHECK(replaced->replaced == 1);
  CHECK(replaced->inserted == 0);
  Bar late_change = make_bar("TCS", kT0, 399000);
  auto kept = sm::store::insert_bars(*db, std::vector<Bar>{late_change});
  REQUIRE(kept.ok());
  CHECK(kept->duplicates == 1);
  auto last = sm::store::last_bar(*db, "TCS", Timeframe{1});
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK((*last)->close == 400100);
  CHECK_FALSE((*last)->partial);
}

TEST_CASE("bar queries filter by symbol, timeframe and a half-open time range") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  std::vector<Bar> bars;
  for (int i = 0; i < 10; ++i) bars.push_back(make_bar("TCS", kT0 + i * 60000, 400000 + i));
  bars.push_back(make_bar("TCS", kT0, 400000, 5));
  bars.push_back(make_bar("INFY", kT0 + 120000, 150000));
  REQUIRE(sm::store::insert_bars(*db, bars).ok());

  sm::store::BarQuery query;
  query.symbol = "TCS";
  query.from = kT0 + 2 * 60000;
  query.to = kT0 + 5 * 60000;
  auto some = read_bars(*db, query);
  REQUIRE(some.size() == 3);
  CHECK(some.front().close == 400002);
  CHECK(some.back().close == 400004);

  query = {};
  query.timeframe = Timeframe{5};
  CHECK(read_bars(*db, query).size() == 1);

  int visited = 0;
  REQUIRE(sm::store::for_each_bar(*db, {}, [&](const Bar&) { return ++visited < 4; }).ok());
  CHECK(visited == 4);
}

TEST_CASE("invalid bars are refused and nothing of the batch is stored") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  std::vector<Bar> bars = {make_bar("TCS", kT0, 400000), make_bar("TCS", kT0 + 60000, 400000)};
  bars[1].low = bars[1].high + 1;
  auto result = sm::store::insert_bars(*db, bars);
  REQUIRE_FALSE(result.ok());
  CHECK(result.status().code() == ErrorCode::kInvalidArgument);
  CHECK_THAT(result.status().message(), Catch::Contains("bar 1") && Catch::Contains("low > high"));
  CHECK(*db->query_int64("SELECT count(*) FROM bars") == 0);
  bars[1] = make_bar("", kT0, 1);
  CHECK_FALSE(sm::store::insert_bars(*db, bars).ok());
}

TEST_CASE("ticks: distinct ticks at one timestamp are kept in arrival order, re-ingest adds none") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  std::vector<Tick> ticks = {
      make_tick("NIFTY", kT0, 2200000, 0, 0), make_tick("TCS", kT0, 400000, 5, 100),
      make_tick("TCS", kT0, 400100, 3, 103),  make_tick("TCS", kT0, 399900, 2, 105),
      make_tick("NIFTY", kT0, 2200000, 0, 0),  // identical to the first: a second print
  };
  auto first = sm::store::insert_ticks(*db, ticks);
  REQUIRE(first.ok());
  CHECK(first->inserted == 5);
  auto again = sm::store::insert_ticks(*db, ticks);
  REQUIRE(again.ok());
  CHECK(again->inserted == 0);
  CHECK(again->duplicates == 5);

  sm::store::TickQuery query;
  query.symbol = "TCS";
  auto tcs = read_ticks(*db, query);
  REQUIRE(tcs.size() == 3);
  CHECK(tcs[0].price == 400000);
  CHECK(tcs[1].price == 400100);  // arrival order, not price order
  CHECK(tcs[2].price == 399900);
  auto all = read_ticks(*db, {});
  REQUIRE(all.size() == 5);
  CHECK(all[0].symbol == "NIFTY");
  CHECK(all[2].symbol == "TCS");
  auto last = sm::store::last_tick(*db, "TCS");
  REQUIRE(last.ok());
  REQUIRE(last->has_value());
  CHECK((*last)->price == 399900);
  CHECK((*last)->volume == 105);
}

TEST_CASE("ticks split across calls at any point are stored once") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  std::vector<Tick> ticks;
  for (int i = 0; i < 50; ++i) {
    ticks.push_back(make_tick("TCS", kT0 + (i / 7) * 1000, 400000 + (i % 3) * 5, 1, 1000 + i));
  }
  REQUIRE(sm::store::insert_ticks(*db, std::span(ticks).subspan(0, 23)).ok());
  REQUIRE(sm::store::insert_ticks(*db, std::span(ticks).subspan(23)).ok());
  auto whole = sm::store::insert_ticks(*db, ticks);
  REQUIRE(whole.ok());
  CHECK(whole->inserted == 0);
  CHECK(*db->query_int64("SELECT count(*) FROM ticks") == 50);
}

TEST_CASE("series summary and symbol list follow the inserts") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  CHECK(sm::store::list_series(*db)->empty());
  std::vector<Bar> bars = {make_bar("TCS", kT0 + 60000, 1000), make_bar("TCS", kT0, 1000),
                           make_bar("TCS", kT0, 1000, 1440)};
  REQUIRE(sm::store::insert_bars(*db, bars).ok());
  REQUIRE(sm::store::insert_bars(*db, bars).ok());
  std::vector<Tick> ticks = {make_tick("INFY", kT0 + 5, 150000, 1, 1)};
  REQUIRE(sm::store::insert_ticks(*db, ticks).ok());
  auto series = sm::store::list_series(*db);
  REQUIRE(series.ok());
  REQUIRE(series->size() == 3);
  CHECK((*series)[0].symbol == "INFY");
  CHECK((*series)[0].is_tick);
  CHECK((*series)[1].timeframe == Timeframe{1});
  CHECK((*series)[1].first_ts == kT0);
  CHECK((*series)[1].last_ts == kT0 + 60000);
  CHECK((*series)[1].rows == 2);
  CHECK((*series)[2].timeframe == Timeframe{1440});
  auto symbols = sm::store::list_symbols(*db);
  REQUIRE(symbols.ok());
  CHECK(*symbols == std::vector<std::string>{"INFY", "TCS"});
  CHECK_FALSE(sm::store::last_bar(*db, "NONE", Timeframe{1})->has_value());
  CHECK_FALSE(sm::store::last_tick(*db, "TCS")->has_value());
}

TEST_CASE("bulk market data runs at NORMAL and the connection returns to FULL") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  REQUIRE(sm::store::insert_bars(*db, std::vector<Bar>{make_bar("TCS", kT0, 1000)}).ok());
  CHECK(db->synchronous() == sm::store::Synchronous::kFull);
  CHECK(*db->query_int64("PRAGMA synchronous") == 2);
}

TEST_CASE("market data inserts join a caller's transaction") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  {
    auto tx = db->begin();
    REQUIRE(tx.ok());
    REQUIRE(sm::store::insert_bars(*db, std::vector<Bar>{make_bar("TCS", kT0, 1000)}).ok());
  }  // rolled back
  CHECK(*db->query_int64("SELECT count(*) FROM bars") == 0);
  CHECK(*db->query_int64("SELECT count(*) FROM market_series") == 0);
}

TEST_CASE("all-symbol reads merge every symbol into ts then symbol order within the range") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  const std::vector<std::string> symbols = {"WIPRO", "INFY", "TCS", "HDFCBANK", "RELIANCE"};
  std::vector<Bar> bars;
  std::vector<Tick> ticks;
  for (size_t s = 0; s < symbols.size(); ++s) {
    // Different symbols cover different, overlapping stretches of time.
    for (int i = 0; i < 20; ++i) {
      const sm::TimestampMs ts = kT0 + (static_cast<int>(s) * 3 + i) * 60000;
      bars.push_back(make_bar(symbols[s], ts, 1000 + i));
      ticks.push_back(make_tick(symbols[s], ts, 1000 + i, 1, i));
      ticks.push_back(make_tick(symbols[s], ts, 900 + i, 1, i + 1000));  // same ts, later
    }
  }
  REQUIRE(sm::store::insert_bars(*db, bars).ok());
  REQUIRE(sm::store::insert_ticks(*db, ticks).ok());

  sm::store::BarQuery query;
  query.from = kT0 + 10 * 60000;
  query.to = kT0 + 25 * 60000;
  auto got = read_bars(*db, query);
  size_t expected = 0;
  for (const Bar& bar : bars) expected += bar.ts >= query.from && bar.ts < query.to ? 1 : 0;
  REQUIRE(got.size() == expected);
  for (size_t i = 1; i < got.size(); ++i) {
    INFO(i);
    CHECK(std::tie(got[i - 1].ts, got[i - 1].symbol) < std::tie(got[i].ts, got[i].symbol));
  }
  CHECK(got.front().ts == query.from);

  sm::store::TickQuery tick_query;
  tick_query.from = query.from;
  tick_query.to = query.to;
  auto got_ticks = read_ticks(*db, tick_query);
  REQUIRE(got_ticks.size() == 2 * expected);
  for (size_t i = 1; i < got_ticks.size(); ++i) {
    const Tick& a = got_ticks[i - 1];
    const Tick& b = got_ticks[i];
    CHECK(std::tie(a.ts, a.symbol) <= std::tie(b.ts, b.symbol));
    if (a.ts == b.ts && a.symbol == b.symbol) CHECK(a.volume < b.volume);  // arrival order
  }

  int visited = 0;
  REQUIRE(
      sm::store::for_each_tick(*db, tick_query, [&](const Tick&) { return ++visited < 7; }).ok());
  CHECK(visited == 7);
  query.from = kT0 + 1000 * 60000;  // after everything
  query.to = kT0 + 2000 * 60000;
  CHECK(read_bars(*db, query).empty());
}

namespace {

// Every stored bar, in key order, as comparable tuples.
std::vector<std::tuple<std::string, int, sm::TimestampMs, sm::Paise, sm::Quantity, bool>>
stored_bars(Database& db) {
  std::vector<std::tuple<std::string, int, sm::TimestampMs, sm::Paise, sm::Quantity, bool>> out;
  auto stmt = db.prepare(
      "SELECT symbol, timeframe_minutes, ts_ms, close_paise, volume, partial FROM bars "
      "ORDER BY symbol, timeframe_minutes, ts_ms");
  REQUIRE(stmt.ok());
  while (*stmt->step()) {
    out.emplace_back(stmt->column_text(0), static_cast<int>(stmt->column_int64(1)),
                     stmt->column_int64(2), stmt->column_int64(3), stmt->column_int64(4),
                     stmt->column_int64(5) != 0);
  }
  return out;
}

}  // namespace

// insert_bars stores a batch as multi-row INSERTs of one series each; the outcome must be exactly
// that of storing the same bars one call per bar, in order.
TEST_CASE("a large mixed bar batch ends as if stored bar by bar") {
  // Three series interleaved, each longer than one multi-row statement, with keys already stored
  // (complete and partial), keys repeated inside the batch, and partial bars replaced in it.
  std::vector<Bar> before;
  std::vector<Bar> batch;
  for (int i = 0; i < 100; ++i) {
    for (const char* symbol : {"TCS", "INFY"}) {
      Bar bar = make_bar(symbol, kT0 + i * 60000, 400000 + i);
      bar.partial = i % 5 == 0;
      if (i % 3 == 0) before.push_back(bar);
      if (i % 7 == 0) bar.close += 1;  // differs from the stored one
      bar.high = std::max(bar.high, bar.close);
      batch.push_back(bar);
    }
    batch.push_back(make_bar("TCS", kT0 + i * 300000, 500000 + i, 5));
    if (i % 11 == 0) {  // the same key again later in the batch, completing the bar
      Bar again = make_bar("INFY", kT0 + i * 60000, 400050 + i);
      batch.push_back(again);
    }
  }
  TempDir dir;
  auto one_by_one = Database::open(dir.file("one.db"));
  auto batched = Database::open(dir.file("batch.db"));
  REQUIRE(one_by_one.ok());
  REQUIRE(batched.ok());
  REQUIRE(sm::store::insert_bars(*one_by_one, before).ok());
  REQUIRE(sm::store::insert_bars(*batched, before).ok());

  sm::store::WriteCounts expected;
  for (const Bar& bar : batch) {
    auto counts = sm::store::insert_bars(*one_by_one, std::span(&bar, 1));
    REQUIRE(counts.ok());
    expected.inserted += counts->inserted;
    expected.duplicates += counts->duplicates;
    expected.replaced += counts->replaced;
  }
  auto counts = sm::store::insert_bars(*batched, batch);
  REQUIRE(counts.ok());
  CHECK(counts->inserted == expected.inserted);
  CHECK(counts->duplicates == expected.duplicates);
  CHECK(counts->replaced == expected.replaced);
  CHECK(expected.replaced > 0);
  CHECK(expected.duplicates > 0);
  CHECK(stored_bars(*batched) == stored_bars(*one_by_one));

  // And both agree with the contract written out as a plain model (insert_bars in market_data.h).
  std::map<std::tuple<std::string, int, sm::TimestampMs>, Bar> model;
  sm::store::WriteCounts modelled;
  auto apply = [&](const Bar& bar, bool count) {
    const auto key = std::make_tuple(bar.symbol, bar.timeframe.minutes, bar.ts);
    auto found = model.find(key);
    if (found == model.end()) {
      model.emplace(key, bar);
      if (count) ++modelled.inserted;
    } else if (found->second.partial &&
               std::tie(found->second.open, found->second.high, found->second.low,
                        found->second.close, found->second.volume, found->second.partial) !=
                   std::tie(bar.open, bar.high, bar.low, bar.close, bar.volume, bar.partial)) {
      found->second = bar;
      if (count) ++modelled.replaced;
    } else if (count) {
      ++modelled.duplicates;
    }
  };
  for (const Bar& bar : before) apply(bar, false);
  for (const Bar& bar : batch) apply(bar, true);
  CHECK(counts->inserted == modelled.inserted);
  CHECK(counts->duplicates == modelled.duplicates);
  CHECK(counts->replaced == modelled.replaced);
  std::vector<std::tuple<std::string, int, sm::TimestampMs, sm::Paise, sm::Quantity, bool>> want;
  for (const auto& [key, bar] : model)
    want.emplace_back(bar.symbol, bar.timeframe.minutes, bar.ts, bar.close, bar.volume,
                      bar.partial);
  CHECK(stored_bars(*batched) == want);
  auto a = sm::store::list_series(*batched);
  auto b = sm::store::list_series(*one_by_one);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(a->size() == 3);
  for (std::size_t i = 0; i < a->size(); ++i) {
    CHECK((*a)[i].rows == (*b)[i].rows);
    CHECK((*a)[i].first_ts == (*b)[i].first_ts);
    CHECK((*a)[i].last_ts == (*b)[i].last_ts);
  }
  CHECK((*a)[1].rows == 100);  // INFY 1m
  CHECK(*batched->query_int64("SELECT count(*) FROM bars") == 300);
}

TEST_CASE("a large interleaved tick batch keeps arrival order per symbol and counts duplicates") {
  // 3 symbols interleaved, 40 ticks per timestamp per symbol (more than one multi-row statement,
  // so a run of equal times spans statements), prices not in arrival order.
  std::vector<Tick> ticks;
  for (int t = 0; t < 5; ++t) {
    for (int k = 0; k < 40; ++k) {
      for (const char* symbol : {"TCS", "INFY", "SBIN"}) {
        ticks.push_back(make_tick(symbol, kT0 + t * 1000, 400000 + ((k * 17) % 40) * 5, 1, 0));
      }
    }
  }
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  const auto stored_first = std::span(ticks).subspan(0, 100);  // some already stored
  REQUIRE(sm::store::insert_ticks(*db, stored_first).ok());
  auto counts = sm::store::insert_ticks(*db, ticks);
  REQUIRE(counts.ok());
  // qty 1 and no volume: identical prints inside one call are distinct (seq), so the first call's
  // ticks are found again as duplicates only as far as their seq matches this call's.
  CHECK(counts->inserted + counts->duplicates == static_cast<std::int64_t>(ticks.size()));
  CHECK(counts->duplicates == 100);
  CHECK(*db->query_int64("SELECT count(*) FROM ticks") == static_cast<std::int64_t>(ticks.size()));

  sm::store::TickQuery query;
  query.symbol = "INFY";
  auto infy = read_ticks(*db, query);
  std::vector<sm::Paise> expected;
  for (const Tick& tick : ticks)
    if (tick.symbol == "INFY") expected.push_back(tick.price);
  std::vector<sm::Paise> got;
  for (const Tick& tick : infy) got.push_back(tick.price);
  CHECK(got == expected);  // arrival order inside each timestamp
  auto series = sm::store::list_series(*db);
  REQUIRE(series.ok());
  REQUIRE(series->size() == 3);
  for (const auto& info : *series) {
    CHECK(info.rows == 200);
    CHECK(info.first_ts == kT0);
    CHECK(info.last_ts == kT0 + 4000);
  }
  auto again = sm::store::insert_ticks(*db, ticks);
  REQUIRE(again.ok());
  CHECK(again->inserted == 0);
  CHECK(again->duplicates == static_cast<std::int64_t>(ticks.size()));
}

TEST_CASE("identical ticks are told apart by seq in and out of time order and in long runs") {
  auto check = [](std::vector<Tick> ticks, std::int64_t distinct_rows) {
    TempDir dir;
    auto db = Database::open(dir.file("stalk.db"));
    REQUIRE(db.ok());
    auto counts = sm::store::insert_ticks(*db, ticks);
    REQUIRE(counts.ok());
    CHECK(counts->inserted == distinct_rows);
    CHECK(*db->query_int64("SELECT max(seq) FROM ticks") + 1 ==
          *db->query_int64("SELECT max(c) FROM (SELECT count(*) AS c FROM ticks "
                           "GROUP BY symbol, ts_ms, price_paise, qty, volume)"));
    auto again = sm::store::insert_ticks(*db, ticks);
    REQUIRE(again.ok());
    CHECK(again->inserted == 0);
  };
  // In time order: A B A at one time, then A at a later time.
  check({make_tick("TCS", kT0, 100, 1, 0), make_tick("TCS", kT0, 200, 1, 0),
         make_tick("TCS", kT0, 100, 1, 0), make_tick("TCS", kT0 + 1, 100, 1, 0)},
        4);
  // Out of time order: the repeat comes after a later tick.
  check({make_tick("TCS", kT0, 100, 1, 0), make_tick("TCS", kT0 + 1, 100, 1, 0),
         make_tick("TCS", kT0, 100, 1, 0)},
        3);
  // A run of 100 equal times, every tick the same print.
  std::vector<Tick> run(100, make_tick("TCS", kT0, 100, 1, 0));
  check(run, 100);
}

TEST_CASE("a bar cursor reads one symbol's bars in range as for_each_bar does") {
  TempDir dir;
  auto db = Database::open(dir.file("stalk.db"));
  REQUIRE(db.ok());
  std::vector<Bar> bars;
  for (int i = 0; i < 50; ++i) {
    bars.push_back(make_bar("TCS", kT0 + i * 60000, 400000 + i * 5));
    bars.push_back(make_bar("INFY", kT0 + i * 60000 + 30000, 150000 - i * 5));
    bars.push_back(make_bar("TCS", kT0 + i * 300000, 410000 + i, 5));
  }
  bars[45].partial = true;  // TCS 1-minute bars are bars[3 * i]
  bars[48].volume = 0;
  REQUIRE(sm::store::insert_bars(*db, bars).ok());

  sm::store::BarQuery query;
  query.symbol = "TCS";
  query.from = kT0 + 10 * 60000;
  query.to = kT0 + 40 * 60000;
  const std::vector<Bar> expected = read_bars(*db, query);
  REQUIRE(expected.size() == 30);

  auto cursor = sm::store::BarCursor::open(*db, query);
  REQUIRE(cursor.ok());
  CHECK(cursor->symbol() == "TCS");
  std::vector<Bar> got;
  Bar bar;
  while (true) {
    auto row = cursor->next(bar);
    REQUIRE(row.ok());
    if (!*row) break;
    got.push_back(bar);
  }
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].symbol == expected[i].symbol);
    CHECK(got[i].timeframe.minutes == expected[i].timeframe.minutes);
    CHECK(got[i].ts == expected[i].ts);
    CHECK(got[i].open == expected[i].open);
    CHECK(got[i].high == expected[i].high);
    CHECK(got[i].low == expected[i].low);
    CHECK(got[i].close == expected[i].close);
    CHECK(got[i].volume == expected[i].volume);
    CHECK(got[i].partial == expected[i].partial);
  }
  CHECK(std::count_if(got.begin(), got.end(), [](const Bar& b) { return b.partial; }) == 1);

  // append_rest gives the same bars after the ones already in the vector, each with the cursor's
  // symbol and timeframe.
  auto appending = sm::store::BarCursor::open(*db, query);
  REQUIRE(appending.ok());
  REQUIRE(*appending->next(bar));
  std::vector<Bar> appended(1);
  appended.front().symbol = "OTHER";
  auto count = appending->append_rest(appended);
  REQUIRE(count.ok());
  CHECK(*count == expected.size() - 1);
  REQUIRE(appended.size() == expected.size());
  CHECK(appended.front().symbol == "OTHER");
  for (std::size_t i = 1; i < appended.size(); ++i) {
    CHECK(appended[i].symbol == expected[i].symbol);
    CHECK(appended[i].timeframe.minutes == expected[i].timeframe.minutes);
    CHECK(appended[i].ts == expected[i].ts);
    CHECK(appended[i].open == expected[i].open);
    CHECK(appended[i].high == expected[i].high);
    CHECK(appended[i].low == expected[i].low);
    CHECK(appended[i].close == expected[i].close);
    CHECK(appended[i].volume == expected[i].volume);
    CHECK(appended[i].partial == expected[i].partial);
  }

  query.from = kT0;
  query.to = kT0 + 60000;
  auto partial_cursor = sm::store::BarCursor::open(*db, query);
  REQUIRE(partial_cursor.ok());
  REQUIRE(*partial_cursor->next(bar));
  CHECK(bar.ts == kT0);
  CHECK_FALSE(*partial_cursor->next(bar));

  // A cursor binds only the bounds it is given: each of the four cases reads the same rows.
  for (const bool has_from : {false, true}) {
    for (const bool has_to : {false, true}) {
      INFO("from " << has_from << ", to " << has_to);
      sm::store::BarQuery bounded;
      bounded.symbol = "TCS";
      if (has_from) bounded.from = kT0 + 10 * 60000;
      if (has_to) bounded.to = kT0 + 40 * 60000;
      auto bounded_cursor = sm::store::BarCursor::open(*db, bounded);
      REQUIRE(bounded_cursor.ok());
      std::vector<sm::TimestampMs> times;
      while (*bounded_cursor->next(bar)) times.push_back(bar.ts);
      std::vector<sm::TimestampMs> want;
      for (const Bar& b : read_bars(*db, bounded)) want.push_back(b.ts);
      CHECK(times == want);
      CHECK(times.size() == 50u - (has_from ? 10u : 0u) - (has_to ? 10u : 0u));
    }
  }

  sm::store::BarQuery all;
  all.timeframe = Timeframe{1};
  auto symbols = sm::store::bar_symbols(*db, all);
  REQUIRE(symbols.ok());
  CHECK(*symbols == std::vector<std::string>{"INFY", "TCS"});
}
