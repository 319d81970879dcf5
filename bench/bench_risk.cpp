// Risk gateway decision speed with a realistic database: a million stored fills (two years of
// round trips over 50 symbols and 8 strategies, 15 positions still open), today's ticks, recent
// decisions and sm-order's heartbeat. Measures, per decision:
//   1. the pure engine (RiskEngine::decide) on the state the gateway loaded;
//   2. the gateway's whole handle(signal): database re-reads, the decision, and its durable
//      write (signal + risk_decision in one transaction, synchronous=FULL), with the database on
//      tmpfs (no disk flush: the SQLite work itself);
//   3. the same with the database on disk, where the fsync per decision dominates.
// Between decisions, outside the timed region, the bench plays the rest of the pipeline: a fresh
// tick for the next symbol, sm-order's heartbeat every 5 s, and sm-order recording each approved
// order and the broker cancelling it (so exposure stays steady and most signals are approved).
// Figures and the exact command are in bench/README.md.
//
//   bench_risk [--fills N] [--decisions N] [--disk-decisions N] [--db PATH] [--disk-dir DIR]
//
// --db keeps the generated database at PATH and reuses it when it is already there.
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/money.h"
#include "core/timestamp.h"
#include "gateway/gateway.h"
#include "risk/config.h"
#include "risk/engine.h"
#include "store/database.h"
#include "store/market_data.h"
#include "store/ops_records.h"
#include "store/trading_records.h"
#include "time/calendar.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr int kSymbols = 50;
constexpr int kStrategies = 8;
constexpr int kOpenPositions = 15;
const sm::Date kToday{2026, 3, 5};  // a Thursday; data/nse-calendar.csv lists 2026

std::string symbol_name(int i) { return fmt::format("SYM{:02}", i); }
std::string strategy_name(int i) { return fmt::format("strategy-{}", i); }
sm::Paise base_price(int i) { return 10'000 + static_cast<sm::Paise>(i) * 4'000; }  // 100..2060

void die(const sm::Status& status, const char* what) {
  std::fprintf(stderr, "bench_risk: %s: %s\n", what, status.to_string().c_str());
  std::exit(1);
}

template <typename T>
T must(sm::Result<T> result, const char* what) {
  if (!result.ok()) die(result.status(), what);
  return std::move(result).value();
}

void must(const sm::Status& status, const char* what) {
  if (!status.ok()) die(status, what);
}

