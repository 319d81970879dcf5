#include "divergence/program.h"

#include <fmt/format.h>

#include <cstdio>

#include "core/exit_codes.h"
#include "core/ndjson.h"
#include "divergence/replay.h"
#include "signal/runner.h"
#include "store/database.h"
#include "store/divergence_records.h"
#include "store/ops_records.h"
#include "store/trading_records.h"

namespace sm::divergence {
namespace {

constexpr std::string_view kComponent = "sm-backtest";
constexpr std::int64_t kDefaultWarmupDays = 365;

Status config_range(std::string_view key, std::string_view rule) {
  return error(ErrorCode::kConfigError, fmt::format("divergence.{} must be {}", key, rule));
}

// The day's live records: signals, decisions about them, fills, placed orders' quantities.
Result<LiveDay> read_live_day(store::Database& db, const ReplayWindow& window) {
  LiveDay live;
  Result<std::vector<Signal>> signals = store::list_signals(db, window.day_start, window.day_end);
  if (!signals.ok()) return signals.status();
  live.signals = std::move(*signals);
  Result<std::vector<RiskDecision>> decisions =
      store::list_decisions(db, window.day_start, window.day_end);
  if (!decisions.ok()) return decisions.status();
  live.decisions = std::move(*decisions);
  Result<std::vector<Fill>> fills = store::list_fills(db, window.day_start, window.day_end);
  if (!fills.ok()) return fills.status();
  live.fills = std::move(*fills);
  for (const RiskDecision& d : live.decisions) {
    if (!d.approved || d.client_order_id.empty()) continue;
    Result<std::optional<store::OrderRecord>> order = store::find_order(db, d.client_order_id);
    if (!order.ok()) return order.status();
    if (*order) live.order_qty[d.client_order_id] = (*order)->intent.qty;
  }
  return live;
}

struct Plan {
  std::vector<signal::InstanceConfig> instances;
  Paise capital = 0;
  Thresholds thresholds;
  std::int64_t warmup_days = kDefaultWarmupDays;
};

// The configuration's strategies (signal section, as sm-signal reads it), thresholds and
// warm-up. Returns kExitOk or the exit code of a failure (logged).
int load_plan(const DivergenceArgs& args, const Logger& log, Plan& plan) {
  Result<Config> config = load_config(args.config_path, log);
  if (!config.ok()) return report_failure(log, "config_error", config.status(), kExitConfigError);
  Result<std::vector<signal::InstanceConfig>> instances = signal::instances_from_config(*config);
  if (!instances.ok())
    return report_failure(log, "config_error", instances.status(), kExitConfigError);
  plan.instances = std::move(*instances);
  if (plan.instances.empty()) {
    return report_usage_error(
        log, error(ErrorCode::kInvalidArgument,
                   "no strategy: the configuration's signal.strategies lists what sm-signal ran"));
  }
  if (Status valid = signal::validate_instances(plan.instances); !valid.ok())
    return report_failure(log, "config_error", valid, kExitConfigError);
  Result<Paise> capital = config->get_rupees("signal.capital", 0);
  if (!capital.ok()) return report_failure(log, "config_error", capital.status(), kExitConfigError);
  plan.capital = *capital;
  Result<Thresholds> thresholds = load_thresholds(*config);
  if (!thresholds.ok())
    return report_failure(log, "config_error", thresholds.status(), kExitConfigError);
  plan.thresholds = *thresholds;
  Result<std::int64_t> warmup = config->get_int("divergence.warmup_days", kDefaultWarmupDays);
  if (warmup.ok() && *warmup < 0) warmup = config_range("warmup_days", ">= 0");
  if (!warmup.ok()) return report_failure(log, "config_error", warmup.status(), kExitConfigError);
  plan.warmup_days = args.warmup_days >= 0 ? args.warmup_days : *warmup;
  return kExitOk;
}

// Stores the report and, beyond a threshold, a warning alert; writes both. False when the
// database failed (logged).
bool store_and_write(store::Database& db, const Report& report, TimestampMs now,
                     const Logger& log) {
  NdjsonWriter out(stdout);
  if (Status stored = store::record_divergence(db, to_record(report, now)); !stored.ok()) {
    log.error_status("database_error", stored, {{"record", "divergence_reports"}});
    return false;
  }
  if (report.diverged()) {
    Alert alert;
    alert.ts = now;
    alert.severity = Severity::kWarning;
    alert.component = std::string(kComponent);
    alert.event = "divergence";
    alert.text = summary_text(report);
    alert.dedup_key = "divergence:" + report.date;
    Result<bool> recorded = store::record_alert(db, alert);
    if (!recorded.ok()) {
      log.error_status("database_error", recorded.status(), {{"record", "alerts"}});
      return false;
    }
    out.write(Message{alert});
  }
  out.write_raw(report_json(report));
  out.flush();
  return true;
}

}  // namespace

Result<Thresholds> load_thresholds(const Config& config) {
  Thresholds t;
  Result<std::int64_t> late = config.get_int("divergence.late_fill_ms", t.late_fill_ms);
  if (!late.ok()) return late.status();
  if (*late < 0) return config_range("late_fill_ms", ">= 0");
  t.late_fill_ms = *late;
  Result<double> slippage = config.get_double("divergence.max_slippage_bps", t.max_slippage_bps);
  if (!slippage.ok()) return slippage.status();
  if (*slippage < 0) return config_range("max_slippage_bps", ">= 0");
  t.max_slippage_bps = *slippage;
  for (auto [key, field] : {std::pair{"max_signal_differences", &t.max_signal_differences},
                            std::pair{"max_missed_fills", &t.max_missed_fills},
                            std::pair{"max_late_fills", &t.max_late_fills}}) {
    Result<std::int64_t> value = config.get_int(fmt::format("divergence.{}", key), *field);
    if (!value.ok()) return value.status();
    if (*value < 0) return config_range(key, ">= 0");
    *field = *value;
  }
  Result<Paise> pnl = config.get_rupees("divergence.max_pnl_difference", t.max_pnl_difference);
  if (!pnl.ok()) return pnl.status();
  if (*pnl < 0) return config_range("max_pnl_difference", ">= 0");
  t.max_pnl_difference = *pnl;
  return t;
}

int run_divergence(const DivergenceArgs& args, const Logger& log, const time::Clock& clock) {
  const TimestampMs now = clock.now_ms();
  Date date = ist_date(now);
  if (!args.date.empty()) {
    Result<Date> parsed = parse_date(args.date);
    if (!parsed.ok())
      return report_usage_error(
          log, Status(ErrorCode::kInvalidArgument, "--date: " + parsed.status().message()));
    date = *parsed;
  }
  if (args.warmup_days < -1) {
    return report_usage_error(log,
                              error(ErrorCode::kInvalidArgument, "--warmup-days must be >= 0"));
  }
  Plan plan;
  if (int code = load_plan(args, log, plan); code != kExitOk) return code;
  Result<store::Database> db = store::Database::open(args.db_path);
  if (!db.ok()) return report_failure(log, "database_error", db.status(), kExitFailure);

  ReplayWindow window;
  window.day_start = from_ist(date, 0, 0);
  window.day_end = from_ist(add_days(date, 1), 0, 0);
  window.warmup_from = from_ist(add_days(date, -plan.warmup_days), 0, 0);
  Result<LiveDay> live = read_live_day(*db, window);
  if (!live.ok()) return report_failure(log, "database_error", live.status(), kExitFailure);
  Result<ReplayResult> replay = replay_day(*db, plan.instances, plan.capital, window, log);
  if (!replay.ok()) return report_failure(log, "database_error", replay.status(), kExitFailure);
  // The replay's closes are those of the strategies' bars; P&L is marked to them.
  live->closes = replay->closes;
  const Report report = compare_day(format_date(date), *live, replay->signals, plan.thresholds);
  if (!store_and_write(*db, report, now, log)) return kExitFailure;
  log.info("divergence_summary", {{"date", report.date},
                                  {"bars_replayed", replay->bars},
                                  {"fills_replayed", replay->fills},
                                  {"diverged", report.diverged()}});
  // The findings exit code sm-reconcile's --fail-on-drift uses, for scripts and timers.
  if (args.fail_on_divergence && report.diverged()) return kExitDrift;
  return kExitOk;
}

}  // namespace sm::divergence
