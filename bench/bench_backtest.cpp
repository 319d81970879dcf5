// Backtest throughput: the engine over bars already in memory (one SMA-cross strategy), the whole
// path from a CSV file and from the SQLite database (load, data-quality checks, run, metrics),
// sweep scaling from 1 to N threads, and peak memory. Figures and the exact command are kept in
// bench/README.md.
//
//   bench_backtest [--bars N] [--dir DIR] [--threads N] [--sweep-bars N] [--parts LIST]
//
// LIST: which parts run, comma-separated from engine,files,sweep (default: all three), and
// profile: the sweep-mode engine run 50 times alone, for perf record. files is csv,sqlite: the
// CSV and the SQLite paths, each of which can be run alone.
//
// DIR (default: the system temp directory) holds the scratch CSV file and database; both are
// deleted afterwards.
#include <sys/resource.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "backtest/engine.h"
#include "backtest/metrics.h"
#include "backtest/sweep.h"
#include "core/log.h"
#include "costs/cost_model.h"
#include "history/csv_stream.h"
#include "history/database_stream.h"
#include "history/loader.h"
#include "store/database.h"
#include "store/market_data.h"
#include "strategy/registry.h"

namespace {

namespace bt = sm::backtest;
using sm::Bar;
using sm::Paise;

double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

struct Timing {
  double cpu = 0;
  double wall = 0;
};

// The machine is shared, so single-threaded rates are per CPU-second of this thread (what the code
// costs); the wall figure beside it shows how loaded the machine was. Best of `repeats`.
Timing best_of(int repeats, const std::function<void()>& run) {
  Timing best{1e300, 1e300};
  for (int i = 0; i < repeats; ++i) {
    const auto start = std::chrono::steady_clock::now();
    const double cpu = thread_cpu_seconds();
    run();
    Timing t{thread_cpu_seconds() - cpu,
             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
    if (t.cpu < best.cpu) best = t;
  }
  return best;
}

double process_cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

void report(const std::string& what, double items, Timing t, const char* unit) {
  std::printf("%-52s %12.0f %s per CPU-second  (%12.0f per wall second)  peak RSS %ld MiB\n",
              what.c_str(), items / t.cpu, unit, items / t.wall, peak_rss_kib() / 1024);
  std::fflush(stdout);
}

// A 1-minute random walk (fixed seed) over n bars from 2000-01-03 09:15 IST, one symbol.
std::vector<Bar> make_bars(std::int64_t n, const std::string& symbol) {
  std::vector<Bar> bars;
  bars.reserve(static_cast<std::size_t>(n));
  std::uint64_t state = 20240101;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<std::int64_t>(state >> 40) % 1001 - 500;  // -500 .. 500 paise
  };
  const sm::TimestampMs start = sm::from_ist(sm::Date{2000, 1, 3}, 9, 15);
  Paise close = 100'000;
  for (std::int64_t i = 0; i < n; ++i) {
    Bar b;
    b.ts = start + i * sm::kMsPerMinute;
    b.symbol = symbol;
    b.timeframe = sm::Timeframe{1};
    b.open = close;
    close = std::max<Paise>(1'000, close + next());
    b.close = close;
    b.high = std::max(b.open, b.close) + (next() + 500) / 4;
    b.low = std::max<Paise>(1, std::min(b.open, b.close) - (next() + 500) / 4);
    b.volume = 1'000 + (next() + 500);
    bars.push_back(std::move(b));
  }
  return bars;
}

// bars as the CSV file sm-backtest reads (bench/backtest-memory's layout).
void write_csv(const std::filesystem::path& path, const std::vector<Bar>& bars) {
  std::ofstream out(path);
  out << "symbol,ts,open,high,low,close,volume\n";
  std::string line;
  for (const Bar& b : bars) {
    line.clear();
    fmt::format_to(std::back_inserter(line), "BENCH,{},{},{},{},{},{}\n",
                   sm::format_ist(b.ts, false), sm::format_rupees(b.open),
                   sm::format_rupees(b.high), sm::format_rupees(b.low), sm::format_rupees(b.close),
                   b.volume);
    out << line;
  }
}

// A run's records taken as sm-backtest run's record files take them, and dropped.
class DropRecords : public bt::RecordSink {
 public:
  sm::Status signal(const bt::SignalRecord& /*record*/) override { return sm::Status(); }
  sm::Status fill(const bt::FillRecord& /*record*/) override { return sm::Status(); }
  sm::Status equity(const bt::EquityPoint& /*point*/) override { return sm::Status(); }
};

const bt::StrategySpec kSma{"", "sma-cross", {{"fast", 10}, {"slow", 30}, {"qty", 100}}, {}};

// details: every record kept (a report's run); else sweep mode, as run_sweep runs: no detail
// records and the trades' totals alone.
// A run as sm-backtest run makes it over a stream (open() gives a Result<std::unique_ptr<S>>,
// S a BarFeed with finish()), never held whole. Printing the summary alone, the run makes no
// detail records and keeps no trades; with --out (records) every record goes to a sink as it is
// made, here one that drops them, so the row is the run's work without the writing.
template <typename Open>
Timing run_streamed(Open open, bool records) {
  return best_of(2, [&] {
    auto stream = open();
    if (!stream.ok()) {
      std::fprintf(stderr, "stream failed: %s\n", stream.status().to_string().c_str());
      std::exit(1);
    }
    bt::EngineConfig config;
    config.record_details = records;
    config.keep_trades = false;
    sm::costs::ZeroCostModel zero;
    bt::ApproveAll gate;
    DropRecords drop;
    auto result = bt::run_backtest(**stream, {kSma}, config, zero, gate, records ? &drop : nullptr);
    if (!result.ok() || !(*stream)->finish().ok()) std::exit(1);
    bt::summarize(*result);
  });
}

bt::BacktestResult run_engine(const bt::MarketData& data, bool details) {
  bt::EngineConfig config;
  config.record_details = details;
  config.keep_trades = details;
  sm::costs::ZeroCostModel zero;
  bt::ApproveAll gate;
  auto result = bt::run_backtest(data, {kSma}, config, zero, gate);
  if (!result.ok()) {
    std::fprintf(stderr, "backtest failed: %s\n", result.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(result).value();
}

// 1. The engine over bars already in memory.
void bench_engine(const std::vector<Bar>& bars, const bt::MarketData& data) {
  const auto n = static_cast<std::int64_t>(bars.size());
  std::int64_t trades = 0;
  auto strategy = sm::strategy::make_strategy("sma-cross", kSma.params);
  sm::strategy::PositionView flat;
  std::int64_t decisions = 0;
  Timing t = best_of(3, [&] {
    auto fresh = sm::strategy::make_strategy("sma-cross", kSma.params);
    for (const Bar& b : bars) {
      auto d = (*fresh)->on_bar(b, flat);
      decisions += d->action != sm::strategy::Action::kHold;
    }
  });
  report("strategy alone: Strategy::on_bar", static_cast<double>(n), t, "bars");
  if (decisions < 0) std::puts("");
  // The limit of any engine over these bars: one pass reading each bar's close, measured in the
  // same run so that the ratio holds whatever the machine's load.
  Timing bare{};
  {
    Paise sum = 0;
    bare = best_of(3, [&] {
      for (const Bar& b : bars) sum += b.close;
      asm volatile("" : : "r"(sum) : "memory");
    });
    report("limit: bare loop over the bars (sum of closes)", static_cast<double>(n), bare, "bars");
  }
  Timing quiet = best_of(3, [&] { trades = run_engine(data, false).trade_totals.trades; });
  report("engine, bars in memory (sweep mode, no detail records)", static_cast<double>(n), quiet,
         "bars");
  std::printf("  engine / bare loop: %.3f (target >= 100 M bars/s)\n", bare.cpu / quiet.cpu);
  Timing detailed = best_of(3, [&] { run_engine(data, true); });
  report("engine, bars in memory (all records kept)", static_cast<double>(n), detailed, "bars");
  Timing with_metrics = best_of(3, [&] { bt::summarize(run_engine(data, false)); });
  report("engine + metrics (summarize)", static_cast<double>(n), with_metrics, "bars");
  std::printf("  (%lld round trips)\n", static_cast<long long>(trades));
}

// load_data of source (its time in load), then a sweep-mode run and its metrics, best of two.
Timing load_and_run(const sm::history::DataSource& source, const sm::Logger& log, Timing& load) {
  return best_of(2, [&] {
    const auto start = std::chrono::steady_clock::now();
    const double cpu = thread_cpu_seconds();
    auto loaded = sm::history::load_data(source, log);
    load = {thread_cpu_seconds() - cpu,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
    if (!loaded.ok()) {
      std::fprintf(stderr, "load failed: %s\n", loaded.status().to_string().c_str());
      std::exit(1);
    }
    bt::summarize(run_engine(loaded->data, false));
  });
}

// 2. End to end from a CSV file: read, parse, sort, check, run, metrics.
void bench_csv(const std::vector<Bar>& bars, const std::filesystem::path& dir,
               const sm::Logger& log) {
  const auto n = static_cast<std::int64_t>(bars.size());
  const std::filesystem::path csv = dir / fmt::format("bench_backtest_{}.csv", getpid());
  write_csv(csv, bars);
  sm::history::DataSource from_csv;
  from_csv.files = {csv.string()};
  from_csv.timeframe = "1m";
  Timing csv_load{};
  const Timing csv_total = load_and_run(from_csv, log, csv_load);
  report("end to end from CSV: load + checks + run + metrics", static_cast<double>(n), csv_total,
         "bars");
  report("  of which loading the CSV file", static_cast<double>(n), csv_load, "bars");
  std::printf("  end to end from CSV: %.2f M bars/s (target >= 3 M)\n",
              static_cast<double>(n) / csv_total.cpu / 1e6);
  // As sm-backtest run reads the file: streamed (history::CsvBarStream).
  auto open_csv = [&] { return sm::history::CsvBarStream::open(from_csv, log); };
  const Timing csv_streamed = run_streamed(open_csv, false);
  report("end to end from CSV, streamed (CsvBarStream, as sm-backtest run)", static_cast<double>(n),
         csv_streamed, "bars");
  std::printf("  end to end from CSV, streamed: %.2f M bars/s (target >= 3 M)\n",
              static_cast<double>(n) / csv_streamed.cpu / 1e6);
  report("  the same, every record to a sink (as with --out)", static_cast<double>(n),
         run_streamed(open_csv, true), "bars");
  std::filesystem::remove(csv);
}

// 3. End to end from SQLite. Returns false when the database cannot be made.
bool bench_sqlite(const std::vector<Bar>& bars, const std::filesystem::path& dir,
                  const sm::Logger& log) {
  const auto n = static_cast<std::int64_t>(bars.size());
  const std::filesystem::path db_path = dir / fmt::format("bench_backtest_{}.db", getpid());
  {
    auto db = sm::store::Database::open(db_path.string());
    if (!db.ok()) return false;
    for (std::size_t i = 0; i < bars.size(); i += 100'000) {
      const std::size_t end = std::min(bars.size(), i + 100'000);
      auto stored = sm::store::insert_bars(*db, std::span<const Bar>(bars.data() + i, end - i));
      if (!stored.ok()) return false;
    }
  }
  // The limit of the SQLite path: the ordered scan of the same rows, in the same order, of the
  // columns a run needs (a Bar's but its symbol and timeframe, which the query fixes), through
  // the cheapest statement that reads them: the primary key's range of one symbol and timeframe,
  // no bound on ts (the run's reader, store::BarCursor, binds no bound it is not given either).
  Timing scan{};
  {
    auto db = sm::store::Database::open_readonly(db_path.string());
    if (!db.ok()) return false;
    std::int64_t sum = 0;
    scan = best_of(3, [&] {
      auto stmt = db->prepare(
          "SELECT ts_ms, open_paise, high_paise, low_paise, close_paise, volume, partial FROM "
          "bars WHERE symbol = ?1 AND timeframe_minutes = ?2 ORDER BY ts_ms");
      if (!stmt.ok()) std::exit(1);
      stmt->bind_all("BENCH", 1);
      while (*stmt->step()) {
        for (int c = 0; c < 7; ++c) sum += stmt->column_int64(c);
      }
    });
    asm volatile("" : : "r"(sum) : "memory");
    report("limit: SQLite ordered scan of the same bars", static_cast<double>(n), scan, "rows");
  }
  sm::history::DataSource from_db;
  from_db.db_path = db_path.string();
  from_db.timeframe = "1m";
  Timing db_load{};
  const Timing db_total = load_and_run(from_db, log, db_load);
  report("end to end from SQLite: read + checks + run + metrics", static_cast<double>(n), db_total,
         "bars");
  report("  of which reading the database", static_cast<double>(n), db_load, "bars");
  std::printf("  end to end from SQLite / ordered scan: %.3f (target >= 0.8)\n",
              scan.cpu / db_total.cpu);
  // As sm-backtest run reads the database: streamed (history::DatabaseBarStream).
  auto streamed_run = [&](bool records) {
    return run_streamed([&] { return sm::history::DatabaseBarStream::open(from_db, log); },
                        records);
  };
  const Timing db_streamed = streamed_run(false);
  report("end to end from SQLite, streamed (DatabaseBarStream, as sm-backtest run)",
         static_cast<double>(n), db_streamed, "bars");
  std::printf("  end to end from SQLite, streamed / ordered scan: %.3f (target >= 0.8)\n",
              scan.cpu / db_streamed.cpu);
  const Timing db_recorded = streamed_run(true);
  report("  the same, every record to a sink (as with --out)", static_cast<double>(n), db_recorded,
         "bars");
  std::printf("  the same with every record / ordered scan: %.3f\n", scan.cpu / db_recorded.cpu);
  std::filesystem::remove(db_path);
  std::filesystem::remove(db_path.string() + "-wal");
  std::filesystem::remove(db_path.string() + "-shm");
  return true;
}

// A sweep of sets over `over` on t threads: process CPU time and wall clock.
Timing time_sweep(const bt::MarketData& over, const std::vector<nlohmann::json>& sets, unsigned t) {
  sm::costs::ZeroCostModel zero;
  bt::SweepOptions options;
  options.threads = t;
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = process_cpu_seconds();
  auto rows = bt::run_sweep(over, kSma, sets, bt::EngineConfig{}, zero, options);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const bt::SweepRow& row : rows) {
    if (!row.status.ok()) {
      std::fprintf(stderr, "sweep run failed: %s\n", row.status.to_string().c_str());
      std::exit(1);
    }
  }
  return Timing{process_cpu_seconds() - cpu_start, wall};
}

// cores busy = process CPU time / wall time: how many cores the sweep kept working. On a
// machine shared with other jobs the wall speed-up is lower than that; bars per CPU-second
// staying level from 1 to N threads says the runs do not slow each other down (memory, locks).
void sweep_report(const std::string& what, std::size_t runs, std::size_t bar_count,
                  const Timing& timing, const std::string& versus) {
  const double bar_runs = static_cast<double>(runs) * static_cast<double>(bar_count);
  std::printf(
      "%-52s %12.0f bars per wall second  (%.0f per CPU-second, %zu runs, %.2f s wall, %.2f "
      "cores busy%s)  peak RSS %ld MiB\n",
      what.c_str(), bar_runs / timing.wall, bar_runs / timing.cpu, runs, timing.wall,
      timing.cpu / timing.wall, versus.c_str(), peak_rss_kib() / 1024);
  std::fflush(stdout);
}

const std::vector<nlohmann::json>& sets_20() {
  static const auto sets = bt::expand_grid(
      kSma.params, {*bt::parse_axis("fast=5:50:5"), *bt::parse_axis("slow=60,120")});
  return sets;
}

// 20 parameter sets on 1 thread and on `threads` threads over the first sweep_bars bars held in
// memory: the speed-up against the serial run of the same grid, in the same run.
void bench_sweep_in_memory(const std::vector<Bar>& bars, std::int64_t sweep_bars,
                           unsigned threads) {
  const auto n = static_cast<std::int64_t>(bars.size());
  std::vector<Bar> head(bars.begin(), bars.begin() + std::min<std::int64_t>(sweep_bars, n));
  auto head_made = bt::MarketData::make({bt::SymbolSeries{"BENCH", std::move(head)}});
  const bt::MarketData sweep_data = std::move(head_made).value();
  const Timing serial = time_sweep(sweep_data, sets_20(), 1);
  sweep_report("sweep of 20 runs on 1 thread", sets_20().size(), sweep_data.bar_count(), serial,
               "");
  const Timing parallel = time_sweep(sweep_data, sets_20(), threads);
  sweep_report(fmt::format("sweep of 20 runs on {} threads", threads), sets_20().size(),
               sweep_data.bar_count(), parallel,
               fmt::format(", speed-up {:.2f}x, target >= 1.9x", serial.wall / parallel.wall));
}

void bench_sweep_end_to_end(const std::vector<Bar>& bars, std::int64_t sweep_bars, unsigned threads,
                            const std::filesystem::path& dir, const sm::Logger& log) {
  const auto n = static_cast<std::int64_t>(bars.size());
  // The same 20 runs end to end, as `sm-backtest sweep --file` makes them: the CSV file loaded
  // (load_data, the file parsed on the sweep's threads), then swept; on 1 thread and on
  // `threads`, alternately, the best wall time of two each. The limit is `threads`x: a load
  // that used every thread as fully as the runs do.
  const std::filesystem::path csv = dir / fmt::format("bench_backtest_sweep_{}.csv", getpid());
  write_csv(csv,
            std::vector<Bar>(bars.begin(), bars.begin() + std::min<std::int64_t>(sweep_bars, n)));
  sm::history::DataSource source;
  source.files = {csv.string()};
  source.timeframe = "1m";
  auto end_to_end = [&](unsigned t) {
    source.threads = t;
    const auto start = std::chrono::steady_clock::now();
    const double cpu_start = process_cpu_seconds();
    auto loaded = sm::history::load_data(source, log);
    if (!loaded.ok()) {
      std::fprintf(stderr, "csv load failed: %s\n", loaded.status().to_string().c_str());
      std::exit(1);
    }
    time_sweep(loaded->data, sets_20(), t);
    return Timing{process_cpu_seconds() - cpu_start,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()};
  };
  Timing serial{1e300, 1e300};
  Timing parallel{1e300, 1e300};
  for (int i = 0; i < 2; ++i) {
    const Timing one = end_to_end(1);
    if (one.wall < serial.wall) serial = one;
    const Timing many = end_to_end(threads);
    if (many.wall < parallel.wall) parallel = many;
  }
  std::filesystem::remove(csv);
  const auto bar_count = static_cast<std::size_t>(std::min<std::int64_t>(sweep_bars, n));
  sweep_report("sweep of 20 runs from CSV (load included), 1 thread", sets_20().size(), bar_count,
               serial, "");
  sweep_report(fmt::format("the same on {} threads", threads), sets_20().size(), bar_count,
               parallel,
               fmt::format(", speed-up {:.2f}x, target >= 1.9x, limit {}x",
                           serial.wall / parallel.wall, threads));
}

// 4. Sweeps: 20 parameter sets on 1 thread and on `threads` threads over the first
// --sweep-bars bars (the speed-up against the serial run of the same grid, in the same run),
// then 100 sets over all the bars on `threads` threads against the 1 s target. Wall clock: the
// point is to use more cores.
void bench_sweeps(const std::vector<Bar>& bars, const bt::MarketData& data, std::int64_t sweep_bars,
                  unsigned threads, const std::filesystem::path& dir, const sm::Logger& log) {
  bench_sweep_in_memory(bars, sweep_bars, threads);
  bench_sweep_end_to_end(bars, sweep_bars, threads, dir, log);
  const auto sets_100 = bt::expand_grid(
      kSma.params, {*bt::parse_axis("fast=5:50:5"), *bt::parse_axis("slow=60:150:10")});
  const auto n = static_cast<std::int64_t>(bars.size());
  const Timing hundred = time_sweep(data, sets_100, threads);
  sweep_report(fmt::format("sweep of 100 runs over {} bars on {} threads", n, threads),
               sets_100.size(), data.bar_count(), hundred,
               fmt::format(", target <= 1 s: {}", hundred.wall <= 1.0 ? "met" : "not met"));
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t n = 2'000'000;
  std::int64_t sweep_bars = 500'000;
  unsigned threads = std::max(2u, std::thread::hardware_concurrency());
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  std::string parts = "engine,files,sweep";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--bars")
      n = std::atoll(argv[i + 1]);
    else if (flag == "--sweep-bars")
      sweep_bars = std::atoll(argv[i + 1]);
    else if (flag == "--threads")
      threads = static_cast<unsigned>(std::atoi(argv[i + 1]));
    else if (flag == "--dir")
      dir = argv[i + 1];
    else if (flag == "--parts")
      parts = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: bench_backtest [--bars N] [--sweep-bars N] [--threads N] [--dir DIR] "
                   "[--parts engine,files,csv,sqlite,sweep]\n");
      return 2;
    }
  }
  std::printf("bench_backtest: %lld 1-minute bars, sma-cross 10/30, 100 shares, zero costs\n",
              static_cast<long long>(n));

  auto want = [&](std::string_view part) { return parts.find(part) != std::string::npos; };
  std::vector<Bar> bars = make_bars(n, "BENCH");
  auto made = bt::MarketData::make({bt::SymbolSeries{"BENCH", bars}});
  if (!made.ok()) return 1;
  const bt::MarketData data = std::move(made).value();

  // For a profiler: the sweep-mode engine line alone, many times.
  if (want("profile")) {
    std::int64_t round_trips = 0;
    for (int i = 0; i < 50; ++i) round_trips += run_engine(data, false).trade_totals.trades;
    std::printf("profile: %lld round trips\n", static_cast<long long>(round_trips));
  }

  if (want("engine")) bench_engine(bars, data);
  sm::Logger log("bench", sm::LogLevel::kError);
  if (want("files") || want("csv")) bench_csv(bars, dir, log);
  if ((want("files") || want("sqlite")) && !bench_sqlite(bars, dir, log)) return 1;
  if (want("sweep")) bench_sweeps(bars, data, sweep_bars, threads, dir, log);
  return 0;
}
