// Several connections (one per thread, as separate programs would have) write and read the same
// database file at once. Nothing may be lost and nobody may fail with SQLITE_BUSY.
#include <fmt/format.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

#include "store/market_data.h"
#include "store/ops_records.h"
#include "store/trading_records.h"
#include "support/temp_database.h"

using sm::store::Database;
using sm::testing::TempDir;

namespace {

constexpr sm::TimestampMs kT0 = 1711597500000;
constexpr int kBarWriters = 3;
constexpr int kBatches = 60;
constexpr int kBarsPerBatch = 100;
constexpr int kFills = 150;
constexpr int kReaders = 3;

class Failures {
 public:
  void add(const std::string& who, const sm::Status& status) {
    std::lock_guard lock(mutex_);
    messages_.push_back(who + ": " + status.to_string());
  }
  std::vector<std::string> messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> messages_;
};

std::vector<sm::Bar> batch(const std::string& symbol, int index) {
  std::vector<sm::Bar> bars;
  for (int i = 0; i < kBarsPerBatch; ++i) {
    sm::Bar bar;
    bar.symbol = symbol;
    bar.ts = kT0 + (index * kBarsPerBatch + i) * 60000LL;
    bar.open = bar.high = bar.low = bar.close = 100000 + i;
    bar.volume = i;
    bars.push_back(bar);
  }
  return bars;
}

}  // namespace

TEST_CASE("concurrent writers and readers on one file lose nothing and never see SQLITE_BUSY") {
  TempDir dir;
  const std::string path = dir.file("var/stalk.db");  // fresh: every thread races to create it
  Failures failures;
  const int threads =
      kBarWriters + 1 /* duplicate writer */ + 1 /* fills */ + 1 /* heartbeats */ + kReaders;
  std::latch start(threads);
  std::atomic<int> writers_running{kBarWriters + 3};
  std::atomic<std::int64_t> reads{0};
  std::vector<std::thread> pool;

  auto open = [&](const std::string& who) -> std::optional<Database> {
    start.arrive_and_wait();
    auto db = Database::open(path);
    if (!db.ok()) {
      failures.add(who, db.status());
      return std::nullopt;
    }
    return std::move(*db);
  };

  for (int w = 0; w < kBarWriters; ++w) {
    pool.emplace_back([&, w] {
      const std::string who = fmt::format("bar writer {}", w);
      auto db = open(who);
      if (db) {
        for (int b = 0; b < kBatches; ++b) {
          auto written = sm::store::insert_bars(*db, batch(fmt::format("SYM{}", w), b));
          if (!written.ok()) failures.add(who, written.status());
        }
      }
      --writers_running;
    });
  }
  // Re-ingests writer 0's data while it is being written: must only ever add duplicates or the
  // rows writer 0 has not written yet, never a second copy.
  pool.emplace_back([&] {
    auto db = open("duplicate writer");
    if (db) {
      for (int b = kBatches - 1; b >= 0; --b) {
        auto written = sm::store::insert_bars(*db, batch("SYM0", b));
        if (!written.ok()) failures.add("duplicate writer", written.status());
      }
    }
    --writers_running;
  });
  pool.emplace_back([&] {
    auto db = open("fill writer");
    if (db) {
      for (int i = 0; i < kFills; ++i) {
        sm::Fill fill;
        fill.ts = kT0 + i;
        fill.trade_id = fmt::format("T{}", i);
        fill.strategy = "trend";
        fill.symbol = "TCS";
        fill.side = i % 3 == 2 ? sm::Side::kSell : sm::Side::kBuy;
        fill.qty = 1;
        fill.price = 400000;
        auto stored = sm::store::insert_fill(*db, fill);
        if (!stored.ok()) failures.add("fill writer", stored.status());
      }
    }
    --writers_running;
  });
  pool.emplace_back([&] {
    auto db = open("heartbeat writer");
    if (db) {
      for (int i = 0; i < 200; ++i) {
        sm::Heartbeat hb;
        hb.component = "sm-test";
        hb.ts = kT0 + i;
        hb.pid = i / 50;
        auto status = sm::store::record_heartbeat(*db, hb);
        if (!status.ok()) failures.add("heartbeat writer", status);
      }
    }
    --writers_running;
  });
  for (int r = 0; r < kReaders; ++r) {
    pool.emplace_back([&, r] {
      const std::string who = fmt::format("reader {}", r);
      auto db = open(who);
      if (!db) return;
      std::int64_t last_seen = 0;
      do {
        // Each batch commits atomically, so a reader sees whole batches only, and never fewer
        // rows than it saw before.
        std::int64_t seen = 0;
        sm::store::BarQuery query;
        query.symbol = fmt::format("SYM{}", r % kBarWriters);
        auto status = sm::store::for_each_bar(*db, query, [&](const sm::Bar&) {
          ++seen;
          return true;
        });
        if (!status.ok()) failures.add(who, status);
        if (seen % kBarsPerBatch != 0 || seen < last_seen) {
          failures.add(who, sm::error(sm::ErrorCode::kInternal,
                                      fmt::format("saw {} bars after {}", seen, last_seen)));
        }
        last_seen = seen;
        auto positions = sm::store::list_positions(*db);
        if (!positions.ok()) failures.add(who, positions.status());
        auto beats = sm::store::last_heartbeats(*db);
        if (!beats.ok()) failures.add(who, beats.status());
        ++reads;
      } while (writers_running.load() > 0);
    });
  }
  for (std::thread& thread : pool) thread.join();

  const std::vector<std::string> problems = failures.messages();
  for (const std::string& problem : problems) UNSCOPED_INFO(problem);
  CHECK(problems.empty());

  auto db = Database::open(path);
  REQUIRE(db.ok());
  CHECK(*db->query_int64("SELECT count(*) FROM bars") == kBarWriters * kBatches * kBarsPerBatch);
  for (int w = 0; w < kBarWriters; ++w) {
    auto series = sm::store::list_series(*db);
    REQUIRE(series.ok());
    REQUIRE(series->size() == static_cast<size_t>(kBarWriters));
    CHECK((*series)[static_cast<size_t>(w)].rows == kBatches * kBarsPerBatch);
  }
  CHECK(*db->query_int64("SELECT count(*) FROM fills") == kFills);
  auto position = sm::store::find_position(*db, "trend", "TCS");
  REQUIRE(position.ok());
  REQUIRE(position->has_value());
  CHECK((*position)->qty == kFills - 2 * (kFills / 3));
  CHECK(*db->query_int64("SELECT ts_ms FROM heartbeats") == kT0 + 199);
  CHECK(*db->query_int64("SELECT count(*) FROM heartbeat_history") == 4);
  CHECK(reads.load() > 0);
}
