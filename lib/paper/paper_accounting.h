// The paper broker's accounting: cash, positions, holdings, margins and charges, all derived from
// its stored trades, cash entries and open orders (nothing here is stored on its own). The engine
// (paper_engine.h) handles orders and asks this file what they cost and what they leave.
//
// Money: cash = deposits − charges − CNC buys + CNC sells + realised MIS P&L.
// available = cash − MIS margin (open MIS cost × mis_margin_bps) − margin blocked by open orders.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "broker/types.h"
#include "core/corporate_action.h"
#include "core/position.h"
#include "costs/cost_model.h"
#include "paper/paper_store.h"
#include "paper/price_source.h"

namespace sm::paper {

// Whether an order is still working (OPEN or TRIGGER PENDING): it may fill and blocks margin.
bool is_open_status(std::string_view status);

// Positions fold by core's average-cost rule (core/position.h), the same apply_fill as the store
// and the risk engine, so a paper account and our own books agree to the paisa. A close takes its
// share of the cost rounded half away from zero (the paper broker used to truncate it toward
// zero: a partial close may now take a paisa more of cost, leaving a paisa less on the position
// and realising a paisa less), and a short's cost is negative. What the paper broker serves keeps
// Kite's shape: its values and averages are magnitudes (open_cost, average_price below).

// The cost of the open quantity as a magnitude (a short's cost is negative in sm::Position).
Paise open_cost(const Position& position);
// open_cost / |qty| rounded half-even; 0 when flat.
Paise average_price(const Position& position);

// The trades of one instrument and product.
struct Fold {
  std::string exchange;
  std::string symbol;
  std::string product;
  std::int64_t token = 0;
  Position prior;  // trades before today
  Position all;
  bool today = false;  // traded today
  Quantity day_buy_qty = 0;
  Quantity day_sell_qty = 0;
  Paise day_buy_value = 0;
  Paise day_sell_value = 0;
};

struct Books {
  std::map<std::string, Fold> folds;  // "EXCHANGE:SYMBOL:PRODUCT"
  Paise cash = 0;
  Paise mis_margin = 0;
};

// Folds the trades (in order) and cash entries; today is the IST day the "day" figures are for.
// A position held into an action's ex-date (core/corporate_action.h: a trade of the instrument
// before it, none on or after it until then) is adjusted by adjust_position before the next trade
// and at the end, prior included: on and after the ex-date the account holds the new quantity at
// the same cost, as the broker shows it. The share fraction is paid in cash by the company later
// (not modelled). Nothing is stored: the books are derived again on every request, so this is
// applied exactly once by construction.
Books compute_books(const std::vector<StoredTrade>& trades, const std::vector<CashEntry>& cash,
                    Date today, std::int64_t mis_margin_bps,
                    const std::vector<CorporateAction>& actions);

// The price an order's margin is reckoned at: its limit, its trigger, or the market (last).
Paise reckoning_price(const broker::Order& o, OrderType type, Paise last);

// Margin an order needs while open. A CNC sell needs holdings, not cash; an MIS order against the
// current MIS position reduces it and needs nothing.
Paise order_margin(const broker::Order& o, const Books& books, Paise last,
                   std::int64_t mis_margin_bps);

// What placing the order needs available: its margin, plus for a CNC buy the estimated charges
// (when the cost model can give them).
Paise margin_to_place(const broker::Order& o, const Books& books, Paise last,
                      std::int64_t mis_margin_bps, Date day, const costs::CostModel& costs);

struct Funds {
  Books books;
  Paise blocked = 0;  // margin of open orders
  Paise available() const { return books.cash - books.mis_margin - blocked; }
};

// The books and the margin blocked by the open orders (but skip_order_id), each valued at its
// instrument's latest price.
Funds compute_funds(const std::vector<StoredOrder>& orders, const std::vector<StoredTrade>& trades,
                    const std::vector<CashEntry>& cash, Date today, std::int64_t mis_margin_bps,
                    const std::vector<CorporateAction>& actions, const PriceSource& prices,
                    std::string_view skip_order_id = {});

// CNC shares of the instrument that a new sell may still take: held minus open CNC sells.
Quantity sellable_holdings(const Books& books, const std::vector<StoredOrder>& orders,
                           std::string_view exchange, std::string_view symbol);

// The charges of a trade of qty shares of the order at price at now; a CNC sell with no earlier
// CNC sell of the instrument that day (among trades and the batch's) is the day's first sell
// (costs::TradeLeg::first_sell_of_day). Fails only if the cost model does.
Result<costs::Charges> trade_charges(const broker::Order& o, Paise price, Quantity qty,
                                     TimestampMs now, const costs::CostModel& costs,
                                     const std::vector<StoredTrade>& trades, const Batch& batch);

// Kite's positions (net: today's activity plus MIS carried from earlier days; day: today's) and
// holdings (CNC bought on earlier days), marked at the latest prices.
broker::Positions positions_of(const Books& books, const PriceSource& prices);
std::vector<broker::Holding> holdings_of(const Books& books, const PriceSource& prices);

// Kite's equity margins: funds as of today, the opening balance from what was there before today.
broker::SegmentMargins equity_margins_of(const Funds& funds, const std::vector<StoredTrade>& trades,
                                         const std::vector<CashEntry>& cash, Date today,
                                         std::int64_t mis_margin_bps);

}  // namespace sm::paper
