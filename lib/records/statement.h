// Daily and monthly statements of the trading account (docs/RECORDS.md): per period, every
// position's opening and closing quantity, what was bought and sold, realised P&L, charges and the
// unrealised P&L at the period's end, with the kill-switch halts set in it; as CSV and as a
// self-contained HTML page in the backtest report's style (lib/html).
//
// Positions move by the average-cost rule the store's positions table uses (core/position.h
// apply_fill), per strategy and symbol, so a statement agrees with sm-status; the capital-gains
// report's FIFO lots are a different, tax, view of the same fills.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/corporate_action.h"
#include "core/status.h"
#include "records/ledger.h"
#include "store/ops_records.h"

namespace sm::records {

enum class StatementPeriod { kDay, kMonth };
// "day" or "month"; kInvalidArgument otherwise.
Result<StatementPeriod> parse_statement_period(std::string_view text);

struct StatementLine {
  std::string strategy;
  std::string symbol;
  Quantity opening_qty = 0;  // signed: negative is short
  Quantity bought = 0;
  Quantity sold = 0;
  Quantity closing_qty = 0;
  Paise closing_cost = 0;     // signed cost of the closing quantity at average price
  std::optional<Paise> mark;  // the last price known by the period's end; none without data
  Paise realised = 0;         // by the period's fills, gross of charges
  Paise charges = 0;          // the period's fills', itemised as in the ledger
  Paise unrealised = 0;       // mark x closing qty - closing cost; 0 without a mark
};

struct Statement {
  std::string label;  // "2024-09-02" or "2024-09"
  Date first_day;
  Date last_day;
  std::vector<StatementLine> lines;      // by strategy, then symbol
  std::vector<store::HaltRecord> halts;  // set within the period
  Paise realised() const;
  Paise charges() const;
  Paise unrealised() const;
};

// The last price of symbol known strictly before ts, or nullopt when there is none.
using MarkPrice =
    std::function<Result<std::optional<Paise>>(const std::string& symbol, TimestampMs ts)>;

// The statements of every period (IST days or calendar months) from the one holding first_day to
// the one holding last_day, built from fills (every fill from the beginning, oldest first, charges
// itemised), the corporate actions (sorted) and the halts. A period is left out when nothing
// happened in it: no fill and no halt, and for a month no open position either. Reversed fills
// and reversals do not count. Fails when mark fails.
Result<std::vector<Statement>> build_statements(const std::vector<LedgerFill>& fills,
                                                const std::vector<CorporateAction>& actions,
                                                const std::vector<store::HaltRecord>& halts,
                                                StatementPeriod period, Date first_day,
                                                Date last_day, const MarkPrice& mark);

// CSV: period, line (position | total | halt), strategy, symbol, quantities, average_price,
// mark_price, realised, charges, unrealised, note (docs/RECORDS.md).
std::string format_statements_csv(const std::vector<Statement>& statements);
// A self-contained HTML page: one section per period with headline cards, the positions table and
// the halts.
std::string format_statements_html(const std::vector<Statement>& statements,
                                   std::string_view title);

}  // namespace sm::records
