#include <catch2/catch.hpp>

#include <sstream>

#include "ingest/candles.h"
#include "ingest/csv_reader.h"
#include "ingest/fields.h"
#include "support/fixtures.h"

using namespace sm;
using namespace sm::ingest;

namespace {

std::string fixture(const std::string& name) { return sm::testing::read_fixture("ingest/" + name); }

std::vector<Bar> ibulhsgfin_minutes() {
  Result<CsvResult> parsed = read_csv(fixture("IBULHSGFIN_1min.csv"), "IBULHSGFIN_1min.csv", {},
                                      [](const RowIssue&) { return true; });
  REQUIRE(parsed.ok());
  return parsed->bars;
}

struct ReferenceBar {
  TimestampMs ts;
  Paise open, high, low, close;
  Quantity volume;
  int rows;
};

// candles_IBULHSGFIN_<N>min.csv: bar_start_ist,open,high,low,close,volume,n_1min_bars (pandas).
std::vector<ReferenceBar> reference(const std::string& name) {
  std::vector<ReferenceBar> out;
  std::istringstream text(fixture(name));
  std::string line;
  std::getline(text, line);
  REQUIRE(line == "bar_start_ist,open,high,low,close,volume,n_1min_bars");
  std::vector<std::string> cells;
  while (std::getline(text, line)) {
    REQUIRE(split_csv_line(line, ',', cells));
    REQUIRE(cells.size() == 7);
    out.push_back({*parse_timestamp(cells[0]), parse_price_text(cells[1])->paise,
                   parse_price_text(cells[2])->paise, parse_price_text(cells[3])->paise,
                   parse_price_text(cells[4])->paise, *parse_quantity_text(cells[5]),
                   static_cast<int>(*parse_quantity_text(cells[6]))});
  }
  return out;
}

void check_against_reference(int minutes, const std::string& name, size_t bars, size_t partial) {
  const std::vector<ReferenceBar> expected = reference(name);
  REQUIRE(expected.size() == bars);
  const Result<std::vector<Bar>> result = resample_bars(ibulhsgfin_minutes(), Timeframe{minutes});
  REQUIRE(result.ok());
  const std::vector<Bar>& got = *result;
  REQUIRE(got.size() == expected.size());
  size_t partial_seen = 0;
  Quantity volume = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("bar " << i << " at " << format_ist(expected[i].ts));
    CHECK(got[i].ts == expected[i].ts);
    CHECK(got[i].timeframe == Timeframe{minutes});
    CHECK(got[i].open == expected[i].open);
    CHECK(got[i].high == expected[i].high);
    CHECK(got[i].low == expected[i].low);
    CHECK(got[i].close == expected[i].close);
    CHECK(got[i].volume == expected[i].volume);
    CHECK(got[i].partial == (expected[i].rows < minutes));
    if (got[i].partial) ++partial_seen;
    volume += got[i].volume;
  }
  CHECK(partial_seen == partial);
  CHECK(volume == 14495908);
}

Bar minute(TimestampMs ts, Paise open, Paise high, Paise low, Paise close, Quantity volume) {
  return Bar{ts, "ABC", Timeframe{1}, open, high, low, close, volume, false};
}

}  // namespace

TEST_CASE("5-minute candles reproduce the pandas reference exactly") {
  check_against_reference(5, "candles_IBULHSGFIN_5min.csv", 749, 18);
}

TEST_CASE("15-minute candles reproduce the pandas reference exactly") {
  check_against_reference(15, "candles_IBULHSGFIN_15min.csv", 250, 8);
}

TEST_CASE("buckets are aligned to 09:15 IST and labelled by their start") {
  const Date day{2024, 3, 28};
  CHECK(bucket_start(from_ist(day, 9, 15), Timeframe{5}) == from_ist(day, 9, 15));
  CHECK(bucket_start(from_ist(day, 9, 19, 59, 999), Timeframe{5}) == from_ist(day, 9, 15));
  CHECK(bucket_start(from_ist(day, 9, 20), Timeframe{5}) == from_ist(day, 9, 20));  // half-open
  CHECK(bucket_start(from_ist(day, 10, 14), Timeframe{60}) == from_ist(day, 9, 15));
  CHECK(bucket_start(from_ist(day, 10, 15), Timeframe{60}) == from_ist(day, 10, 15));
  CHECK(bucket_start(from_ist(day, 15, 29), Timeframe{60}) == from_ist(day, 15, 15));
  CHECK(bucket_start(from_ist(day, 9, 44), Timeframe{30}) == from_ist(day, 9, 15));
  CHECK(bucket_start(from_ist(day, 18, 20), Timeframe{60}) == from_ist(day, 18, 15));  // Muhurat
  CHECK(bucket_start(from_ist(day, 0, 5), Timeframe{60}) ==
        from_ist(day, 0, 0));  // never the day before
  CHECK(bucket_start(from_ist(day, 15, 29), Timeframe{Timeframe::kDailyMinutes}) ==
        from_ist(day, 9, 15));
}

