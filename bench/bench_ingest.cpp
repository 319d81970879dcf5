// Ingest throughput on one core: NDJSON decode (msgs/s), CSV parse (rows/s), bars and ticks into
// SQLite (rows/s), and the whole NDJSON-stdin path into SQLite. Figures and the exact command are
// kept in bench/README.md.
//
//   bench_ingest [--rows N] [--dir DIR] [--only stdin-ticks] [--batch N]
//
// DIR (default: the system temp directory) holds the scratch databases; each is deleted afterwards.
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/messages.h"
#include "ingest/csv_reader.h"
#include "ingest/ingest.h"
#include "ingest/sink.h"
#include "store/database.h"
#include "store/market_data.h"

namespace {

using sm::Bar;
using sm::Tick;

// The machine is shared (other builds run beside the bench), so rates are computed from the CPU
// time of this thread: "rows per CPU-second on one core". Wall-clock time would count the time the
// scheduler gave to other processes. SQLite's own I/O waits (WAL writes, no fsync per commit under
// synchronous=NORMAL) are small next to the CPU work; the wall figure is printed beside it.
double thread_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double g_last_wall_seconds = 0;

double seconds_of(const std::function<void()>& run) {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_seconds();
  run();
  const double cpu = thread_cpu_seconds() - cpu_start;
  g_last_wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return cpu;
}

struct Rate {
  double cpu = 0;   // items per CPU-second of this thread
  double wall = 0;  // items per wall-clock second of the same run
};

void keep_best(Rate& best, std::int64_t items, double cpu_seconds) {
  const double rate = static_cast<double>(items) / cpu_seconds;
  if (rate > best.cpu) best = Rate{rate, static_cast<double>(items) / g_last_wall_seconds};
}

// Best of `repeats` runs: the least disturbed by other work on a shared machine.
Rate best_rate(std::int64_t items, int repeats, const std::function<void()>& run) {
  Rate best;
  for (int i = 0; i < repeats; ++i) keep_best(best, items, seconds_of(run));
  return best;
}

void report(const char* what, Rate rate, const char* unit) {
  std::printf("%-44s %10.0f %s per CPU-second  (%10.0f per wall second)\n", what, rate.cpu, unit,
              rate.wall);
  std::fflush(stdout);
}

// Bars as a live 1-minute feed would carry them: 50 symbols, prices around 100-3000 rupees.
std::vector<Bar> make_bars(std::int64_t count) {
  std::vector<Bar> bars;
  bars.reserve(static_cast<std::size_t>(count));
  const sm::TimestampMs start = sm::from_ist(sm::Date{2024, 1, 1}, 9, 15);
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t symbol = i % 50;
    const sm::Paise base = 10000 + symbol * 5995 + (i / 50) % 997;
    bars.push_back(Bar{start + (i / 50) * sm::kMsPerMinute, fmt::format("SYM{:02}", symbol),
                       sm::Timeframe{1}, base, base + 35, base - 20, base + 5, 1000 + i % 7919,
                       false});
  }
  return bars;
}

std::vector<Tick> make_ticks(std::int64_t count) {
  std::vector<Tick> ticks;
  ticks.reserve(static_cast<std::size_t>(count));
  const sm::TimestampMs start = sm::from_ist(sm::Date{2024, 1, 1}, 9, 15);
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t symbol = i % 50;
    ticks.push_back(Tick{start + (i / 50) * 250, fmt::format("SYM{:02}", symbol),
                         10000 + symbol * 5995 + i % 313, 1 + i % 97, 1000 + i});
  }
  return ticks;
}

sm::store::Database fresh_db(const std::filesystem::path& dir, const std::string& name) {
  const std::filesystem::path path = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  sm::Result<sm::store::Database> db = sm::store::Database::open(path.string());
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(db).value();
}

void remove_db(const std::filesystem::path& dir, const std::string& name) {
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove((dir / name).string() + suffix);
}

template <typename Record, typename Insert>
Rate insert_rate(const std::filesystem::path& dir, const std::vector<Record>& records,
                 std::size_t batch, Insert insert) {
  Rate best;
  for (int round = 0; round < 3; ++round) {
    sm::store::Database db = fresh_db(dir, "bench.db");
    const double seconds = seconds_of([&] {
      for (std::size_t i = 0; i < records.size(); i += batch) {
        const std::size_t n = std::min(batch, records.size() - i);
        auto written = insert(db, std::span<const Record>(records.data() + i, n));
        if (!written.ok()) {
          std::fprintf(stderr, "%s\n", written.status().to_string().c_str());
          std::exit(1);
        }
      }
    });
    keep_best(best, static_cast<std::int64_t>(records.size()), seconds);
  }
  remove_db(dir, "bench.db");
  return best;
}

