// Test helper (not installed): records NDJSON messages from stdin into the database with the store
// functions, so program tests can build a populated database without the programs that normally
// write it. Bars and ticks are written in one batch at the end; everything else as it arrives.
// Exit 0 when every line was stored, 1 on a store failure, 3 on a line that does not decode.
#include <unistd.h>

#include <type_traits>
#include <variant>
#include <vector>

#include "cli/program.h"
#include "core/exit_codes.h"
#include "core/ndjson.h"
#include "store/market_data.h"
#include "store/ops_records.h"
#include "store/trading_records.h"

namespace {

sm::Status record(sm::store::Database& db, const sm::Message& message, std::vector<sm::Bar>& bars,
                  std::vector<sm::Tick>& ticks) {
  return std::visit(
      [&](const auto& m) -> sm::Status {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, sm::Bar>) {
          bars.push_back(m);
        } else if constexpr (std::is_same_v<T, sm::Tick>) {
          ticks.push_back(m);
        } else if constexpr (std::is_same_v<T, sm::Signal>) {
          return sm::store::record_signal(db, m).status();
        } else if constexpr (std::is_same_v<T, sm::RiskDecision>) {
          return sm::store::record_risk_decision(db, m).status();
        } else if constexpr (std::is_same_v<T, sm::OrderIntent>) {
          return sm::store::upsert_order_intent(db, m).status();
        } else if constexpr (std::is_same_v<T, sm::OrderUpdate>) {
          return sm::store::apply_order_update(db, m).status();
        } else if constexpr (std::is_same_v<T, sm::Fill>) {
          return sm::store::insert_fill(db, m).status();
        } else if constexpr (std::is_same_v<T, sm::Alert>) {
          return sm::store::record_alert(db, m).status();
        } else if constexpr (std::is_same_v<T, sm::Heartbeat>) {
          return sm::store::record_heartbeat(db, m);
        } else if constexpr (std::is_same_v<T, sm::Halt>) {
          if (m.action == "resume") {
            return sm::store::clear_halts(db, "", m.by, m.reason, m.ts).status();
          }
          return sm::store::set_halt(db, m).status();
        }
        return sm::Status();
      },
      message);
}

}  // namespace

int main(int argc, char** argv) {
  sm::Logger log("sm-test-record");
  CLI::App app{"Test helper: store NDJSON messages from stdin in the database", "sm-test-record"};
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);
  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    auto db = sm::store::Database::open(common.db_path);
    if (!db.ok()) {
      log.error_status("open_failed", db.status());
      return sm::kExitFailure;
    }
    bool bad_input = false;
    sm::MessageReader reader(STDIN_FILENO, "stdin", [&](const sm::BadLine& bad) {
      log.error_status("bad_line", bad.status, {{"line", bad.line}});
      bad_input = true;
    });
    std::vector<sm::Bar> bars;
    std::vector<sm::Tick> ticks;
    sm::Message message;
    while (reader.next(message) == sm::MessageReader::Outcome::kMessage) {
      sm::Status stored = record(*db, message, bars, ticks);
      if (!stored.ok()) {
        log.error_status("store_failed", stored, {{"line", reader.line_number()}});
        return sm::kExitFailure;
      }
    }
    if (auto written = sm::store::insert_bars(*db, bars); !written.ok()) {
      log.error_status("store_failed", written.status());
      return sm::kExitFailure;
    }
    if (auto written = sm::store::insert_ticks(*db, ticks); !written.ok()) {
      log.error_status("store_failed", written.status());
      return sm::kExitFailure;
    }
    return bad_input ? sm::kExitDataError : sm::kExitOk;
  });
}