TEST_CASE("a complete bucket holds the session minutes it overlaps") {
  const Date day{2024, 3, 28};
  CHECK(expected_source_bars(from_ist(day, 9, 15), Timeframe{5}, Timeframe{1}) == 5);
  CHECK(expected_source_bars(from_ist(day, 15, 15), Timeframe{60}, Timeframe{1}) == 15);
  CHECK(expected_source_bars(from_ist(day, 15, 15), Timeframe{60}, Timeframe{5}) == 3);
  CHECK(expected_source_bars(from_ist(day, 9, 15), Timeframe{Timeframe::kDailyMinutes},
                             Timeframe{1}) == 375);
  CHECK(expected_source_bars(from_ist(day, 18, 15), Timeframe{15}, Timeframe{1}) == 15);
}

TEST_CASE("hourly bars from minutes: 09:15-based, last bucket 15 minutes, gaps not filled") {
  const Date day{2024, 3, 28};
  std::vector<Bar> bars;
  for (int m = 0; m < 375; ++m) {
    if (m >= 60 && m < 120) continue;  // 10:15-11:14 missing entirely
    const Paise p = 10000 + m;
    bars.push_back(minute(from_ist(day, 9, 15) + m * kMsPerMinute, p, p + 5, p - 5, p + 1, 10));
  }
  const auto hourly = resample_bars(bars, Timeframe{60});
  REQUIRE(hourly.ok());
  REQUIRE(hourly->size() == 6);  // 09:15, 11:15, 12:15, 13:15, 14:15, 15:15; 10:15 is absent
  CHECK((*hourly)[0].ts == from_ist(day, 9, 15));
  CHECK((*hourly)[0].open == 10000);
  CHECK((*hourly)[0].high == 10000 + 59 + 5);
  CHECK((*hourly)[0].low == 10000 - 5);
  CHECK((*hourly)[0].close == 10000 + 59 + 1);
  CHECK((*hourly)[0].volume == 600);
  CHECK_FALSE((*hourly)[0].partial);
  CHECK((*hourly)[1].ts == from_ist(day, 11, 15));
  CHECK((*hourly)[5].ts == from_ist(day, 15, 15));
  CHECK((*hourly)[5].volume == 150);
  CHECK_FALSE((*hourly)[5].partial);

  const auto daily = resample_bars(bars, Timeframe{Timeframe::kDailyMinutes});
  REQUIRE(daily->size() == 1);
  CHECK(daily->front().ts == from_ist(day, 9, 15));
  CHECK(daily->front().partial);  // 60 minutes missing
  CHECK(daily->front().volume == 3150);
}

TEST_CASE("a partial source bar makes its bucket partial; a still-forming bucket is partial") {
  const Date day{2024, 3, 28};
  BarAggregator aggregator(Timeframe{5});
  std::vector<Bar> out;
  const BarSink sink = [&](const Bar& bar) { out.push_back(bar); };
  for (int m = 0; m < 5; ++m) {
    Bar bar = minute(from_ist(day, 9, 15) + m * kMsPerMinute, 100, 101, 99, 100, 1);
    bar.partial = m == 2;
    REQUIRE(aggregator.add(bar, sink).ok());
  }
  REQUIRE(out.size() == 1);  // emitted as soon as complete
  CHECK(out[0].partial);
  REQUIRE(aggregator.add(minute(from_ist(day, 9, 20), 100, 101, 99, 100, 1), sink).ok());
  aggregator.finish(sink, from_ist(day, 9, 21));
  REQUIRE(out.size() == 2);
  CHECK(out[1].partial);
}

