#include "records/gains_rates.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "core/data_dir.h"
#include "core/read_file.h"

namespace sm::records {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> cells_of(std::string_view line) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    cells.push_back(
        trim(line.substr(start, comma == std::string_view::npos ? comma : comma - start)));
    if (comma == std::string_view::npos) return cells;
    start = comma + 1;
  }
}

// Calls row(line_number, cells) for every line that is not blank or a '#' comment, the first one
// (the header) included; stops at the first failure.
template <typename Row>
Status for_each_row(std::string_view text, Row row) {
  std::int64_t line_number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    std::string_view line =
        trim(text.substr(start, end == std::string_view::npos ? end : end - start));
    start = end == std::string_view::npos ? text.size() : end + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    if (Status s = row(line_number, cells_of(line)); !s.ok()) return s;
  }
  return Status();
}

}  // namespace

Result<GainsRates> GainsRates::parse(std::string_view text, std::string_view source) {
  std::vector<GainsRate> rows;
  bool header = false;
  Status parsed = for_each_row(text, [&](std::int64_t line,
                                         const std::vector<std::string_view>& c) {
    auto bad = [&](const std::string& why) {
      return error(ErrorCode::kParseError, fmt::format("{}:{}: {}", source, line, why));
    };
    if (!header) {
      header = true;
      if (c.size() != 4 || c[0] != "effective_from" || c[1] != "stcg_percent" ||
          c[2] != "ltcg_percent" || c[3] != "ltcg_exemption_rupees") {
        return bad(
            "the header must be effective_from,stcg_percent,ltcg_percent,ltcg_exemption_rupees");
      }
      return Status();
    }
    if (c.size() != 4) return bad(fmt::format("{} fields, 4 expected", c.size()));
    GainsRate rate;
    Result<Date> date = parse_date(c[0]);
    if (!date.ok()) return bad(fmt::format("effective_from '{}' is not a date (YYYY-MM-DD)", c[0]));
    rate.effective_from = *date;
    Result<std::int64_t> stcg = parse_fixed_point(c[1], 2);
    Result<std::int64_t> ltcg = parse_fixed_point(c[2], 2);
    if (!stcg.ok() || *stcg < 0 || *stcg > 10000)
      return bad(fmt::format("stcg_percent '{}'", c[1]));
    if (!ltcg.ok() || *ltcg < 0 || *ltcg > 10000)
      return bad(fmt::format("ltcg_percent '{}'", c[2]));
    rate.stcg_basis_points = *stcg;
    rate.ltcg_basis_points = *ltcg;
    Result<Paise> exemption = parse_rupees(c[3]);
    if (!exemption.ok() || *exemption < 0) {
      return bad(fmt::format("ltcg_exemption_rupees '{}'", c[3]));
    }
    rate.ltcg_exemption = *exemption;
    if (!rows.empty() && !(rows.back().effective_from < rate.effective_from)) {
      return bad("dates must increase from row to row");
    }
    rows.push_back(rate);
    return Status();
  });
  if (!parsed.ok()) return parsed;
  if (rows.empty()) return error(ErrorCode::kParseError, fmt::format("{}: no rates", source));
  return GainsRates(std::move(rows));
}

Result<GainsRates> GainsRates::load(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  return parse(*text, path);
}

Result<GainsRates> GainsRates::load_default() {
  Result<std::string> path =
      find_data_file("capital-gains-rates.csv", "SM_GAINS_RATES", "capital-gains rates file");
  if (!path.ok()) return path.status();
  return load(*path);
}

Result<GainsRate> GainsRates::on(Date date) const {
  const GainsRate* chosen = nullptr;
  for (const GainsRate& row : rows_) {
    if (row.effective_from <= date) chosen = &row;
  }
  if (chosen == nullptr) {
    return error(ErrorCode::kNotFound,
                 fmt::format("no capital-gains rates for {}: the rates file starts on {}",
                             format_date(date), format_date(earliest())));
  }
  return *chosen;
}

Result<FairMarketValues> parse_fair_market_values(std::string_view text, std::string_view source) {
  FairMarketValues out;
  bool header = false;
  Status parsed =
      for_each_row(text, [&](std::int64_t line, const std::vector<std::string_view>& c) {
        auto bad = [&](const std::string& why) {
          return error(ErrorCode::kParseError, fmt::format("{}:{}: {}", source, line, why));
        };
        if (!header) {
          header = true;
          if (c.size() != 2 || c[0] != "symbol" || c[1] != "fmv_2018_01_31") {
            return bad("the header must be symbol,fmv_2018_01_31");
          }
          return Status();
        }
        if (c.size() != 2 || c[0].empty()) return bad("expected symbol,fmv_2018_01_31");
        Result<Paise> fmv = parse_rupees(c[1]);
        if (!fmv.ok() || *fmv <= 0)
          return bad(fmt::format("fmv '{}' is not a positive amount", c[1]));
        if (!out.emplace(std::string(c[0]), *fmv).second) {
          return bad(fmt::format("{} is listed twice", c[0]));
        }
        return Status();
      });
  if (!parsed.ok()) return parsed;
  if (!header) return error(ErrorCode::kParseError, fmt::format("{}: no header line", source));
  return out;
}

