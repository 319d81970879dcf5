#include "broker/kite_errors.h"

#include <fmt/format.h>
#include <algorithm>

#include "broker/kite_json.h"

namespace sm::broker {
namespace {

ErrorCode code_for_http_status(int http_status) {
  if (http_status == 429) return ErrorCode::kRateLimited;
  if (http_status == 403) return ErrorCode::kAuthError;
  if (http_status == 404) return ErrorCode::kNotFound;
  if (http_status == 400 || http_status == 405 || http_status == 410)
    return ErrorCode::kInvalidArgument;
  if (http_status >= 500) return ErrorCode::kNetworkError;
  return ErrorCode::kRejected;
}

}  // namespace

bool is_known_error_type(std::string_view error_type) {
  return std::find(kKiteErrorTypes.begin(), kKiteErrorTypes.end(), error_type) !=
         kKiteErrorTypes.end();
}

ErrorCode error_code_for(std::string_view error_type, int http_status) {
  // Kite reports its rate limit as a NetworkException with 429; the status is what matters.
  if (http_status == 429) return ErrorCode::kRateLimited;
  if (error_type == "TokenException" || error_type == "TwoFAException")
    return ErrorCode::kAuthError;
  if (error_type == "PermissionException" || error_type == "PermissionError") {
    return ErrorCode::kPermissionDenied;
  }
  if (error_type == "InputException") return ErrorCode::kInvalidArgument;
  if (error_type == "OrderException" || error_type == "MarginException" ||
      error_type == "HoldingException" || error_type == "UserException") {
    return ErrorCode::kRejected;
  }
  if (error_type == "NetworkException" || error_type == "DataException")
    return ErrorCode::kNetworkError;
  return code_for_http_status(http_status);
}

int http_status_for(std::string_view error_type) {
  if (error_type == "TokenException" || error_type == "PermissionException" ||
      error_type == "PermissionError" || error_type == "UserException" ||
      error_type == "TwoFAException") {
    return 403;
  }
  if (error_type == "InputException" || error_type == "OrderException" ||
      error_type == "MarginException" || error_type == "HoldingException") {
    return 400;
  }
  if (error_type == "NetworkException") return 503;
  if (error_type == "DataException") return 502;
  return 500;
}

BrokerError broker_error_from_response(const HttpResponse& response) {
  BrokerError e;
  e.http_status = response.status;
  Result<KiteEnvelope> envelope = parse_envelope(response.body);
  if (envelope.ok() && !envelope->success) {
    e.error_type =
        is_known_error_type(envelope->error_type) ? envelope->error_type : "GeneralException";
    e.message =
        envelope->message.empty() ? fmt::format("HTTP {}", response.status) : envelope->message;
    if (e.error_type != envelope->error_type)
      e.message += fmt::format(" [error_type {}]", envelope->error_type);
  } else {
    // Not a Kite error body (a proxy page, an empty reply): the status line is all we have.
    std::string snippet = response.body.substr(0, 200);
    for (char& c : snippet) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    e.message = fmt::format("HTTP {} without a Kite error body{}{}", response.status,
                            snippet.empty() ? "" : ": ", snippet);
  }
  e.code = error_code_for(e.error_type, response.status);
  return e;
}

BrokerError broker_error_from_transport(const HttpError& error, bool state_changing) {
  BrokerError e;
  e.message = error.message;
  const bool may_have_arrived = request_may_have_arrived(error.failure);
  e.code = (error.failure == TransportFailure::kTimeoutAfterSend ||
            error.failure == TransportFailure::kTimeoutBeforeSend)
               ? ErrorCode::kTimeout
               : ErrorCode::kNetworkError;
  if (may_have_arrived && state_changing) {
    e.outcome_unknown = true;
    e.code = ErrorCode::kUnavailable;
  }
  return e;
}

}  // namespace sm::broker
