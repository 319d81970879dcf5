#include "costs/cost_model.h"

#include <fmt/format.h>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/data_dir.h"

namespace sm::costs {
namespace {

// turnover (paise) x rate, rounded half up to a whole paisa. 128-bit arithmetic: a crore of
// turnover times a rate in parts per billion overflows 64 bits.
Paise apply_rate(Paise turnover, Rate rate) {
  const Int128 product = Int128{turnover} * rate.per_billion;
  constexpr Int128 kBillion = 1'000'000'000;
  return static_cast<Paise>((product + kBillion / 2) / kBillion);
}

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> cells;
  std::string cell;
  std::istringstream stream(line);
  while (std::getline(stream, cell, ',')) {
    while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' ')) cell.pop_back();
    cells.push_back(cell);
  }
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

}  // namespace

Result<Rate> parse_percent(std::string_view text) {
  // 1 % = 10^7 parts per billion, so a percentage with 7 decimals is exact.
  Result<std::int64_t> value = parse_fixed_point(text, 7);
  if (!value.ok()) return value.status();
  if (*value < 0)
    return error(ErrorCode::kParseError, fmt::format("'{}': a rate cannot be negative", text));
  return Rate{*value};
}

Result<Charges> SimpleCostModel::charges_for(const TradeLeg& leg) const {
  Result<Paise> turnover = notional(leg.price, leg.qty);
  if (!turnover.ok()) return turnover.status();
  Charges charges;
  charges.brokerage = apply_rate(*turnover, percent_) + flat_;
  return charges;
}

IndianEquityCostModel::IndianEquityCostModel(std::vector<ChargeRates> rates)
    : rates_(std::move(rates)) {
  std::stable_sort(rates_.begin(), rates_.end(), [](const ChargeRates& a, const ChargeRates& b) {
    return a.effective_from < b.effective_from;
  });
}

Result<IndianEquityCostModel> IndianEquityCostModel::load(const std::string& path) {
  std::ifstream file(path);
  if (!file)
    return error(ErrorCode::kNotFound, fmt::format("{}: cannot open the charges file", path));
  static const std::vector<std::string> kColumns = {
      "effective_from", "product",      "brokerage_pct",  "brokerage_cap",
      "stt_buy_pct",    "stt_sell_pct", "exchange_pct",   "sebi_pct",
      "stamp_buy_pct",  "gst_pct",      "dp_per_sell_day"};
  std::vector<ChargeRates> rates;
  std::string line;
  int line_number = 0;
  bool header_seen = false;
  while (std::getline(file, line)) {
    ++line_number;
    if (line.empty() || line[0] == '#' || line == "\r") continue;
    const std::vector<std::string> cells = split_csv_line(line);
    if (!header_seen) {
      if (cells != kColumns) {
        return error(ErrorCode::kParseError, fmt::format("{}:{}: header must be {}", path,
                                                         line_number, fmt::join(kColumns, ",")));
      }
      header_seen = true;
      continue;
    }
    auto where = [&](size_t column) {
      return fmt::format("{}:{}: column {}", path, line_number, kColumns[column]);
    };
    if (cells.size() != kColumns.size()) {
      return error(ErrorCode::kParseError, fmt::format("{}:{}: expected {} columns, found {}", path,
                                                       line_number, kColumns.size(), cells.size()));
    }
    ChargeRates row;
    Result<Date> date = parse_date(cells[0]);
    if (!date.ok()) return date.status().with_context(where(0));
    row.effective_from = *date;
    Result<Product> product = parse_product(cells[1]);
    if (!product.ok()) return product.status().with_context(where(1));
    row.product = *product;
    Rate* rate_fields[] = {&row.brokerage, nullptr,   &row.stt_buy,   &row.stt_sell,
                           &row.exchange,  &row.sebi, &row.stamp_buy, &row.gst};
    for (size_t i = 0; i < std::size(rate_fields); ++i) {
      if (rate_fields[i] == nullptr) continue;
      Result<Rate> rate = parse_percent(cells[2 + i]);
      if (!rate.ok()) return rate.status().with_context(where(2 + i));
      *rate_fields[i] = *rate;
    }
    Result<Paise> cap = parse_rupees(cells[3]);
    if (!cap.ok() || *cap < 0)
      return error(ErrorCode::kParseError, where(3) + ": not a rupee amount >= 0");
    row.brokerage_cap = *cap;
    Result<Paise> dp = parse_rupees(cells[10]);
    if (!dp.ok() || *dp < 0)
      return error(ErrorCode::kParseError, where(10) + ": not a rupee amount >= 0");
    row.dp_per_sell_day = *dp;
    rates.push_back(row);
  }
  if (rates.empty())
    return error(ErrorCode::kParseError, fmt::format("{}: no rates in the file", path));
  return IndianEquityCostModel(std::move(rates));
}

