// Every indicator against the TA-Lib reference files: every row, every column, the same empty
// cells (not defined yet) and at most 1e-6 absolute difference on defined cells.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "strategy/indicator_columns.h"
#include "strategy/indicators.h"
#include "test_data.h"

using namespace sm;
using namespace sm::strategy;
using sm::strategy::testing::fixture_path;

namespace {

constexpr double kTolerance = 1e-6;

struct IndicatorSet {
  Sma sma{20};
  Ema ema{20};
  Rsi rsi{14};
  Atr atr{14};
  Macd macd{12, 26, 9};
  Bollinger bands{20, 2.0, 2.0};

  std::map<std::string, std::optional<double>> update(const Bar& bar) {
    const double high = to_rupees(bar.high), low = to_rupees(bar.low), close = to_rupees(bar.close);
    std::map<std::string, std::optional<double>> out;
    out["sma_20"] = sma.update(close);
    out["ema_20"] = ema.update(close);
    out["rsi_14"] = rsi.update(close);
    out["atr_14"] = atr.update(high, low, close);
    auto m = macd.update(close);
    out["macd_12_26_9"] = m ? std::optional<double>(m->macd) : std::nullopt;
    out["macd_signal_12_26_9"] = m ? std::optional<double>(m->signal) : std::nullopt;
    out["macd_hist_12_26_9"] = m ? std::optional<double>(m->histogram) : std::nullopt;
    auto b = bands.update(close);
    out["bb_upper_20_2"] = b ? std::optional<double>(b->upper) : std::nullopt;
    out["bb_middle_20_2"] = b ? std::optional<double>(b->middle) : std::nullopt;
    out["bb_lower_20_2"] = b ? std::optional<double>(b->lower) : std::nullopt;
    return out;
  }

  nlohmann::json save() const {
    return {{"sma", sma.save()}, {"ema", ema.save()},   {"rsi", rsi.save()},
            {"atr", atr.save()}, {"macd", macd.save()}, {"bands", bands.save()}};
  }
  void restore(const nlohmann::json& s) {
    REQUIRE(sma.restore(s["sma"]).ok());
    REQUIRE(ema.restore(s["ema"]).ok());
    REQUIRE(rsi.restore(s["rsi"]).ok());
    REQUIRE(atr.restore(s["atr"]).ok());
    REQUIRE(macd.restore(s["macd"]).ok());
    REQUIRE(bands.restore(s["bands"]).ok());
  }
};

// Through IndicatorColumns, the way research output is produced: the column names are the
// reference file's own.
void check_against_reference(const std::string& symbol) {
  auto bars = testing::load_daily_bars(fixture_path("data/daily/" + symbol + ".csv"));
  auto reference = testing::read_csv(fixture_path("reference/indicators_" + symbol + ".csv"));
  REQUIRE(bars.size() == reference.rows.size());

  const std::vector<std::string> specs{"sma:20", "ema:20",       "rsi:14",
                                       "atr:14", "macd:12,26,9", "bbands:20,2"};
  auto columns = IndicatorColumns::make(specs);
  REQUIRE(columns.ok());
  const std::vector<std::string>& names = columns->names();
  // Every indicator column of the reference file, in its order.
  const std::vector<std::string> expected_names(reference.header.begin() + 5,
                                                reference.header.end());
  REQUIRE(names == expected_names);

  std::map<std::string, double> max_difference;
  std::map<std::string, int> first_defined;
  std::vector<std::optional<double>> values;
  const std::size_t date_column = reference.column("date");
  const std::size_t close_column = reference.column("close");
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& row = reference.rows[i];
    REQUIRE(format_date(ist_date(bars[i].ts)) == row[date_column]);
    REQUIRE(std::fabs(to_rupees(bars[i].close) - std::stod(row[close_column])) < 1e-9);
    columns->update(bars[i], values);
    for (std::size_t c = 0; c < names.size(); ++c) {
      const std::string& name = names[c];
      const std::string& cell = row[reference.column(name)];
      const std::optional<double>& ours = values[c];
      INFO(symbol << " row " << i << " (" << row[date_column] << ") " << name);
      REQUIRE(ours.has_value() == !cell.empty());
      if (!ours) continue;
      if (!first_defined.count(name)) first_defined[name] = static_cast<int>(i);
      double difference = std::fabs(*ours - std::stod(cell));
      CHECK(difference <= kTolerance);
      max_difference[name] = std::max(max_difference[name], difference);
    }
  }
  CHECK(first_defined["sma_20"] == Sma::lookback(20));
  CHECK(first_defined["ema_20"] == Ema::lookback(20));
  CHECK(first_defined["rsi_14"] == Rsi::lookback(14));
  CHECK(first_defined["atr_14"] == Atr::lookback(14));
  CHECK(first_defined["macd_12_26_9"] == Macd::lookback(12, 26, 9));
  CHECK(first_defined["bb_upper_20_2"] == Bollinger::lookback(20));
  if (std::getenv("SM_TEST_VERBOSE") != nullptr) {
    for (const auto& [name, difference] : max_difference) {
      std::printf("%s %-20s max |difference| = %.3g\n", symbol.c_str(), name.c_str(), difference);
    }
  }
}

}  // namespace

TEST_CASE("indicators match TA-Lib on RELIANCE daily bars", "[indicators][reference]") {
  check_against_reference("RELIANCE");
}

TEST_CASE("indicators match TA-Lib on TCS daily bars", "[indicators][reference]") {
  check_against_reference("TCS");
}

TEST_CASE("indicators restored mid-stream continue bit-for-bit", "[indicators][state]") {
  auto bars = testing::load_daily_bars(fixture_path("data/daily/TCS.csv"));
  IndicatorSet original;
  for (std::size_t i = 0; i < 700; ++i) original.update(bars[i]);
  // Through text, as the state is stored in the database.
  auto text = original.save().dump();
  IndicatorSet restored;
  restored.restore(nlohmann::json::parse(text));
  for (std::size_t i = 700; i < bars.size(); ++i) {
    auto a = original.update(bars[i]);
    auto b = restored.update(bars[i]);
    INFO("row " << i);
    for (const auto& [name, value] : a) {
      REQUIRE(value.has_value() == b.at(name).has_value());
      if (value) REQUIRE(*value == *b.at(name));
    }
  }
}