// A million fills as round trips spread over two years before today; the last kOpenPositions
// buys have no sell, so that many positions are open today.
void build_database(const std::string& path, std::int64_t fills) {
  fs::remove(path);
  fs::remove(path + "-wal");
  fs::remove(path + "-shm");
  sm::store::Database db = must(sm::store::Database::open(path), "open");
  std::mt19937_64 rng(42);
  const sm::TimestampMs end = sm::from_ist(kToday, 9, 15);
  const sm::TimestampMs start = end - 730 * sm::kMsPerDay;
  const std::int64_t trips = fills / 2;
  const auto began = Clock::now();
  std::int64_t written = 0;
  sm::store::Transaction tx = must(db.begin(), "begin");
  for (std::int64_t t = 0; t < trips + kOpenPositions; ++t) {
    const bool open = t >= trips;
    const int s =
        open ? static_cast<int>(t - trips) % kSymbols : static_cast<int>(rng() % kSymbols);
    const int g =
        open ? static_cast<int>(t - trips) % kStrategies : static_cast<int>(rng() % kStrategies);
    const sm::TimestampMs ts =
        open ? end - 3 * sm::kMsPerHour + t - trips
             : start + static_cast<sm::TimestampMs>(
                           rng() % static_cast<std::uint64_t>(end - start - sm::kMsPerHour));
    sm::Fill f;
    f.ts = ts;
    f.strategy = strategy_name(g);
    f.symbol = symbol_name(s);
    f.qty = 1 + static_cast<sm::Quantity>(rng() % 20);
    f.price = base_price(s) + static_cast<sm::Paise>(rng() % 500);
    f.charges = static_cast<sm::Paise>(rng() % 2000);
    f.trade_id = fmt::format("T{}b", t);
    f.client_order_id = fmt::format("smb{:017}", t);
    must(sm::store::insert_fill(db, f).status(), "insert buy");
    ++written;
    if (!open) {
      f.ts += 1 + static_cast<sm::TimestampMs>(rng() % (sm::kMsPerHour - 1));
      f.side = sm::Side::kSell;
      f.price = base_price(s) + static_cast<sm::Paise>(rng() % 500);
      f.trade_id = fmt::format("T{}s", t);
      f.client_order_id = fmt::format("sms{:017}", t);
      must(sm::store::insert_fill(db, f).status(), "insert sell");
      ++written;
    }
    if (written % 100'000 < 2 && t > 0) {
      must(tx.commit(), "commit");
      tx = must(db.begin(), "begin");
    }
  }
  // Two years of decisions too (one per round trip would be 500k; 200k keeps the build short).
  for (std::int64_t i = 0; i < 200'000; ++i) {
    sm::RiskDecision d;
    d.ts = start + i * (end - start) / 200'000;
    d.signal_ts = d.ts;
    d.strategy = strategy_name(static_cast<int>(i % kStrategies));
    d.symbol = symbol_name(static_cast<int>(i % kSymbols));
    d.approved = i % 3 != 0;
    d.code = d.approved ? "APPROVED" : "PRICE_OUT_OF_BAND";
    must(sm::store::record_risk_decision(db, d).status(), "decision");
  }
  must(tx.commit(), "commit");
  std::vector<sm::Tick> ticks;
  for (int s = 0; s < kSymbols; ++s) {
    for (int k = 0; k < 2000; ++k) {  // today's ticks since the open
      sm::Tick tick;
      tick.symbol = symbol_name(s);
      tick.ts = sm::from_ist(kToday, 9, 15) + k * std::int64_t{1000};
      tick.price = base_price(s) + 250;
      tick.qty = 1;
      tick.volume = k + 1;
      ticks.push_back(tick);
    }
  }
  must(sm::store::insert_ticks(db, ticks).status(), "ticks");
  must(db.execute("PRAGMA wal_checkpoint(TRUNCATE)"), "checkpoint");
  std::printf("built %s: %lld fills, 200000 decisions, %zu ticks in %.1f s\n", path.c_str(),
              static_cast<long long>(written), ticks.size(),
              std::chrono::duration<double>(Clock::now() - began).count());
}

// The machine is shared with other builds, so each decision is timed twice: wall clock (what a
// caller waits, including time the scheduler gave to other processes) and this thread's CPU time
// (the work itself, plus nothing else).
double thread_cpu_us() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) * 1e6 + static_cast<double>(now.tv_nsec) * 1e-3;
}

struct Timer {
  Clock::time_point wall = Clock::now();
  double cpu = thread_cpu_us();
};

struct Stats {
  std::vector<double> wall_us;
  std::vector<double> cpu_us;
  void add(const Timer& started) {
    const double cpu = thread_cpu_us() - started.cpu;
    wall_us.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - started.wall).count());
    cpu_us.push_back(cpu);
  }
  static void line(const char* name, const char* kind, std::vector<double> us) {
    double total = 0;
    for (double u : us) total += u;
    std::sort(us.begin(), us.end());
    const auto at = [&](double q) {
      return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))];
    };
    std::printf(
        "%-40s %-4s n=%-6zu %8.0f decisions/s  p50 %7.1f us  p99 %7.1f us  p99.9 %8.1f us"
        "  max %8.1f us\n",
        name, kind, us.size(), static_cast<double>(us.size()) / (total / 1e6), at(0.5), at(0.99),
        at(0.999), us.back());
  }
  void print(const char* name) const {
    line(name, "wall", wall_us);
    line("", "cpu", cpu_us);
  }
};

sm::risk::RiskConfig bench_config() {
  sm::risk::RiskConfig c;
  c.capital = 1'00'00'000'00;  // 1 crore
  c.max_order_qty = 1000;
  c.max_order_value = 10'00'000'00;
  c.max_orders_per_minute = 1'000'000;
  c.max_orders_per_5_minutes = 1'000'000;
  c.max_open_positions = 100;
  c.duplicate_window_ms = 0;
  return c;
}

