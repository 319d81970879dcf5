// Property: whatever the sequence of signals, fills, prices, rejections and heartbeats, no order
// the engine approves breaks a cap. The caps are re-checked here against an independent model of
// the account built only from the messages the test fed in and the orders the engine emitted.
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "risk/engine.h"
#include "risk_fixture.h"

using namespace sm;
using namespace sm::risk;
using namespace sm::risk::testing;

namespace {

struct ModelOrder {
  std::string strategy;
  std::string symbol;
  Side side = Side::kBuy;
  Quantity remaining = 0;
  Paise price = 0;
};

struct Model {
  std::map<std::string, Paise> prices;
  std::map<std::pair<std::string, std::string>, Quantity> positions;
  std::map<std::string, ModelOrder> pending;
  std::vector<TimestampMs> approvals;
  std::map<std::string, std::string> halts;  // trigger -> level

  Paise exposure(const std::string* strategy, const std::string* symbol) const {
    Paise total = 0;
    for (const auto& [key, qty] : positions) {
      if (qty == 0) continue;
      if (strategy != nullptr && key.first != *strategy) continue;
      if (symbol != nullptr && key.second != *symbol) continue;
      total += (qty < 0 ? -qty : qty) * prices.at(key.second);
    }
    for (const auto& [id, order] : pending) {
      if (order.side != Side::kBuy) continue;
      if (strategy != nullptr && order.strategy != *strategy) continue;
      if (symbol != nullptr && order.symbol != *symbol) continue;
      total += order.remaining * order.price;
    }
    return total;
  }
  std::set<std::string> open_symbols() const {
    std::set<std::string> open;
    for (const auto& [key, qty] : positions) {
      if (qty != 0) open.insert(key.second);
    }
    for (const auto& [id, order] : pending) {
      if (order.side == Side::kBuy) open.insert(order.symbol);
    }
    return open;
  }
  Quantity unreserved(const std::string& strategy, const std::string& symbol) const {
    auto it = positions.find({strategy, symbol});
    Quantity qty = it == positions.end() ? 0 : it->second;
    for (const auto& [id, order] : pending) {
      if (order.side == Side::kSell && order.strategy == strategy && order.symbol == symbol) {
        qty -= order.remaining;
      }
    }
    return qty;
  }
  int worst_halt() const {
    int worst = 0;
    for (const auto& [trigger, level] : halts) {
      worst = std::max(worst, level == "pause" ? 3 : level == "halt" ? 2 : 1);
    }
    return worst;
  }
};

RiskConfig property_config() {
  RiskConfig c = test_config();  // capital 10,00,000
  c.max_order_qty = 300;
  c.max_order_value = rupees(150'000);
  c.max_orders_per_minute = 5;
  c.max_total_exposure = rupees(400'000);
  c.max_symbol_exposure = rupees(250'000);
  c.max_open_positions = 4;
  c.strategy_capital_bps["canary"] = 1000;  // 1,00,000
  c.limit_slippage_bps = 5;
  c.max_orders_per_5_minutes = 100;
  c.required_components = {"sm-order"};
  return c;
}

}  // namespace

TEST_CASE("random sequences never produce an approved order that breaks a cap") {
  const RiskConfig config = property_config();
  const std::vector<std::string> symbols = {"TCS", "INFY", "SBIN", "IDEA", "HDFCBANK", "ITC"};
  const std::vector<Paise> start_prices = {rupees(3000), rupees(1500), rupees(600),
                                           1'337,        rupees(1450), 43'215};
  const std::vector<std::string> strategies = {"trend", "swing", "canary"};
  std::mt19937_64 rng(20240328);
  std::map<std::string, std::int64_t> codes;
  std::int64_t approvals = 0;
  std::int64_t forced_exits = 0;

  for (int run = 0; run < 120; ++run) {
    Harness h(config);
    Model model;
    TimestampMs now = kTen;
    for (size_t i = 0; i < symbols.size(); ++i) {
      h.price(symbols[i], start_prices[i], now);
      model.prices[symbols[i]] = start_prices[i];
    }
    h.heartbeat("sm-order", "ok", now);
    int trade = 0;
    const auto pick = [&](std::int64_t n) {
      return std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng);
    };

    // Applies the engine's outputs to the model, checking every approval against it first.
    const auto absorb = [&](size_t from, const Signal* signal) {
      for (size_t k = from; k < h.out.size(); ++k) {
        if (const Halt* halt = std::get_if<Halt>(&h.out[k])) {
          if (halt->action == "halt") {
            model.halts[halt->trigger] = halt->level;
          } else {
            model.halts.erase(halt->trigger);
          }
          continue;
        }
        const OrderIntent* order = std::get_if<OrderIntent>(&h.out[k]);
        if (order == nullptr) {
          if (const RiskDecision* d = std::get_if<RiskDecision>(&h.out[k])) ++codes[d->code];
          continue;
        }
        const bool forced = order->order_type == OrderType::kMarket;
        INFO("run " << run << " order " << order->client_order_id << " " << order->symbol << " "
                    << side_name(order->side) << " " << order->qty);
        if (order->side == Side::kSell) {
          CHECK(order->qty <= model.unreserved(order->strategy, order->symbol));
          CHECK(model.worst_halt() < 2);
        } else {
          REQUIRE(signal != nullptr);
          CHECK_FALSE(forced);
          CHECK(model.worst_halt() == 0);
          const Paise value = order->qty * order->price;
          CHECK(order->qty <= config.max_order_qty);
          CHECK(value <= config.max_order_value);
          CHECK(model.exposure(nullptr, nullptr) + value <= config.total_exposure_cap());
          CHECK(model.exposure(nullptr, &order->symbol) + value <= config.symbol_exposure_cap());
          CHECK(model.exposure(&order->strategy, nullptr) + value <=
                config.capital * config.strategy_capital_bps_for(order->strategy) / 10'000);
          std::set<std::string> open = model.open_symbols();
          open.insert(order->symbol);
          CHECK(static_cast<std::int64_t>(open.size()) <= config.max_open_positions);
          // On the tick, never above the signal price plus the configured slippage.
          const Paise tick = nse_tick_for(order->price);
          CHECK(order->price % tick == 0);
          CHECK(order->price <=
                signal->price + apply_bps(signal->price, config.limit_slippage_bps));
          const Paise last = model.prices.at(order->symbol);
          const Paise diff = signal->price > last ? signal->price - last : last - signal->price;
          CHECK(diff * 10'000 <= config.price_band_bps * last);
        }
        if (!forced) {
          std::int64_t recent = 0;
          for (TimestampMs t : model.approvals) recent += t > now - kMsPerMinute ? 1 : 0;
          CHECK(recent + 1 <= config.max_orders_per_minute);
        } else {
          ++forced_exits;
        }
        model.approvals.push_back(now);
        model.pending[order->client_order_id] =
            ModelOrder{order->strategy, order->symbol, order->side, order->qty,
                       order->price == 0 ? model.prices.at(order->symbol) : order->price};
        ++approvals;
      }
    };

    for (int step = 0; step < 400; ++step) {
      now += pick(4000);
      const size_t before = h.out.size();
      h.heartbeat("sm-order", "ok", now);
      std::optional<Signal> sent;
      const std::int64_t what = pick(100);
      if (what < 30) {
        const size_t s = static_cast<size_t>(pick(static_cast<std::int64_t>(symbols.size())));
        const Paise old = model.prices[symbols[s]];
        const Paise moved = old + old * (pick(401) - 200) / 10'000;  // +-2%
        const Paise price = std::max<Paise>(round_to_tick(moved, nse_tick_for(moved)), 1);
        h.price(symbols[s], price, now);
        model.prices[symbols[s]] = price;
      } else if (what < 32) {
        h.heartbeat("sm-order", "degraded", now);  // usually back to ok at the next step
      } else if (what < 38) {
        h.engine.on_error(now, now, h.out);
      } else if (what < 80) {
        Signal signal;
        signal.strategy = strategies[static_cast<size_t>(pick(3))];
        signal.symbol =
            symbols[static_cast<size_t>(pick(static_cast<std::int64_t>(symbols.size())))];
        signal.action = pick(10) < 7 ? SignalAction::kEnterLong : SignalAction::kExitLong;
        signal.qty = pick(12) == 0 ? 0 : 1 + pick(400);
        const Paise last = model.prices[signal.symbol];
        signal.price = std::max<Paise>(last + last * (pick(801) - 400) / 10'000, 1);  // +-4%
        signal.ts = now - pick(3000);
        sent = signal;
        h.engine.decide(signal, now, h.out);
      } else if (what < 95 && !model.pending.empty()) {
        auto it = model.pending.begin();
        std::advance(it, pick(static_cast<std::int64_t>(model.pending.size())));
        const std::string id = it->first;
        ModelOrder& order = it->second;
        Fill fill;
        fill.ts = now;
        fill.trade_id = numbered("T", ++trade);
        fill.client_order_id = id;
        fill.strategy = order.strategy;
        fill.symbol = order.symbol;
        fill.side = order.side;
        fill.qty = pick(3) == 0 ? 1 + pick(order.remaining) : order.remaining;
        fill.price = model.prices[order.symbol];
        Quantity& held = model.positions[{order.strategy, order.symbol}];
        held += order.side == Side::kBuy ? fill.qty : -fill.qty;
        order.remaining -= fill.qty;
        if (order.remaining == 0) model.pending.erase(it);
        h.engine.on_fill(fill, now, h.out);
      } else if (!model.pending.empty()) {
        auto it = model.pending.begin();
        std::advance(it, pick(static_cast<std::int64_t>(model.pending.size())));
        OrderUpdate update;
        update.ts = now;
        update.client_order_id = it->first;
        update.status = pick(2) == 0 ? "REJECTED" : "CANCELLED";
        model.pending.erase(it);
        h.engine.on_order_update(update, now, h.out);
      }
      absorb(before, sent ? &*sent : nullptr);
      // The model and the engine must agree on what is held.
      for (const auto& [key, qty] : model.positions) {
        const PositionState* held = h.engine.state().book.find_position(key.first, key.second);
        CHECK((held == nullptr ? 0 : held->qty) == qty);
      }
    }
  }

  for (const auto& [code, count] : codes) UNSCOPED_INFO(code << ": " << count);
  CHECK(approvals > 2'000);
  CHECK(forced_exits > 0);
  // The caps were actually reached, so the property was exercised at its edges.
  for (const char* code : {"MAX_ORDER_QTY_EXCEEDED", "MAX_ORDER_VALUE_EXCEEDED",
                           "MAX_ORDERS_PER_MINUTE_EXCEEDED", "MAX_TOTAL_EXPOSURE_EXCEEDED",
                           "MAX_SYMBOL_EXPOSURE_EXCEEDED", "MAX_OPEN_POSITIONS_EXCEEDED",
                           "STRATEGY_CAPITAL_EXCEEDED", "PRICE_OUT_OF_BAND", "NO_POSITION"}) {
    INFO(code);
    CHECK(codes[code] > 0);
  }
}
