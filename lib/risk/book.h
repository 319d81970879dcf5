// The risk engine's book: positions per (strategy, symbol) and the latest price per symbol, with
// their unrealised P&L kept current as either changes. A price update re-marks only the positions
// in its symbol, so it costs O(positions in that symbol), not O(book) (issue 14: sm-risk re-marked
// the whole book on every message). Every change goes through this class so the sums stay exact.
#pragma once

#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/messages.h"
#include "core/money.h"
#include "core/position.h"
#include "core/timestamp.h"

namespace sm::risk {

// A position per (strategy, symbol), moved by the same apply_fill as the store's positions table
// (core/position.h), so a position rebuilt here from fills equals the stored one.
struct PositionState : Position {
  std::string strategy;
  std::string symbol;
  TimestampMs opened_ms = 0;  // when the current position opened (flat -> non-flat, or reversal)
};

struct PricePoint {
  Paise price = 0;
  TimestampMs ts = 0;            // when the price was known: a tick's ts, a bar's end
  std::int64_t interval_ms = 0;  // the length of the bar it closes; 0 for a tick
};

class Book {
 public:
  using PositionKey = std::pair<std::string, std::string>;  // (strategy, symbol)

  Book() = default;
  // A copy re-indexes its own positions and counts all of them as changed; moves keep the index
  // (map nodes do not move).
  Book(const Book& other);
  Book& operator=(const Book& other);
  Book(Book&&) = default;
  Book& operator=(Book&&) = default;
  ~Book() = default;

  // In (strategy, symbol) order.
  const std::map<PositionKey, PositionState>& positions() const { return positions_; }
  // nullptr when not held / not known.
  const PositionState* find_position(const std::string& strategy, const std::string& symbol) const;
  const PricePoint* find_price(const std::string& symbol) const;

  // Inserts or replaces the position at (position.strategy, position.symbol).
  void put_position(PositionState position);
  void erase_position(const std::string& strategy, const std::string& symbol);
  // Sets the latest price of symbol (REQUIRES: point.price > 0).
  void put_price(const std::string& symbol, const PricePoint& point);

  // What the position is worth now: qty * the latest price of its symbol (saturated), or its cost
  // when no price is known.
  Paise mark(const PositionState& position) const;
  // The sum over open positions of mark - cost, exact (not saturated): what a re-mark of every
  // position would give.
  Int128 unrealised() const { return unrealised_; }

  // The positions in the symbols that changed (a price or a position put or erased) since the last
  // call, in (strategy, symbol) order, and forgets those symbols. A kill switch that depends only
  // on a position and its symbol's price need look at no others: the rest are as it last saw them.
  // A new or copied book starts with every symbol it holds changed.
  std::vector<const PositionState*> take_changed_positions();

 private:
  // The open and flat positions in one symbol, by strategy, and the sum of their mark - cost.
  struct SymbolMarks {
    std::vector<const PositionState*> positions;  // ordered by strategy
    Int128 unrealised = 0;
  };

  // Recomputes the marks of symbol's positions into the total.
  void remark(const std::string& symbol);
  void reindex();

  std::map<PositionKey, PositionState> positions_;
  std::unordered_map<std::string, PricePoint> prices_;
  std::unordered_map<std::string, SymbolMarks> by_symbol_;
  Int128 unrealised_ = 0;
  std::set<std::string> changed_symbols_;
};

}  // namespace sm::risk