sm::Signal signal_for(std::int64_t i, sm::TimestampMs now, std::mt19937_64& rng) {
  sm::Signal s;
  s.ts = now;
  int symbol = static_cast<int>(rng() % kSymbols);
  int strategy = static_cast<int>(rng() % kStrategies);
  s.action = sm::SignalAction::kEnterLong;
  s.qty = 1 + static_cast<sm::Quantity>(rng() % 10);
  if (i % 5 == 4) {  // now and then an exit of one of the open positions
    const int open = static_cast<int>(rng() % kOpenPositions);
    symbol = open % kSymbols;
    strategy = open % kStrategies;
    s.action = sm::SignalAction::kExitLong;
    s.qty = 1;
  }
  s.symbol = symbol_name(symbol);
  s.strategy = strategy_name(strategy);
  s.price = base_price(symbol) + 250;
  s.reason = "bench";
  return s;
}

// n decisions by the pure engine on a copy of the state the gateway loaded (engine_stats).
void run_engine(const sm::risk::RiskState& loaded, std::int64_t n, sm::Heartbeat hb,
                sm::TimestampMs now, Stats& stats, const sm::time::Calendar& calendar) {
  sm::risk::RiskEngine engine(bench_config(), &calendar);
  engine.state() = loaded;
  std::mt19937_64 rng(1);
  std::vector<sm::Message> out;
  sm::TimestampMs t = now;
  for (std::int64_t i = 0; i < n; ++i) {
    t += 50;
    const sm::Signal s = signal_for(i, t, rng);
    engine.on_price(s.symbol, s.price, t - 10, t, out);
    if (i % 100 == 0) {
      hb.ts = t;
      engine.on_heartbeat(hb, t, out);
    }
    out.clear();
    const Timer began;
    engine.decide(s, t, out);
    stats.add(began);
    for (const sm::Message& m : out) {
      if (const auto* order = std::get_if<sm::OrderIntent>(&m)) {
        sm::OrderUpdate cancelled;
        cancelled.client_order_id = order->client_order_id;
        cancelled.status = "CANCELLED";
        engine.on_order_update(cancelled, t, out);
        break;
      }
    }
  }
}

