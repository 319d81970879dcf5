// Reconciliation: our database against the broker's truth (docs/ORDERS.md "Reconcile"). Used by
// sm-reconcile and, before it sends anything, by sm-order at start-up.
//
// Three steps, so the comparison itself is a pure function that tests drive with hand-made data:
//   take_snapshot   reads the broker (order book, trades, positions, holdings, and the history of
//                   any open order of ours that the day's book no longer lists) and the database
//                   (orders, fills, positions);
//   compare         lists the differences;
//   apply           adopts the broker's truth for each one, with an audit record.
//
// A difference is drift when sm-order cannot settle it by itself. Differences about our own open
// orders (an intent whose placement was interrupted, a fill sm-order has not fetched yet, a status
// it has not polled yet) are not drift: sm-order resolves them at start-up by following its orders,
// and `--fail-on-drift` must not keep it from starting to do exactly that.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.h"
#include "core/corporate_action.h"
#include "core/log.h"
#include "core/status.h"
#include "costs/cost_model.h"
#include "store/corporate_actions.h"
#include "store/database.h"
#include "store/trading_records.h"

namespace sm::order {

// The strategy name orders adopted from the broker are recorded under (placed outside sm-order).
inline constexpr const char* kExternalStrategy = "external";

enum class DifferenceKind {
  kPosition,        // a symbol's net quantity differs, after counting the missing fills
  kMissingFill,     // a broker trade we have no fill for
  kExtraFill,       // our fill of an order in the broker's book that the broker has no trade for
  kOrderStatus,     // our order's status or filled quantity differs from the broker's
  kOrderUnlinked,   // an intent without a broker id; the broker has an order with its tag
  kOrderUnsent,     // an intent without a broker id; no broker order has its tag (not drift)
  kOrderMissing,    // an open order of ours whose broker id the broker does not know
  kUnknownOrder,    // a broker order that is not ours
  kDuplicateOrder,  // a second broker order carrying the tag of an order we already linked
};
// "position", "missing_fill", "extra_fill", "order_status", "order_unlinked", "order_unsent",
// "order_missing", "unknown_order", "duplicate_order".
std::string_view difference_kind_name(DifferenceKind kind);

struct Difference {
  DifferenceKind kind = DifferenceKind::kPosition;
  std::string symbol;
  std::string client_order_id;  // ours, when the difference concerns one of our orders
  std::string broker_order_id;
  std::string trade_id;
  Quantity our_qty = 0;  // position: net quantity; fills: the fill's quantity; orders: filled
  Quantity broker_qty = 0;
  std::string our_status;  // orders: our status ("" when we have no order)
  std::string broker_status;
  bool drift = false;
  // What settles it: "sm-order" (following its orders does), "apply" (sm-reconcile --apply or a
  // person), "none" (nothing to do: informational).
  std::string resolution;
  std::string detail;  // one line for people
  // A known class that is recorded without a person (record_known_classes), "" for none:
  // "auto_square_off" for the broker's auto square-off of an MIS position of ours;
  // "corporate_action" for a position we adjusted for a bonus or split whose new shares the broker
  // has not credited yet (it still shows the quantity before the action): not drift, nothing to do.
  std::string known_class;
  std::string strategy;  // known_class: the strategy whose position the broker closed
};

// Whether the broker's risk team placed this order: Zerodha marks its auto square-off of MIS
// positions (15:20 IST for equity) and other RMS closures with placed_by "ADMINSQF" or
// "RMS<digits>" instead of the client's user id.
bool placed_by_broker_risk_team(const broker::Order& order);

// Our side of a snapshot, read at one moment.
struct DbView {
  std::vector<store::OrderRecord> orders;  // open ones, and those the broker's orders refer to
  std::vector<Fill> fills;                 // every fill in the database
  std::vector<store::Position> positions;
  // Our positions' corporate-action adjustments with an ex-date in the last 30 days
  // (store/corporate_actions.h): the broker may credit the new shares days after the ex-date.
  std::vector<store::ActionAdjustment> adjustments;
};

// Everything compare() needs.
struct Snapshot {
  TimestampMs taken_ms = 0;
  std::vector<broker::Order> book;    // GET /orders
  std::vector<broker::Trade> trades;  // GET /trades
  broker::Positions positions;        // GET /portfolio/positions
  std::vector<broker::Holding> holdings;
  // Latest state of our open orders missing from the book, from their history; an order whose
  // history the broker does not know is absent.
  std::map<std::string, broker::Order> followed;  // by broker order id

