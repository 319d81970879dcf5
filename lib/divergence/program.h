// `sm-backtest divergence`: a live day against the same strategies replayed on the same stored
// bars (compare.h says what is compared, replay.h how the replay runs). The command reads the
// day's signals, risk decisions, orders and fills from the database, replays the strategies of the
// configuration's signal section (what sm-signal ran), writes one `divergence` NDJSON record,
// stores it in divergence_reports (replacing that day's earlier one) for sm-status and sm-alert's
// daily summary, and, when a threshold of the `divergence` config section is exceeded, stores
// and writes a warning alert (component sm-backtest, event divergence, dedup key
// divergence:DATE) for sm-alert to deliver. man/sm-backtest.1, docs/BACKTEST.md ("Divergence").
//
// Exit codes: 0 done, diverged or not (findings are data) unless --fail-on-divergence; 1 database
// failure; 2 usage (bad --date, no strategy configured); 4 configuration error; 6 diverged under
// --fail-on-divergence.
#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/log.h"
#include "divergence/compare.h"
#include "time/clock.h"

namespace sm::divergence {

struct DivergenceArgs {
  std::string db_path;
  std::string config_path;
  std::string date;                 // --date YYYY-MM-DD (IST); default: today in IST
  std::int64_t warmup_days = -1;    // --warmup-days; -1: divergence.warmup_days (default 365)
  bool fail_on_divergence = false;  // --fail-on-divergence: exit 6 when a threshold is exceeded
};

// Reads the `divergence` section: late_fill_ms, max_slippage_bps, max_signal_differences,
// max_missed_fills, max_late_fills, max_pnl_difference (rupees); kConfigError naming the key for
// a wrong type or a negative value.
Result<Thresholds> load_thresholds(const Config& config);

int run_divergence(const DivergenceArgs& args, const Logger& log, const time::Clock& clock);

}  // namespace sm::divergence