// Runs n decisions through the gateway on db_path and through the pure engine (engine_stats).
void run(const std::string& db_path, std::int64_t n, const char* label, Stats* engine_stats,
         const sm::time::Calendar& calendar) {
  sm::store::Database db = must(sm::store::Database::open(db_path), "open");
  sm::TimestampMs now = sm::from_ist(kToday, 10, 0);
  sm::Heartbeat hb;
  hb.component = "sm-order";
  hb.ts = now - 1000;
  must(sm::store::record_heartbeat(db, hb), "heartbeat");
  const auto load_start = Clock::now();
  std::unique_ptr<sm::gateway::RiskGateway> gateway =
      must(sm::gateway::RiskGateway::open(db, bench_config(), &calendar, now), "gateway");
  std::printf("%-45s %.1f ms (positions %zu, day P&L %s)\n", "gateway load",
              std::chrono::duration<double, std::milli>(Clock::now() - load_start).count(),
              gateway->engine().state().book.positions().size(),
              sm::format_rupees(gateway->engine().daily_pnl()).c_str());

  if (engine_stats != nullptr)
    run_engine(gateway->engine().state(), n, hb, now, *engine_stats, calendar);

  Stats stats;
  std::mt19937_64 rng(1);
  std::vector<sm::Message> out;
  std::int64_t approved = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    now += 50;
    const sm::Signal s = signal_for(i, now, rng);
    sm::Tick tick;
    tick.ts = now - 10;
    tick.symbol = s.symbol;
    tick.price = s.price;
    tick.qty = 1;
    tick.volume = 10'000 + i;
    must(sm::store::insert_ticks(db, std::vector<sm::Tick>{tick}).status(), "tick");
    if (i % 100 == 0) {
      hb.ts = now;
      must(sm::store::record_heartbeat(db, hb), "heartbeat");
    }
    out.clear();
    const Timer began;
    sm::Result<sm::gateway::Disposition> handled = gateway->handle(s, now, out);
    stats.add(began);
    must(handled.status(), "handle");
    for (const sm::Message& m : out) {
      if (const auto* order = std::get_if<sm::OrderIntent>(&m)) {
        ++approved;
        must(sm::store::upsert_order_intent(db, *order).status(), "order");
        sm::OrderUpdate cancelled;
        cancelled.ts = now;
        cancelled.client_order_id = order->client_order_id;
        cancelled.symbol = order->symbol;
        cancelled.status = "CANCELLED";
        cancelled.qty = order->qty;
        must(sm::store::apply_order_update(db, cancelled).status(), "cancel");
      }
    }
  }
  stats.print(label);
  std::printf("%-45s %lld of %lld approved\n", "", static_cast<long long>(approved),
              static_cast<long long>(n));

  // For scale: the durable write alone, as the gateway does it (signal + decision, one
  // transaction).
  Stats writes;
  for (std::int64_t i = 0; i < std::min<std::int64_t>(n, 2000); ++i) {
    now += 50;
    sm::Signal s = signal_for(i, now, rng);
    s.strategy = "write-only";
    sm::RiskDecision d;
    d.ts = d.signal_ts = s.ts;
    d.strategy = s.strategy;
    d.symbol = s.symbol;
    d.action = s.action;
    d.code = "PRICE_STALE";
    const Timer began;
    sm::store::Transaction tx = must(db.begin(), "begin");
    must(sm::store::record_signal(db, s).status(), "signal");
    must(sm::store::record_risk_decision(db, d).status(), "decision");
    must(tx.commit(), "commit");
    writes.add(began);
  }
  writes.print("  of which: the durable write alone");
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t fills = 1'000'000;
  std::int64_t decisions = 20'000;
  std::int64_t disk_decisions = 1'000;
  std::string db_path;
  std::string disk_dir = fs::temp_directory_path().string();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--fills" && has_value) {
      fills = std::atoll(argv[++i]);
    } else if (arg == "--decisions" && has_value) {
      decisions = std::atoll(argv[++i]);
    } else if (arg == "--disk-decisions" && has_value) {
      disk_decisions = std::atoll(argv[++i]);
    } else if (arg == "--db" && has_value) {
      db_path = argv[++i];
    } else if (arg == "--disk-dir" && has_value) {
      disk_dir = argv[++i];
    } else {
      std::fprintf(stderr, "bench_risk: ignoring argument %s\n", arg.c_str());
    }
  }
  const sm::time::Calendar calendar =
      must(sm::time::Calendar::load_default(), "calendar (data/nse-calendar.csv)");
  const std::string shm = fs::exists("/dev/shm") ? "/dev/shm" : fs::temp_directory_path().string();
  const bool keep = !db_path.empty();
  if (!keep) db_path = fmt::format("{}/bench-risk-{}.db", shm, ::getpid());
  bool reuse = false;
  if (keep && fs::exists(db_path)) {
    sm::store::Database db = must(sm::store::Database::open(db_path), "open");
    reuse = must(db.query_int64("SELECT count(*) FROM fills"), "count") >= fills;
  }
  if (!reuse) build_database(db_path, fills);

  // Each run adds decisions, ticks and orders: run on copies so the runs see the same start.
  const auto copy_to = [&](const std::string& target) {
    fs::copy_file(db_path, target, fs::copy_options::overwrite_existing);
    return target;
  };
  Stats engine;
  const std::string tmpfs_copy = copy_to(fmt::format("{}/bench-risk-run-{}.db", shm, ::getpid()));
  run(tmpfs_copy, decisions, "gateway.handle, database on tmpfs", &engine, calendar);
  engine.print("engine.decide (pure, same state)");
  const std::string disk_copy =
      copy_to(fmt::format("{}/bench-risk-run-{}.db", disk_dir, ::getpid()));
  run(disk_copy, disk_decisions, "gateway.handle, database on disk (fsync)", nullptr, calendar);
  for (const std::string& path : {tmpfs_copy, disk_copy}) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  }
  if (!keep) {
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db_path + suffix);
  }
  return 0;
}