  DbView db;  // read after the broker
  // Read (as one SQLite read transaction) before the broker. sm-order may be working while we
  // read (sm-reconcile on a timer): an order it places and fills between the reads makes one of
  // the two views differ from the broker, never both. Drift must show in both.
  std::optional<DbView> db_before;
};

// What every reconciliation does first: adjusts our positions for the corporate actions due by now
// (store::apply_corporate_actions, recorded as done by component), so that the broker's holdings
// after a bonus or split are what we expect, not drift. Logs one info line
// "corporate_action_applied" per position adjusted. Fails as apply_corporate_actions does.
Status apply_due_corporate_actions(store::Database& db, const std::vector<CorporateAction>& actions,
                                   TimestampMs now, std::string_view component, const Logger& log);

// Reads the database (db_before), the broker (until two consecutive reads of its book and trades
// agree), then the database again (db). Fails on any broker or database error other than "no such
// order" for a history lookup (the whole snapshot, never half of one).
Result<Snapshot> take_snapshot(store::Database& db, broker::Broker& broker, TimestampMs now_ms);

// The differences between the broker and snapshot.db, in a stable order: orders, then fills, then
// positions by symbol. With db_before, a difference counts as drift only if the same difference is
// drift against db_before too (otherwise it is sm-order's work in progress).
std::vector<Difference> compare(const Snapshot& snapshot);

struct ApplyReport {
  int adopted_orders = 0;  // unknown or duplicate broker orders recorded as ours
  int updated_orders = 0;  // statuses adopted
  int inserted_fills = 0;  // missing fills recorded
  int reversed_fills = 0;  // extra fills reversed
  int adjusted_positions = 0;
  std::vector<std::string> errors;  // differences that could not be applied, one line each
};

// Adopts the broker's truth for every difference (drift or not, except kOrderUnsent): records
// unknown broker orders under strategy "external", inserts missing fills, reverses extra fills
// (a fill with trade_id "reversal:<id>"), writes the broker's status onto our orders (order event
// "reconcile_adopted" with both states), and finally brings each position still differing to the
// broker's quantity with an adjustment fill (trade_id "adjust:<symbol>:<ms>", strategy ""). Each
// change is its own transaction. Reads the database again before the positions, so `snapshot`'s
// database half may be stale afterwards: take a new snapshot to check what remains.
Result<ApplyReport> apply(store::Database& db, const Snapshot& snapshot,
                          const std::vector<Difference>& differences, TimestampMs now_ms);

// Records the differences of a known class (known_class non-empty) the way apply() would, without
// a person and without touching any other difference: the broker's order is adopted under the
// strategy whose position it closed (not "external"), its fills are recorded for that strategy,
// and one info alert "broker_square_off" names each such order. Safe beside a running sm-order:
// the adopted orders are final and every write is idempotent (client id "x<broker id>", trade id).
// With costs, each recorded fill carries its charges as sm-order prices a live fill's
// (order/fill_charges.h; the broker charges a square-off trade like any other), so net P&L
// matches the broker's; without, charges 0.
Result<ApplyReport> record_known_classes(store::Database& db, const Snapshot& snapshot,
                                         const std::vector<Difference>& differences,
                                         TimestampMs now_ms,
                                         const costs::CostModel* costs = nullptr);

// When the broker's state of `order` began: its exchange update time, else its exchange time,
// else its order time; fallback when the broker gave none of them.
TimestampMs broker_state_time(const broker::Order& order, TimestampMs fallback);

// Number of differences that are drift.
int count_drift(const std::vector<Difference>& differences);

// One NDJSON line (no newline) of type "reconcile_difference" (docs/PROTOCOL.md).
std::string difference_to_json(const Difference& difference, TimestampMs ts);
// The closing line of a run, type "reconcile_summary".
std::string summary_to_json(TimestampMs ts, const std::vector<Difference>& differences,
                            const std::optional<ApplyReport>& applied, int drift_after);
// A table for people: one row per difference, IST times, then a verdict line.
std::string format_table(const std::vector<Difference>& differences, int drift_after,
                         const std::optional<ApplyReport>& applied);

}  // namespace sm::order
