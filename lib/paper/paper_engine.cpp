#include "paper/paper_engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "broker/kite_errors.h"
#include "broker/kite_json.h"
#include "paper/paper_accounting.h"

namespace sm::paper {

using broker::BrokerError;
using broker::BrokerResult;
using broker::Order;
using broker::Trade;
using nlohmann::json;

namespace {

BrokerError kite_error(std::string_view error_type, std::string message, int http_status = 0) {
  BrokerError e;
  e.error_type = std::string(error_type);
  e.http_status = http_status > 0 ? http_status : broker::http_status_for(error_type);
  e.message = std::move(message);
  e.code = broker::error_code_for(e.error_type, e.http_status);
  return e;
}

BrokerError input_error(std::string message) {
  return kite_error("InputException", std::move(message));
}

BrokerError storage_error(const Status& status) {
  BrokerError e = kite_error("GeneralException",
                             "paper broker could not save its state: " + status.message(), 500);
  e.code = ErrorCode::kDatabaseError;
  return e;
}

BrokerError state_read_error(const Status& status) {
  BrokerError e = kite_error("GeneralException",
                             "paper broker could not read its state: " + status.message(), 500);
  e.code = status.code();
  return e;
}

BrokerError order_not_found(std::string_view order_id) {
  return kite_error("GeneralException", fmt::format("Couldn't find order {}", order_id), 404);
}

std::string hhmmss(TimestampMs ts) { return broker::format_kite_timestamp(ts).substr(11); }

Result<OrderType> type_of(const Order& o) { return parse_order_type(o.order_type); }

// Appends the order's new state to its history (in the batch copy).
void transition(StoredOrder& so, std::string_view status, TimestampMs now) {
  so.order.status = std::string(status);
  if (!so.order.exchange_order_id.empty()) so.order.exchange_update_timestamp = now;
  so.history.push_back(so.order);
}

Paise tick_for(const std::map<std::string, broker::Instrument, std::less<>>& instruments,
               std::string_view exchange, std::string_view symbol, Paise price) {
  auto it = instruments.find(broker::instrument_key(exchange, symbol));
  if (it != instruments.end() && it->second.tick_size > 0) return it->second.tick_size;
  return nse_tick_for(price);
}

struct Band {
  Paise lower = 0;
  Paise upper = 0;
  bool known() const { return lower > 0 && upper > 0; }
};

Band band_for(const MarketPrice& m, std::int64_t band_bps, Paise tick) {
  if (m.lower_circuit > 0 && m.upper_circuit > 0) return Band{m.lower_circuit, m.upper_circuit};
  if (band_bps <= 0 || m.previous_close <= 0) return Band{};
  const Paise lower =
      multiply_divide(m.previous_close, 10000 - band_bps, 10000, DivideRounding::kTowardZero);
  const Paise upper =
      multiply_divide(m.previous_close, 10000 + band_bps, 10000, DivideRounding::kTowardZero);
  return Band{round_to_tick(lower, tick, TickRounding::kUp),
              round_to_tick(upper, tick, TickRounding::kDown)};
}

// The trade of qty shares of the order at price, with its charges. Fails only if the cost model
// does.
Result<StoredTrade> make_trade(const Order& o, Paise price, Quantity qty, TimestampMs now,
                               const costs::CostModel& costs,
                               const std::vector<StoredTrade>& trades, const Batch& batch,
                               std::int64_t trade_seq) {
  Result<costs::Charges> charges = trade_charges(o, price, qty, now, costs, trades, batch);
  if (!charges.ok()) return charges.status().with_context("charges");

  StoredTrade st;
  st.seq = trade_seq;
  st.charges = charges->total();
  Trade& t = st.trade;
  t.trade_id = std::to_string(10'000'000 + trade_seq);
  t.order_id = o.order_id;
  t.exchange_order_id = o.exchange_order_id;
  t.exchange = o.exchange;
  t.tradingsymbol = o.tradingsymbol;
  t.instrument_token = o.instrument_token;
  t.product = o.product;
  t.average_price = price;
  t.quantity = qty;
  t.side = o.side;
  t.fill_timestamp = now;
  t.exchange_timestamp = now;
  t.order_time = hhmmss(o.order_timestamp);
  return st;
}

// The fill of qty (<= pending) shares of the order at price, added to the batch: COMPLETE when
// nothing is pending after it, otherwise a new OPEN state. The order's average price is the
// quantity-weighted average of all its trades, rounded half-even to the paisa. Fails only if the
// cost model does.
Status fill_order(StoredOrder& so, Paise price, Quantity qty, TimestampMs now,
                  const costs::CostModel& costs, const std::vector<StoredTrade>& trades,
                  Batch& batch, std::int64_t trade_seq) {
  Order& o = so.order;
  Result<StoredTrade> st = make_trade(o, price, qty, now, costs, trades, batch, trade_seq);
  if (!st.ok()) return st.status();
  batch.trades.push_back(std::move(*st));

  if (o.filled_quantity == 0) {
    o.average_price = price;
  } else {
    // Exact sum of the order's trades (its earlier ones are stored, or in this batch).
    Int128 value = 0;
    for (const std::vector<StoredTrade>* list : {&trades, &std::as_const(batch.trades)}) {
      for (const StoredTrade& t : *list) {
        if (t.trade.order_id == o.order_id)
          value += Int128{t.trade.average_price} * t.trade.quantity;
      }
    }
    o.average_price = static_cast<Paise>(divide_half_even(value, o.filled_quantity + qty));
  }
  o.filled_quantity += qty;
  o.pending_quantity -= qty;
  o.exchange_timestamp = o.exchange_timestamp == 0 ? now : o.exchange_timestamp;
  transition(so, o.pending_quantity == 0 ? broker::kStatusComplete : broker::kStatusOpen, now);
  return Status();
}

// The input checks of a new order, in the order Kite reports them: the first failure, if any.
std::optional<BrokerError> validate_order_request(
    const broker::OrderRequest& r,
    const std::map<std::string, broker::Instrument, std::less<>>& instruments,
    bool require_market_protection) {
  if (r.variety != "regular") {
    return input_error(
        fmt::format("Order variety '{}' is not supported by the paper broker", r.variety));
  }
  if (r.exchange != "NSE" && r.exchange != "BSE") {
    return input_error(fmt::format("Invalid `exchange` '{}'", r.exchange));
  }
  if (r.tradingsymbol.empty()) return input_error("Missing `tradingsymbol`");
  if (r.quantity <= 0) return input_error("Invalid `quantity`: it should be greater than zero");
  if (!r.tag.empty()) {
    if (Status tag = broker::validate_tag(r.tag); !tag.ok()) {
      return input_error(fmt::format("`tag` should be alphanumeric and at most {} characters",
                                     broker::kMaxTagLength));
    }
  }
  const bool needs_price =
      r.order_type == OrderType::kLimit || r.order_type == OrderType::kStopLoss;
  const bool needs_trigger =
      r.order_type == OrderType::kStopLoss || r.order_type == OrderType::kStopLossMarket;
  const bool market_like =
      r.order_type == OrderType::kMarket || r.order_type == OrderType::kStopLossMarket;
  if (needs_price && r.price <= 0) return input_error("Invalid `price`");
  if (needs_trigger && r.trigger_price <= 0) return input_error("Invalid `trigger_price`");
  if (!needs_price && r.price != 0)
    return input_error("`price` is not allowed for this order type");
  if (r.validity != "DAY" && r.validity != "IOC" && r.validity != "TTL") {
    return input_error(fmt::format("Invalid `validity` '{}'", r.validity));
  }
  if (r.validity == "TTL" && r.validity_ttl_minutes <= 0)
    return input_error("Invalid `validity_ttl`");
  if (r.disclosed_quantity < 0 || r.disclosed_quantity > r.quantity)
    return input_error("Invalid `disclosed_quantity`");
  const int protection = r.market_protection.value_or(0);
  if (protection < -1 || protection > 100)
    return input_error("Invalid `market_protection`: -1, 0 or 1..100");
  if (market_like && protection == 0 && require_market_protection) {
    return input_error(
        "Market and SL-M orders need market protection (`market_protection` -1 or 1..100)");
  }
  for (Paise p : {needs_price ? r.price : Paise{0}, needs_trigger ? r.trigger_price : Paise{0}}) {
    if (p == 0) continue;
    const Paise tick = tick_for(instruments, r.exchange, r.tradingsymbol, p);
    if (p % tick != 0) {
      return input_error(
          fmt::format("Tick size for this script is {}. Kindly enter price in the multiple of tick "
                      "size for this script",
                      format_rupees(tick)));
    }
  }
  return std::nullopt;
}

// Decides whether an open order executes against m now; moves an SL order from TRIGGER PENDING to
// OPEN when triggered. `fresh` is true at placement and right after a modification, when only the
// current price counts (the range of the last update happened before the order existed).
std::optional<Paise> execution_price(StoredOrder& so, const MarketPrice& m, bool fresh,
                                     TimestampMs now) {
  Order& o = so.order;
  Result<OrderType> type = type_of(o);
  if (!type.ok() || m.last <= 0) return std::nullopt;
  const bool buy = o.side == Side::kBuy;
  const bool use_range = !fresh && m.ts > std::max(o.order_timestamp, o.exchange_update_timestamp);
  const Paise lo = use_range ? std::min(m.interval_low, m.last) : m.last;
  const Paise hi = use_range ? std::max(m.interval_high, m.last) : m.last;

  if (o.status == broker::kStatusTriggerPending) {
    const bool triggered = buy ? hi >= o.trigger_price : lo <= o.trigger_price;
    if (!triggered) return std::nullopt;
    if (*type == OrderType::kStopLossMarket) {
      return buy ? std::max(o.trigger_price, m.last) : std::min(o.trigger_price, m.last);
    }
    transition(so, broker::kStatusOpen, now);
    if (buy ? m.last <= o.price : m.last >= o.price) return m.last;
    return std::nullopt;
  }
  if (o.status != broker::kStatusOpen) return std::nullopt;
  // An SL-M is OPEN only once triggered and partly filled (volume cap): it is a market order now.
  if (*type == OrderType::kMarket || *type == OrderType::kStopLossMarket) return m.last;
  if (fresh || !use_range) {
    if (buy ? m.last <= o.price : m.last >= o.price) return m.last;
    return std::nullopt;
  }
  if (buy ? lo <= o.price : hi >= o.price) return o.price;
  return std::nullopt;
}

bool is_stop_order(OrderType type) {
  return type == OrderType::kStopLoss || type == OrderType::kStopLossMarket;
}

// Kite's refusals that depend on the market price: no price yet for an order that needs one (a
// market order, or a stop's trigger), or a stop whose trigger the last price has already passed.
std::optional<BrokerError> check_against_market(const broker::OrderRequest& r,
                                                const std::optional<MarketPrice>& market) {
  const bool needs_trigger = is_stop_order(r.order_type);
  const bool market_like =
      r.order_type == OrderType::kMarket || r.order_type == OrderType::kStopLossMarket;
  if (!market || market->last <= 0) {
    if (market_like || needs_trigger) {
      return kite_error(
          "OrderException",
          fmt::format("No market price for {}:{} yet (the paper broker has no feed for it)",
                      r.exchange, r.tradingsymbol));
    }
  }
  const Paise last = market ? market->last : 0;
  if (needs_trigger && last > 0) {
    const bool buy = r.side == Side::kBuy;
    if (buy ? r.trigger_price <= last : r.trigger_price >= last) {
      return input_error(fmt::format(
          "Trigger price for stoploss {} orders should be {} than the last traded price",
          buy ? "buy" : "sell", buy ? "higher" : "lower"));
    }
  }
  return std::nullopt;
}

}  // namespace

struct PaperEngine::State {
  std::vector<StoredOrder> orders;  // by seq; each history is empty (PaperStore has them)
  std::map<std::string, size_t, std::less<>> by_id;
  std::vector<StoredTrade> trades;
  std::vector<CashEntry> cash;
  std::map<std::string, broker::Instrument, std::less<>> instruments;  // "NSE:INFY"
  std::int64_t next_order_seq = 1;
  std::int64_t next_trade_seq = 1;
  std::int64_t next_cash_seq = 1;
  // Volume cap: the MarketPrice::update_seq each open order last took shares from, so that an
  // order takes from one update once (placement, a modification and on_price may all look at the
  // same update). In memory only: the prices are too, so after a restart every update is new.
  std::map<std::string, std::int64_t, std::less<>> took_update;

