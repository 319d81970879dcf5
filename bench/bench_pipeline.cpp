// The live order path in lock step (issue 14): sm-signal | sm-risk | sm-order, the three programs
// wired by pipes as systemd/ wires them, their database on disk, and a paper broker in this
// process. One signal at a time: the bench writes the bar that completes a cross and waits until
// the order reaches the broker before it writes the next. Measured per signal, wall clock:
//   bar written -> order at the broker
// which covers sm-signal's commit, sm-risk's durable decision and sm-order's durable intent (the
// intent is committed before the broker is called), plus the local HTTP request. The paper
// broker keeps its own state on tmpfs so its commit is not in the figure. In the same run, one
// fsync of a 4 KiB write to the same disk is timed between signals (the floor of one durable
// commit), and both are printed side by side.
//
// The programs run with SM_STAGE_TRACE (core/stage_trace.h) set to a file in the work directory,
// so the same run splits each signal's time into its stages: bar written -> sm-signal read ->
// signal stored and written -> sm-risk read -> decision stored and written -> sm-order read ->
// intent durable -> HTTP request sent -> broker received, each stage's p50/p99 printed (from the
// stage before). Programs built before the trace existed give only the total.
//
//   bench_pipeline [--signals N] [--disk-dir DIR] [--tmpfs-dir DIR] [--bin DIR]
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/read_file.h"
#include "core/stage_trace.h"
#include "costs/cost_model.h"
#include "paper/paper_engine.h"
#include "paper/paper_server.h"
#include "program_bench_options.h"
#include "time/clock.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

void die(const std::string& what) {
  std::fprintf(stderr, "bench_pipeline: %s\n", what.c_str());
  std::exit(1);
}

double ms_between(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i =
      std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

std::string symbol_name(int k) { return fmt::format("SYM{:04}", k); }

// The paper broker, its state on tmpfs; counts the orders it has been sent.
class Broker {
 public:
  explicit Broker(const fs::path& dir) {
    sm::paper::EngineOptions options;
    options.initial_cash = 1'000'000'000'000;
    auto e =
        sm::paper::PaperEngine::open((dir / "paper.db").string(), options, clock_, prices_, costs_);
    if (!e.ok()) die(e.status().to_string());
    engine_ = std::move(e.value());
    engine_->set_order_observer([this](const sm::broker::Order& order) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (seen_.emplace(order.order_id, true).second) {
        received_ns_ = sm::monotonic_ns();
        ++orders_;
        changed_.notify_all();
      }
    });
    sm::paper::ServerOptions so;
    so.api_key = "benchkey";
    so.access_token = "benchtoken";
    so.enforce_rate_limits = false;
    server_ = std::make_unique<sm::paper::PaperServer>(*engine_, prices_, so, clock_, clock_);
    auto p = server_->start();
    if (!p.ok()) die(p.status().to_string());
    port_ = *p;
  }
  ~Broker() { engine_->set_order_observer(nullptr); }

  void quote(const std::string& symbol, const char* price) {
    auto r = server_->feed().apply_line(
        fmt::format(R"({{"type":"paper_quote","symbol":"{}","last_price":"{}"}})", symbol, price));
    if (!r.ok()) die(r.status().to_string());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int orders() {
    std::lock_guard<std::mutex> lock(mutex_);
    return orders_;
  }
  // Waits until more than `count` orders were sent, up to timeout_ms; when the broker received
  // the last of them (monotonic_ns(), taken in the broker's observer).
  std::optional<std::int64_t> wait_beyond(int count, int timeout_ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return orders_ > count; })) {
      return std::nullopt;
    }
    return received_ns_;
  }

 private:
  sm::time::SystemClock clock_;
  sm::paper::InMemoryPriceSource prices_;
  sm::costs::ZeroCostModel costs_;
  std::unique_ptr<sm::paper::PaperEngine> engine_;
  std::unique_ptr<sm::paper::PaperServer> server_;
  int port_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, bool> seen_;
  int orders_ = 0;
  std::int64_t received_ns_ = 0;
};

pid_t spawn(const fs::path& program, std::vector<std::string> args, int in, int out,
            const fs::path& log, std::vector<std::string>& env) {
  std::vector<char*> argv;
  std::string name = program.string();
  argv.push_back(name.data());
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, 0);
  posix_spawn_file_actions_adddup2(&actions, out, 1);
  posix_spawn_file_actions_addopen(&actions, 2, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0)
    die("cannot run " + program.string());
  posix_spawn_file_actions_destroy(&actions);
  return pid;
}

