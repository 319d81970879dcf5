// A scripted in-memory Broker for states the paper broker never produces: partial fills, trades
// that lag the order state, a broker that reports an order going backwards.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "broker/broker.h"

namespace sm::order::test {

class FakeBroker : public broker::Broker {
 public:
  // What the next calls return for an order: its history (oldest first) and its trades.
  std::map<std::string, std::vector<broker::Order>> history;
  std::map<std::string, std::vector<broker::Trade>> order_trade_list;
  broker::Positions position_book;
  std::vector<broker::Holding> holding_list;
  std::vector<broker::OrderRequest> placed;
  int next_id = 1;

  broker::BrokerResult<std::string> place_order(const broker::OrderRequest& r) override {
    placed.push_back(r);
    const std::string id = "F" + std::to_string(next_id++);
    broker::Order o = order(id, r.tag, r.tradingsymbol, "PUT ORDER REQ RECEIVED", r.quantity, 0);
    o.side = r.side;
    history[id] = {o};
    return id;
  }
  broker::BrokerResult<std::string> modify_order(const broker::ModifyRequest& r) override {
    return r.order_id;
  }
  broker::BrokerResult<std::string> cancel_order(std::string_view, std::string_view id) override {
    return std::string(id);
  }
  broker::BrokerResult<std::vector<broker::Order>> orders() override {
    std::vector<broker::Order> book;
    for (const auto& [id, states] : history) {
      if (!states.empty()) book.push_back(states.back());
    }
    return book;
  }
  broker::BrokerResult<std::vector<broker::Order>> order_history(std::string_view id) override {
    auto it = history.find(std::string(id));
    if (it == history.end()) return not_found();
    return it->second;
  }
  broker::BrokerResult<std::vector<broker::Trade>> trades() override {
    std::vector<broker::Trade> all;
    for (const auto& [id, list] : order_trade_list) all.insert(all.end(), list.begin(), list.end());
    return all;
  }
  broker::BrokerResult<std::vector<broker::Trade>> order_trades(std::string_view id) override {
    auto it = order_trade_list.find(std::string(id));
    if (it == order_trade_list.end()) return std::vector<broker::Trade>{};
    return it->second;
  }
  broker::BrokerResult<broker::Positions> positions() override { return position_book; }
  broker::BrokerResult<std::vector<broker::Holding>> holdings() override { return holding_list; }
  broker::BrokerResult<broker::Margins> margins() override { return broker::Margins{}; }
  broker::BrokerResult<std::map<std::string, broker::Quote>> quote(
      const std::vector<std::string>&) override {
    return std::map<std::string, broker::Quote>{};
  }
  broker::BrokerResult<std::map<std::string, broker::LtpQuote>> ltp(
      const std::vector<std::string>&) override {
    return std::map<std::string, broker::LtpQuote>{};
  }
  broker::BrokerResult<std::map<std::string, broker::LtpQuote>> ohlc(
      const std::vector<std::string>&) override {
    return std::map<std::string, broker::LtpQuote>{};
  }
  broker::BrokerResult<std::vector<broker::Instrument>> instruments(std::string_view) override {
    return std::vector<broker::Instrument>{};
  }

  static broker::Order order(const std::string& id, const std::string& tag,
                             const std::string& symbol, const std::string& status, Quantity qty,
                             Quantity filled, Paise avg = 0) {
    broker::Order o;
    o.order_id = id;
    o.tag = tag;
    o.tradingsymbol = symbol;
    o.exchange = "NSE";
    o.status = status;
    o.quantity = qty;
    o.filled_quantity = filled;
    o.pending_quantity = qty - filled;
    o.average_price = avg;
    o.order_type = "MARKET";
    o.product = "MIS";
    o.variety = "regular";
    return o;
  }
  static broker::Trade trade(const std::string& trade_id, const std::string& order_id,
                             const std::string& symbol, Side side, Quantity qty, Paise price) {
    broker::Trade t;
    t.trade_id = trade_id;
    t.order_id = order_id;
    t.tradingsymbol = symbol;
    t.exchange = "NSE";
    t.side = side;
    t.quantity = qty;
    t.average_price = price;
    t.product = "MIS";
    return t;
  }

 private:
  static broker::BrokerError not_found() {
    broker::BrokerError e;
    e.code = ErrorCode::kInvalidArgument;
    e.error_type = "InputException";
    e.http_status = 400;
    e.message = "Couldn't find that order";
    return e;
  }
};

}  // namespace sm::order::test