TEST_CASE("bars out of order, of the wrong timeframe or mixed timeframes are refused") {
  const Date day{2024, 3, 28};
  BarAggregator aggregator(Timeframe{15});
  const BarSink sink = [](const Bar&) {};
  REQUIRE(aggregator.add(minute(from_ist(day, 9, 20), 1, 1, 1, 1, 1), sink).ok());
  CHECK(aggregator.add(minute(from_ist(day, 9, 19), 1, 1, 1, 1, 1), sink).code() ==
        ErrorCode::kConflict);
  CHECK(aggregator.add(minute(from_ist(day, 9, 20), 1, 1, 1, 1, 1), sink).code() ==
        ErrorCode::kConflict);
  Bar five = minute(from_ist(day, 9, 25), 1, 1, 1, 1, 1);
  five.timeframe = Timeframe{5};
  CHECK(aggregator.add(five, sink).code() == ErrorCode::kInvalidArgument);
  Bar seven = five;
  seven.timeframe = Timeframe{7};
  seven.symbol = "XYZ";
  CHECK(aggregator.add(seven, sink).code() == ErrorCode::kInvalidArgument);
  Bar daily = five;
  daily.timeframe = Timeframe{Timeframe::kDailyMinutes};
  CHECK(aggregator.add(daily, sink).code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("symbols interleave without mixing") {
  const Date day{2024, 3, 28};
  BarAggregator aggregator(Timeframe{5});
  std::vector<Bar> out;
  const BarSink sink = [&](const Bar& bar) { out.push_back(bar); };
  for (int m = 0; m < 5; ++m) {
    Bar a = minute(from_ist(day, 9, 15) + m * kMsPerMinute, 100, 100, 100, 100, 1);
    Bar b = a;
    b.symbol = "XYZ";
    b.open = b.high = b.low = b.close = 200;
    REQUIRE(aggregator.add(a, sink).ok());
    REQUIRE(aggregator.add(b, sink).ok());
  }
  REQUIRE(out.size() == 2);
  CHECK(out[0].symbol == "ABC");
  CHECK(out[0].high == 100);
  CHECK(out[1].symbol == "XYZ");
  CHECK(out[1].low == 200);
}

TEST_CASE("ticks make 1-minute bars inside the session only") {
  const Date day{2022, 10, 14};
  TickAggregator aggregator;
  std::vector<Bar> out;
  const BarSink sink = [&](const Bar& bar) { out.push_back(bar); };
  auto tick = [&](int hour, int minute_of_hour, int second, Paise price, Quantity qty) {
    return Tick{from_ist(day, hour, minute_of_hour, second), "NIFTY", price, qty, 0};
  };
  REQUIRE(aggregator.add(tick(9, 7, 0, 1667170, 0), sink).ok());  // pre-open auction value: skipped
  REQUIRE(aggregator.add(tick(9, 15, 0, 1732230, 0), sink).ok());
  REQUIRE(aggregator.add(tick(9, 15, 30, 1733000, 2), sink).ok());
  REQUIRE(aggregator.add(tick(9, 15, 59, 1731000, 3), sink).ok());
  REQUIRE(aggregator.add(tick(9, 16, 1, 1732000, 1), sink).ok());
  CHECK(aggregator.add(tick(9, 15, 58, 1732000, 1), sink).code() == ErrorCode::kConflict);
  REQUIRE(aggregator.add(tick(15, 31, 0, 1700000, 0), sink).ok());  // post-close: skipped
  aggregator.finish(sink);
  CHECK(aggregator.skipped_outside_session() == 2);
  REQUIRE(out.size() == 2);
  CHECK(out[0].ts == from_ist(day, 9, 15));
  CHECK(out[0].timeframe == Timeframe{1});
  CHECK(out[0].open == 1732230);
  CHECK(out[0].high == 1733000);
  CHECK(out[0].low == 1731000);
  CHECK(out[0].close == 1731000);
  CHECK(out[0].volume == 5);
  CHECK(out[1].ts == from_ist(day, 9, 16));
  CHECK_FALSE(out[1].partial);

  TickAggregator all_hours(true);
  std::vector<Bar> everything;
  REQUIRE(all_hours.add(tick(9, 7, 0, 1667170, 0), [&](const Bar& b) { everything.push_back(b); })
              .ok());
  all_hours.finish([&](const Bar& b) { everything.push_back(b); }, from_ist(day, 9, 7, 30));
  REQUIRE(everything.size() == 1);
  CHECK(everything[0].partial);  // still forming at 09:07:30
}
