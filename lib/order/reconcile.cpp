#include "order/reconcile.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "core/json_writer.h"
#include "order/fill_charges.h"
#include "order/state_machine.h"
#include "store/ops_records.h"

namespace sm::order {
namespace {

constexpr std::string_view kReversalPrefix = "reversal:";
constexpr std::string_view kAdjustPrefix = "adjust:";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

Quantity signed_qty(Side side, Quantity qty) { return side == Side::kBuy ? qty : -qty; }

// A broker "not found" for one order's history: the order is not the broker's (any more).
bool is_not_found(const broker::BrokerError& e) {
  return e.code == ErrorCode::kNotFound || e.code == ErrorCode::kInvalidArgument ||
         e.code == ErrorCode::kRejected;
}

// Lookups over the snapshot's database half.
struct OurOrders {
  std::unordered_map<std::string, const store::OrderRecord*> by_client;
  std::unordered_map<std::string, const store::OrderRecord*> by_broker;

  explicit OurOrders(const std::vector<store::OrderRecord>& orders) {
    for (const store::OrderRecord& o : orders) {
      by_client[o.intent.client_order_id] = &o;
      if (!o.broker_order_id.empty()) by_broker[o.broker_order_id] = &o;
    }
  }
  const store::OrderRecord* client(std::string_view id) const {
    auto it = by_client.find(std::string(id));
    return it == by_client.end() ? nullptr : it->second;
  }
  const store::OrderRecord* broker(std::string_view id) const {
    auto it = by_broker.find(std::string(id));
    return it == by_broker.end() ? nullptr : it->second;
  }
};

// How a broker order relates to ours.
struct Match {
  const store::OrderRecord* order = nullptr;
  bool by_tag_unlinked = false;  // our order carries its tag but has no broker id yet
  bool duplicate = false;        // our order with its tag is linked to another broker order
};

Match match_broker_order(const OurOrders& ours, const broker::Order& b) {
  Match m;
  if (const store::OrderRecord* o = ours.broker(b.order_id)) {
    m.order = o;
    return m;
  }
  if (b.tag.empty()) return m;
  const store::OrderRecord* o = ours.client(b.tag);
  if (o == nullptr) return m;
  if (o->broker_order_id.empty()) {
    m.order = o;
    m.by_tag_unlinked = true;
  } else {
    m.duplicate = true;
    m.order = o;
  }
  return m;
}

std::string order_state_text(std::string_view status, Quantity filled) {
  return fmt::format("{} (filled {})", status, filled);
}

broker::Order adopt_as_order_view(const store::OrderRecord& o) {
  broker::Order b;
  b.status = o.status;
  b.filled_quantity = o.filled_qty;
  return b;
}

TimestampMs trade_time(const broker::Trade& t, TimestampMs fallback) {
  if (t.fill_timestamp > 0) return t.fill_timestamp;
  if (t.exchange_timestamp > 0) return t.exchange_timestamp;
  return fallback;
}

Result<OrderType> order_type_of(std::string_view text) { return parse_order_type(text); }

constexpr int kSnapshotAttempts = 5;

bool same_orders(const std::vector<broker::Order>& a, const std::vector<broker::Order>& b) {
  if (a.size() != b.size()) return false;
  std::unordered_map<std::string, const broker::Order*> by_id;
  for (const broker::Order& o : a) by_id[o.order_id] = &o;
  for (const broker::Order& o : b) {
    auto it = by_id.find(o.order_id);
    if (it == by_id.end() || it->second->status != o.status ||
        it->second->filled_quantity != o.filled_quantity) {
      return false;
    }
  }
  return true;
}

bool same_trades(const std::vector<broker::Trade>& a, const std::vector<broker::Trade>& b) {
  if (a.size() != b.size()) return false;
  std::unordered_set<std::string> ids;
  for (const broker::Trade& t : a) ids.insert(t.trade_id);
  return std::all_of(b.begin(), b.end(),
                     [&](const broker::Trade& t) { return ids.count(t.trade_id) != 0; });
}

}  // namespace

std::string_view difference_kind_name(DifferenceKind kind) {
  switch (kind) {
    case DifferenceKind::kPosition:
      return "position";
    case DifferenceKind::kMissingFill:
      return "missing_fill";
    case DifferenceKind::kExtraFill:
      return "extra_fill";
    case DifferenceKind::kOrderStatus:
      return "order_status";
    case DifferenceKind::kOrderUnlinked:
      return "order_unlinked";
    case DifferenceKind::kOrderUnsent:
      return "order_unsent";
    case DifferenceKind::kOrderMissing:
      return "order_missing";
    case DifferenceKind::kUnknownOrder:
      return "unknown_order";
    case DifferenceKind::kDuplicateOrder:
      return "duplicate_order";
  }
  return "unknown";
}

namespace {

// How long after an ex-date a broker's holdings may still show the quantity before the action.
constexpr int kCorporateActionCreditDays = 30;

// Open orders, every fill, every position and the recent corporate-action adjustments.
Status read_own(store::Database& db, TimestampMs now_ms, DbView& v) {
  Result<std::vector<store::OrderRecord>> open = store::list_open_orders(db);
  if (!open.ok()) return open.status();
  v.orders = std::move(open.value());
  Result<std::vector<Fill>> fills = store::list_fills(db, std::numeric_limits<TimestampMs>::min(),
                                                      std::numeric_limits<TimestampMs>::max());
  if (!fills.ok()) return fills.status();
  v.fills = std::move(fills.value());
  Result<std::vector<store::Position>> positions = store::list_positions(db, false);
  if (!positions.ok()) return positions.status();
  v.positions = std::move(positions.value());
  Result<std::vector<store::ActionAdjustment>> adjustments = store::list_adjustments(db);
  if (!adjustments.ok()) return adjustments.status();
  const Date since = add_days(ist_date(now_ms), -kCorporateActionCreditDays);
  for (store::ActionAdjustment& a : *adjustments) {
    if (a.ex_date >= since) v.adjustments.push_back(std::move(a));
  }
  return Status();
}

// Adds the orders the broker's book and trades refer to.
Status read_referenced(store::Database& db, const Snapshot& s, DbView& v) {
  std::set<std::string> have;
  for (const store::OrderRecord& o : v.orders) have.insert(o.intent.client_order_id);
  auto add = [&](Result<std::optional<store::OrderRecord>> found) -> Status {
    if (!found.ok()) return found.status();
    if (found->has_value() && have.insert((*found)->intent.client_order_id).second) {
      v.orders.push_back(std::move(**found));
    }
    return Status();
  };
  for (const broker::Order& b : s.book) {
    SM_RETURN_IF_ERROR(add(store::find_order_by_broker_id(db, b.order_id)));
    if (!b.tag.empty()) SM_RETURN_IF_ERROR(add(store::find_order(db, b.tag)));
  }
  for (const broker::Trade& t : s.trades) {
    SM_RETURN_IF_ERROR(add(store::find_order_by_broker_id(db, t.order_id)));
  }
  return Status();
}

// A deferred read transaction: every read inside sees the database as of the first one.
class ReadTransaction {
 public:
  explicit ReadTransaction(store::Database& db) : db_(db) { open_ = db_.execute("BEGIN").ok(); }
  ~ReadTransaction() { end(); }
  void end() {
    if (open_) (void)db_.execute("COMMIT");
    open_ = false;
  }

