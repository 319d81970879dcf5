#include "order/dated_dependencies.h"

#include <fmt/format.h>
#include <algorithm>

#include <filesystem>
#include <system_error>
#include <utility>

#include "broker/kite_broker.h"
#include "broker/token_file.h"
#include "costs/cost_model.h"
#include "time/calendar.h"

namespace sm::order {
namespace {

using store::DatedDependency;

DatedDependency dependency(std::string name, std::string source, bool counts_for_expiry) {
  DatedDependency d;
  d.name = std::move(name);
  d.source = std::move(source);
  d.counts_for_expiry = counts_for_expiry;
  return d;
}

std::string state_until(TimestampMs valid_until, TimestampMs now_ms, std::int64_t warn_days) {
  if (valid_until <= now_ms) return "expired";
  if (valid_until - now_ms <= warn_days * kMsPerDay) return "expiring";
  return "ok";
}

// "missing" for a file that is not there, "error" for one that is there and cannot be used.
void unreadable(DatedDependency& d, const Status& status) {
  std::error_code ec;
  const bool absent = d.source.empty() || !std::filesystem::exists(d.source, ec);
  d.state = absent ? "missing" : "error";
  d.detail = status.message();
}

DatedDependency check_calendar(const std::string& path, TimestampMs now_ms,
                               std::int64_t warn_days) {
  DatedDependency d = dependency("calendar", path, true);
  Result<time::Calendar> calendar = time::Calendar::load(path);
  if (!calendar.ok()) {
    unreadable(d, calendar.status());
    return d;
  }
  const Date last = calendar->last_covered_day();
  d.valid_until = calendar->covered_until();
  d.state = state_until(*d.valid_until, now_ms, warn_days);
  d.detail = fmt::format("holidays listed through {}; later days are refused", format_date(last));
  return d;
}

DatedDependency check_charges(const std::string& path) {
  DatedDependency d = dependency("charge_rates", path, true);
  Result<costs::IndianEquityCostModel> model = costs::IndianEquityCostModel::load(path);
  if (!model.ok()) {
    unreadable(d, model.status());
    return d;
  }
  // The file has no end dates, so it never expires by itself; only a broken file counts.
  d.counts_for_expiry = false;
  d.state = "no_end_date";
  const Date newest = model->rates().back().effective_from;
  d.as_of = from_ist(newest, 0, 0);
  d.detail = fmt::format("newest rates effective {}; in force until the file says otherwise",
                         format_date(newest));
  return d;
}

DatedDependency check_token(const std::string& path, TimestampMs now_ms, std::int64_t warn_days) {
  DatedDependency d = dependency("broker_token", path, false);
  Result<broker::AccessToken> token = broker::read_token_file(path);
  if (!token.ok()) {
    unreadable(d, token.status());
    if (d.state == "missing") d.detail = "no token file: log in with `sm-order login`";
    return d;
  }
  if (token->issued_at == 0) {
    d.state = "error";
    d.detail = "the token file has no SM_KITE_TOKEN_ISSUED_AT, so its expiry is unknown";
    return d;
  }
  d.as_of = token->issued_at;
  d.valid_until = broker::kite_token_expiry(token->issued_at);
  d.state = state_until(*d.valid_until, now_ms, warn_days);
  if (d.state == "expiring") d.state = "ok";  // a token always ends within a day: that is normal
  d.detail = d.state == "expired" ? "expired at 06:00 IST: log in with `sm-order login`"
                                  : "Kite tokens end at 06:00 IST after the login";
  return d;
}

DatedDependency check_instruments(const store::StatusReport& report, TimestampMs now_ms) {
  DatedDependency d = dependency("instruments", report.database_path, false);
  if (report.instruments == 0 || !report.instruments_updated_ms) {
    d.state = "missing";
    d.detail = "no instruments stored in the database";
    return d;
  }
  d.state = "no_end_date";
  d.as_of = report.instruments_updated_ms;
  // The dump is refreshed daily (sm-ingest instruments), so within a day the hours matter.
  const std::int64_t age_ms = std::max<std::int64_t>(0, now_ms - *report.instruments_updated_ms);
  const std::string age = age_ms < kMsPerHour  ? fmt::format("{} minutes", age_ms / kMsPerMinute)
                          : age_ms < kMsPerDay ? fmt::format("{} hours", age_ms / kMsPerHour)
                                               : fmt::format("{} days", age_ms / kMsPerDay);
  d.detail = fmt::format("{} instruments, stored {} ago", report.instruments, age);
  return d;
}

}  // namespace

std::vector<store::DatedDependency> check_dated_dependencies(const DependencySources& sources,
                                                             const store::StatusReport& report,
                                                             TimestampMs now_ms,
                                                             std::int64_t warn_days) {
  return {check_calendar(sources.calendar_path, now_ms, warn_days),
          check_charges(sources.charges_path), check_token(sources.token_file, now_ms, warn_days),
          check_instruments(report, now_ms)};
}

bool any_expiring_within(const std::vector<store::DatedDependency>& dependencies,
                         TimestampMs now_ms, std::int64_t days) {
  for (const store::DatedDependency& d : dependencies) {
    if (!d.counts_for_expiry) continue;
    if (d.state == "missing" || d.state == "error") return true;
    if (d.valid_until && *d.valid_until - now_ms <= days * kMsPerDay) return true;
  }
  return false;
}

}  // namespace sm::order
