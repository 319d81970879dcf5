// The paper broker in-process for unit tests: a PaperEngine keeping market time on its own
// ManualClock, with in-memory prices and no costs, and its PaperServer on 127.0.0.1 at an
// ephemeral port. The test rigs of the paper and order modules build their clients on it:
// #include "support/paper_broker.h".
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/timestamp.h"
#include "costs/cost_model.h"
#include "paper/paper_engine.h"
#include "paper/paper_server.h"
#include "support/temp_dir.h"
#include "time/clock.h"

namespace sm::testing {

// 2024-03-28 (a Thursday) 10:00 IST: where the rigs' clocks start.
inline TimestampMs paper_start() { return from_ist(Date{2024, 3, 28}, 10, 0); }

struct PaperBrokerOptions {
  paper::EngineOptions engine;
  paper::ServerOptions server;
  bool start = true;  // false: the server is made but not started (no port)
};

class PaperBroker {
 public:
  // state_path: the engine's state file; empty means paper.db in dir.
  explicit PaperBroker(PaperBrokerOptions options, std::string state_path = {})
      : paper_options(std::move(options)), engine_clock(paper_start()) {
    state = state_path.empty() ? dir.file("paper.db") : std::move(state_path);
    open();
  }

  void open() {
    Result<std::unique_ptr<paper::PaperEngine>> e =
        paper::PaperEngine::open(state, paper_options.engine, engine_clock, prices, costs);
    if (!e.ok()) throw std::runtime_error(e.status().to_string());
    engine = std::move(e.value());
    server = std::make_unique<paper::PaperServer>(*engine, prices, paper_options.server,
                                                  engine_clock, wall_clock);
    if (paper_options.start) {
      Result<int> p = server->start();
      if (!p.ok()) throw std::runtime_error(p.status().to_string());
      port = *p;
    }
  }

  // Stops the server and closes the engine (as a process exit would), then opens both again.
  void restart() {
    server.reset();
    engine.reset();
    open();
  }

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port); }

  // A quote line through the feed, as a price source would send it; extra is appended to the
  // object (e.g. R"(,"volume":5)").
  void price(const std::string& symbol, const std::string& last, const std::string& extra = "") {
    Result<bool> r = server->feed().apply_line(R"({"type":"paper_quote","symbol":")" + symbol +
                                               R"(","last_price":")" + last + "\"" + extra + "}");
    if (!r.ok()) throw std::runtime_error(r.status().to_string());
  }

  // Adds a fault rule (paper::parse_fault_rule's JSON) to the server.
  void fault(const nlohmann::json& rule) {
    Result<paper::FaultRule> parsed = paper::parse_fault_rule(rule);
    if (!parsed.ok()) throw std::runtime_error(parsed.status().to_string());
    server->faults().add(*parsed);
  }

  PaperBrokerOptions paper_options;
  TempDir dir;
  std::string state;
  time::ManualClock engine_clock;
  time::SystemClock wall_clock;  // the server's rate limits count real seconds
  paper::InMemoryPriceSource prices;
  costs::ZeroCostModel costs;
  std::unique_ptr<paper::PaperEngine> engine;
  std::unique_ptr<paper::PaperServer> server;
  int port = 0;
};

}  // namespace sm::testing
