// sm-order's throughput and the latency it adds itself (docs/ORDERS.md "Speed"):
//   1. in process: OrderManager::submit for N market intents, each recorded durably
//      (synchronous=FULL), placed through KiteBroker over HTTP to the paper broker in this process,
//      followed to COMPLETE and its fill stored. A timing decorator around the broker measures the
//      time spent in broker calls (HTTP, the paper broker's engine and its own SQLite commit), so
//      per intent: total, broker, and sm-order's own share = total - broker (our SQLite commits,
//      the state machine, JSON, bookkeeping). The database on disk (an fsync per commit) and on
//      tmpfs (no fsync) shows what the durable writes cost.
//   2. the sm-order program: N intents on stdin to the same paper broker, from process start to
//      exit (start-up reconciliation included).
// Client and paper-broker rate limits are off: this is the machinery, not Kite's 10 orders/s.
//
//   bench_order [--intents N] [--disk-dir DIR] [--tmpfs-dir DIR] [--bin DIR]
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "broker/curl_http_client.h"
#include "broker/kite_broker.h"
#include "costs/cost_model.h"
#include "order/order_manager.h"
#include "paper/paper_engine.h"
#include "paper/paper_server.h"
#include "program_bench_options.h"
#include "store/database.h"
#include "store/trading_records.h"
#include "time/clock.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;

void die(const std::string& what) {
  std::fprintf(stderr, "bench_order: %s\n", what.c_str());
  std::exit(1);
}