  void apply(Batch& batch) {
    for (StoredOrder& o : batch.orders) {
      auto it = by_id.find(o.order.order_id);
      if (it == by_id.end()) {
        by_id.emplace(o.order.order_id, orders.size());
        next_order_seq = std::max(next_order_seq, o.seq + 1);
        // The states are on disk (order_history reads them there); shrink_to_fit gives back
        // the vector's buffer too, which clear() alone keeps.
        o.history.clear();
        o.history.shrink_to_fit();
        orders.push_back(std::move(o));
      } else {
        StoredOrder& existing = orders[it->second];
        if (!is_open_status(o.order.status)) took_update.erase(o.order.order_id);
        existing.order = std::move(o.order);
        existing.modifications = o.modifications;
      }
    }
    for (StoredTrade& t : batch.trades) {
      next_trade_seq = std::max(next_trade_seq, t.seq + 1);
      trades.push_back(std::move(t));
    }
    for (CashEntry& c : batch.cash) {
      next_cash_seq = std::max(next_cash_seq, c.seq + 1);
      cash.push_back(std::move(c));
    }
  }
};

// An RMS refusal: Kite's error, and the raw RMS text its order book shows for it.
struct PaperEngine::Refusal {
  BrokerError error;
  std::string raw;
};

Result<std::unique_ptr<PaperEngine>> PaperEngine::open(const std::string& state_path,
                                                       EngineOptions options,
                                                       const time::Clock& clock,
                                                       const PriceSource& prices,
                                                       const costs::CostModel& costs) {
  Result<std::unique_ptr<PaperStore>> store = PaperStore::open(state_path);
  if (!store.ok()) return store.status();
  Result<PaperStore::Snapshot> snapshot = store.value()->load();
  if (!snapshot.ok()) return snapshot.status();
  std::unique_ptr<PaperEngine> engine(
      new PaperEngine(std::move(options), clock, prices, costs, std::move(store.value())));
  Batch loaded;
  loaded.orders = std::move(snapshot->orders);
  loaded.trades = std::move(snapshot->trades);
  loaded.cash = std::move(snapshot->cash);
  const bool fresh = loaded.cash.empty() && loaded.orders.empty();
  engine->state_->apply(loaded);
  if (fresh && engine->options_.initial_cash != 0) {
    SM_RETURN_IF_ERROR(engine->add_funds(engine->options_.initial_cash, "opening balance"));
  }
  return engine;
}

PaperEngine::PaperEngine(EngineOptions options, const time::Clock& clock, const PriceSource& prices,
                         const costs::CostModel& costs, std::unique_ptr<PaperStore> store)
    : options_(std::move(options)),
      clock_(clock),
      prices_(prices),
      costs_(costs),
      store_(std::move(store)),
      state_(std::make_unique<State>()),
      session_([](TimestampMs) -> Result<bool> { return true; }) {}

PaperEngine::~PaperEngine() = default;

Status PaperEngine::commit_locked(Batch& batch) {
  SM_RETURN_IF_ERROR(store_->commit(batch));
  std::vector<Order> stored;
  if (observer_) {
    for (const StoredOrder& o : batch.orders) stored.push_back(o.order);
  }
  state_->apply(batch);
  for (const Order& o : stored) observer_(o);
  return Status();
}

void PaperEngine::set_order_observer(OrderObserver observer) {
  std::lock_guard<std::mutex> lock(mutex_);
  observer_ = std::move(observer);
}

void PaperEngine::set_session_predicate(SessionPredicate predicate) {
  std::lock_guard<std::mutex> lock(mutex_);
  session_ = std::move(predicate);
}

void PaperEngine::set_instruments(std::vector<broker::Instrument> instruments) {
  std::lock_guard<std::mutex> lock(mutex_);
  state_->instruments.clear();
  for (broker::Instrument& i : instruments) {
    state_->instruments.insert_or_assign(broker::instrument_key(i.exchange, i.tradingsymbol),
                                         std::move(i));
  }
}

std::vector<broker::Instrument> PaperEngine::instruments() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<broker::Instrument> out;
  for (const auto& [key, i] : state_->instruments) out.push_back(i);
  return out;
}

