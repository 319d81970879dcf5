#include "paper/paper_accounting.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace sm::paper {

using broker::Order;
using broker::Trade;

namespace {

std::string fold_key(std::string_view exchange, std::string_view symbol, std::string_view product) {
  return fmt::format("{}:{}:{}", exchange, symbol, product);
}

}  // namespace

bool is_open_status(std::string_view status) {
  return status == broker::kStatusOpen || status == broker::kStatusTriggerPending;
}

Paise open_cost(const Position& position) {
  return position.cost < 0 ? -position.cost : position.cost;
}

Paise average_price(const Position& position) {
  return mean_half_even(open_cost(position), position.qty < 0 ? -position.qty : position.qty);
}

Books compute_books(const std::vector<StoredTrade>& trades, const std::vector<CashEntry>& cash,
                    Date today, std::int64_t mis_margin_bps,
                    const std::vector<CorporateAction>& actions) {
  Books books;
  std::map<std::string, Date> last_traded;  // by fold key
  // The actions of the fold's symbol from the day after its last trade up to day.
  auto cross_actions = [&](Fold& f, const std::string& key, Date day) {
    auto last = last_traded.find(key);
    if (last == last_traded.end()) return;
    for (const CorporateAction& action : actions_crossed(actions, f.symbol, last->second, day)) {
      const PositionAdjustment all = adjust_position(f.all, action);
      const PositionAdjustment prior = adjust_position(f.prior, action);
      if (all.overflow || prior.overflow) continue;
      f.all = all.position;
      f.prior = prior.position;
    }
  };
  for (const CashEntry& c : cash) books.cash += c.amount;
  for (const StoredTrade& st : trades) {
    const Trade& t = st.trade;
    const std::string key = fold_key(t.exchange, t.tradingsymbol, t.product);
    Fold& f = books.folds[key];
    cross_actions(f, key, ist_date(t.fill_timestamp));
    last_traded[key] = ist_date(t.fill_timestamp);
    f.exchange = t.exchange;
    f.symbol = t.tradingsymbol;
    f.product = t.product;
    f.token = t.instrument_token;
    const Paise value = t.average_price * t.quantity;
    if (ist_date(t.fill_timestamp) < today) {
      f.prior = apply_fill(f.prior, t.side, t.quantity, t.average_price).position;
    } else {
      f.today = true;
      (t.side == Side::kBuy ? f.day_buy_qty : f.day_sell_qty) += t.quantity;
      (t.side == Side::kBuy ? f.day_buy_value : f.day_sell_value) += value;
    }
    const FillEffect effect = apply_fill(f.all, t.side, t.quantity, t.average_price);
    f.all = effect.position;
    books.cash -= st.charges;
    if (t.product == "CNC") {
      books.cash += t.side == Side::kSell ? value : -value;
    } else {
      books.cash += effect.realised;
    }
  }
  for (auto& [key, f] : books.folds) cross_actions(f, key, today);
  for (const auto& [key, f] : books.folds) {
    if (f.product != "CNC") {
      books.mis_margin +=
          multiply_divide(open_cost(f.all), mis_margin_bps, 10000, DivideRounding::kTowardZero);
    }
  }
  return books;
}

Paise reckoning_price(const Order& o, OrderType type, Paise last) {
  if (type == OrderType::kLimit || type == OrderType::kStopLoss) return o.price;
  if (type == OrderType::kStopLossMarket) return std::max(o.trigger_price, last);
  return last;
}

Paise order_margin(const Order& o, const Books& books, Paise last, std::int64_t mis_margin_bps) {
  Result<OrderType> type = parse_order_type(o.order_type);
  if (!type.ok()) return 0;
  const Paise price = reckoning_price(o, *type, last);
  const Quantity qty = o.pending_quantity;
  if (o.product == "CNC") return o.side == Side::kBuy ? price * qty : 0;
  auto it = books.folds.find(fold_key(o.exchange, o.tradingsymbol, o.product));
  if (it != books.folds.end()) {
    const Quantity position = it->second.all.qty;
    const bool reduces =
        (o.side == Side::kSell && position > 0) || (o.side == Side::kBuy && position < 0);
    if (reduces && qty <= (position > 0 ? position : -position)) return 0;
  }
  return multiply_divide(price * qty, mis_margin_bps, 10000, DivideRounding::kTowardZero);
}