Result<FairMarketValues> load_fair_market_values(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  return parse_fair_market_values(*text, path);
}

std::string FinancialYear::label() const {
  return fmt::format("{}-{:02}", start_year, (start_year + 1) % 100);
}

Result<FinancialYear> parse_financial_year(std::string_view text) {
  const std::string_view given = text;
  if (text.substr(0, 2) == "FY" || text.substr(0, 2) == "fy") text.remove_prefix(2);
  auto bad = [&] {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("financial year '{}' is not of the form 2024-25 (April 2024 to "
                             "March 2025)",
                             given));
  };
  if (text.size() != 7 || text[4] != '-') return bad();
  Result<std::int64_t> start = parse_fixed_point(text.substr(0, 4), 0);
  Result<std::int64_t> end = parse_fixed_point(text.substr(5, 2), 0);
  if (!start.ok() || !end.ok() || *start < 1900 || *start > 9998) return bad();
  if ((*start + 1) % 100 != *end) return bad();
  return FinancialYear{static_cast<int>(*start)};
}

FinancialYear financial_year_of(Date date) {
  return FinancialYear{date.month >= 4 ? date.year : date.year - 1};
}

std::string_view gain_kind_name(GainKind kind) {
  switch (kind) {
    case GainKind::kShortTerm:
      return "short_term";
    case GainKind::kLongTerm:
      return "long_term";
    case GainKind::kSpeculative:
      return "speculative";
  }
  return "short_term";
}

Result<std::vector<BroughtForwardLoss>> parse_brought_forward_losses(std::string_view text,
                                                                     std::string_view source) {
  std::vector<BroughtForwardLoss> out;
  std::optional<std::size_t> incurred_at, kind_at, amount_at;
  std::size_t columns = 0;
  Status parsed =
      for_each_row(text, [&](std::int64_t line, const std::vector<std::string_view>& c) -> Status {
        auto bad = [&](const std::string& why) {
          return error(ErrorCode::kParseError, fmt::format("{}:{}: {}", source, line, why));
        };
        if (columns == 0) {
          columns = c.size();
          for (std::size_t i = 0; i < c.size(); ++i) {
            if (c[i] == "incurred") incurred_at = i;
            if (c[i] == "kind") kind_at = i;
            if (c[i] == "amount" || (c[i] == "carried_forward" && !amount_at)) amount_at = i;
          }
          if (!incurred_at || !kind_at || !amount_at) {
            return bad("the header must name the columns incurred, kind and amount");
          }
          return Status();
        }
        if (c.size() != columns) return bad(fmt::format("expected {} fields", columns));
        Result<FinancialYear> incurred = parse_financial_year(c[*incurred_at]);
        if (!incurred.ok()) return bad(incurred.status().message());
        BroughtForwardLoss loss;
        loss.incurred = *incurred;
        const std::string_view kind = c[*kind_at];
        if (kind == "short_term") {
          loss.kind = GainKind::kShortTerm;
        } else if (kind == "long_term") {
          loss.kind = GainKind::kLongTerm;
        } else if (kind == "speculative") {
          loss.kind = GainKind::kSpeculative;
        } else {
          return bad(fmt::format("kind '{}' is not short_term, long_term or speculative", kind));
        }
        Result<Paise> amount = parse_rupees(c[*amount_at]);
        if (!amount.ok() || *amount < 0) {
          return bad(fmt::format("amount '{}' is not an amount of rupees", c[*amount_at]));
        }
        loss.amount = *amount;
        for (const BroughtForwardLoss& seen : out) {
          if (seen.incurred.start_year == loss.incurred.start_year && seen.kind == loss.kind) {
            return bad(
                fmt::format("the {} loss of {} is listed twice", kind, loss.incurred.label()));
          }
        }
        if (loss.amount > 0) out.push_back(loss);
        return Status();
      });
  if (!parsed.ok()) return parsed;
  if (columns == 0) return error(ErrorCode::kParseError, fmt::format("{}: no header line", source));
  std::stable_sort(out.begin(), out.end(),
                   [](const BroughtForwardLoss& a, const BroughtForwardLoss& b) {
                     return a.incurred.start_year < b.incurred.start_year;
                   });
  return out;
}

Result<std::vector<BroughtForwardLoss>> load_brought_forward_losses(const std::string& path) {
  Result<std::string> text = read_file(path);
  if (!text.ok()) return text.status();
  return parse_brought_forward_losses(*text, path);
}

}  // namespace sm::records
