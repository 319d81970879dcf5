// The paper broker's matching engine and books: what sm-paper does behind the Kite REST API.
//
// Orders (regular variety, NSE/BSE, CNC or MIS) are validated like Kite validates them, then
// checked like its risk system (RMS) checks them, then matched against the PriceSource:
//   MARKET              fills at placement at the last price.
//   LIMIT               fills at placement at the last price when that is at or better than the
//                       limit; otherwise rests and fills at the limit price when an update's range
//                       reaches it (conservative: no price improvement for resting orders).
//   SL-M                triggers when an update's range reaches the trigger; fills at the worse of
//                       trigger and last price.
//   SL                  triggers likewise, then behaves as a LIMIT at its price.
//   IOC                 whatever does not fill at placement is cancelled.
// Fills are whole unless EngineOptions::volume_cap_bps is set: then an order takes at most that
// share of each price update's volume (partial fills, each its own trade; the order stays OPEN
// with filled/pending quantities until COMPLETE). Charges come from a costs::CostModel per trade.
// Input errors are answered with Kite's error envelope and error_type (InputException 400 for
// quantity, price, tick size, tag, market protection, market closed; ...). RMS refusals
// (insufficient funds: MarginException; insufficient holdings: HoldingException; price outside the
// circuit band: OrderException) are error envelopes too, or — with rms_rejections_as_orders, as the
// real OMS does — an accepted order that turns REJECTED with the reason in status_message.
//
// Books follow Kite's: the order book and trades are today's (IST day of the engine clock) plus
// orders still open; positions.net is today's activity plus MIS carried from earlier days;
// delivery (CNC) bought on earlier days shows in holdings. An order still open when the IST day
// changes is cancelled ("expired at end of day").
//
// Money (paper_accounting.h): cash = initial + deposits − charges − CNC buys + CNC sells + realised
// MIS P&L. available = cash − MIS margin (open MIS cost × mis_margin_bps) − margin blocked by open
// orders.
// Every change is committed to the PaperStore before it becomes visible. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "broker/broker.h"
#include "core/corporate_action.h"
#include "costs/cost_model.h"
#include "paper/paper_store.h"
#include "paper/price_source.h"
#include "time/clock.h"

namespace sm::paper {

struct EngineOptions {
  Paise initial_cash = 1'000'000 * kPaisePerRupee;  // used only when the state file is new
  std::int64_t mis_margin_bps = 2000;               // MIS needs 20 % of the order value (5x)
  // Circuit band around the previous close when the feed gives no explicit limits; 0 = none.
  std::int64_t price_band_bps = 2000;
  bool rms_rejections_as_orders = false;
  // MARKET and SL-M need market_protection != 0 (exchange rule since 2026-04-01).
  bool require_market_protection = true;
  int max_modifications = 25;
  // Partial fills: one order takes at most volume × volume_cap_bps / 10000 shares (rounded down,
  // at least 1) from each price update, whose volume is a bar's volume or a tick's quantity. An
  // update without volume (a paper_quote) fills nothing while the cap is on. A fill that would take
  // cash below zero is cut to what cash pays for; if not one share, the rest is cancelled.
  // 0 = off: orders fill whole.
  std::int64_t volume_cap_bps = 0;
  std::string user_id = "PAPER1";
  // The broker's auto square-off of intraday (MIS) positions, minutes after 00:00 IST (Zerodha:
  // 15:20, 920); negative = off. See square_off_mis().
  int mis_square_off_minute = -1;
  // Bonuses and splits: holdings and positions held into an ex-date show the adjusted quantity
  // from that day (compute_books). sm-paper loads the corporate-actions file.
  std::vector<CorporateAction> corporate_actions;
};

// Whether the market takes orders at ts. An error counts as closed (fail closed).
using SessionPredicate = std::function<Result<bool>(TimestampMs)>;
// Told every order state the engine stores, after the store has it (postbacks). Runs with the
// engine's lock held: it must be quick and must not call the engine.
using OrderObserver = std::function<void(const broker::Order&)>;

class PaperEngine {
 public:
  // Opens (or creates) the state file and loads it. Does not own clock, prices or costs;
  // REQUIRES: they outlive the engine. Errors: kDatabaseError / kParseError from the store.
  static Result<std::unique_ptr<PaperEngine>> open(const std::string& state_path,
                                                   EngineOptions options, const time::Clock& clock,
                                                   const PriceSource& prices,
                                                   const costs::CostModel& costs);
  ~PaperEngine();

  // Default: always open.
  void set_session_predicate(SessionPredicate predicate);
  void set_order_observer(OrderObserver observer);
  // Tick sizes and instrument tokens; instruments not listed use the NSE tick rule and a token
  // derived from the symbol.
  void set_instruments(std::vector<broker::Instrument> instruments);
  std::vector<broker::Instrument> instruments() const;