 private:
  store::Database& db_;
  bool open_ = false;
};

}  // namespace

Result<Snapshot> take_snapshot(store::Database& db, broker::Broker& broker, TimestampMs now_ms) {
  Snapshot s;
  s.taken_ms = now_ms;
  DbView before;
  ReadTransaction before_tx(db);
  SM_RETURN_IF_ERROR(read_own(db, now_ms, before));

  // The broker's own reads must agree with each other: an order filled between the trades and
  // the positions read would show as a position nobody traded. So the book and the trades are
  // read again after the positions, and the whole read repeated until they did not move (a few
  // times at most; a broker that never stands still gets the last read).
  for (int attempt = 1;; ++attempt) {
    broker::BrokerResult<std::vector<broker::Order>> book = broker.orders();
    if (!book.ok()) return book.status().with_context("order book");
    broker::BrokerResult<std::vector<broker::Trade>> trades = broker.trades();
    if (!trades.ok()) return trades.status().with_context("trades");
    broker::BrokerResult<broker::Positions> positions = broker.positions();
    if (!positions.ok()) return positions.status().with_context("positions");
    broker::BrokerResult<std::vector<broker::Holding>> holdings = broker.holdings();
    if (!holdings.ok()) return holdings.status().with_context("holdings");
    broker::BrokerResult<std::vector<broker::Order>> book_after = broker.orders();
    if (!book_after.ok()) return book_after.status().with_context("order book");
    broker::BrokerResult<std::vector<broker::Trade>> trades_after = broker.trades();
    if (!trades_after.ok()) return trades_after.status().with_context("trades");
    s.book = std::move(book_after.value());
    s.trades = std::move(trades_after.value());
    s.positions = std::move(positions.value());
    s.holdings = std::move(holdings.value());
    if ((same_orders(*book, s.book) && same_trades(*trades, s.trades)) ||
        attempt == kSnapshotAttempts) {
      break;
    }
  }
  SM_RETURN_IF_ERROR(read_referenced(db, s, before));  // still as of the first read
  before_tx.end();
  SM_RETURN_IF_ERROR(read_own(db, now_ms, s.db));
  SM_RETURN_IF_ERROR(read_referenced(db, s, s.db));

  std::unordered_set<std::string> in_book;
  for (const broker::Order& b : s.book) in_book.insert(b.order_id);
  for (const DbView* v : {&before, &s.db}) {
    for (const store::OrderRecord& o : v->orders) {
      if (o.broker_order_id.empty() || in_book.count(o.broker_order_id) != 0 ||
          store::is_terminal_order_status(o.status) || s.followed.count(o.broker_order_id) != 0) {
        continue;
      }
      broker::BrokerResult<std::vector<broker::Order>> history =
          broker.order_history(o.broker_order_id);
      if (!history.ok()) {
        if (is_not_found(history.error())) continue;
        return history.status().with_context("history of order " + o.broker_order_id);
      }
      if (!history->empty()) s.followed[o.broker_order_id] = history->back();
    }
  }
  s.db_before = std::move(before);
  return s;
}

namespace {

Difference unknown_order(const broker::Order& b) {
  Difference d;
  d.kind = DifferenceKind::kUnknownOrder;
  d.symbol = b.tradingsymbol;
  d.broker_order_id = b.order_id;
  d.broker_status = b.status;
  d.broker_qty = b.filled_quantity;
  d.drift = !broker::is_terminal_status(b.status);
  d.resolution = "apply";
  d.detail = fmt::format("broker order {} ({} {} {}, tag '{}') is not ours", b.order_id,
                         side_name(b.side), b.quantity, b.tradingsymbol, b.tag);
  return d;
}

// What a difference between our order o and the broker's order b says about both.
Difference order_difference(DifferenceKind kind, const store::OrderRecord& o,
                            const broker::Order& b) {
  Difference d;
  d.kind = kind;
  d.symbol = b.tradingsymbol;
  d.client_order_id = o.intent.client_order_id;
  d.broker_order_id = b.order_id;
  d.our_status = o.status;
  d.broker_status = b.status;
  d.our_qty = o.filled_qty;
  d.broker_qty = b.filled_quantity;
  return d;
}

Difference duplicate_order(const store::OrderRecord& o, const broker::Order& b) {
  Difference d = order_difference(DifferenceKind::kDuplicateOrder, o, b);
  d.our_qty = 0;  // what o has filled belongs to the broker order it is linked to
  d.drift = true;
  d.resolution = "apply";
  d.detail = fmt::format("broker order {} carries tag {}, which is linked to broker order {}",
                         b.order_id, o.intent.client_order_id, o.broker_order_id);
  return d;
}

Difference unlinked_order(const store::OrderRecord& o, const broker::Order& b) {
  const bool ours_open = !store::is_terminal_order_status(o.status);
  Difference d = order_difference(DifferenceKind::kOrderUnlinked, o, b);
  // Only an intent still waiting for its broker id is sm-order's to link; one we closed
  // locally (refused at placement) must not have a broker order at all.
  d.drift = !ours_open;
  d.resolution = ours_open ? "sm-order" : "apply";
  d.detail = ours_open
                 ? fmt::format("placement of {} was interrupted; the broker has it as {}",
                               o.intent.client_order_id, b.order_id)
                 : fmt::format("we recorded {} as {} without a broker order, the broker has {}",
                               o.intent.client_order_id, o.status, b.order_id);
  return d;
}

std::optional<Difference> booked_order_status(const store::OrderRecord& o, const broker::Order& b) {
  if (o.status == b.status && o.filled_qty == b.filled_quantity) return std::nullopt;
  const bool ours_open = !store::is_terminal_order_status(o.status);
  Difference d = order_difference(DifferenceKind::kOrderStatus, o, b);
  d.drift = !ours_open;
  d.resolution = ours_open ? "sm-order" : "apply";
  d.detail = fmt::format("ours {}, broker {}", order_state_text(o.status, o.filled_qty),
                         order_state_text(b.status, b.filled_quantity));
  return d;
}

// Each order in the broker's book against ours. Returns the client ids of our orders that a
// broker order is linked to (directly or by an unlinked tag).
std::unordered_set<std::string> compare_book(const Snapshot& s, const OurOrders& ours,
                                             std::vector<Difference>& out) {
  std::unordered_set<std::string> linked_tags;
  for (const broker::Order& b : s.book) {
    const Match m = match_broker_order(ours, b);
    if (m.order == nullptr) {
      out.push_back(unknown_order(b));
      continue;
    }
    const store::OrderRecord& o = *m.order;
    if (m.duplicate) {
      out.push_back(duplicate_order(o, b));
      continue;
    }
    linked_tags.insert(o.intent.client_order_id);
    if (m.by_tag_unlinked) {
      out.push_back(unlinked_order(o, b));
    } else if (std::optional<Difference> d = booked_order_status(o, b)) {
      out.push_back(std::move(*d));
    }
  }
  return linked_tags;
}

Difference unsent_order(const store::OrderRecord& o) {
  Difference d;
  d.kind = DifferenceKind::kOrderUnsent;
  d.symbol = o.intent.symbol;
  d.client_order_id = o.intent.client_order_id;
  d.our_status = o.status;
  d.drift = false;
  d.resolution = "sm-order";
  d.detail =
      fmt::format("intent {} is recorded; no broker order carries its tag (sm-order places it)",
                  o.intent.client_order_id);
  return d;
}

// An open order of ours with a broker id the book does not list: unknown to the broker, or (from
// its history) an order of an earlier day whose state differs from ours.
std::optional<Difference> unbooked_order(const Snapshot& s, const store::OrderRecord& o) {
  auto followed = s.followed.find(o.broker_order_id);
  Difference d;
  d.symbol = o.intent.symbol;
  d.client_order_id = o.intent.client_order_id;
  d.broker_order_id = o.broker_order_id;
  d.our_status = o.status;
  d.our_qty = o.filled_qty;
  if (followed == s.followed.end()) {
    d.kind = DifferenceKind::kOrderMissing;
    d.drift = true;
    d.resolution = "apply";
    d.detail = fmt::format("our open order {} ({}) is unknown to the broker", o.broker_order_id,
                           o.intent.client_order_id);
    return d;
  }
  const broker::Order& b = followed->second;
  if (b.status == o.status && b.filled_quantity == o.filled_qty) return std::nullopt;
  d.kind = DifferenceKind::kOrderStatus;
  d.broker_status = b.status;
  d.broker_qty = b.filled_quantity;
  d.drift = false;
  d.resolution = "sm-order";
  d.detail = fmt::format("ours {}, broker {} (order from an earlier day)",
                         order_state_text(o.status, o.filled_qty),
                         order_state_text(b.status, b.filled_quantity));
  return d;
}

// Our open orders the book does not show.
void compare_open_orders(const Snapshot& s, const DbView& v,
                         const std::unordered_set<std::string>& linked_tags,
                         std::vector<Difference>& out) {
  std::unordered_set<std::string> in_book;
  for (const broker::Order& b : s.book) in_book.insert(b.order_id);
  for (const store::OrderRecord& o : v.orders) {
    if (store::is_terminal_order_status(o.status)) continue;
    if (o.broker_order_id.empty()) {
      if (linked_tags.count(o.intent.client_order_id) == 0) out.push_back(unsent_order(o));
      continue;
    }
    if (in_book.count(o.broker_order_id) != 0) continue;
    if (std::optional<Difference> d = unbooked_order(s, o)) out.push_back(std::move(*d));
  }
}

Difference missing_fill(const broker::Trade& t, const store::OrderRecord* o) {
  Difference d;
  d.kind = DifferenceKind::kMissingFill;
  d.symbol = t.tradingsymbol;
  d.broker_order_id = t.order_id;
  d.trade_id = t.trade_id;
  d.broker_qty = t.quantity;
  if (o != nullptr) {
    d.client_order_id = o->intent.client_order_id;
    d.our_status = o->status;
  }
  const bool followable = o != nullptr && !store::is_terminal_order_status(o->status);
  d.drift = !followable;
  d.resolution = followable ? "sm-order" : "apply";
  d.detail = fmt::format("broker trade {} ({} {} {} at {}) {}", t.trade_id, side_name(t.side),
                         t.quantity, t.tradingsymbol, format_rupees(t.average_price),
                         o == nullptr ? "belongs to no order of ours"
                         : followable ? "is not recorded yet"
                                      : "is missing from a closed order of ours");
  return d;
}

// Broker trades we have no fill for. Returns their net signed quantity by symbol: fills still to
// come, which the position comparison counts as ours.
std::map<std::string, Quantity> compare_missing_fills(const Snapshot& s, const DbView& v,
                                                      const OurOrders& ours,
                                                      std::vector<Difference>& out) {
  std::unordered_set<std::string> our_trade_ids;
  for (const Fill& f : v.fills) our_trade_ids.insert(f.trade_id);
  std::unordered_map<std::string, const broker::Order*> book_by_id;
  for (const broker::Order& b : s.book) book_by_id[b.order_id] = &b;
  std::map<std::string, Quantity> pending_by_symbol;
  for (const broker::Trade& t : s.trades) {
    if (our_trade_ids.count(t.trade_id) != 0) continue;
    const store::OrderRecord* o = ours.broker(t.order_id);
    if (o == nullptr) {
      auto b = book_by_id.find(t.order_id);
      if (b != book_by_id.end()) {
        const Match m = match_broker_order(ours, *b->second);
        if (m.by_tag_unlinked) o = m.order;
      }
    }
    out.push_back(missing_fill(t, o));
    pending_by_symbol[t.tradingsymbol] += signed_qty(t.side, t.quantity);
  }
  return pending_by_symbol;
}

// Our fills of orders in the broker's book that the broker has no trade for. Reversals and
// adjustments are ours alone, and a reversed fill is already settled.
void compare_extra_fills(const Snapshot& s, const DbView& v, std::vector<Difference>& out) {
  std::unordered_set<std::string> reversed;
  for (const Fill& f : v.fills) {
    if (starts_with(f.trade_id, kReversalPrefix))
      reversed.insert(f.trade_id.substr(kReversalPrefix.size()));
  }
  std::unordered_set<std::string> in_book;
  for (const broker::Order& b : s.book) in_book.insert(b.order_id);
  std::unordered_set<std::string> broker_trade_ids;
  for (const broker::Trade& t : s.trades) broker_trade_ids.insert(t.trade_id);
  for (const Fill& f : v.fills) {
    if (f.broker_order_id.empty() || in_book.count(f.broker_order_id) == 0) continue;
    if (broker_trade_ids.count(f.trade_id) != 0 || reversed.count(f.trade_id) != 0) continue;
    if (starts_with(f.trade_id, kReversalPrefix) || starts_with(f.trade_id, kAdjustPrefix))
      continue;
    Difference d;
    d.kind = DifferenceKind::kExtraFill;
    d.symbol = f.symbol;
    d.client_order_id = f.client_order_id;
    d.broker_order_id = f.broker_order_id;
    d.trade_id = f.trade_id;
    d.our_qty = f.qty;
    d.drift = true;
    d.resolution = "apply";
    d.detail = fmt::format("our fill {} ({} {} {}) is not among the broker's trades of order {}",
                           f.trade_id, side_name(f.side), f.qty, f.symbol, f.broker_order_id);
    out.push_back(std::move(d));
  }
}

Quantity quantity_or_zero(const std::map<std::string, Quantity>& by_symbol,
                          const std::string& symbol) {
  auto it = by_symbol.find(symbol);
  return it == by_symbol.end() ? 0 : it->second;
}

// When our position in symbol differs from the broker's only by our recent corporate-action
// adjustments (the broker has not credited the new shares yet): what to tell people.
std::optional<std::string> awaiting_credit(const DbView& v, const std::string& symbol,
                                           Quantity pending, Quantity broker_qty) {
  Quantity before = 0;
  std::vector<std::string> actions;
  for (const store::Position& p : v.positions) {
    if (p.symbol != symbol) continue;
    Quantity qty = p.qty;
    for (std::size_t i = v.adjustments.size(); i-- > 0;) {  // undo the latest first
      const store::ActionAdjustment& a = v.adjustments[i];
      if (a.symbol != symbol || a.strategy != p.strategy || a.qty_after != qty) continue;
      qty = a.qty_before;
      actions.push_back(fmt::format("{} {} on {}", a.kind, a.ratio, format_date(a.ex_date)));
    }
    before += qty;
  }
  if (actions.empty() || before + pending != broker_qty) return std::nullopt;
  return fmt::format(
      "the broker shows {} before the {}; we hold the adjusted quantity (its new "
      "shares are credited after the ex-date)",
      broker_qty, fmt::join(actions, ", "));
}

// Positions: ours plus the fills still to come must equal the broker's (net positions and
// holdings, T1 included).
void compare_positions(const Snapshot& s, const DbView& v,
                       const std::map<std::string, Quantity>& pending_by_symbol,
                       std::vector<Difference>& out) {
  std::map<std::string, Quantity> ours_by_symbol;
  for (const store::Position& p : v.positions) ours_by_symbol[p.symbol] += p.qty;
  std::map<std::string, Quantity> broker_by_symbol;
  for (const broker::Position& p : s.positions.net) broker_by_symbol[p.tradingsymbol] += p.quantity;
  for (const broker::Holding& h : s.holdings)
    broker_by_symbol[h.tradingsymbol] += h.quantity + h.t1_quantity;
  std::set<std::string> symbols;
  for (const auto& [symbol, qty] : ours_by_symbol) symbols.insert(symbol);
  for (const auto& [symbol, qty] : broker_by_symbol) symbols.insert(symbol);
  for (const std::string& symbol : symbols) {
    const Quantity our_qty = quantity_or_zero(ours_by_symbol, symbol);
    const Quantity broker_qty = quantity_or_zero(broker_by_symbol, symbol);
    const Quantity pending = quantity_or_zero(pending_by_symbol, symbol);
    if (our_qty + pending == broker_qty) continue;
    Difference d;
    d.kind = DifferenceKind::kPosition;
    d.symbol = symbol;
    d.our_qty = our_qty;
    d.broker_qty = broker_qty;
    if (std::optional<std::string> credit = awaiting_credit(v, symbol, pending, broker_qty)) {
      d.known_class = "corporate_action";
      d.resolution = "none";
      d.detail = *credit;
      out.push_back(std::move(d));
      continue;
    }
    d.drift = true;
    d.resolution = "apply";
    d.detail = pending == 0
                   ? fmt::format("we hold {}, the broker {}", our_qty, broker_qty)
                   : fmt::format("we hold {} (+{} in fills not yet recorded), the broker {}",
                                 our_qty, pending, broker_qty);
    out.push_back(std::move(d));
  }
}

// The one strategy whose intraday (MIS) position in symbol an order of side closes (a sell closes
// a long), or "" when none or several do: then a person must say whose it was. The broker squares
// off MIS positions only, so a strategy holding delivery (CNC) shares of the symbol is no
// candidate (a bonus holding beside an intraday trade must not absorb the square-off). An MIS
// position lasts one day, so it is the sum of the strategy's fills of MIS orders the broker's book
// refers to (v.orders has each of them).
std::string closed_strategy(const DbView& v, const std::string& symbol, Side side) {
  std::unordered_set<std::string> intraday_orders;
  for (const store::OrderRecord& o : v.orders) {
    if (o.intent.symbol == symbol && o.intent.product == Product::kIntraday) {
      intraday_orders.insert(o.intent.client_order_id);
    }
  }
  std::map<std::string, Quantity> intraday_qty;
  for (const Fill& f : v.fills) {
    if (f.symbol != symbol || intraday_orders.count(f.client_order_id) == 0) continue;
    intraday_qty[f.strategy] += f.side == Side::kBuy ? f.qty : -f.qty;
  }
  std::string found;
  for (const auto& [strategy, qty] : intraday_qty) {
    if (qty == 0 || (qty > 0) != (side == Side::kSell)) continue;
    if (!found.empty()) return "";
    found = strategy;
  }
  return found;
}

// The broker's auto square-off of an MIS position of ours (its order and its trades) is expected:
// recorded without a person, not drift. A square-off of a position we cannot attribute stays drift.
void classify_square_offs(const Snapshot& s, const DbView& v, std::vector<Difference>& out) {
  std::unordered_map<std::string, const broker::Order*> book_by_id;
  for (const broker::Order& b : s.book) book_by_id[b.order_id] = &b;
  for (Difference& d : out) {
    if (d.kind != DifferenceKind::kUnknownOrder && d.kind != DifferenceKind::kMissingFill) continue;
    if (!d.client_order_id.empty()) continue;
    auto it = book_by_id.find(d.broker_order_id);
    if (it == book_by_id.end()) continue;
    const broker::Order& b = *it->second;
    if (b.product != "MIS" || !placed_by_broker_risk_team(b)) continue;
    const std::string strategy = closed_strategy(v, b.tradingsymbol, b.side);
    if (strategy.empty()) {
      d.detail += fmt::format(
          " (placed by the broker's risk team, {}, but no single strategy of "
          "ours holds the position it closes)",
          b.placed_by);
      continue;
    }
    d.known_class = "auto_square_off";
    d.strategy = strategy;
    d.drift = false;
    d.resolution = "record";
    d.detail += fmt::format(" (the broker's auto square-off, placed by {}, of {}'s MIS position)",
                            b.placed_by, strategy);
  }
}

std::vector<Difference> compare_view(const Snapshot& s, const DbView& v) {
  std::vector<Difference> out;
  const OurOrders ours(v.orders);
  const std::unordered_set<std::string> linked_tags = compare_book(s, ours, out);
  compare_open_orders(s, v, linked_tags, out);
  const std::map<std::string, Quantity> pending_by_symbol = compare_missing_fills(s, v, ours, out);
  compare_extra_fills(s, v, out);
  compare_positions(s, v, pending_by_symbol, out);
  classify_square_offs(s, v, out);
  return out;
}

std::string difference_key(const Difference& d) {
  if (d.kind == DifferenceKind::kPosition) return fmt::format("position|{}", d.symbol);
  return fmt::format("{}|{}|{}|{}", difference_kind_name(d.kind), d.client_order_id,
                     d.broker_order_id, d.trade_id);
}

}  // namespace

bool placed_by_broker_risk_team(const broker::Order& order) {
  const std::string_view by = order.placed_by;
  if (by == "ADMINSQF") return true;
  if (by.size() <= 3 || by.substr(0, 3) != "RMS") return false;
  return std::all_of(by.begin() + 3, by.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<Difference> compare(const Snapshot& s) {
  std::vector<Difference> out = compare_view(s, s.db);
  if (!s.db_before) return out;
  std::set<std::string> drift_before;
  for (const Difference& d : compare_view(s, *s.db_before)) {
    if (d.drift) drift_before.insert(difference_key(d));
  }
  for (Difference& d : out) {
    if (d.drift && drift_before.count(difference_key(d)) == 0) {
      d.drift = false;
      d.resolution = "sm-order";
      d.detail += " (it changed while being read: sm-order at work; check again)";
    }
  }
  return out;
}

TimestampMs broker_state_time(const broker::Order& order, TimestampMs fallback) {
  if (order.exchange_update_timestamp > 0) return order.exchange_update_timestamp;
  if (order.exchange_timestamp > 0) return order.exchange_timestamp;
  if (order.order_timestamp > 0) return order.order_timestamp;
  return fallback;
}

int count_drift(const std::vector<Difference>& differences) {
  return static_cast<int>(std::count_if(differences.begin(), differences.end(),
                                        [](const Difference& d) { return d.drift; }));
}

namespace {

// The intent an order placed outside sm-order would have been.
Result<OrderIntent> intent_from_broker(const broker::Order& b, std::string client_order_id) {
  OrderIntent intent;
  intent.ts = b.order_timestamp;
  intent.client_order_id = std::move(client_order_id);
  intent.strategy = kExternalStrategy;
  intent.symbol = b.tradingsymbol;
  intent.exchange = b.exchange.empty() ? "NSE" : b.exchange;
  intent.side = b.side;
  intent.qty = b.quantity > 0 ? b.quantity : 1;
  Result<OrderType> type = order_type_of(b.order_type);
  intent.order_type = type.ok() ? *type : OrderType::kMarket;
  Result<Product> product = parse_product(b.product);
  intent.product = product.ok() ? *product : Product::kDelivery;
  intent.price = b.price;
  intent.trigger_price = b.trigger_price;
  intent.reason = fmt::format("adopted from the broker by sm-reconcile (order {})", b.order_id);
  return intent;
}

Status adopt_state(store::Database& db, const store::OrderRecord& ours, const broker::Order& b,
                   TimestampMs now_ms) {
  Result<store::Transaction> tx = db.begin();
  if (!tx.ok()) return tx.status();
  OrderUpdate u;
  u.ts = broker_state_time(b, now_ms);
  u.recorded_ts = now_ms;
  u.client_order_id = ours.intent.client_order_id;
  u.broker_order_id = b.order_id;
  u.symbol = b.tradingsymbol;
  u.side = b.side;
  u.status = b.status;
  u.qty = b.quantity;
  u.filled_qty = b.filled_quantity;
  u.pending_qty = b.pending_quantity;
  u.average_price = b.average_price;
  u.status_message = b.status_message;
  Result<bool> applied = store::apply_order_update(db, u);
  if (!applied.ok()) return applied.status();
  nlohmann::json detail = {{"from", ours.status},
                           {"to", b.status},
                           {"from_filled", ours.filled_qty},
                           {"to_filled", b.filled_quantity},
                           {"broker_order_id", b.order_id},
                           {"by", "sm-reconcile"}};
  SM_RETURN_IF_ERROR(store::append_order_event(
      db, {ours.intent.client_order_id, now_ms, "reconcile_adopted", b.status, detail.dump()}));
  return tx->commit();
}

void note_error(ApplyReport& report, const Difference& d, const Status& status) {
  report.errors.push_back(fmt::format("{} {}{}: {}", difference_kind_name(d.kind),
                                      d.broker_order_id, d.trade_id.empty() ? "" : " " + d.trade_id,
                                      status.to_string()));
}

using BookById = std::unordered_map<std::string, const broker::Order*>;

// The client id an adopted broker order is recorded under: its own tag when that is a valid tag
// no order of ours uses, else "x" + the broker's id (cut to the tag length).
Result<std::string> adopted_client_id(store::Database& db, const Difference& d,
                                      const broker::Order& b) {
  std::string id = (d.kind == DifferenceKind::kUnknownOrder && broker::validate_tag(b.tag).ok())
                       ? b.tag
                       : "x" + b.order_id;
  Result<std::optional<store::OrderRecord>> taken = store::find_order(db, id);
  if (!taken.ok()) return taken.status();
  if (taken->has_value()) id = "x" + b.order_id;
  if (id.size() > broker::kMaxTagLength) id = id.substr(0, broker::kMaxTagLength);
  return id;
}

// Broker orders that are not ours (or a second order under one of our tags) become ours, so
// their fills have an order to belong to.
Status adopt_foreign_orders(store::Database& db, const BookById& book_by_id,
                            const std::vector<Difference>& differences, TimestampMs now_ms,
                            ApplyReport& report) {
  for (const Difference& d : differences) {
    if (d.kind != DifferenceKind::kUnknownOrder && d.kind != DifferenceKind::kDuplicateOrder)
      continue;
    auto it = book_by_id.find(d.broker_order_id);
    if (it == book_by_id.end()) continue;
    const broker::Order& b = *it->second;
    Result<std::string> id = adopted_client_id(db, d, b);
    if (!id.ok()) return id.status();
    Result<OrderIntent> intent = intent_from_broker(b, *id);
    if (!d.strategy.empty()) {
      intent->strategy = d.strategy;
      intent->reason = fmt::format("the broker's auto square-off (order {}, placed by {})",
                                   b.order_id, b.placed_by);
    }
    Result<bool> recorded = store::upsert_order_intent(db, *intent);
    if (!recorded.ok()) {
      note_error(report, d, recorded.status());
      continue;
    }
    Result<std::optional<store::OrderRecord>> created = store::find_order(db, *id);
    if (!created.ok()) return created.status();
    if (!created->has_value()) continue;
    if (Status st = adopt_state(db, **created, b, now_ms); !st.ok()) {
      note_error(report, d, st);
      continue;
    }
    ++report.adopted_orders;
  }
  return Status();
}

// The fill a broker trade records, attributed to our order when there is one.
Result<Fill> fill_from_trade(store::Database& db, const broker::Trade& trade,
                             const std::string& client_order_id, TimestampMs now_ms) {
  Result<std::optional<store::OrderRecord>> o = store::find_order_by_broker_id(db, trade.order_id);
  if (!o.ok()) return o.status();
  if (!o->has_value() && !client_order_id.empty()) {
    o = store::find_order(db, client_order_id);
    if (!o.ok()) return o.status();
  }
  Fill f;
  f.ts = trade_time(trade, now_ms);
  f.broker_order_id = trade.order_id;
  f.trade_id = trade.trade_id;
  f.symbol = trade.tradingsymbol;
  f.side = trade.side;
  f.qty = trade.quantity;
  f.price = trade.average_price;
  if (o->has_value()) {
    f.client_order_id = (*o)->intent.client_order_id;
    f.strategy = (*o)->intent.strategy;
  }
  return f;
}

// costs: prices each fill's charges from the broker trade's product (null: charges 0).
Status insert_missing_fills(store::Database& db, const Snapshot& s,
                            const std::vector<Difference>& differences, TimestampMs now_ms,
                            ApplyReport& report, const costs::CostModel* costs = nullptr) {
  for (const Difference& d : differences) {
    if (d.kind != DifferenceKind::kMissingFill) continue;
    const broker::Trade* trade = nullptr;
    for (const broker::Trade& t : s.trades) {
      if (t.trade_id == d.trade_id) trade = &t;
    }
    if (trade == nullptr) continue;
    Result<Fill> f = fill_from_trade(db, *trade, d.client_order_id, now_ms);
    if (!f.ok()) return f.status();
    Result<Product> product = parse_product(trade->product);
    if (costs != nullptr && product.ok()) {
      Result<costs::Charges> charges = fill_charges(db, *costs, *f, *product);
      if (!charges.ok()) {
        note_error(report, d, charges.status());
      } else {
        f->charges = charges->total();
      }
    }
    Result<store::FillOutcome> inserted = store::insert_fill(db, *f);
    if (!inserted.ok()) {
      note_error(report, d, inserted.status());
      continue;
    }
    if (inserted->inserted) ++report.inserted_fills;
  }
  return Status();
}

// Extra fills are reversed, not deleted: the fills table is append-only audit.
void reverse_extra_fills(store::Database& db, const Snapshot& s,
                         const std::vector<Difference>& differences, TimestampMs now_ms,
                         ApplyReport& report) {
  for (const Difference& d : differences) {
    if (d.kind != DifferenceKind::kExtraFill) continue;
    const Fill* extra = nullptr;
    for (const Fill& f : s.db.fills) {
      if (f.trade_id == d.trade_id) extra = &f;
    }
    if (extra == nullptr) continue;
    Fill r = *extra;
    r.ts = now_ms;
    r.trade_id = std::string(kReversalPrefix) + extra->trade_id;
    r.side = extra->side == Side::kBuy ? Side::kSell : Side::kBuy;
    r.charges = 0;
    Result<store::FillOutcome> inserted = store::insert_fill(db, r);
    if (!inserted.ok()) {
      note_error(report, d, inserted.status());
      continue;
    }
    if (inserted->inserted) ++report.reversed_fills;
  }
}

// The broker's view of an order it does not know: cancelled, as far as we filled it.
broker::Order closed_as_unknown(const store::OrderRecord& o, const std::string& broker_order_id) {
  broker::Order gone = adopt_as_order_view(o);
  gone.order_id = broker_order_id;
  gone.tradingsymbol = o.intent.symbol;
  gone.side = o.intent.side;
  gone.quantity = o.intent.qty;
  gone.status = broker::kStatusCancelled;
  gone.status_message = "not known to the broker (closed by sm-reconcile --apply)";
  gone.average_price = o.average_price;
  return gone;
}

// The broker's word on our order states is the truth (its own state machine already ran).
Status adopt_order_states(store::Database& db, const Snapshot& s, const BookById& book_by_id,
                          const std::vector<Difference>& differences, TimestampMs now_ms,
                          ApplyReport& report) {
  for (const Difference& d : differences) {
    if (d.client_order_id.empty()) continue;
    Result<std::optional<store::OrderRecord>> o = store::find_order(db, d.client_order_id);
    if (!o.ok()) return o.status();
    if (!o->has_value()) continue;
    Status st;
    if (d.kind == DifferenceKind::kOrderUnlinked || d.kind == DifferenceKind::kOrderStatus) {
      const broker::Order* b = nullptr;
      if (auto it = book_by_id.find(d.broker_order_id); it != book_by_id.end()) b = it->second;
      if (auto it = s.followed.find(d.broker_order_id); b == nullptr && it != s.followed.end())
        b = &it->second;
      if (b == nullptr) continue;
      st = adopt_state(db, **o, *b, now_ms);
    } else if (d.kind == DifferenceKind::kOrderMissing) {
      st = adopt_state(db, **o, closed_as_unknown(**o, d.broker_order_id), now_ms);
    } else {
      continue;
    }
    if (!st.ok()) {
      note_error(report, d, st);
    } else {
      ++report.updated_orders;
    }
  }
  return Status();
}

// Positions by symbol on both sides as they stand now, with what an adjustment is priced from.
struct PositionBooks {
  std::map<std::string, Quantity> ours;
  std::map<std::string, std::pair<Quantity, Paise>> our_cost;  // qty, cost
  std::map<std::string, Quantity> theirs;
  std::map<std::string, Paise> their_price;  // average price, else last price
};

PositionBooks position_books(const std::vector<store::Position>& our_positions, const Snapshot& s) {
  PositionBooks books;
  for (const store::Position& p : our_positions) {
    books.ours[p.symbol] += p.qty;
    books.our_cost[p.symbol].first += p.qty;
    books.our_cost[p.symbol].second += p.cost;
  }
  for (const broker::Position& p : s.positions.net) {
    books.theirs[p.tradingsymbol] += p.quantity;
    if (p.average_price > 0) books.their_price[p.tradingsymbol] = p.average_price;
    if (books.their_price.count(p.tradingsymbol) == 0 && p.last_price > 0)
      books.their_price[p.tradingsymbol] = p.last_price;
  }
  for (const broker::Holding& h : s.holdings) {
    books.theirs[h.tradingsymbol] += h.quantity + h.t1_quantity;
    if (h.average_price > 0) books.their_price[h.tradingsymbol] = h.average_price;
  }
  return books;
}

// The broker's average when the adjustment moves toward a position the broker has, else our
// average cost (so the adjustment realises no P&L), else any broker price; 0 when there is none.
Paise adjustment_price(PositionBooks& books, const std::string& symbol) {
  Paise price = 0;
  const bool toward_broker_position = books.theirs[symbol] != 0;
  if (toward_broker_position && books.their_price.count(symbol) != 0)
    price = books.their_price[symbol];
  const auto& [cost_qty, cost] = books.our_cost[symbol];
  if (price <= 0 && cost_qty != 0)
    price = std::max<Paise>(1, (cost < 0 ? -cost : cost) / (cost_qty < 0 ? -cost_qty : cost_qty));
  if (price <= 0 && books.their_price.count(symbol) != 0) price = books.their_price[symbol];
  return price;
}

// Whatever still differs in a position is adjusted with one fill per symbol.
Status adjust_positions(store::Database& db, const Snapshot& s,
                        const std::vector<Difference>& differences, TimestampMs now_ms,
                        ApplyReport& report) {
  Result<std::vector<store::Position>> now_positions = store::list_positions(db, false);
  if (!now_positions.ok()) return now_positions.status();
  PositionBooks books = position_books(*now_positions, s);
  for (const Difference& d : differences) {
    // Shares the broker is still to credit after a corporate action are ours already.
    if (d.kind != DifferenceKind::kPosition || d.known_class == "corporate_action") continue;
    const Quantity have = books.ours[d.symbol];
    const Quantity want = books.theirs[d.symbol];
    if (have == want) continue;
    const Quantity delta = want - have;
    const Paise price = adjustment_price(books, d.symbol);
    if (price <= 0) {
      note_error(report, d, error(ErrorCode::kUnavailable, "no price to adjust the position at"));
      continue;
    }
    Fill f;
    f.ts = now_ms;
    f.trade_id = fmt::format("{}{}:{}", kAdjustPrefix, d.symbol, now_ms);
    f.symbol = d.symbol;
    f.side = delta > 0 ? Side::kBuy : Side::kSell;
    f.qty = delta > 0 ? delta : -delta;
    f.price = price;
    Result<store::FillOutcome> inserted = store::insert_fill(db, f);
    if (!inserted.ok()) {
      note_error(report, d, inserted.status());
      continue;
    }
    ++report.adjusted_positions;
  }
  return Status();
}

Status record_applied_alert(store::Database& db, const ApplyReport& report, TimestampMs now_ms) {
  if (report.adopted_orders + report.updated_orders + report.inserted_fills +
          report.reversed_fills + report.adjusted_positions ==
      0) {
    return Status();
  }
  Alert a;
  a.ts = now_ms;
  a.severity = Severity::kWarning;
  a.component = "sm-reconcile";
  a.event = "reconcile_applied";
  a.text = fmt::format(
      "adopted the broker's truth: {} orders adopted, {} order states, {} fills added, {} fills "
      "reversed, "
      "{} positions adjusted",
      report.adopted_orders, report.updated_orders, report.inserted_fills, report.reversed_fills,
      report.adjusted_positions);
  a.dedup_key = fmt::format("reconcile_applied:{}", now_ms);
  Result<bool> recorded = store::record_alert(db, a);
  return recorded.ok() ? Status() : recorded.status();
}

}  // namespace

// The order of the steps matters: adopted orders give missing fills an order to belong to, and
// positions are adjusted last, against what the fills before them left.
Result<ApplyReport> apply(store::Database& db, const Snapshot& s,
                          const std::vector<Difference>& differences, TimestampMs now_ms) {
  ApplyReport report;
  BookById book_by_id;
  for (const broker::Order& b : s.book) book_by_id[b.order_id] = &b;
  SM_RETURN_IF_ERROR(adopt_foreign_orders(db, book_by_id, differences, now_ms, report));
  SM_RETURN_IF_ERROR(insert_missing_fills(db, s, differences, now_ms, report));
  reverse_extra_fills(db, s, differences, now_ms, report);
  SM_RETURN_IF_ERROR(adopt_order_states(db, s, book_by_id, differences, now_ms, report));
  SM_RETURN_IF_ERROR(adjust_positions(db, s, differences, now_ms, report));
  SM_RETURN_IF_ERROR(record_applied_alert(db, report, now_ms));
  return report;
}

Result<ApplyReport> record_known_classes(store::Database& db, const Snapshot& s,
                                         const std::vector<Difference>& differences,
                                         TimestampMs now_ms, const costs::CostModel* costs) {
  std::vector<Difference> known;
  for (const Difference& d : differences) {
    if (!d.known_class.empty()) known.push_back(d);
  }
  ApplyReport report;
  if (known.empty()) return report;
  BookById book_by_id;
  for (const broker::Order& b : s.book) book_by_id[b.order_id] = &b;
  SM_RETURN_IF_ERROR(adopt_foreign_orders(db, book_by_id, known, now_ms, report));
  SM_RETURN_IF_ERROR(insert_missing_fills(db, s, known, now_ms, report, costs));
  for (const Difference& d : known) {
    if (d.kind != DifferenceKind::kUnknownOrder) continue;
    Alert a;
    a.ts = now_ms;
    a.severity = Severity::kInfo;
    a.component = "sm-reconcile";
    a.event = "broker_square_off";
    a.text = fmt::format(
        "the broker squared off {}'s MIS position in {} (order {}, {} filled); "
        "recorded",
        d.strategy, d.symbol, d.broker_order_id, d.broker_qty);
    a.dedup_key = fmt::format("broker_square_off:{}", d.broker_order_id);
    Result<bool> recorded = store::record_alert(db, a);
    if (!recorded.ok()) return recorded.status();
  }
  return report;
}

std::string difference_to_json(const Difference& d, TimestampMs ts) {
  std::string out;
  JsonObjectWriter(out)
      .string("type", "reconcile_difference")
      .timestamp("ts", ts)
      .string("kind", difference_kind_name(d.kind))
      .string("symbol", d.symbol)
      .string("client_order_id", d.client_order_id)
      .string("broker_order_id", d.broker_order_id)
      .string("trade_id", d.trade_id)
      .integer("our_qty", d.our_qty)
      .integer("broker_qty", d.broker_qty)
      .string("our_status", d.our_status)
      .string("broker_status", d.broker_status)
      .boolean("drift", d.drift)
      .string("resolution", d.resolution)
      .string("known_class", d.known_class)
      .string("strategy", d.strategy)
      .string("detail", d.detail)
      .finish();
  return out;
}

std::string summary_to_json(TimestampMs ts, const std::vector<Difference>& differences,
                            const std::optional<ApplyReport>& applied, int drift_after) {
  std::string out;
  JsonObjectWriter w(out);
  w.string("type", "reconcile_summary")
      .timestamp("ts", ts)
      .integer("differences", static_cast<std::int64_t>(differences.size()))
      .integer("drift", count_drift(differences))
      .boolean("applied", applied.has_value());
  if (applied) {
    w.integer("adopted_orders", applied->adopted_orders)
        .integer("updated_orders", applied->updated_orders)
        .integer("inserted_fills", applied->inserted_fills)
        .integer("reversed_fills", applied->reversed_fills)
        .integer("adjusted_positions", applied->adjusted_positions)
        .integer("apply_errors", static_cast<std::int64_t>(applied->errors.size()));
  }
  w.integer("drift_remaining", drift_after).finish();
  return out;
}

std::string format_table(const std::vector<Difference>& differences, int drift_after,
                         const std::optional<ApplyReport>& applied) {
  std::string out;
  if (differences.empty()) {
    out += "No differences: the database agrees with the broker.\n";
    return out;
  }
  out += fmt::format("{:<16} {:<12} {:<20} {:>9} {:>9}  {:<6} {:<9} {}\n", "KIND", "SYMBOL",
                     "ORDER", "OURS", "BROKER", "DRIFT", "SETTLES", "DETAIL");
  for (const Difference& d : differences) {
    const std::string order = !d.client_order_id.empty() ? d.client_order_id : d.broker_order_id;
    const bool is_order =
        d.kind == DifferenceKind::kOrderStatus || d.kind == DifferenceKind::kOrderUnlinked ||
        d.kind == DifferenceKind::kUnknownOrder || d.kind == DifferenceKind::kDuplicateOrder ||
        d.kind == DifferenceKind::kOrderMissing || d.kind == DifferenceKind::kOrderUnsent;
    const std::string our =
        is_order ? (d.our_status.empty() ? "-" : d.our_status) : std::to_string(d.our_qty);
    const std::string their =
        is_order ? (d.broker_status.empty() ? "-" : d.broker_status) : std::to_string(d.broker_qty);
    out += fmt::format("{:<16} {:<12} {:<20} {:>9} {:>9}  {:<6} {:<9} {}\n",
                       difference_kind_name(d.kind), d.symbol, order, our, their,
                       d.drift ? "yes" : "no", d.resolution, d.detail);
  }
  if (applied) {
    out += fmt::format(
        "Applied: {} orders adopted, {} order states, {} fills added, {} fills reversed, {} "
        "positions adjusted"
        "{}.\n",
        applied->adopted_orders, applied->updated_orders, applied->inserted_fills,
        applied->reversed_fills, applied->adjusted_positions,
        applied->errors.empty() ? ""
                                : fmt::format(", {} could not be applied", applied->errors.size()));
  }
  out += drift_after == 0 ? "No unresolved drift.\n"
                          : fmt::format("{} unresolved drift difference{} (see DRIFT = yes).\n",
                                        drift_after, drift_after == 1 ? "" : "s");
  return out;
}

Status apply_due_corporate_actions(store::Database& db, const std::vector<CorporateAction>& actions,
                                   TimestampMs now, std::string_view component, const Logger& log) {
  Result<std::vector<store::ActionAdjustment>> applied =
      store::apply_corporate_actions(db, actions, now, component);
  if (!applied.ok()) return applied.status();
  for (const store::ActionAdjustment& a : *applied) {
    log.info("corporate_action_applied", {{"strategy", a.strategy},
                                          {"symbol", a.symbol},
                                          {"ex_date", format_date(a.ex_date)},
                                          {"action", a.kind + " " + a.ratio},
                                          {"qty_before", a.qty_before},
                                          {"qty_after", a.qty_after}});
  }
  return Status();
}

}  // namespace sm::order