double ms_between(Steady::time_point a, Steady::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Forwards to the real broker and adds up the time spent inside it.
class TimingBroker final : public sm::broker::Broker {
 public:
  explicit TimingBroker(sm::broker::Broker& inner) : inner_(inner) {}
  double spent_ms = 0;

  template <typename F>
  auto timed(F f) {
    const auto start = Steady::now();
    auto result = f();
    spent_ms += ms_between(start, Steady::now());
    return result;
  }
  sm::broker::BrokerResult<std::string> place_order(const sm::broker::OrderRequest& r) override {
    return timed([&] { return inner_.place_order(r); });
  }
  sm::broker::BrokerResult<std::string> modify_order(const sm::broker::ModifyRequest& r) override {
    return timed([&] { return inner_.modify_order(r); });
  }
  sm::broker::BrokerResult<std::string> cancel_order(std::string_view v,
                                                     std::string_view id) override {
    return timed([&] { return inner_.cancel_order(v, id); });
  }
  sm::broker::BrokerResult<std::vector<sm::broker::Order>> orders() override {
    return timed([&] { return inner_.orders(); });
  }
  sm::broker::BrokerResult<std::vector<sm::broker::Order>> order_history(
      std::string_view id) override {
    return timed([&] { return inner_.order_history(id); });
  }
  sm::broker::BrokerResult<std::vector<sm::broker::Trade>> trades() override {
    return timed([&] { return inner_.trades(); });
  }
  sm::broker::BrokerResult<std::vector<sm::broker::Trade>> order_trades(
      std::string_view id) override {
    return timed([&] { return inner_.order_trades(id); });
  }
  sm::broker::BrokerResult<sm::broker::Positions> positions() override {
    return timed([&] { return inner_.positions(); });
  }
  sm::broker::BrokerResult<std::vector<sm::broker::Holding>> holdings() override {
    return timed([&] { return inner_.holdings(); });
  }
  sm::broker::BrokerResult<sm::broker::Margins> margins() override {
    return timed([&] { return inner_.margins(); });
  }
  sm::broker::BrokerResult<std::map<std::string, sm::broker::Quote>> quote(
      const std::vector<std::string>& i) override {
    return timed([&] { return inner_.quote(i); });
  }
  sm::broker::BrokerResult<std::map<std::string, sm::broker::LtpQuote>> ltp(
      const std::vector<std::string>& i) override {
    return timed([&] { return inner_.ltp(i); });
  }
  sm::broker::BrokerResult<std::map<std::string, sm::broker::LtpQuote>> ohlc(
      const std::vector<std::string>& i) override {
    return timed([&] { return inner_.ohlc(i); });
  }
  sm::broker::BrokerResult<std::vector<sm::broker::Instrument>> instruments(
      std::string_view e) override {
    return timed([&] { return inner_.instruments(e); });
  }

 private:
  sm::broker::Broker& inner_;
};

sm::broker::RateLimits unlimited() {
  sm::broker::RateLimits r;
  r.order_per_second = 1e6;
  r.other_per_second = 1e6;
  r.quote_per_second = 1e6;
  r.orders_per_minute = 1'000'000'000;
  r.orders_per_day = 1'000'000'000;
  return r;
}

// A paper broker in this process, its state in dir.
struct Paper {
  sm::time::SystemClock clock;
  sm::paper::InMemoryPriceSource prices;
  sm::costs::ZeroCostModel costs;
  std::unique_ptr<sm::paper::PaperEngine> engine;
  std::unique_ptr<sm::paper::PaperServer> server;
  int port = 0;

  explicit Paper(const fs::path& dir) {
    sm::paper::EngineOptions options;
    options.initial_cash = 1'000'000'000'000;  // ten crore rupees: never the limit here
    auto e =
        sm::paper::PaperEngine::open((dir / "paper.db").string(), options, clock, prices, costs);
    if (!e.ok()) die(e.status().to_string());
    engine = std::move(e.value());
    sm::paper::ServerOptions so;
    so.api_key = "benchkey";
    so.access_token = "benchtoken";
    so.enforce_rate_limits = false;
    server = std::make_unique<sm::paper::PaperServer>(*engine, prices, so, clock, clock);
    auto p = server->start();
    if (!p.ok()) die(p.status().to_string());
    port = *p;
    auto r =
        server->feed().apply_line(R"({"type":"paper_quote","symbol":"INFY","last_price":"1500"})");
    if (!r.ok()) die(r.status().to_string());
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

sm::OrderIntent market_intent(const std::string& id, int i) {
  sm::OrderIntent intent;
  intent.ts = sm::time::SystemClock().now_ms();
  intent.client_order_id = id;
  intent.strategy = "bench";
  intent.symbol = "INFY";
  intent.side = i % 2 == 0 ? sm::Side::kBuy : sm::Side::kSell;
  intent.qty = 1;
  intent.product = sm::Product::kIntraday;
  return intent;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i =
      std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

void bench_in_process(const fs::path& dir, int n, const char* label) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  Paper paper(dir);
  sm::broker::CurlHttpClient http;
  sm::time::SystemClock clock;
  sm::broker::SystemSleeper sleeper;
  sm::broker::KiteOptions k;
  k.base_url = paper.url();
  k.api_key = "benchkey";
  k.access_token = "benchtoken";
  k.rate_limits = unlimited();
  sm::broker::KiteBroker kite(k, http, clock, sleeper, sm::broker::seeded_jitter(1));
  TimingBroker timed(kite);
  auto db = sm::store::Database::open((dir / "orders.db").string());
  if (!db.ok()) die(db.status().to_string());
  sm::Logger log("bench_order", sm::LogLevel::kError);
  std::int64_t emitted = 0;
  sm::order::OrderManager manager(
      *db, timed, clock, {}, [&](const sm::Message&) { ++emitted; }, log);
  auto recovered = manager.recover();
  if (!recovered.ok() || !*recovered) die("recover failed");

  std::vector<double> total_ms;
  std::vector<double> ours_ms;
  std::vector<double> broker_ms;
  const auto start = Steady::now();
  for (int i = 0; i < n; ++i) {
    const double before = timed.spent_ms;
    const auto t0 = Steady::now();
    sm::Status s = manager.submit(market_intent(fmt::format("b{}n{}", label[0], i), i));
    const auto t1 = Steady::now();
    if (!s.ok()) die(s.to_string());
    const double total = ms_between(t0, t1);
    const double in_broker = timed.spent_ms - before;
    total_ms.push_back(total);
    broker_ms.push_back(in_broker);
    ours_ms.push_back(total - in_broker);
  }
  const double seconds = ms_between(start, Steady::now()) / 1000;
  auto complete = sm::store::list_open_orders(*db);
  if (!complete.ok() || !complete->empty()) die("some orders did not complete");
  std::printf("in process, database on %s (%s):\n", label, dir.c_str());
  std::printf(
      "  %d intents in %.2f s: %.0f intents/s (each recorded, placed, followed to COMPLETE, fill "
      "stored)\n",
      n, seconds, n / seconds);
  std::printf("  per intent, ms        p50     p90     p99\n");
  std::printf("    total            %6.2f  %6.2f  %6.2f\n", percentile(total_ms, 0.5),
              percentile(total_ms, 0.9), percentile(total_ms, 0.99));
  std::printf("    in the broker    %6.2f  %6.2f  %6.2f   (HTTP, paper engine, its own commit)\n",
              percentile(broker_ms, 0.5), percentile(broker_ms, 0.9), percentile(broker_ms, 0.99));
  std::printf(
      "    sm-order itself  %6.2f  %6.2f  %6.2f   (our two durable commits, state machine, JSON)\n",
      percentile(ours_ms, 0.5), percentile(ours_ms, 0.9), percentile(ours_ms, 0.99));
}

void bench_program(const fs::path& dir, const fs::path& bin, int n) {
  const fs::path program = bin / "sm-order";
  if (!fs::exists(program)) {
    std::printf("the sm-order program: skipped (%s not found; pass --bin)\n", program.c_str());
    return;
  }
  fs::remove_all(dir);
  fs::create_directories(dir);
  Paper paper(dir);
  const fs::path input = dir / "intents.ndjson";
  {
    std::ofstream out(input);
    for (int i = 0; i < n; ++i) {
      std::string line;
      sm::append_json(line, sm::Message{market_intent(fmt::format("bp{}", i), i)});
      out << line << '\n';
    }
  }
  std::vector<std::string> env = {"SM_KITE_API_KEY=benchkey",
                                  "SM_KITE_ACCESS_TOKEN=benchtoken",
                                  "SM_DB=" + (dir / "orders.db").string(),
                                  "SM_KITE_TOKEN_FILE=" + (dir / "no_token_file").string(),
                                  "SM_CFG__BROKER__RATE_LIMITS__ORDER_PER_SECOND=1000000",
                                  "SM_CFG__BROKER__RATE_LIMITS__OTHER_PER_SECOND=1000000",
                                  "SM_CFG__BROKER__RATE_LIMITS__ORDERS_PER_MINUTE=1000000000",
                                  "SM_CFG__BROKER__RATE_LIMITS__ORDERS_PER_DAY=1000000000",
                                  "SM_LOG_LEVEL=error",
                                  "PATH=/usr/bin:/bin"};
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string url = paper.url();
  std::string program_s = program.string();
  std::vector<std::string> args = {program_s, "--broker-url", url, "--eof-wait", "5"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  const auto start = Steady::now();
  pid_t pid = 0;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0)
    die("cannot run sm-order");
  int status = 0;
  waitpid(pid, &status, 0);
  const double seconds = ms_between(start, Steady::now()) / 1000;
  posix_spawn_file_actions_destroy(&actions);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    die(fmt::format("sm-order exited with status {}", status));
  std::printf("the sm-order program, database on disk (%s):\n", dir.c_str());
  std::printf(
      "  %d intents on stdin, process start to exit (reconciliation included): %.2f s, %.0f "
      "intents/s\n",
      n, seconds, n / seconds);
}

}  // namespace

int main(int argc, char** argv) {
  const sm::bench::ProgramBenchOptions options = sm::bench::parse_program_bench_options(
      argc, argv, "bench_order", "--intents", 300, fs::temp_directory_path());
  const int n = options.count;
  const fs::path& disk = options.disk_dir;
  const fs::path& tmpfs = options.tmpfs_dir;
  const fs::path& bin = options.bin_dir;
  const std::string tag = std::to_string(::getpid());
  bench_in_process(disk / ("bench-order-disk-" + tag), n, "disk");
  if (fs::exists(tmpfs)) bench_in_process(tmpfs / ("bench-order-tmpfs-" + tag), n, "tmpfs");
  bench_program(disk / ("bench-order-program-" + tag), bin, n);
  std::error_code ec;
  for (const char* name : {"bench-order-disk-", "bench-order-tmpfs-", "bench-order-program-"}) {
    fs::remove_all(disk / (name + tag), ec);
    fs::remove_all(tmpfs / (name + tag), ec);
  }
  return 0;
}