  // forced_rejection (fault injection): the order is accepted and immediately REJECTED with it.
  broker::BrokerResult<std::string> place_order(const broker::OrderRequest& request,
                                                std::string_view forced_rejection = {});
  broker::BrokerResult<std::string> modify_order(const broker::ModifyRequest& request);
  broker::BrokerResult<std::string> cancel_order(std::string_view variety,
                                                 std::string_view order_id);

  std::vector<broker::Order> orders();
  broker::BrokerResult<std::vector<broker::Order>> order_history(std::string_view order_id);
  std::vector<broker::Trade> trades();
  broker::BrokerResult<std::vector<broker::Trade>> order_trades(std::string_view order_id);
  broker::Positions positions();
  std::vector<broker::Holding> holdings();
  broker::SegmentMargins equity_margins();
  std::optional<broker::Quote> quote(std::string_view exchange, std::string_view symbol);

  // Re-evaluates resting orders of the instrument against its latest price. Call after every
  // price update. Fails only when the state cannot be written (the orders stay as they were).
  Status on_price(std::string_view exchange, std::string_view symbol);
  // Cancels open orders from earlier IST days. Called by every operation; public for tests.
  Status expire_stale_orders();
  // The broker's MIS auto square-off, once the IST day reaches options().mis_square_off_minute:
  // open MIS orders are cancelled, and each open MIS position is closed by a MARKET order
  // placed_by "ADMINSQF" (as Zerodha's are) that fills whole at the last price, with charges. A
  // position without a price is closed at the first check that has one. Called by on_price, so a
  // replay squares off at its own 15:20; a server on the wall clock calls it periodically.
  // Returns the square-off orders placed. Fails only when the state cannot be written.
  Result<std::int64_t> square_off_mis();
  // Deposits (positive) or withdraws (negative) cash.
  Status add_funds(Paise amount, std::string reason);

  Paise cash();
  Paise available_margin();
  // Counters and money for GET /_paper/state.
  nlohmann::json summary();
  std::int64_t instrument_token(std::string_view exchange, std::string_view symbol) const;
  // The instrument's tick size in paise: its stored one, else the NSE tick rule at price.
  Paise tick_size(std::string_view exchange, std::string_view symbol, Paise price) const;
  const EngineOptions& options() const { return options_; }

 private:
  struct State;
  PaperEngine(EngineOptions options, const time::Clock& clock, const PriceSource& prices,
              const costs::CostModel& costs, std::unique_ptr<PaperStore> store);
  // REQUIRES: mutex_ held.
  Status expire_stale_orders_locked(TimestampMs now);
  // REQUIRES: mutex_ held.
  Result<std::int64_t> square_off_mis_locked(TimestampMs now);
  // Stores the batch, applies it to the in-memory state, tells the observer. REQUIRES: mutex_ held.
  Status commit_locked(Batch& batch);
  std::int64_t token_locked(std::string_view exchange, std::string_view symbol) const;
  struct Refusal;
  // The new order as the book will show it, validated, with its first two states.
  // REQUIRES: mutex_ held.
  StoredOrder new_order_locked(const broker::OrderRequest& request, TimestampMs now) const;
  // Why Kite's RMS would refuse the order now, or nullopt. REQUIRES: mutex_ held.
  std::optional<Refusal> rms_refusal_locked(const broker::Order& order,
                                            const std::optional<MarketPrice>& market,
                                            Date day) const;
  // The input and RMS checks of a modification that turns the order into changed; nullopt when
  // it passes. REQUIRES: mutex_ held.
  std::optional<broker::BrokerError> check_modification_locked(
      const broker::Order& changed, const std::optional<MarketPrice>& market,
      TimestampMs now) const;
  // Executes what of the open order m allows now (all of it, or the volume cap's share), adding the
  // trade and the order's new states to so and the batch; trade_seq is advanced per trade.
  // Fails only if the cost model does. REQUIRES: mutex_ held.
  Status execute_locked(StoredOrder& so, const MarketPrice& m, bool fresh, TimestampMs now,
                        Batch& batch, std::int64_t& trade_seq);
  // How many of qty shares at price can fill without taking cash below zero (volume cap only).
  // REQUIRES: mutex_ held.
  Result<Quantity> affordable_locked(const StoredOrder& so, Paise price, Quantity qty,
                                     TimestampMs now, const Batch& batch,
                                     std::int64_t trade_seq) const;

  EngineOptions options_;
  const time::Clock& clock_;
  const PriceSource& prices_;
  const costs::CostModel& costs_;
  std::unique_ptr<PaperStore> store_;
  std::unique_ptr<State> state_;
  mutable std::mutex mutex_;
  SessionPredicate session_;
  OrderObserver observer_;
};

}  // namespace sm::paper