Paise margin_to_place(const Order& o, const Books& books, Paise last, std::int64_t mis_margin_bps,
                      Date day, const costs::CostModel& costs) {
  Paise required = order_margin(o, books, last, mis_margin_bps);
  if (required > 0 && o.product == "CNC") {
    costs::TradeLeg leg{day,        Product::kDelivery,
                        o.side,     reckoning_price(o, *parse_order_type(o.order_type), last),
                        o.quantity, false};
    Result<costs::Charges> estimate = costs.charges_for(leg);
    if (estimate.ok()) required += estimate->total();
  }
  return required;
}

Funds compute_funds(const std::vector<StoredOrder>& orders, const std::vector<StoredTrade>& trades,
                    const std::vector<CashEntry>& cash, Date today, std::int64_t mis_margin_bps,
                    const std::vector<CorporateAction>& actions, const PriceSource& prices,
                    std::string_view skip_order_id) {
  Funds funds;
  funds.books = compute_books(trades, cash, today, mis_margin_bps, actions);
  for (const StoredOrder& so : orders) {
    const Order& o = so.order;
    if (!is_open_status(o.status) || o.order_id == skip_order_id) continue;
    std::optional<MarketPrice> m = prices.latest(o.exchange, o.tradingsymbol);
    funds.blocked += order_margin(o, funds.books, m ? m->last : 0, mis_margin_bps);
  }
  return funds;
}

Quantity sellable_holdings(const Books& books, const std::vector<StoredOrder>& orders,
                           std::string_view exchange, std::string_view symbol) {
  auto it = books.folds.find(fold_key(exchange, symbol, "CNC"));
  Quantity sellable = it == books.folds.end() ? 0 : it->second.all.qty;
  for (const StoredOrder& other : orders) {
    const Order& p = other.order;
    if (is_open_status(p.status) && p.product == "CNC" && p.side == Side::kSell &&
        p.tradingsymbol == symbol && p.exchange == exchange) {
      sellable -= p.pending_quantity;
    }
  }
  return sellable;
}

Result<costs::Charges> trade_charges(const Order& o, Paise price, Quantity qty, TimestampMs now,
                                     const costs::CostModel& costs,
                                     const std::vector<StoredTrade>& trades, const Batch& batch) {
  costs::TradeLeg leg;
  leg.trade_date = ist_date(now);
  leg.product = o.product == "MIS" ? Product::kIntraday : Product::kDelivery;
  leg.side = o.side;
  leg.price = price;
  leg.qty = qty;
  if (o.product == "CNC" && o.side == Side::kSell) {
    auto earlier_sell = [&](const StoredTrade& t) {
      return t.trade.tradingsymbol == o.tradingsymbol && t.trade.exchange == o.exchange &&
             t.trade.product == "CNC" && t.trade.side == Side::kSell &&
             ist_date(t.trade.fill_timestamp) == leg.trade_date;
    };
    leg.first_sell_of_day = std::none_of(trades.begin(), trades.end(), earlier_sell) &&
                            std::none_of(batch.trades.begin(), batch.trades.end(), earlier_sell);
  }
  return costs.charges_for(leg);
}

