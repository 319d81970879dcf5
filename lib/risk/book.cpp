#include "risk/book.h"

#include <algorithm>
#include <tuple>

namespace sm::risk {

Book::Book(const Book& other)
    : positions_(other.positions_),
      prices_(other.prices_),
      changed_symbols_(other.changed_symbols_) {
  reindex();
}

Book& Book::operator=(const Book& other) {
  if (this == &other) return *this;
  positions_ = other.positions_;
  prices_ = other.prices_;
  changed_symbols_ = other.changed_symbols_;
  reindex();
  return *this;
}

const PositionState* Book::find_position(const std::string& strategy,
                                         const std::string& symbol) const {
  auto held = positions_.find({strategy, symbol});
  return held == positions_.end() ? nullptr : &held->second;
}

const PricePoint* Book::find_price(const std::string& symbol) const {
  auto price = prices_.find(symbol);
  return price == prices_.end() ? nullptr : &price->second;
}

void Book::put_position(PositionState position) {
  const std::string symbol = position.symbol;
  auto [it, inserted] =
      positions_.insert_or_assign({position.strategy, position.symbol}, std::move(position));
  if (inserted) {
    std::vector<const PositionState*>& in_symbol = by_symbol_[symbol].positions;
    const PositionState* added = &it->second;
    in_symbol.insert(std::upper_bound(in_symbol.begin(), in_symbol.end(), added,
                                      [](const PositionState* a, const PositionState* b) {
                                        return a->strategy < b->strategy;
                                      }),
                     added);
  }
  remark(symbol);
}

void Book::erase_position(const std::string& strategy, const std::string& symbol) {
  auto held = positions_.find({strategy, symbol});
  if (held == positions_.end()) return;
  // A copy: the caller may pass the erased position's own strings, freed by the erase.
  const std::string key = symbol;  // NOLINT(performance-unnecessary-copy-initialization)
  std::erase(by_symbol_[key].positions, &held->second);
  positions_.erase(held);
  remark(key);
}

void Book::put_price(const std::string& symbol, const PricePoint& point) {
  prices_.insert_or_assign(symbol, point);
  remark(symbol);
}

Paise Book::mark(const PositionState& position) const {
  auto price = prices_.find(position.symbol);
  if (price == prices_.end()) return position.cost;
  return saturate(Int128{position.qty} * price->second.price);
}

void Book::remark(const std::string& symbol) {
  changed_symbols_.insert(symbol);
  auto marks = by_symbol_.find(symbol);
  if (marks == by_symbol_.end()) return;
  unrealised_ -= marks->second.unrealised;
  marks->second.unrealised = 0;
  for (const PositionState* position : marks->second.positions) {
    if (position->qty != 0) marks->second.unrealised += Int128{mark(*position)} - position->cost;
  }
  unrealised_ += marks->second.unrealised;
  if (marks->second.positions.empty()) by_symbol_.erase(marks);
}

void Book::reindex() {
  by_symbol_.clear();
  unrealised_ = 0;
  // positions_ is in (strategy, symbol) order, so each symbol's list comes out by strategy.
  for (const auto& [key, position] : positions_) {
    by_symbol_[position.symbol].positions.push_back(&position);
    changed_symbols_.insert(position.symbol);
  }
  for (auto& [symbol, marks] : by_symbol_) {
    for (const PositionState* position : marks.positions) {
      if (position->qty != 0) marks.unrealised += Int128{mark(*position)} - position->cost;
    }
    unrealised_ += marks.unrealised;
  }
}

std::vector<const PositionState*> Book::take_changed_positions() {
  std::vector<const PositionState*> changed;
  for (const std::string& symbol : changed_symbols_) {
    auto marks = by_symbol_.find(symbol);
    if (marks == by_symbol_.end()) continue;
    changed.insert(changed.end(), marks->second.positions.begin(), marks->second.positions.end());
  }
  changed_symbols_.clear();
  if (changed.size() > 1) {
    std::sort(changed.begin(), changed.end(), [](const PositionState* a, const PositionState* b) {
      return std::tie(a->strategy, a->symbol) < std::tie(b->strategy, b->symbol);
    });
  }
  return changed;
}

}  // namespace sm::risk