std::int64_t PaperEngine::instrument_token(std::string_view exchange,
                                           std::string_view symbol) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return token_locked(exchange, symbol);
}

Paise PaperEngine::tick_size(std::string_view exchange, std::string_view symbol,
                             Paise price) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return tick_for(state_->instruments, exchange, symbol, price);
}

std::int64_t PaperEngine::token_locked(std::string_view exchange, std::string_view symbol) const {
  auto it = state_->instruments.find(broker::instrument_key(exchange, symbol));
  if (it != state_->instruments.end()) return it->second.instrument_token;
  // A stable made-up token: FNV-1a of the key in the upper bits, Kite's segment id in the low byte.
  std::uint32_t hash = 2166136261u;
  for (char c : broker::instrument_key(exchange, symbol)) {
    hash = (hash ^ static_cast<unsigned char>(c)) * 16777619u;
  }
  const std::int64_t segment = exchange == "BSE" ? 4 : 1;
  return (static_cast<std::int64_t>(hash & 0xFFFFFF) << 8) | segment;
}

Paise PaperEngine::cash() {
  std::lock_guard<std::mutex> lock(mutex_);
  return compute_books(state_->trades, state_->cash, ist_date(clock_.now_ms()),
                       options_.mis_margin_bps, options_.corporate_actions)
      .cash;
}

