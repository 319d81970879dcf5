#include "records/program.h"

#include <fmt/format.h>

#include <cstdio>
#include <limits>
#include <optional>
#include <vector>

#include "core/corporate_action.h"
#include "core/exit_codes.h"
#include "costs/cost_model.h"
#include "records/capital_gains.h"
#include "records/ledger.h"
#include "records/statement.h"
#include "store/database.h"
#include "store/ops_records.h"
#include "store/prices.h"

namespace sm::records {

namespace {

constexpr TimestampMs kBeginning = std::numeric_limits<TimestampMs>::min();
constexpr TimestampMs kEnd = std::numeric_limits<TimestampMs>::max();

// A failure whose exit code the caller has chosen.
struct Failure {
  int exit_code;
  std::string event;
  Status status;
};

int fail(const Logger& log, const Failure& f) {
  return report_failure(log, f.event, f.status, f.exit_code);
}

Status usage(std::string message) { return error(ErrorCode::kInvalidArgument, std::move(message)); }

// The database for reading. No file, or one without the schema (an empty file), is bad input.
std::optional<Failure> open_database(const std::string& path, store::Database& db) {
  Result<store::Database> opened = store::Database::open_readonly(path);
  if (!opened.ok()) {
    const int code = opened.status().code() == ErrorCode::kNotFound ? kExitDataError : kExitFailure;
    return Failure{code, "database_unreadable", opened.status()};
  }
  db = std::move(*opened);
  if (!db.has_schema()) {
    return Failure{kExitDataError, "database_empty",
                   error(ErrorCode::kNotFound,
                         fmt::format("{} has no StalkMarket schema: an empty database, nothing "
                                     "recorded yet (run a program that writes it first)",
                                     path))};
  }
  return std::nullopt;
}

Result<costs::IndianEquityCostModel> charges_model(const std::string& path) {
  return path.empty() ? costs::IndianEquityCostModel::load_default()
                      : costs::IndianEquityCostModel::load(path);
}

int write_out(const Logger& log, const std::string& text) {
  if (std::fputs(text.c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
    log.error("write_failed", {{"message", "cannot write to stdout"}});
    return kExitFailure;
  }
  return kExitOk;
}

// [from, to) in UTC milliseconds from --fy or --from/--to.
Result<std::pair<TimestampMs, TimestampMs>> ledger_range(const LedgerArgs& args) {
  if (!args.financial_year.empty()) {
    if (!args.from.empty() || !args.to.empty()) {
      return usage("--fy and --from/--to cannot be given together");
    }
    Result<FinancialYear> fy = parse_financial_year(args.financial_year);
    if (!fy.ok()) return fy.status();
    return std::pair{from_ist(fy->first_day(), 0, 0), from_ist(add_days(fy->last_day(), 1), 0, 0)};
  }
  TimestampMs from = kBeginning;
  TimestampMs to = kEnd;
  if (!args.from.empty()) {
    Result<Date> day = parse_date(args.from);
    if (!day.ok()) return usage(fmt::format("--from '{}' is not a date (YYYY-MM-DD)", args.from));
    from = from_ist(*day, 0, 0);
  }
  if (!args.to.empty()) {
    Result<Date> day = parse_date(args.to);
    if (!day.ok()) return usage(fmt::format("--to '{}' is not a date (YYYY-MM-DD)", args.to));
    to = from_ist(add_days(*day, 1), 0, 0);
  }
  if (to <= from) return usage(fmt::format("--from {} is after --to {}", args.from, args.to));
  return std::pair{from, to};
}

// The corporate actions from path, else the default file (none there: a warning, no actions).
Result<std::vector<CorporateAction>> corporate_actions(const std::string& path, const Logger& log) {
  if (!path.empty()) return load_corporate_actions(path);
  Result<DefaultActions> loaded = load_default_corporate_actions();
  if (!loaded.ok()) return loaded.status();
  if (!loaded->missing.empty())
    log.warn("corporate_actions_missing", {{"message", loaded->missing}});
  return std::move(loaded->actions);
}

}  // namespace

int run_ledger(const LedgerArgs& args, const Logger& log) {
  Result<std::pair<TimestampMs, TimestampMs>> range = ledger_range(args);
  if (!range.ok()) return report_usage_error(log, range.status());
  Result<costs::IndianEquityCostModel> model = charges_model(args.charges_path);
  if (!model.ok()) return report_failure(log, "charges_unreadable", model.status(), kExitDataError);
  store::Database db;
  if (std::optional<Failure> failed = open_database(args.db_path, db)) return fail(log, *failed);
  Result<std::vector<LedgerFill>> fills = read_fills(db, range->first, range->second);
  if (!fills.ok()) return report_failure(log, "ledger_failed", fills.status());
  if (Status s = itemise_charges(*fills, *model); !s.ok()) {
    return report_failure(log, "charges_failed", s, kExitDataError);
  }
  const std::vector<DayTotals> days = day_totals(*fills);
  if (args.format == "ndjson") return write_out(log, format_ledger_ndjson(*fills, days));
  return write_out(log, args.day_totals ? format_day_totals_csv(days) : format_ledger_csv(*fills));
}

int run_gains(const GainsArgs& args, const Logger& log) {
  Result<FinancialYear> year = parse_financial_year(args.financial_year);
  if (!year.ok()) return report_usage_error(log, year.status());
  Result<GainsRates> rates =
      args.rates_path.empty() ? GainsRates::load_default() : GainsRates::load(args.rates_path);
  if (!rates.ok()) return report_failure(log, "rates_unreadable", rates.status(), kExitDataError);
  if (year->first_day() < rates->earliest()) {
    return report_usage_error(
        log, usage(fmt::format("financial year {} is not covered: the capital-gains rates start "
                               "on {}",
                               year->label(), format_date(rates->earliest()))));
  }
  FairMarketValues fmv;
  if (!args.fmv_path.empty()) {
    Result<FairMarketValues> loaded = load_fair_market_values(args.fmv_path);
    if (!loaded.ok()) return report_failure(log, "fmv_unreadable", loaded.status(), kExitDataError);
    fmv = std::move(*loaded);
  }
  std::vector<BroughtForwardLoss> brought_forward;
  if (!args.losses_path.empty()) {
    Result<std::vector<BroughtForwardLoss>> loaded = load_brought_forward_losses(args.losses_path);
    if (!loaded.ok()) {
      return report_failure(log, "losses_unreadable", loaded.status(), kExitDataError);
    }
    brought_forward = std::move(*loaded);
  }
  Result<std::vector<CorporateAction>> actions = corporate_actions(args.actions_path, log);
  if (!actions.ok()) {
    return report_failure(log, "corporate_actions_unreadable", actions.status(), kExitDataError);
  }
  Result<costs::IndianEquityCostModel> model = charges_model(args.charges_path);
  if (!model.ok()) return report_failure(log, "charges_unreadable", model.status(), kExitDataError);
  store::Database db;
  if (std::optional<Failure> failed = open_database(args.db_path, db)) return fail(log, *failed);
  // Every fill up to the year's end: lots sold in the year may have been bought long before.
  Result<std::vector<LedgerFill>> fills =
      read_fills(db, kBeginning, from_ist(add_days(year->last_day(), 1), 0, 0));
  if (!fills.ok()) return report_failure(log, "gains_failed", fills.status());
  if (Status s = itemise_charges(*fills, *model); !s.ok()) {
    return report_failure(log, "charges_failed", s, kExitDataError);
  }
  Result<GainsReport> report = capital_gains(*fills, *actions, *rates, fmv, *year, brought_forward);
  if (!report.ok()) {
    // The year itself was checked above: what is left invalid is the losses file's.
    const bool bad_losses = report.status().code() == ErrorCode::kInvalidArgument;
    return report_failure(log, bad_losses ? "losses_invalid" : "gains_failed", report.status(),
                          bad_losses ? kExitDataError : kExitFailure);
  }
  int missing_fmv = 0;
  for (const Disposal& d : report->disposals) {
    for (const std::string& flag : d.flags) missing_fmv += flag == "fmv_missing" ? 1 : 0;
  }
  if (missing_fmv > 0) {
    log.warn("fmv_missing",
             {{"message", fmt::format("{} long-term sale(s) of lots bought by 2018-01-31 have no "
                                      "fair market value (--fmv): their actual cost is used",
                                      missing_fmv)}});
  }
  if (args.format == "ndjson") return write_out(log, format_gains_ndjson(*report));
  if (args.summary) return write_out(log, format_summary_csv(*report));
  if (args.by_strategy) return write_out(log, format_by_strategy_csv(*report));
  if (args.losses) return write_out(log, format_losses_csv(*report));
  return write_out(log, format_disposals_csv(*report));
}

int run_statement(const StatementArgs& args, const Logger& log) {
  Result<StatementPeriod> period = parse_statement_period(args.period);
  if (!period.ok()) return report_usage_error(log, period.status());
  if (args.financial_year.empty() && (args.from.empty() || args.to.empty())) {
    return report_usage_error(log, usage("a statement needs --fy, or --from and --to"));
  }
  LedgerArgs range_args;
  range_args.financial_year = args.financial_year;
  range_args.from = args.from;
  range_args.to = args.to;
  Result<std::pair<TimestampMs, TimestampMs>> range = ledger_range(range_args);
  if (!range.ok()) return report_usage_error(log, range.status());
  const Date first_day = ist_date(range->first);
  const Date last_day = add_days(ist_date(range->second), -1);
  Result<std::vector<CorporateAction>> actions = corporate_actions(args.actions_path, log);
  if (!actions.ok()) {
    return report_failure(log, "corporate_actions_unreadable", actions.status(), kExitDataError);
  }
  Result<costs::IndianEquityCostModel> model = charges_model(args.charges_path);
  if (!model.ok()) return report_failure(log, "charges_unreadable", model.status(), kExitDataError);
  store::Database db;
  if (std::optional<Failure> failed = open_database(args.db_path, db)) return fail(log, *failed);
  // Every fill up to the end: the opening positions are built from all before.
  Result<std::vector<LedgerFill>> fills = read_fills(db, kBeginning, range->second);
  if (!fills.ok()) return report_failure(log, "statement_failed", fills.status());
  if (Status s = itemise_charges(*fills, *model); !s.ok()) {
    return report_failure(log, "charges_failed", s, kExitDataError);
  }
  Result<std::vector<store::HaltRecord>> halts = store::halts_set_since(db, range->first);
  if (!halts.ok()) return report_failure(log, "statement_failed", halts.status());
  const MarkPrice mark = [&db](const std::string& symbol,
                               TimestampMs ts) -> Result<std::optional<Paise>> {
    Result<std::optional<store::PricePoint>> point = store::price_before(db, symbol, ts);
    if (!point.ok()) return point.status();
    if (!*point) return std::optional<Paise>();
    return std::optional<Paise>((*point)->price);
  };
  Result<std::vector<Statement>> statements =
      build_statements(*fills, *actions, *halts, *period, first_day, last_day, mark);
  if (!statements.ok()) return report_failure(log, "statement_failed", statements.status());
  if (args.format == "html") {
    const std::string title = fmt::format("{} statements {} .. {}",
                                          *period == StatementPeriod::kDay ? "Daily" : "Monthly",
                                          format_date(first_day), format_date(last_day));
    return write_out(log, format_statements_html(*statements, title));
  }
  return write_out(log, format_statements_csv(*statements));
}

}  // namespace sm::records