Result<std::string> IndianEquityCostModel::default_path() {
  if (const char* path = std::getenv("SM_CHARGES"); path != nullptr && *path != '\0')
    return std::string(path);
  for (const std::string& path : data_file_candidates("nse-charges.csv")) {
    if (std::filesystem::exists(path)) return path;
  }
  return error(ErrorCode::kNotFound, "nse-charges.csv not found; set SM_CHARGES to its path");
}

Result<IndianEquityCostModel> IndianEquityCostModel::load_default() {
  Result<std::string> path = default_path();
  if (!path.ok()) return path.status();
  return load(*path);
}

Result<ChargeRates> IndianEquityCostModel::rates_on(Date date, Product product) const {
  const ChargeRates* chosen = nullptr;
  for (const ChargeRates& row : rates_) {
    if (row.product != product) continue;
    if (chosen == nullptr || row.effective_from <= date) chosen = &row;
    if (row.effective_from > date) break;
  }
  if (chosen == nullptr) {
    return error(ErrorCode::kNotFound,
                 fmt::format("no {} charges in the rate file", product_name(product)));
  }
  return *chosen;
}

Result<Charges> IndianEquityCostModel::charges_for(const TradeLeg& leg) const {
  Result<ChargeRates> found = rates_on(leg.trade_date, leg.product);
  if (!found.ok()) return found.status();
  const ChargeRates& r = *found;
  Result<Paise> turnover = notional(leg.price, leg.qty);
  if (!turnover.ok()) return turnover.status();
  const bool buy = leg.side == Side::kBuy;
  Charges c;
  c.brokerage = apply_rate(*turnover, r.brokerage);
  if (r.brokerage_cap > 0) c.brokerage = std::min(c.brokerage, r.brokerage_cap);
  c.stt = apply_rate(*turnover, buy ? r.stt_buy : r.stt_sell);
  c.exchange = apply_rate(*turnover, r.exchange);
  c.sebi = apply_rate(*turnover, r.sebi);
  c.stamp = buy ? apply_rate(*turnover, r.stamp_buy) : 0;
  c.gst = apply_rate(c.brokerage + c.exchange + c.sebi, r.gst);
  c.dp =
      (!buy && leg.product == Product::kDelivery && leg.first_sell_of_day) ? r.dp_per_sell_day : 0;
  return c;
}

Result<std::unique_ptr<CostModel>> make_cost_model(std::string_view spec) {
  if (spec == "zero") return std::unique_ptr<CostModel>(std::make_unique<ZeroCostModel>());
  if (spec == "india-equity") {
    Result<IndianEquityCostModel> model = IndianEquityCostModel::load_default();
    if (!model.ok()) return model.status();
    return std::unique_ptr<CostModel>(
        std::make_unique<IndianEquityCostModel>(std::move(model).value()));
  }
  if (spec.substr(0, 7) == "simple:") {
    const std::string_view rest = spec.substr(7);
    const size_t colon = rest.find(':');
    if (colon != std::string_view::npos) {
      Result<Rate> percent = parse_percent(rest.substr(0, colon));
      Result<Paise> flat = parse_rupees(rest.substr(colon + 1));
      if (percent.ok() && flat.ok() && *flat >= 0) {
        return std::unique_ptr<CostModel>(std::make_unique<SimpleCostModel>(*percent, *flat));
      }
    }
  }
  return error(
      ErrorCode::kInvalidArgument,
      fmt::format("cost model '{}' is not zero, india-equity or simple:<percent>:<flat rupees>",
                  spec));
}

}  // namespace sm::costs
