// Corporate actions (splits and bonus issues): the file that lists them, where the programs find
// it, and what one does to a held position on its ex-date. The backtester back-adjusts prices with
// them (backtest/corporate_actions.h); the store, the risk engine and the paper broker adjust
// holdings with adjust_position. docs/CORPORATE_ACTIONS.md describes the file and the rules.
//
// File format (CSV, '#' comments and blank lines allowed, header required):
//   symbol,ex_date,kind,ratio
//   RELIANCE,2017-09-07,bonus,1:1
//   HDFCBANK,2011-07-14,split,1:5
// The ratio "A:B" reads the way NSE announces it:
//   bonus A:B  - A new shares for every B held: B shares become A + B, price factor B / (A + B)
//                (1:1 halves the price, 1:3 takes a quarter off);
//   split A:B  - A old shares become B new ones (face value 10 -> 2 is 1:5): price factor A / B.
// Dividends are not listed: a cash dividend changes neither quantity nor cost, and its price drop
// (a few percent) is market movement to every check here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/money.h"
#include "core/position.h"
#include "core/status.h"
#include "core/timestamp.h"

namespace sm {

enum class ActionKind { kSplit, kBonus };

struct CorporateAction {
  std::string symbol;
  Date ex_date;
  ActionKind kind = ActionKind::kSplit;
  std::int64_t a = 1;  // the ratio A:B as written
  std::int64_t b = 1;
  // The price factor as a fraction: old prices * numerator / denominator. Share counts move by
  // the inverse: old quantity * denominator / numerator.
  std::int64_t numerator() const;
  std::int64_t denominator() const;
  std::string kind_name() const;  // "bonus" or "split"
  std::string ratio() const;      // "1:1"
  std::string describe() const;   // "bonus 1:1 (x0.5)"
};

// Parses the file text. Fails with kParseError "source:line: reason" for a missing header column,
// a bad date, a kind other than split/bonus, a ratio that is not two positive integers "A:B"
// (at most 1000 each), a split A:A, or the same symbol and ex-date twice. The result is sorted by
// symbol, then ex-date.
Result<std::vector<CorporateAction>> parse_corporate_actions(std::string_view text,
                                                             std::string_view source);

// Reads and parses a file: kNotFound / kIoError when it cannot be read, else as above.
Result<std::vector<CorporateAction>> load_corporate_actions(const std::string& path);

// The corporate-actions file the programs use: $SM_CORPORATE_ACTIONS when set (kNotFound when it
// names no file), else the first corporate-actions.csv of data_file_candidates (the bundled one
// beside nse-calendar.csv); kNotFound naming the places tried when there is none.
Result<std::string> corporate_actions_default_path();

// The actions the live programs apply: the file at corporate_actions_default_path. No file there
// is not an error (an install without one): actions is empty and missing says why, for a warning.
// A file that cannot be read or parsed fails as load_corporate_actions does.
struct DefaultActions {
  std::vector<CorporateAction> actions;
  std::string path;     // the file read; empty when none was found
  std::string missing;  // why there is none
};
Result<DefaultActions> load_default_corporate_actions();

// What an action does to a position held into its ex-date.
struct PositionAdjustment {
  Position position;  // after: quantity scaled, cost and realised P&L unchanged
  // The part of a share the ratio gives that is not a whole share, as a fraction
  // fraction_numerator / numerator() of one share (0 when the ratio divides evenly). Brokers and
  // the company pay cash in lieu for it weeks later, outside the trade book; it is not a fill and
  // is not modelled: the whole cost stays on the whole shares.
  std::int64_t fraction_numerator = 0;
  bool overflow = false;  // the quantity left the int64 range (the position is then unchanged)
};

// The position after the action: qty * denominator / numerator, rounded toward zero to whole
// shares (a short position is scaled the same way, its sign kept). The cost, and so the money
// at stake, is unchanged: the average price moves by the price factor. A flat position stays flat.
PositionAdjustment adjust_position(const Position& position, const CorporateAction& action);

// The actions of symbol with ex_date in (after, up_to]: those a position held at the close of
// `after` has crossed by the session of up_to. actions must be sorted (parse_corporate_actions).
std::vector<CorporateAction> actions_crossed(const std::vector<CorporateAction>& actions,
                                             std::string_view symbol, Date after, Date up_to);

}  // namespace sm
