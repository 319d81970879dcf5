// Test-local helpers for the strategy unit tests: a minimal CSV reader for the fixture files (the
// real loader, with its data-quality rules, lives in the ingest module) and small bar builders.
#pragma once

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstddef>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/messages.h"
#include "core/money.h"
#include "core/timestamp.h"
#include "strategy/registry.h"
#include "strategy/strategy.h"

namespace sm::strategy::testing {

// The built-in strategy name with params; fails the test when the registry refuses them.
inline std::unique_ptr<Strategy> make_builtin(const std::string& name,
                                              const nlohmann::json& params) {
  Result<std::unique_ptr<Strategy>> made = make_strategy(name, params);
  REQUIRE(made.ok());
  return std::move(made).value();
}

inline std::string fixture_path(const std::string& relative) {
  return std::string(SM_TEST_FIXTURES) + "/" + relative;
}

// A CSV file with a header row. Fields are split on commas; the fixtures have no quoting.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  std::size_t column(const std::string& name) const {
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == name) return i;
    }
    throw std::runtime_error("no column " + name);
  }
};

inline std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(field);
  if (!line.empty() && line.back() == ',') fields.emplace_back();
  return fields;
}

inline CsvTable read_csv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  CsvTable table;
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (first) {
      table.header = split_csv_line(line);
      first = false;
    } else {
      table.rows.push_back(split_csv_line(line));
      if (table.rows.back().size() != table.header.size()) {
        throw std::runtime_error(path + ": row " + std::to_string(table.rows.size()) +
                                 " has the wrong number of fields");
      }
    }
  }
  return table;
}

inline Paise rupees(const std::string& text) {
  auto paise = parse_rupees(text);
  if (!paise.ok()) throw std::runtime_error("bad price '" + text + "'");
  return *paise;
}

// A daily bar labelled 09:15 IST of its date.
inline Bar daily_bar(const std::string& symbol, Date date, Paise open, Paise high, Paise low,
                     Paise close, Quantity volume = 0) {
  Bar bar;
  bar.ts = from_ist(date, 9, 15);
  bar.symbol = symbol;
  bar.timeframe = Timeframe{Timeframe::kDailyMinutes};
  bar.open = open;
  bar.high = high;
  bar.low = low;
  bar.close = close;
  bar.volume = volume;
  return bar;
}

// Reads an nsepy daily file (Date, Symbol, ..., Open, High, Low, Close, Volume) row by row.
inline std::vector<Bar> load_daily_bars(const std::string& path) {
  CsvTable table = read_csv(path);
  const std::size_t date = table.column("Date"), symbol = table.column("Symbol"),
                    open = table.column("Open"), high = table.column("High"),
                    low = table.column("Low"), close = table.column("Close"),
                    volume = table.column("Volume");
  std::vector<Bar> bars;
  for (const auto& row : table.rows) {
    auto d = parse_date(row[date]);
    if (!d.ok()) throw std::runtime_error("bad date " + row[date]);
    bars.push_back(daily_bar(row[symbol], *d, rupees(row[open]), rupees(row[high]),
                             rupees(row[low]), rupees(row[close]), std::stoll(row[volume])));
  }
  return bars;
}

// A bar for hand-made sequences: day n after 2024-01-01, prices in rupees.
inline Bar make_bar(int day, double open, double high, double low, double close,
                    const std::string& symbol = "TEST") {
  return daily_bar(symbol, add_days(Date{2024, 1, 1}, day), *paise_from_double(open),
                   *paise_from_double(high), *paise_from_double(low), *paise_from_double(close),
                   1000);
}

// The reference fill rule: an order decided at a bar's close fills in full at the next bar's
// open, before the decision at that bar's close. Tracks the position a strategy is shown.
struct NextOpenFills {
  Quantity position = 0;
  Paise average_price = 0;
  Paise capital = 0;
  std::optional<Decision> pending;

  Decision step(Strategy& strategy, const Bar& bar) {
    if (pending) {
      if (pending->action == Action::kEnterLong) {
        position = pending->qty;
        average_price = bar.open;
      } else {
        position = 0;
        average_price = 0;
      }
      pending.reset();
    }
    PositionView view;
    view.qty = position;
    view.average_price = average_price;
    view.capital = capital;
    Result<Decision> decision = strategy.on_bar(bar, view);
    REQUIRE(decision.ok());
    if (decision->action != Action::kHold) pending = *decision;
    return *decision;
  }
};

// Bars with the given closes on consecutive days from 2024-01-01; high = close + 1 rupee,
// low = close - 1 rupee (at least 1 paisa), open = close. Handy for hand-made sequences.
inline std::vector<Bar> bars_from_closes(const std::vector<double>& closes_rupees,
                                         const std::string& symbol = "TEST") {
  std::vector<Bar> bars;
  Date day{2024, 1, 1};
  for (double close : closes_rupees) {
    Paise c = *paise_from_double(close);
    bars.push_back(daily_bar(symbol, day, c, c + 100, std::max<Paise>(c - 100, 1), c, 1000));
    day = add_days(day, 1);
  }
  return bars;
}

}  // namespace sm::strategy::testing