// ingest_ndjson from a file of the given lines into a fresh database, as `sm-ingest --stdin` runs
// it; best of three.
Rate stdin_rate(const std::filesystem::path& dir, const std::vector<std::string>& lines,
                std::int64_t rows, std::size_t batch) {
  const std::filesystem::path input = dir / "bench-input.ndjson";
  {
    std::FILE* out = std::fopen(input.c_str(), "w");
    for (const std::string& line : lines) {
      std::fputs(line.c_str(), out);
      std::fputc('\n', out);
    }
    std::fclose(out);
  }
  Rate best;
  std::FILE* quiet = std::fopen("/dev/null", "w");
  sm::Logger log("bench", sm::LogLevel::kError, quiet);
  for (int round = 0; round < 3; ++round) {
    sm::store::Database db = fresh_db(dir, "pipeline.db");
    const int fd = ::open(input.c_str(), O_RDONLY);
    sm::ingest::IssueReporter issues(log, false);
    sm::ingest::SinkOptions options;
    options.batch_size = batch;
    sm::ingest::MarketDataSink sink(&db, nullptr, nullptr, options, [](const sm::Status&) {});
    const double seconds = seconds_of([&] {
      auto report_or = sm::ingest::ingest_ndjson(fd, "bench", {}, false, sink, issues);
      if (!report_or.ok() || !sink.finish().ok() || report_or->accepted != rows) {
        std::fprintf(stderr, "pipeline failed\n");
        std::exit(1);
      }
    });
    ::close(fd);
    keep_best(best, rows, seconds);
  }
  std::fclose(quiet);
  remove_db(dir, "pipeline.db");
  std::filesystem::remove(input);
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::int64_t rows = 1'000'000;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  bool stdin_only = false;  // --only stdin-ticks: the issue-14 line alone
  std::size_t batch = sm::ingest::SinkOptions{}.batch_size;  // rows per transaction
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--rows") rows = std::atoll(argv[i + 1]);
    if (flag == "--dir") dir = argv[i + 1];
    if (flag == "--only" && std::string(argv[i + 1]) == "stdin-ticks") stdin_only = true;
    if (flag == "--batch") batch = static_cast<std::size_t>(std::atoll(argv[i + 1]));
  }
  std::printf("rows per run: %lld, best of 3 runs, one thread\n", static_cast<long long>(rows));

  const std::vector<Bar> bars = make_bars(rows);
  if (stdin_only) {
    // The path and, in the same run, its limit: the same ticks stored by insert_ticks alone.
    const std::vector<Tick> ticks = make_ticks(rows);
    std::vector<std::string> tick_lines;
    for (const Tick& tick : ticks) tick_lines.push_back(sm::to_json(tick));
    report("NDJSON stdin -> validate -> SQLite (ticks)", stdin_rate(dir, tick_lines, rows, batch),
           "rows/s");
    report("limit: ticks into SQLite (insert_ticks)",
           insert_rate(
               dir, ticks, batch,
               [](auto& db, std::span<const Tick> t) { return sm::store::insert_ticks(db, t); }),
           "rows/s");
    std::printf("rows per transaction: %zu\n", batch);
    return 0;
  }
  const std::vector<Tick> ticks = make_ticks(rows);

  // NDJSON decode: the typical bar line as sm-ingest --emit writes it.
  std::vector<std::string> lines;
  lines.reserve(bars.size());
  for (const Bar& bar : bars) lines.push_back(sm::to_json(bar));
  std::printf("typical line (%zu bytes): %s\n", lines.front().size(), lines.front().c_str());
  {
    sm::MessageDecoder decoder;
    std::int64_t decoded = 0;
    const Rate rate = best_rate(rows, 3, [&] {
      for (const std::string& line : lines) decoded += decoder.decode(line).ok() ? 1 : 0;
    });
    if (decoded != 3 * rows)
      std::fprintf(stderr, "decode failures: %lld\n", static_cast<long long>(3 * rows - decoded));
    report("NDJSON decode, bar lines (MessageDecoder)", rate, "msgs/s");
  }
  {
    std::string tick_line = sm::to_json(ticks.front());
    sm::MessageDecoder decoder;
    const Rate rate = best_rate(rows, 3, [&] {
      for (std::int64_t i = 0; i < rows; ++i) (void)decoder.decode(tick_line);
    });
    report("NDJSON decode, tick lines (MessageDecoder)", rate, "msgs/s");
  }

  // CSV parse: the headerless 1-minute layout and the nsepy daily layout.
  {
    std::string csv;
    for (const Bar& bar : bars) {
      const sm::TimestampMs stamp =
          bar.ts + sm::kMsPerMinute;                    // end-of-minute labels, as in the real file
      std::string when = sm::format_ist(stamp, false);  // "2024-01-01 09:16:00" -> date,time
      when[10] = ',';
      csv += fmt::format("{},{},{},{},{},{},{}.0\n", bar.symbol, when, sm::format_rupees(bar.open),
                         sm::format_rupees(bar.high), sm::format_rupees(bar.low),
                         sm::format_rupees(bar.close), bar.volume);
    }
    const Rate rate = best_rate(rows, 3, [&] {
      auto parsed = sm::ingest::read_csv(csv, "bench.csv", {},
                                         [](const sm::ingest::RowIssue&) { return true; });
      if (!parsed.ok() || static_cast<std::int64_t>(parsed->bars.size()) != rows) {
        std::fprintf(stderr, "csv parse failed\n");
        std::exit(1);
      }
    });
    report("CSV parse, headerless 1-minute rows", rate, "rows/s");
  }
  {
    std::string csv =
        "Date,Symbol,Series,Prev "
        "Close,Open,High,Low,Last,Close,VWAP,Volume,Turnover,Trades,Deliverable "
        "Volume,%Deliverble\n";
    const std::int64_t daily_rows = std::min<std::int64_t>(rows, 500'000);
    for (std::int64_t i = 0; i < daily_rows; ++i) {
      const Bar& bar = bars[static_cast<std::size_t>(i)];
      const sm::Date date = sm::add_days(sm::Date{1990, 1, 1}, i / 50);
      csv += fmt::format("{},{},EQ,{},{},{},{},{},{},{},{},60130585235000.0,16263,286377,0.4227\n",
                         sm::format_date(date), bar.symbol, sm::format_rupees(bar.open),
                         sm::format_rupees(bar.open), sm::format_rupees(bar.high),
                         sm::format_rupees(bar.low), sm::format_rupees(bar.close),
                         sm::format_rupees(bar.close), sm::format_rupees(bar.close), bar.volume);
    }
    const Rate rate = best_rate(daily_rows, 3, [&] {
      auto parsed = sm::ingest::read_csv(csv, "bench.csv", {},
                                         [](const sm::ingest::RowIssue&) { return true; });
      if (!parsed.ok()) std::exit(1);
    });
    report("CSV parse, nsepy daily rows (15 columns)", rate, "rows/s");
  }

  // SQLite: insert_bars / insert_ticks in 10,000-row transactions into a fresh file.
  report(
      "bars into SQLite (insert_bars, 10k/txn)",
      insert_rate(dir, bars, 10'000,
                  [](auto& db, std::span<const Bar> b) { return sm::store::insert_bars(db, b); }),
      "rows/s");
  report(
      "ticks into SQLite (insert_ticks, 10k/txn)",
      insert_rate(dir, ticks, 10'000,
                  [](auto& db, std::span<const Tick> t) { return sm::store::insert_ticks(db, t); }),
      "rows/s");
  // Re-ingest: every row already stored.
  {
    sm::store::Database db = fresh_db(dir, "again.db");
    for (std::size_t i = 0; i < bars.size(); i += 10'000) {
      (void)sm::store::insert_bars(
          db,
          std::span<const Bar>(bars.data() + i, std::min<std::size_t>(10'000, bars.size() - i)));
    }
    const Rate rate = best_rate(rows, 3, [&] {
      for (std::size_t i = 0; i < bars.size(); i += 10'000) {
        (void)sm::store::insert_bars(
            db,
            std::span<const Bar>(bars.data() + i, std::min<std::size_t>(10'000, bars.size() - i)));
      }
    });
    remove_db(dir, "again.db");
    report("bars re-ingested (all already stored)", rate, "rows/s");
  }

  // The whole stdin path: NDJSON lines from a file descriptor, decoded, validated, batched.
  std::printf("stdin lines: %zu rows per transaction\n", batch);
  report("NDJSON stdin -> validate -> SQLite (bars)", stdin_rate(dir, lines, rows, batch),
         "rows/s");
  std::vector<std::string> tick_lines;
  tick_lines.reserve(ticks.size());
  for (const Tick& tick : ticks) tick_lines.push_back(sm::to_json(tick));
  report("NDJSON stdin -> validate -> SQLite (ticks)", stdin_rate(dir, tick_lines, rows, batch),
         "rows/s");
  return 0;
}