Paise PaperEngine::available_margin() {
  std::lock_guard<std::mutex> lock(mutex_);
  return compute_funds(state_->orders, state_->trades, state_->cash, ist_date(clock_.now_ms()),
                       options_.mis_margin_bps, options_.corporate_actions, prices_)
      .available();
}

Status PaperEngine::add_funds(Paise amount, std::string reason) {
  std::lock_guard<std::mutex> lock(mutex_);
  Batch batch;
  batch.cash.push_back(
      CashEntry{state_->next_cash_seq, clock_.now_ms(), amount, std::move(reason)});
  return commit_locked(batch);
}

BrokerResult<std::string> PaperEngine::place_order(const broker::OrderRequest& r,
                                                   std::string_view forced_rejection) {
  std::lock_guard<std::mutex> lock(mutex_);
  const TimestampMs now = clock_.now_ms();
  if (Status s = expire_stale_orders_locked(now); !s.ok()) return storage_error(s);

  if (std::optional<BrokerError> invalid =
          validate_order_request(r, state_->instruments, options_.require_market_protection)) {
    return *invalid;
  }
  Result<bool> open = session_(now);
  if (!open.ok() || !*open) {
    return input_error(
        "Markets are closed right now. Use GTT for placing long standing orders instead.");
  }
  std::optional<MarketPrice> market = prices_.latest(r.exchange, r.tradingsymbol);
  if (std::optional<BrokerError> refused = check_against_market(r, market)) return *refused;
  const bool needs_trigger = is_stop_order(r.order_type);

  const Date day = ist_date(now);
  StoredOrder so = new_order_locked(r, now);
  Order& o = so.order;
  const std::int64_t seq = so.seq;
  std::optional<Refusal> refusal;
  if (!forced_rejection.empty()) {
    refusal = Refusal{kite_error("OrderException", std::string(forced_rejection)),
                      std::string(forced_rejection)};
  } else {
    refusal = rms_refusal_locked(o, market, day);
  }

  Batch batch;
  if (refusal) {
    const bool as_order = options_.rms_rejections_as_orders || !forced_rejection.empty();
    if (!as_order) return refusal->error;
    o.status_message = refusal->error.message;
    o.status_message_raw = refusal->raw;
    o.cancelled_quantity = 0;
    transition(so, broker::kStatusRejected, now);
    batch.orders.push_back(std::move(so));
  } else {
    o.exchange_order_id = std::to_string(1'300'000'000'000'000 + seq);
    o.exchange_timestamp = now;
    transition(so, broker::kStatusOpenPending, now);
    transition(so, needs_trigger ? broker::kStatusTriggerPending : broker::kStatusOpen, now);
    if (market) {
      std::int64_t trade_seq = state_->next_trade_seq;
      if (Status s = execute_locked(so, *market, true, now, batch, trade_seq); !s.ok()) {
        return kite_error("GeneralException", s.message(), 500);
      }
    }
    if (o.validity == "IOC" && is_open_status(o.status)) {
      o.cancelled_quantity = o.pending_quantity;
      o.pending_quantity = 0;
      o.status_message = o.filled_quantity > 0
                             ? "IOC order: the rest cancelled after a partial fill at placement"
                             : "IOC order cancelled: no match at placement";
      transition(so, broker::kStatusCancelled, now);
    }
    batch.orders.insert(batch.orders.begin(), std::move(so));
  }
  const std::string order_id = batch.orders.front().order.order_id;
  if (Status s = commit_locked(batch); !s.ok()) return storage_error(s);
  return order_id;
}

StoredOrder PaperEngine::new_order_locked(const broker::OrderRequest& r, TimestampMs now) const {
  const bool needs_price =
      r.order_type == OrderType::kLimit || r.order_type == OrderType::kStopLoss;
  const bool needs_trigger =
      r.order_type == OrderType::kStopLoss || r.order_type == OrderType::kStopLossMarket;
  const std::int64_t seq = state_->next_order_seq;
  const Date day = ist_date(now);
  StoredOrder so;
  so.seq = seq;
  Order& o = so.order;
  o.order_id = fmt::format("{:02}{:02}{:02}{:09}", day.year % 100, day.month, day.day, seq);
  o.placed_by = options_.user_id;
  o.variety = r.variety;
  o.order_timestamp = now;
  o.exchange = r.exchange;
  o.tradingsymbol = r.tradingsymbol;
  o.instrument_token = token_locked(r.exchange, r.tradingsymbol);
  o.order_type = std::string(order_type_name(r.order_type));
  o.side = r.side;
  o.validity = r.validity;
  o.validity_ttl = r.validity == "TTL" ? r.validity_ttl_minutes : 0;
  o.product = std::string(product_name(r.product));
  o.quantity = r.quantity;
  o.disclosed_quantity = r.disclosed_quantity;
  o.price = needs_price ? r.price : 0;
  o.trigger_price = needs_trigger ? r.trigger_price : 0;
  o.pending_quantity = r.quantity;
  o.market_protection = r.market_protection.value_or(0);
  o.tag = r.tag;
  if (!r.tag.empty()) o.tags = {r.tag};
  o.guid = fmt::format("paper{}", seq);
  transition(so, broker::kStatusPutOrderReqReceived, now);
  transition(so, broker::kStatusValidationPending, now);
  return so;
}

// Kite's RMS checks, in its order: circuit band, CNC holdings, margin.
std::optional<PaperEngine::Refusal> PaperEngine::rms_refusal_locked(
    const Order& o, const std::optional<MarketPrice>& market, Date day) const {
  const Paise last = market ? market->last : 0;
  const Paise tick =
      tick_for(state_->instruments, o.exchange, o.tradingsymbol, last > 0 ? last : o.price);
  const Band band = market ? band_for(*market, options_.price_band_bps, tick) : Band{};
  if (band.known()) {
    for (Paise p : {o.price, o.trigger_price}) {
      if (p != 0 && (p < band.lower || p > band.upper)) {
        return Refusal{
            kite_error("OrderException",
                       fmt::format("Price exceeds circuit limits. Allowed range is {} - {}",
                                   format_rupees(band.lower), format_rupees(band.upper))),
            fmt::format("RMS:Rule: Check circuit limit including square off order exceeds for "
                        "entity account-{} across exchange across segment across product",
                        options_.user_id)};
      }
    }
  }
  Funds funds = compute_funds(state_->orders, state_->trades, state_->cash, day,
                              options_.mis_margin_bps, options_.corporate_actions, prices_);
  if (o.product == "CNC" && o.side == Side::kSell) {
    const Quantity sellable =
        sellable_holdings(funds.books, state_->orders, o.exchange, o.tradingsymbol);
    if (o.quantity > sellable) {
      return Refusal{
          kite_error("HoldingException",
                     fmt::format("Insufficient holdings to sell {} {}: {} available", o.quantity,
                                 o.tradingsymbol, std::max<Quantity>(sellable, 0))),
          "RMS:Holding does not exist or is insufficient"};
    }
  }
  const Paise required =
      margin_to_place(o, funds.books, last, options_.mis_margin_bps, day, costs_);
  const Paise available = funds.available();
  if (required > available) {
    return Refusal{
        kite_error(
            "MarginException",
            fmt::format("Insufficient funds. Required margin is {} but available margin is {}.",
                        format_rupees(required), format_rupees(available))),
        fmt::format("RMS:Margin Exceeds,Required:{}, Available:{} for entity account-{} across "
                    "exchange across segment across product ",
                    format_rupees(required), format_rupees(available), options_.user_id)};
  }
  return std::nullopt;
}

BrokerResult<std::string> PaperEngine::modify_order(const broker::ModifyRequest& r) {
  std::lock_guard<std::mutex> lock(mutex_);
  const TimestampMs now = clock_.now_ms();
  if (Status s = expire_stale_orders_locked(now); !s.ok()) return storage_error(s);
  auto it = state_->by_id.find(r.order_id);
  if (it == state_->by_id.end()) return order_not_found(r.order_id);
  StoredOrder so = state_->orders[it->second];
  so.history.clear();
  Order& o = so.order;
  if (o.variety != r.variety)
    return input_error(fmt::format("Order {} is not a {} order", r.order_id, r.variety));
  if (!is_open_status(o.status)) {
    return kite_error("OrderException",
                      fmt::format("Order cannot be modified as it is {}", o.status));
  }
  if (so.modifications >= options_.max_modifications) {
    return kite_error("OrderException", "Maximum allowed order modifications exceeded");
  }
  Result<bool> open = session_(now);
  if (!open.ok() || !*open) {
    return input_error(
        "Markets are closed right now. Use GTT for placing long standing orders instead.");
  }
  const OrderType type = r.order_type ? *r.order_type : *type_of(o);
  const bool needs_price = type == OrderType::kLimit || type == OrderType::kStopLoss;
  const bool needs_trigger = type == OrderType::kStopLoss || type == OrderType::kStopLossMarket;
  Order changed = o;
  changed.order_type = std::string(order_type_name(type));
  changed.quantity = r.quantity.value_or(o.quantity);
  changed.pending_quantity = changed.quantity - o.filled_quantity;
  changed.price = needs_price ? r.price.value_or(o.price) : 0;
  changed.trigger_price = needs_trigger ? r.trigger_price.value_or(o.trigger_price) : 0;
  if (r.disclosed_quantity) changed.disclosed_quantity = *r.disclosed_quantity;
  if (r.validity) changed.validity = *r.validity;
  std::optional<MarketPrice> market = prices_.latest(o.exchange, o.tradingsymbol);
  if (std::optional<BrokerError> refused = check_modification_locked(changed, market, now)) {
    return *refused;
  }

  const bool was_triggered = o.status == broker::kStatusOpen;
  transition(so, broker::kStatusModifyValidationPending, now);
  transition(so, broker::kStatusModifyPending, now);
  const std::string status_before = o.status;
  o = changed;
  o.status = status_before;
  o.modified = true;
  ++so.modifications;
  transition(so, broker::kStatusModified, now);
  const bool trigger_pending = needs_trigger && !(was_triggered && type == OrderType::kStopLoss);
  transition(so, trigger_pending ? broker::kStatusTriggerPending : broker::kStatusOpen, now);
  Batch batch;
  if (market) {
    std::int64_t trade_seq = state_->next_trade_seq;
    if (Status s = execute_locked(so, *market, true, now, batch, trade_seq); !s.ok()) {
      return kite_error("GeneralException", s.message(), 500);
    }
  }
  batch.orders.push_back(std::move(so));
  if (Status s = commit_locked(batch); !s.ok()) return storage_error(s);
  return r.order_id;
}

std::optional<BrokerError> PaperEngine::check_modification_locked(
    const Order& changed, const std::optional<MarketPrice>& market, TimestampMs now) const {
  const OrderType type = *type_of(changed);
  const bool needs_price = type == OrderType::kLimit || type == OrderType::kStopLoss;
  const bool needs_trigger = type == OrderType::kStopLoss || type == OrderType::kStopLossMarket;
  const Quantity quantity = changed.quantity;
  const Paise price = changed.price;
  const Paise trigger = changed.trigger_price;
  // A partly filled order (volume cap) must keep something pending.
  if (quantity <= 0 || quantity < changed.filled_quantity ||
      (changed.filled_quantity > 0 && quantity == changed.filled_quantity))
    return input_error("Invalid `quantity`");
  if (needs_price && price <= 0) return input_error("Invalid `price`");
  if (needs_trigger && trigger <= 0) return input_error("Invalid `trigger_price`");
  if ((type == OrderType::kMarket || type == OrderType::kStopLossMarket) &&
      changed.market_protection == 0 && options_.require_market_protection) {
    return input_error(
        "Market and SL-M orders need market protection (`market_protection` -1 or 1..100)");
  }
  for (Paise p : {price, trigger}) {
    if (p == 0) continue;
    const Paise tick = tick_for(state_->instruments, changed.exchange, changed.tradingsymbol, p);
    if (p % tick != 0) {
      return input_error(
          fmt::format("Tick size for this script is {}. Kindly enter price in the multiple of tick "
                      "size for this script",
                      format_rupees(tick)));
    }
  }
  if (type == OrderType::kMarket && (!market || market->last <= 0)) {
    return kite_error("OrderException", fmt::format("No market price for {}:{} yet",
                                                    changed.exchange, changed.tradingsymbol));
  }
  const Paise last = market ? market->last : 0;
  if (market) {
    const Band band =
        band_for(*market, options_.price_band_bps,
                 tick_for(state_->instruments, changed.exchange, changed.tradingsymbol, last));
    for (Paise p : {price, trigger}) {
      if (band.known() && p != 0 && (p < band.lower || p > band.upper)) {
        return kite_error("OrderException",
                          fmt::format("Price exceeds circuit limits. Allowed range is {} - {}",
                                      format_rupees(band.lower), format_rupees(band.upper)));
      }
    }
  }
  const Funds funds =
      compute_funds(state_->orders, state_->trades, state_->cash, ist_date(now),
                    options_.mis_margin_bps, options_.corporate_actions, prices_, changed.order_id);
  const Paise required = order_margin(changed, funds.books, last, options_.mis_margin_bps);
  if (required > 0 && required > funds.available()) {
    return kite_error(
        "MarginException",
        fmt::format("Insufficient funds. Required margin is {} but available margin is {}.",
                    format_rupees(required), format_rupees(funds.available())));
  }
  return std::nullopt;
}

BrokerResult<std::string> PaperEngine::cancel_order(std::string_view variety,
                                                    std::string_view order_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const TimestampMs now = clock_.now_ms();
  if (Status s = expire_stale_orders_locked(now); !s.ok()) return storage_error(s);
  auto it = state_->by_id.find(order_id);
  if (it == state_->by_id.end()) return order_not_found(order_id);
  StoredOrder so = state_->orders[it->second];
  so.history.clear();
  Order& o = so.order;
  if (o.variety != variety)
    return input_error(fmt::format("Order {} is not a {} order", order_id, variety));
  if (!is_open_status(o.status)) {
    return kite_error("OrderException",
                      fmt::format("Order cannot be cancelled as it is {}", o.status));
  }
  transition(so, broker::kStatusCancelPending, now);
  o.cancelled_quantity = o.pending_quantity;
  o.pending_quantity = 0;
  transition(so, broker::kStatusCancelled, now);
  Batch batch;
  batch.orders.push_back(std::move(so));
  if (Status s = commit_locked(batch); !s.ok()) return storage_error(s);
  return std::string(order_id);
}

Status PaperEngine::execute_locked(StoredOrder& so, const MarketPrice& m, bool fresh,
                                   TimestampMs now, Batch& batch, std::int64_t& trade_seq) {
  Order& o = so.order;
  std::optional<Paise> price = execution_price(so, m, fresh, now);
  if (!price) return Status();
  Quantity qty = o.pending_quantity;
  if (options_.volume_cap_bps > 0) {
    // A triggered stop is a live order from now on, whether or not this update fills any of it.
    if (o.status == broker::kStatusTriggerPending) transition(so, broker::kStatusOpen, now);
    auto taken = state_->took_update.find(o.order_id);
    if (taken != state_->took_update.end() && taken->second == m.update_seq) return Status();
    if (m.interval_volume <= 0) return Status();
    const Quantity cap =
        std::max<Quantity>(1, multiply_divide(m.interval_volume, options_.volume_cap_bps, 10000,
                                              DivideRounding::kTowardZero));
    qty = std::min(qty, cap);
    Result<Quantity> affordable = affordable_locked(so, *price, qty, now, batch, trade_seq);
    if (!affordable.ok()) return affordable.status();
    state_->took_update.insert_or_assign(o.order_id, m.update_seq);
    if (*affordable == 0) {
      o.cancelled_quantity = o.pending_quantity;
      o.pending_quantity = 0;
      o.status_message = "Insufficient funds for the rest of the order";
      transition(so, broker::kStatusCancelled, now);
      return Status();
    }
    qty = *affordable;
  }
  SM_RETURN_IF_ERROR(fill_order(so, *price, qty, now, costs_, state_->trades, batch, trade_seq));
  ++trade_seq;
  return Status();
}

Result<Quantity> PaperEngine::affordable_locked(const StoredOrder& so, Paise price, Quantity qty,
                                                TimestampMs now, const Batch& batch,
                                                std::int64_t trade_seq) const {
  const Date today = ist_date(now);
  std::vector<StoredTrade> trades = state_->trades;
  trades.insert(trades.end(), batch.trades.begin(), batch.trades.end());
  const Paise before = compute_books(trades, state_->cash, today, options_.mis_margin_bps,
                                     options_.corporate_actions)
                           .cash;
  // Cash after a fill of q: it may not go below zero, unless it was there already and the fill
  // does not lower it (a sale).
  auto fits = [&](Quantity q) -> Result<bool> {
    Result<StoredTrade> t =
        make_trade(so.order, price, q, now, costs_, state_->trades, batch, trade_seq);
    if (!t.ok()) return t.status();
    trades.push_back(std::move(*t));
    const Paise after = compute_books(trades, state_->cash, today, options_.mis_margin_bps,
                                      options_.corporate_actions)
                            .cash;
    trades.pop_back();
    return after >= 0 || after >= before;
  };
  Result<bool> all = fits(qty);
  if (!all.ok()) return all.status();
  if (*all) return qty;
  // The largest q that fits, by bisection (cash falls as a purchase grows).
  Quantity lo = 0;
  Quantity hi = qty;  // fits(lo), !fits(hi)
  while (hi - lo > 1) {
    const Quantity mid = lo + (hi - lo) / 2;
    Result<bool> ok = fits(mid);
    if (!ok.ok()) return ok.status();
    (*ok ? lo : hi) = mid;
  }
  return lo;
}

Status PaperEngine::expire_stale_orders() {
  std::lock_guard<std::mutex> lock(mutex_);
  return expire_stale_orders_locked(clock_.now_ms());
}

Status PaperEngine::expire_stale_orders_locked(TimestampMs now) {
  const Date today = ist_date(now);
  Batch batch;
  for (const StoredOrder& existing : state_->orders) {
    if (!is_open_status(existing.order.status) || ist_date(existing.order.order_timestamp) >= today)
      continue;
    StoredOrder so = existing;
    so.history.clear();
    so.order.cancelled_quantity = so.order.pending_quantity;
    so.order.pending_quantity = 0;
    so.order.status_message = "Order expired at end of day";
    transition(so, broker::kStatusCancelled, now);
    batch.orders.push_back(std::move(so));
  }
  if (batch.orders.empty()) return Status();
  return commit_locked(batch);
}

Result<std::int64_t> PaperEngine::square_off_mis() {
  std::lock_guard<std::mutex> lock(mutex_);
  return square_off_mis_locked(clock_.now_ms());
}

Result<std::int64_t> PaperEngine::square_off_mis_locked(TimestampMs now) {
  const int minute = options_.mis_square_off_minute;
  if (minute < 0) return std::int64_t{0};
  const Date today = ist_date(now);
  if (now < from_ist(today, minute / 60, minute % 60)) return std::int64_t{0};
  // Zerodha first cancels pending MIS orders, then closes the positions at market.
  Batch cancels;
  for (const StoredOrder& existing : state_->orders) {
    if (!is_open_status(existing.order.status) || existing.order.product != "MIS") continue;
    StoredOrder so = existing;
    so.history.clear();
    so.order.cancelled_quantity = so.order.pending_quantity;
    so.order.pending_quantity = 0;
    so.order.status_message = "Cancelled by the broker's intraday (MIS) auto square-off";
    transition(so, broker::kStatusCancelled, now);
    cancels.orders.push_back(std::move(so));
  }
  if (!cancels.orders.empty()) SM_RETURN_IF_ERROR(commit_locked(cancels));
  const Books books = compute_books(state_->trades, state_->cash, today, options_.mis_margin_bps,
                                    options_.corporate_actions);
  std::int64_t placed = 0;
  for (const auto& [key, fold] : books.folds) {
    if (fold.product != "MIS" || fold.all.qty == 0) continue;
    std::optional<MarketPrice> market = prices_.latest(fold.exchange, fold.symbol);
    if (!market || market->last <= 0) continue;
    broker::OrderRequest r;
    r.exchange = fold.exchange;
    r.tradingsymbol = fold.symbol;
    r.side = fold.all.qty > 0 ? Side::kSell : Side::kBuy;
    r.order_type = OrderType::kMarket;
    r.product = Product::kIntraday;
    r.quantity = fold.all.qty > 0 ? fold.all.qty : -fold.all.qty;
    r.market_protection = -1;
    // One order per commit: each takes the next order number as it is stored.
    StoredOrder so = new_order_locked(r, now);
    so.order.placed_by = "ADMINSQF";
    so.order.exchange_order_id = std::to_string(1'300'000'000'000'000 + so.seq);
    so.order.exchange_timestamp = now;
    transition(so, broker::kStatusOpenPending, now);
    transition(so, broker::kStatusOpen, now);
    Batch batch;
    SM_RETURN_IF_ERROR(fill_order(so, market->last, so.order.pending_quantity, now, costs_,
                                  state_->trades, batch, state_->next_trade_seq));
    batch.orders.insert(batch.orders.begin(), std::move(so));
    SM_RETURN_IF_ERROR(commit_locked(batch));
    ++placed;
  }
  return placed;
}

Status PaperEngine::on_price(std::string_view exchange, std::string_view symbol) {
  std::lock_guard<std::mutex> lock(mutex_);
  const TimestampMs now = clock_.now_ms();
  SM_RETURN_IF_ERROR(expire_stale_orders_locked(now));
  if (Result<std::int64_t> squared = square_off_mis_locked(now); !squared.ok()) {
    return squared.status();
  }
  std::optional<MarketPrice> market = prices_.latest(exchange, symbol);
  if (!market || market->last <= 0) return Status();
  Batch batch;
  std::int64_t trade_seq = state_->next_trade_seq;
  for (const StoredOrder& existing : state_->orders) {
    const Order& current = existing.order;
    if (!is_open_status(current.status) || current.exchange != exchange ||
        current.tradingsymbol != symbol)
      continue;
    StoredOrder so = existing;
    so.history.clear();
    SM_RETURN_IF_ERROR(execute_locked(so, *market, false, now, batch, trade_seq));
    if (!so.history.empty()) batch.orders.push_back(std::move(so));
  }
  if (batch.orders.empty()) return Status();
  return commit_locked(batch);
}

std::vector<Order> PaperEngine::orders() {
  std::lock_guard<std::mutex> lock(mutex_);
  const TimestampMs now = clock_.now_ms();
  (void)expire_stale_orders_locked(now);  // a failed write leaves them open; reads still answer
  const Date today = ist_date(now);
  std::vector<Order> out;
  for (const StoredOrder& so : state_->orders) {
    if (ist_date(so.order.order_timestamp) >= today || is_open_status(so.order.status))
      out.push_back(so.order);
  }
  return out;
}

BrokerResult<std::vector<Order>> PaperEngine::order_history(std::string_view order_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = state_->by_id.find(order_id);
  if (it == state_->by_id.end()) return order_not_found(order_id);
  Result<std::vector<Order>> history = store_->load_order_history(order_id);
  if (!history.ok()) return state_read_error(history.status());
  return std::move(history.value());
}

std::vector<Trade> PaperEngine::trades() {
  std::lock_guard<std::mutex> lock(mutex_);
  const Date today = ist_date(clock_.now_ms());
  std::vector<Trade> out;
  for (const StoredTrade& st : state_->trades) {
    if (ist_date(st.trade.fill_timestamp) >= today) out.push_back(st.trade);
  }
  return out;
}

BrokerResult<std::vector<Trade>> PaperEngine::order_trades(std::string_view order_id) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (state_->by_id.find(order_id) == state_->by_id.end()) return order_not_found(order_id);
  std::vector<Trade> out;
  for (const StoredTrade& st : state_->trades) {
    if (st.trade.order_id == order_id) out.push_back(st.trade);
  }
  return out;
}

broker::Positions PaperEngine::positions() {
  std::lock_guard<std::mutex> lock(mutex_);
  const Date today = ist_date(clock_.now_ms());
  return positions_of(compute_books(state_->trades, state_->cash, today, options_.mis_margin_bps,
                                    options_.corporate_actions),
                      prices_);
}

std::vector<broker::Holding> PaperEngine::holdings() {
  std::lock_guard<std::mutex> lock(mutex_);
  const Date today = ist_date(clock_.now_ms());
  return holdings_of(compute_books(state_->trades, state_->cash, today, options_.mis_margin_bps,
                                   options_.corporate_actions),
                     prices_);
}

broker::SegmentMargins PaperEngine::equity_margins() {
  std::lock_guard<std::mutex> lock(mutex_);
  const Date today = ist_date(clock_.now_ms());
  const Funds funds = compute_funds(state_->orders, state_->trades, state_->cash, today,
                                    options_.mis_margin_bps, options_.corporate_actions, prices_);
  return equity_margins_of(funds, state_->trades, state_->cash, today, options_.mis_margin_bps);
}

std::optional<broker::Quote> PaperEngine::quote(std::string_view exchange,
                                                std::string_view symbol) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::optional<MarketPrice> m = prices_.latest(exchange, symbol);
  if (!m) return std::nullopt;
  broker::Quote q;
  q.instrument_token = token_locked(exchange, symbol);
  q.timestamp = m->ts;
  q.last_trade_time = m->ts;
  q.last_price = m->last;
  q.volume = m->day_volume;
  q.ohlc = broker::Ohlc{m->day_open, m->day_high, m->day_low, m->previous_close};
  q.net_change = m->previous_close > 0 ? m->last - m->previous_close : 0;
  const Band band = band_for(*m, options_.price_band_bps,
                             tick_for(state_->instruments, exchange, symbol, m->last));
  q.lower_circuit_limit = band.lower;
  q.upper_circuit_limit = band.upper;
  return q;
}

json PaperEngine::summary() {
  std::lock_guard<std::mutex> lock(mutex_);
  const Date today = ist_date(clock_.now_ms());
  const Funds funds = compute_funds(state_->orders, state_->trades, state_->cash, today,
                                    options_.mis_margin_bps, options_.corporate_actions, prices_);
  std::int64_t open_orders = 0;
  for (const StoredOrder& so : state_->orders)
    open_orders += is_open_status(so.order.status) ? 1 : 0;
  Paise charges = 0;
  for (const StoredTrade& t : state_->trades) charges += t.charges;
  return json{{"cash", format_rupees(funds.books.cash)},
              {"available", format_rupees(funds.available())},
              {"mis_margin", format_rupees(funds.books.mis_margin)},
              {"blocked", format_rupees(funds.blocked)},
              {"charges", format_rupees(charges)},
              {"orders", state_->orders.size()},
              {"open_orders", open_orders},
              {"trades", state_->trades.size()},
              {"state_file", store_->path()},
              {"cost_model", costs_.name()}};
}

}  // namespace sm::paper
