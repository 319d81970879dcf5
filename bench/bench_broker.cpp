// The broker path's own costs, so sm-order's benchmark can tell its share from the broker's:
//   1. parsing a day's order book (GET /orders JSON) with the exact-number parser;
//   2. order placements through KiteBroker (libcurl, keep-alive for reads, a fresh connection per
//      placement) to the paper broker in this process, whose state commits at synchronous=FULL:
//      with the state on tmpfs (HTTP + engine + SQLite work) and on disk (plus the fsync);
//   3. GET /orders round trips over the kept-alive connection.
// Client and server rate limits are off: this measures the machinery, not Kite's 10 orders/s.
//
//   bench_broker [--orders N] [--book N] [--disk-dir DIR]
#include <unistd.h>

#include <fmt/format.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "broker/curl_http_client.h"
#include "broker/kite_broker.h"
#include "broker/kite_json.h"
#include "costs/cost_model.h"
#include "paper/paper_engine.h"
#include "paper/paper_server.h"
#include "time/clock.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void die(const std::string& what) {
  std::fprintf(stderr, "bench_broker: %s\n", what.c_str());
  std::exit(1);
}

void bench_parse(int book_size) {
  sm::broker::Order o;
  o.order_id = "240328000000001";
  o.exchange_order_id = "1300000000000001";
  o.placed_by = "AB1234";
  o.variety = "regular";
  o.status = "COMPLETE";
  o.order_timestamp = sm::from_ist(sm::Date{2024, 3, 28}, 10, 0);
  o.exchange_timestamp = o.order_timestamp;
  o.exchange = "NSE";
  o.tradingsymbol = "INFY";
  o.instrument_token = 408065;
  o.order_type = "LIMIT";
  o.validity = "DAY";
  o.product = "CNC";
  o.quantity = 10;
  o.price = 150055;
  o.average_price = 150050;
  o.filled_quantity = 10;
  o.tag = "smabc123";
  o.tags = {"smabc123"};
  nlohmann::json list = nlohmann::json::array();
  for (int i = 0; i < book_size; ++i) {
    o.order_id = std::to_string(240328000000001LL + i);
    list.push_back(sm::broker::order_to_json(o));
  }
  const std::string body = sm::broker::success_body(list);
  double best = 1e9;
  for (int run = 0; run < 3; ++run) {
    const auto start = Clock::now();
    sm::Result<sm::broker::KiteEnvelope> envelope = sm::broker::parse_envelope(body);
    if (!envelope.ok()) die(envelope.status().to_string());
    sm::Result<std::vector<sm::broker::Order>> orders = sm::broker::parse_orders(envelope->data);
    if (!orders.ok() || static_cast<int>(orders->size()) != book_size) die("parse");
    best = std::min(best, seconds_since(start));
  }
  std::printf("order book parse (%d orders, %.1f KiB)   %10.0f orders/s   %8.2f ms per book\n",
              book_size, static_cast<double>(body.size()) / 1024.0, book_size / best, best * 1e3);
}

void bench_placements(const std::string& label, const std::string& dir, int orders) {
  fs::create_directories(dir);
  const std::string state = dir + "/bench-paper-" + std::to_string(::getpid()) + ".db";
  fs::remove(state);
  sm::time::ManualClock market(sm::from_ist(sm::Date{2024, 3, 28}, 10, 0));
  sm::paper::InMemoryPriceSource prices;
  sm::costs::ZeroCostModel costs;
  sm::paper::EngineOptions engine_options;
  engine_options.initial_cash = 1'000'000'000 * sm::kPaisePerRupee;
  auto engine = sm::paper::PaperEngine::open(state, engine_options, market, prices, costs);
  if (!engine.ok()) die(engine.status().to_string());
  sm::paper::ServerOptions server_options;
  server_options.api_key = "bench";
  server_options.access_token = "token";
  server_options.enforce_rate_limits = false;
  const sm::time::SystemClock wall_clock;
  sm::paper::PaperServer server(**engine, prices, server_options, market, wall_clock);
  sm::Result<int> port = server.start();
  if (!port.ok()) die(port.status().to_string());
  prices.set_quote("NSE", "INFY", market.now_ms(), 150000, 0, 0, 0);

  sm::broker::KiteOptions kite_options;
  kite_options.base_url = "http://127.0.0.1:" + std::to_string(*port);
  kite_options.api_key = "bench";
  kite_options.access_token = "token";
  kite_options.rate_limits.order_per_second = 0;  // unlimited
  kite_options.rate_limits.other_per_second = 0;
  kite_options.rate_limits.orders_per_minute = 0;
  kite_options.rate_limits.orders_per_day = 0;
  sm::broker::CurlHttpClient http;
  sm::time::SystemClock wall;
  sm::broker::SystemSleeper sleeper;
  sm::broker::KiteBroker kite(kite_options, http, wall, sleeper, sm::broker::seeded_jitter(1));

  const auto start = Clock::now();
  for (int i = 0; i < orders; ++i) {
    sm::broker::OrderRequest r;
    r.tradingsymbol = "INFY";
    r.order_type = i % 2 == 0 ? sm::OrderType::kMarket : sm::OrderType::kLimit;
    r.price = i % 2 == 0 ? 0 : 140000;  // half fill at once, half rest
    r.quantity = 1;
    r.tag = fmt::format("bench{}", i);
    sm::broker::BrokerResult<std::string> placed = kite.place_order(r);
    if (!placed.ok()) die(placed.status().to_string());
  }
  const double place_s = seconds_since(start);
  const auto read_start = Clock::now();
  const int reads = 200;
  for (int i = 0; i < reads; ++i) {
    if (!kite.orders().ok()) die("GET /orders");
  }
  const double read_s = seconds_since(read_start);
  std::printf("placements, state on %-6s              %10.0f orders/s   %8.2f ms per order\n",
              label.c_str(), orders / place_s, place_s * 1e3 / orders);
  std::printf("GET /orders (%d in the book), %-6s      %10.0f calls/s    %8.2f ms per call\n",
              orders, label.c_str(), reads / read_s, read_s * 1e3 / reads);
  server.stop();
  fs::remove(state);
  fs::remove(state + "-wal");
  fs::remove(state + "-shm");
}

}  // namespace

int main(int argc, char** argv) {
  int orders = 500;
  int book = 2000;
  std::string disk_dir = "/var/tmp";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--orders") {
      orders = std::atoi(argv[i + 1]);
    } else if (flag == "--book") {
      book = std::atoi(argv[i + 1]);
    } else if (flag == "--disk-dir") {
      disk_dir = argv[i + 1];
    } else {
      die("unknown flag " + flag + " (--orders N, --book N, --disk-dir DIR)");
    }
  }
  bench_parse(book);
  bench_placements("tmpfs", "/dev/shm", orders);
  bench_placements("disk", disk_dir, orders);
  return 0;
}
