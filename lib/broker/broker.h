// The Broker port: everything sm-order, sm-reconcile and sm-status ask of a broker. KiteBroker
// implements it over Kite Connect v3; tests and paper trading run the same KiteBroker against
// sm-paper, which speaks the same protocol on 127.0.0.1.
#pragma once

#include <cassert>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "broker/types.h"
#include "core/status.h"

namespace sm::broker {

// Why a broker call failed, with everything the caller needs to decide what to do next.
//   code: our closed vocabulary (kAuthError for TokenException, kRejected for an order the broker
//         refused, kRateLimited for 429, kNetworkError/kTimeout for transport trouble, ...).
//   error_type: Kite's own name ("OrderException", ...), kept verbatim; "" for transport errors
//         and for failures detected on our side (bad tag, local rate cap).
//   outcome_unknown: the request reached the broker (or may have) and we do not know whether it
//         took effect — a place-order timeout after sending, a dropped connection, a 5xx to a
//         place. Such a call is never re-sent blindly; the caller resolves it by looking its tag
//         up in the order book (find_order_by_tag). code is kUnavailable in that case.
struct BrokerError {
  ErrorCode code = ErrorCode::kInternal;
  std::string error_type;
  int http_status = 0;  // 0 when no HTTP response arrived
  std::string message;
  bool outcome_unknown = false;
  int attempts = 1;  // how many times the request was sent

  // "OrderException (HTTP 400): message"; outcome-unknown messages start with "outcome_unknown: ".
  Status status() const;
};

// A value or a BrokerError. REQUIRES: value() only when ok(), error() only when !ok().
template <typename T>
class BrokerResult {
 public:
  BrokerResult(T value) : state_(std::move(value)) {}
  BrokerResult(BrokerError error) : state_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T& value() & { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  const BrokerError& error() const { return std::get<BrokerError>(state_); }
  Status status() const { return ok() ? Status() : error().status(); }

 private:
  std::variant<T, BrokerError> state_;
};

// A quote key: "NSE:INFY".
std::string instrument_key(std::string_view exchange, std::string_view tradingsymbol);

// Kite's tag rule (reference §1.4 "tag and idempotency"): 1 to 20 ASCII letters or digits.
// Kite documents "alphanumeric, max 20" and its own sample breaks it; we accept only the safe set.
inline constexpr size_t kMaxTagLength = 20;
Status validate_tag(std::string_view tag);

class Broker {
 public:
  virtual ~Broker() = default;

  // Places an order; the value is the broker's order_id. An order the broker refuses outright
  // fails with kRejected/kInvalidArgument and its error_type; an order accepted and later rejected
  // by the broker's risk system succeeds here and shows REJECTED in the order book.
  // A tag that fails validate_tag is refused locally (kInvalidArgument) before anything is sent.
  virtual BrokerResult<std::string> place_order(const OrderRequest& request) = 0;
  // Modifies an open order; the value is the order_id.
  virtual BrokerResult<std::string> modify_order(const ModifyRequest& request) = 0;
  // Cancels an open order; the value is the order_id.
  virtual BrokerResult<std::string> cancel_order(std::string_view variety,
                                                 std::string_view order_id) = 0;

  // The day's order book: one entry per order, latest state.
  virtual BrokerResult<std::vector<Order>> orders() = 0;
  // Every state an order went through, oldest first.
  virtual BrokerResult<std::vector<Order>> order_history(std::string_view order_id) = 0;
  // The day's trades, and the trades of one order.
  virtual BrokerResult<std::vector<Trade>> trades() = 0;
  virtual BrokerResult<std::vector<Trade>> order_trades(std::string_view order_id) = 0;

  virtual BrokerResult<Positions> positions() = 0;
  virtual BrokerResult<std::vector<Holding>> holdings() = 0;
  virtual BrokerResult<Margins> margins() = 0;

  // instruments are "EXCHANGE:SYMBOL" keys; the map holds those the broker had data for.
  virtual BrokerResult<std::map<std::string, Quote>> quote(
      const std::vector<std::string>& instruments) = 0;
  virtual BrokerResult<std::map<std::string, LtpQuote>> ltp(
      const std::vector<std::string>& instruments) = 0;
  virtual BrokerResult<std::map<std::string, LtpQuote>> ohlc(
      const std::vector<std::string>& instruments) = 0;

  // The instruments dump of one exchange ("NSE"), or of all exchanges when exchange is empty.
  virtual BrokerResult<std::vector<Instrument>> instruments(std::string_view exchange) = 0;
};

// Looks the order carrying tag up in the order book: the way to resolve an outcome-unknown place.
// Succeeds with nullopt when no order has the tag; when several do (which our unique tags should
// never produce), the one placed first is returned.
BrokerResult<std::optional<Order>> find_order_by_tag(Broker& broker, std::string_view tag);

}  // namespace sm::broker