// One fsync of a 4 KiB write at the end of a file in dir: what one durable commit costs at least.
double fsync_ms(int fd) {
  static const std::string page(4096, 'x');
  const auto t0 = Steady::now();
  if (::write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size()))
    die("cannot write");
  if (::fdatasync(fd) != 0) die("fdatasync failed");
  return ms_between(t0, Steady::now());
}

std::string bar_line(sm::TimestampMs ts, const std::string& symbol, const char* close) {
  return fmt::format(
      R"({{"type":"bar","ts":"{}","symbol":"{}","timeframe":"1m","open":{},"high":{},"low":{},)"
      R"("close":{},"volume":100}})",
      sm::format_utc(ts), symbol, close, close, close, close);
}

// The stages a signal passes, in order, as the programs' trace names them; the bench stamps the
// first ("bar.written") and "broker.received" itself. "order.answered" (the broker's reply back in
// sm-order) comes after the broker received the order and is not on the way to it.
struct StageName {
  const char* stage;
  const char* label;
};
constexpr StageName kStages[] = {
    {"bar.written", "bar written"},
    {"signal.read", "-> sm-signal read"},
    {"signal.written", "-> signal stored, written"},
    {"risk.read", "-> sm-risk read"},
    {"risk.written", "-> decision stored, written"},
    {"order.read", "-> sm-order read"},
    {"order.durable", "-> intent durable"},
    {"order.sent", "-> HTTP request sent"},
    {"broker.received", "-> broker received"},
    {"order.answered", "(broker's answer read)"},
};
constexpr size_t kStageCount = std::size(kStages);

// One timed signal: its symbol and the monotonic_ns() of each stage (0 = not seen).
struct Timed {
  std::string symbol;
  std::array<std::int64_t, kStageCount> ns{};
};

// Fills in each timed signal's stages from the programs' trace: per stage, its symbol's first
// mark at or after the bar was written (the earlier bars of the symbol pass before it).
void read_trace(const fs::path& path, std::vector<Timed>& timed) {
  sm::Result<std::string> text = sm::read_file(path.string());
  if (!text.ok()) return;  // programs without the trace
  std::map<std::string, std::map<std::string, std::vector<std::int64_t>>> marks;
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    nlohmann::json line = nlohmann::json::parse(text->substr(start, end - start), nullptr, false);
    start = end + 1;
    if (!line.is_object()) continue;
    marks[line.value("key", "")][line.value("stage", "")].push_back(
        line.value("mono_ns", std::int64_t{0}));
  }
  for (Timed& t : timed) {
    auto of_symbol = marks.find(t.symbol);
    if (of_symbol == marks.end()) continue;
    for (size_t s = 1; s < kStageCount; ++s) {
      if (t.ns[s] != 0) continue;
      auto at = of_symbol->second.find(kStages[s].stage);
      if (at == of_symbol->second.end()) continue;
      for (std::int64_t ns : at->second) {
        if (ns >= t.ns[0] && (t.ns[s] == 0 || ns < t.ns[s])) t.ns[s] = ns;
      }
    }
  }
}

// Issue 14's measure: from the bar written to the order intent durable in sm-order's database
// (before the broker call, so the broker's HTTP server is not in it), against the fsync floor.
void print_to_durable(const std::vector<Timed>& timed, double fsync_p99_ms) {
  constexpr size_t kDurable = 6;
  static_assert(std::string_view(kStages[kDurable].stage) == "order.durable");
  std::vector<double> ms;
  for (const Timed& t : timed) {
    if (t.ns[kDurable] != 0) ms.push_back(static_cast<double>(t.ns[kDurable] - t.ns[0]) / 1e6);
  }
  if (ms.empty()) return;  // programs without the trace
  std::printf("  bar written -> intent durable       %7.2f %7.2f %7.2f %7.2f\n",
              percentile(ms, 0.5), percentile(ms, 0.9), percentile(ms, 0.99), percentile(ms, 1.0));
  std::printf("  p99 / one fsync's p99: %.1f\n",
              percentile(ms, 0.99) / std::max(1e-9, fsync_p99_ms));
}

