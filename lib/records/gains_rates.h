// The data the capital-gains report needs besides the fills: the tax rates by sale date
// (data/capital-gains-rates.csv), the fair market values of 31 January 2018 that grandfather
// older lots and the losses brought forward from earlier years (files the user supplies).
// docs/RECORDS.md describes the files.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace sm::records {

enum class GainKind { kShortTerm, kLongTerm, kSpeculative };
std::string_view gain_kind_name(GainKind kind);  // "short_term", "long_term", "speculative"

// The rates for sales from effective_from until the next row's date.
struct GainsRate {
  Date effective_from;
  std::int64_t stcg_basis_points = 0;  // 20 % is 2000
  std::int64_t ltcg_basis_points = 0;  // 0: long-term gains exempt (before 2018-04-01)
  Paise ltcg_exemption = 0;            // per financial year
};

class GainsRates {
 public:
  // Parses the file text: a header "effective_from,stcg_percent,ltcg_percent,
  // ltcg_exemption_rupees", '#' comments and blank lines. Percentages have at most two decimals.
  // Fails with kParseError "source:line: reason" on a bad field, a date out of order or none at
  // all.
  static Result<GainsRates> parse(std::string_view text, std::string_view source);
  static Result<GainsRates> load(const std::string& path);
  // $SM_GAINS_RATES, else capital-gains-rates.csv among the data directories.
  static Result<GainsRates> load_default();

  // The row in force on date; kNotFound when date is before the first row.
  Result<GainsRate> on(Date date) const;
  Date earliest() const { return rows_.front().effective_from; }

 private:
  explicit GainsRates(std::vector<GainsRate> rows) : rows_(std::move(rows)) {}
  std::vector<GainsRate> rows_;  // sorted, never empty
};

// Fair market value of one share on 31 January 2018 per symbol (for listed shares the highest
// price quoted on the exchange that day, s.55(2)(ac)).
using FairMarketValues = std::map<std::string, Paise, std::less<>>;

// Parses "symbol,fmv_2018_01_31" CSV (header required, '#' comments, rupees with at most two
// decimals). Fails with kParseError "source:line: reason" on a bad row or a symbol listed twice.
Result<FairMarketValues> parse_fair_market_values(std::string_view text, std::string_view source);
Result<FairMarketValues> load_fair_market_values(const std::string& path);

// A financial year, April to March: start_year 2024 is FY 2024-25.
struct FinancialYear {
  int start_year = 2024;
  Date first_day() const { return Date{start_year, 4, 1}; }
  Date last_day() const { return Date{start_year + 1, 3, 31}; }
  std::string label() const;  // "2024-25"
  bool contains(Date date) const { return first_day() <= date && date <= last_day(); }
};
// Parses "2024-25" (the second part must be the next year's last two digits) or "FY2024-25".
// Fails with kInvalidArgument naming the expected form.
Result<FinancialYear> parse_financial_year(std::string_view text);
// The financial year a date falls in.
FinancialYear financial_year_of(Date date);

// A loss of an earlier year not yet set off, as the return carries it forward (Schedule CFL).
struct BroughtForwardLoss {
  FinancialYear incurred;  // the year the loss was made
  GainKind kind = GainKind::kShortTerm;
  Paise amount = 0;  // what is left of it at the start of the year it is brought into
};

// Parses the losses file: a header naming the columns incurred, kind and amount (or
// carried_forward, so that the --losses CSV of one year is the file of the next; other columns
// are ignored), '#' comments, one row per year and kind. kind is short_term, long_term or
// speculative; amounts are rupees with at most two decimals, rows of zero are skipped. Fails with
// kParseError "source:line: reason" on a bad row or a year and kind listed twice. The result is
// oldest first.
Result<std::vector<BroughtForwardLoss>> parse_brought_forward_losses(std::string_view text,
                                                                     std::string_view source);
Result<std::vector<BroughtForwardLoss>> load_brought_forward_losses(const std::string& path);

}  // namespace sm::records