broker::Positions positions_of(const Books& books, const PriceSource& prices) {
  broker::Positions out;
  for (const auto& [key, f] : books.folds) {
    std::optional<MarketPrice> m = prices.latest(f.exchange, f.symbol);
    // Delivery bought on earlier days is in holdings, not positions (Kite's split).
    const Quantity overnight = f.product == "CNC" ? 0 : f.prior.qty;
    const Paise overnight_cost = f.product == "CNC" ? 0 : open_cost(f.prior);
    for (const bool day_only : {false, true}) {
      if (day_only && !f.today) continue;
      const Quantity carry = day_only ? 0 : overnight;
      const Paise carry_cost = day_only ? 0 : overnight_cost;
      broker::Position p;
      p.tradingsymbol = f.symbol;
      p.exchange = f.exchange;
      p.instrument_token = f.token;
      p.product = f.product;
      p.overnight_quantity = day_only ? 0 : carry;
      p.multiplier = 1;
      p.buy_quantity = f.day_buy_qty + std::max<Quantity>(carry, 0);
      p.buy_value = f.day_buy_value + (carry > 0 ? carry_cost : 0);
      p.sell_quantity = f.day_sell_qty + std::max<Quantity>(-carry, 0);
      p.sell_value = f.day_sell_value + (carry < 0 ? carry_cost : 0);
      p.quantity = p.buy_quantity - p.sell_quantity;
      if (p.quantity == 0 && !f.today) continue;
      p.buy_price = mean_half_even(p.buy_value, p.buy_quantity);
      p.sell_price = mean_half_even(p.sell_value, p.sell_quantity);
      p.average_price = p.quantity > 0 ? p.buy_price : p.quantity < 0 ? p.sell_price : 0;
      p.day_buy_quantity = f.day_buy_qty;
      p.day_buy_value = f.day_buy_value;
      p.day_buy_price = mean_half_even(f.day_buy_value, f.day_buy_qty);
      p.day_sell_quantity = f.day_sell_qty;
      p.day_sell_value = f.day_sell_value;
      p.day_sell_price = mean_half_even(f.day_sell_value, f.day_sell_qty);
      p.last_price = m ? m->last : p.average_price;
      p.close_price = m ? m->previous_close : 0;
      // Kite's arithmetic: value = sold - bought; pnl = value + quantity * last price.
      p.value = p.sell_value - p.buy_value;
      p.pnl = p.value + p.quantity * p.last_price;
      p.m2m = p.pnl;
      p.unrealised = p.quantity * (p.last_price - p.average_price);
      p.realised = p.pnl - p.unrealised;
      (day_only ? out.day : out.net).push_back(std::move(p));
    }
  }
  return out;
}

std::vector<broker::Holding> holdings_of(const Books& books, const PriceSource& prices) {
  std::vector<broker::Holding> out;
  for (const auto& [key, f] : books.folds) {
    if (f.product != "CNC" || f.prior.qty <= 0) continue;
    std::optional<MarketPrice> m = prices.latest(f.exchange, f.symbol);
    broker::Holding h;
    h.tradingsymbol = f.symbol;
    h.exchange = f.exchange;
    h.instrument_token = f.token;
    h.isin = "";
    h.product = "CNC";
    h.quantity = f.prior.qty;
    h.opening_quantity = f.prior.qty;
    h.realised_quantity = f.prior.qty;
    h.used_quantity = std::min(f.prior.qty, f.day_sell_qty);
    h.average_price = average_price(f.prior);
    h.last_price = m ? m->last : h.average_price;
    h.close_price = m ? m->previous_close : 0;
    h.pnl = (h.last_price - h.average_price) * h.quantity;
    h.day_change = h.close_price > 0 ? h.last_price - h.close_price : 0;
    h.day_change_percentage = h.close_price > 0 ? 100.0 * static_cast<double>(h.day_change) /
                                                      static_cast<double>(h.close_price)
                                                : 0.0;
    out.push_back(std::move(h));
  }
  return out;
}

broker::SegmentMargins equity_margins_of(const Funds& funds, const std::vector<StoredTrade>& trades,
                                         const std::vector<CashEntry>& cash, Date today,
                                         std::int64_t mis_margin_bps) {
  // The opening balance is the cash before today's trades and deposits.
  std::vector<StoredTrade> before;
  for (const StoredTrade& t : trades) {
    if (ist_date(t.trade.fill_timestamp) < today) before.push_back(t);
  }
  std::vector<CashEntry> cash_before;
  for (const CashEntry& c : cash) {
    if (ist_date(c.ts) < today) cash_before.push_back(c);
  }
  // Cash only, which corporate actions do not change.
  const Paise opening = compute_books(before, cash_before, today, mis_margin_bps, {}).cash;
  broker::SegmentMargins m;
  m.enabled = true;
  m.net = funds.available();
  m.available_cash = opening;
  m.opening_balance = opening;
  m.live_balance = funds.available();
  m.intraday_payin = 0;
  for (const CashEntry& c : cash) {
    if (ist_date(c.ts) >= today && c.amount > 0) m.intraday_payin += c.amount;
  }
  m.available_cash += m.intraday_payin;
  m.utilised_debits = m.available_cash - m.net;
  m.utilised_exposure = funds.books.mis_margin + funds.blocked;
  return m;
}

}  // namespace sm::paper