// Each stage's time from the stage before it that was seen, p50/p90/p99/max.
void print_stages(const std::vector<Timed>& timed) {
  std::printf("  stages, ms from the stage before     p50     p90     p99     max\n");
  for (size_t s = 1; s < kStageCount; ++s) {
    std::vector<double> ms;
    for (const Timed& t : timed) {
      if (t.ns[s] == 0) continue;
      size_t before = s - 1;
      while (before > 0 && t.ns[before] == 0) --before;
      ms.push_back(static_cast<double>(t.ns[s] - t.ns[before]) / 1e6);
    }
    if (ms.empty()) {
      std::printf("  %-34s     (not traced)\n", kStages[s].label);
      continue;
    }
    std::printf("  %-34s %7.2f %7.2f %7.2f %7.2f\n", kStages[s].label, percentile(ms, 0.5),
                percentile(ms, 0.9), percentile(ms, 0.99), percentile(ms, 1.0));
  }
}

void write_line(int fd, const std::string& line) {
  const std::string text = line + "\n";
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    die("sm-signal's input closed");
}

}  // namespace

int main(int argc, char** argv) {
  const sm::bench::ProgramBenchOptions options = sm::bench::parse_program_bench_options(
      argc, argv, "bench_pipeline", "--signals", 200, "/var/tmp");
  const int n = options.count;
  const fs::path& disk = options.disk_dir;
  const fs::path& tmpfs = options.tmpfs_dir;
  const fs::path& bin = options.bin_dir;
  const std::string tag = std::to_string(::getpid());
  const fs::path work = disk / ("bench-pipeline-" + tag);
  const fs::path paper_dir = tmpfs / ("bench-pipeline-paper-" + tag);
  fs::create_directories(work);
  fs::create_directories(paper_dir);
  Broker broker(paper_dir);
  for (int k = 0; k < n; ++k) broker.quote(symbol_name(k), "110");

  const fs::path trace = work / "stages.ndjson";
  std::vector<std::string> env = {
      "SM_DB=" + (work / "trading.db").string(),
      "SM_STAGE_TRACE=" + trace.string(),
      "SM_LOG_LEVEL=warn",
      "PATH=/usr/bin:/bin",
      "SM_KITE_API_KEY=benchkey",
      "SM_KITE_ACCESS_TOKEN=benchtoken",
      "SM_KITE_TOKEN_FILE=" + (work / "no_token_file").string(),
      "SM_CFG__BROKER__BASE_URL=" + broker.url(),
      "SM_CFG__BROKER__RATE_LIMITS__ORDER_PER_SECOND=1000000",
      "SM_CFG__BROKER__RATE_LIMITS__OTHER_PER_SECOND=1000000",
      "SM_CFG__BROKER__RATE_LIMITS__ORDERS_PER_MINUTE=1000000000",
      "SM_CFG__BROKER__RATE_LIMITS__ORDERS_PER_DAY=1000000000",
      // sma(1)/sma(2) on 1-minute bars: closes 100, 90, 110 make one entry at the third bar.
      R"(SM_CFG__SIGNAL__STRATEGIES=[{"name":"sma-cross","timeframe":"1m","params":{"fast":1,"slow":2,"sizing":"fixed_qty","qty":1}}])",
      "SM_CFG__RISK__CAPITAL=100000000",
      "SM_CFG__RISK__ORDER_TYPE=MARKET",
      "SM_CFG__RISK__PRODUCT=MIS",
      "SM_CFG__RISK__SESSION_CHECKS=false",
      "SM_CFG__RISK__REQUIRED_COMPONENTS=[]",
      "SM_CFG__RISK__SIGNAL_MAX_AGE_S=604800",
      "SM_CFG__RISK__PRICE_MAX_AGE_S=604800",
      "SM_CFG__RISK__LATENCY_HALT_MS=1000000000",
      "SM_CFG__RISK__MAX_OPEN_POSITIONS=1000000",
      "SM_CFG__RISK__MAX_TOTAL_EXPOSURE=1000000000",
      "SM_CFG__RISK__MAX_SYMBOL_EXPOSURE=1000000000",
      "SM_CFG__RISK__MAX_ORDER_VALUE=1000000000",
      "SM_CFG__RISK__MAX_ORDERS_PER_MINUTE=1000000",
      "SM_CFG__RISK__MAX_ORDERS_PER_5_MINUTES=1000000",
      "SM_CFG__RISK__MAX_ERRORS_PER_MINUTE=1000000",
      "SM_CFG__RISK__BROKER_DISCONNECT_HALT_S=1000000000",
      "SM_CFG__RISK__BROKER_COMPONENT=none",
  };
  int to_signal[2], signal_to_risk[2], risk_to_order[2];
  // Close-on-exec, so no stage inherits another's pipe end (sm-signal would never see the end of
  // its input); the dup2 onto 0 and 1 clears the flag for the ends a stage is given.
  if (::pipe2(to_signal, O_CLOEXEC) != 0 || ::pipe2(signal_to_risk, O_CLOEXEC) != 0 ||
      ::pipe2(risk_to_order, O_CLOEXEC) != 0) {
    die("pipe failed");
  }
  const int devnull = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  const pid_t order =
      spawn(bin / "sm-order", {}, risk_to_order[0], devnull, work / "order.log", env);
  const pid_t risk =
      spawn(bin / "sm-risk", {}, signal_to_risk[0], risk_to_order[1], work / "risk.log", env);
  const pid_t signal = spawn(bin / "sm-signal", {"--echo-market-data"}, to_signal[0],
                             signal_to_risk[1], work / "signal.log", env);
  for (int fd : {to_signal[0], signal_to_risk[0], signal_to_risk[1], risk_to_order[0],
                 risk_to_order[1], devnull}) {
    ::close(fd);
  }
  const int input = to_signal[1];
  const int probe =
      ::open((work / "fsync.probe").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (probe < 0) die("cannot create the fsync probe file");

  // Three bars per symbol, an hour ago: the third completes the cross. The first two are written
  // and given time to pass through, so the third finds every stage idle (lock step).
  const sm::TimestampMs start = (sm::time::SystemClock().now_ms() / 60'000 - 60) * 60'000;
  std::vector<double> latency_ms;
  std::vector<Timed> timed;
  std::vector<double> fsyncs_ms;
  int missed = 0;
  for (int k = 0; k < n; ++k) {
    const std::string symbol = symbol_name(k);
    write_line(input, bar_line(start, symbol, "100"));
    write_line(input, bar_line(start + 60'000, symbol, "90"));
    ::usleep(k == 0 ? 2'000'000 : 30'000);  // the first: start-up and recovery of every stage
    for (int i = 0; i < 3; ++i) fsyncs_ms.push_back(fsync_ms(probe));
    const int before = broker.orders();
    const std::int64_t sent = sm::monotonic_ns();
    write_line(input, bar_line(start + 120'000, symbol, "110"));
    std::optional<std::int64_t> arrived = broker.wait_beyond(before, 5000);
    if (!arrived) {
      std::fprintf(stderr, "bench_pipeline: no order for %s within 5 s\n", symbol.c_str());
      ++missed;
      continue;
    }
    latency_ms.push_back(static_cast<double>(*arrived - sent) / 1e6);
    Timed t;
    t.symbol = symbol;
    t.ns[0] = sent;
    t.ns[kStageCount - 2] = *arrived;
    timed.push_back(std::move(t));
  }
  ::close(input);
  ::close(probe);
  for (pid_t pid : {signal, risk, order}) {
    int status = 0;
    if (pid == order) ::kill(pid, SIGTERM);
    ::waitpid(pid, &status, 0);
  }
  std::printf("lock step: sm-signal | sm-risk | sm-order, database on disk (%s)\n", work.c_str());
  std::printf("  %zu signals timed, %d with no order within 5 s\n", latency_ms.size(), missed);
  std::printf("  ms                                     p50     p90     p99     max\n");
  std::printf("  bar written -> order at the broker  %7.2f %7.2f %7.2f %7.2f\n",
              percentile(latency_ms, 0.5), percentile(latency_ms, 0.9),
              percentile(latency_ms, 0.99), percentile(latency_ms, 1.0));
  std::printf("  one fsync (4 KiB write), same disk  %7.2f %7.2f %7.2f %7.2f\n",
              percentile(fsyncs_ms, 0.5), percentile(fsyncs_ms, 0.9), percentile(fsyncs_ms, 0.99),
              percentile(fsyncs_ms, 1.0));
  std::printf("  p99 / one fsync's p99: %.1f\n",
              percentile(latency_ms, 0.99) / std::max(1e-9, percentile(fsyncs_ms, 0.99)));
  read_trace(trace, timed);
  print_to_durable(timed, percentile(fsyncs_ms, 0.99));
  print_stages(timed);
  if (std::getenv("SM_BENCH_KEEP") == nullptr) {
    std::error_code ec;
    fs::remove_all(work, ec);
  } else {
    std::printf("  kept: %s\n", work.c_str());
  }
  std::error_code ec;
  fs::remove_all(paper_dir, ec);
  return missed == n ? 1 : 0;
}
