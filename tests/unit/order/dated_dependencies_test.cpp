#include <catch2/catch.hpp>

#include <string>

#include "broker/token_file.h"
#include "order/dated_dependencies.h"
#include "support/temp_dir.h"

using namespace sm;
using namespace sm::order;

namespace {

const std::string kCalendar2026 =
    "date,kind,name,pre_open_start,pre_open_end,open,close,closing_session_start,"
    "closing_session_end,source\n"
    "2010-10-18,regular_session,Normal,09:00,09:08,09:15,15:30,15:40,16:00,test\n"
    "2026,year_covered,2026,,,,,,,test\n";

const std::string kCharges =
    "effective_from,product,brokerage_pct,brokerage_cap,stt_buy_pct,stt_sell_pct,exchange_pct,"
    "sebi_pct,stamp_buy_pct,gst_pct,dp_per_sell_day\n"
    "2024-10-01,CNC,0,0,0.1,0.1,0.00307,0.0001,0.015,18,15.93\n"
    "2026-03-01,CNC,0,0,0.1,0.1,0.00307,0.0001,0.015,18,15.93\n";

const store::DatedDependency& named(const std::vector<store::DatedDependency>& all,
                                    const std::string& name) {
  for (const store::DatedDependency& d : all) {
    if (d.name == name) return d;
  }
  FAIL("no dependency " << name);
  return all.front();
}

struct Files {
  sm::testing::TempDir dir;
  DependencySources sources;
  store::StatusReport report;
  Files() {
    sources.calendar_path = dir.write("nse-calendar.csv", kCalendar2026);
    sources.charges_path = dir.write("nse-charges.csv", kCharges);
    sources.token_file = dir.file("kite_token");
  }
  // The dependencies as sm-status checks them at now, warning 14 days ahead.
  std::vector<store::DatedDependency> check(TimestampMs now) const {
    return check_dated_dependencies(sources, report, now, 14);
  }
};

// Midday of a day well inside the calendar's year and after the newest charge rates.
const TimestampMs kJuneNoon = from_ist({2026, 6, 1}, 12, 0);

}  // namespace

TEST_CASE("the calendar is valid until midnight IST after its last listed year") {
  Files f;
  auto deps = f.check(kJuneNoon);
  const store::DatedDependency& calendar = named(deps, "calendar");
  CHECK(calendar.state == "ok");
  REQUIRE(calendar.valid_until);
  CHECK(*calendar.valid_until == from_ist({2027, 1, 1}, 0, 0));
  CHECK(calendar.counts_for_expiry);
  CHECK_FALSE(any_expiring_within(deps, kJuneNoon, 14));
  CHECK(any_expiring_within(deps, kJuneNoon, 214));
}

TEST_CASE("a calendar ending within the warning window is expiring, after its end expired") {
  Files f;
  const TimestampMs december = from_ist({2026, 12, 20}, 9, 0);
  auto deps = f.check(december);
  CHECK(named(deps, "calendar").state == "expiring");
  CHECK(any_expiring_within(deps, december, 14));
  const TimestampMs new_year = from_ist({2027, 1, 1}, 0, 0);
  deps = f.check(new_year);
  CHECK(named(deps, "calendar").state == "expired");
  CHECK(any_expiring_within(deps, new_year, 0));
}

TEST_CASE("a calendar that cannot be read counts as expiring, and names why") {
  Files f;
  f.sources.calendar_path = f.dir.write("broken.csv", "date,kind\n2026-13-01,holiday\n");
  auto deps = f.check(kJuneNoon);
  CHECK(named(deps, "calendar").state == "error");
  CHECK_FALSE(named(deps, "calendar").detail.empty());
  CHECK(any_expiring_within(deps, kJuneNoon, 0));
  f.sources.calendar_path = f.dir.file("absent.csv");
  deps = f.check(kJuneNoon);
  CHECK(named(deps, "calendar").state == "missing");
}

TEST_CASE("charge rates have no end date; their newest effective date is shown") {
  Files f;
  auto deps = f.check(kJuneNoon);
  const store::DatedDependency& charges = named(deps, "charge_rates");
  CHECK(charges.state == "no_end_date");
  CHECK_FALSE(charges.valid_until);
  REQUIRE(charges.as_of);
  CHECK(*charges.as_of == from_ist({2026, 3, 1}, 0, 0));
  CHECK_FALSE(charges.counts_for_expiry);
}

TEST_CASE("the broker token is valid until 06:00 IST after the login and never trips the window") {
  Files f;
  const TimestampMs login = from_ist({2026, 6, 1}, 8, 30);
  REQUIRE(broker::write_token_file(f.sources.token_file, {"tok", login, "AB1234"}).ok());
  auto deps = f.check(login + kMsPerHour);
  const store::DatedDependency& token = named(deps, "broker_token");
  CHECK(token.state == "ok");
  REQUIRE(token.valid_until);
  CHECK(*token.valid_until == from_ist({2026, 6, 2}, 6, 0));
  CHECK_FALSE(any_expiring_within(deps, login + kMsPerHour, 1));
  const TimestampMs next_morning = from_ist({2026, 6, 2}, 7, 0);
  deps = f.check(next_morning);
  CHECK(named(deps, "broker_token").state == "expired");
}

TEST_CASE("a missing token file and an empty instruments table are reported as missing") {
  Files f;
  auto deps = f.check(kJuneNoon);
  CHECK(named(deps, "broker_token").state == "missing");
  CHECK(named(deps, "instruments").state == "missing");
  f.report.instruments = 3;
  f.report.instruments_updated_ms = kJuneNoon - 2 * kMsPerDay;
  deps = f.check(kJuneNoon);
  CHECK(named(deps, "instruments").state == "no_end_date");
  CHECK(named(deps, "instruments").detail == "3 instruments, stored 2 days ago");
  f.report.instruments_updated_ms =
      kJuneNoon - 5 * kMsPerHour - 10 * kMsPerMinute;  // refreshed today
  CHECK(named(check_dated_dependencies(f.sources, f.report, kJuneNoon, 30), "instruments").detail ==
        "3 instruments, stored 5 hours ago");
}
