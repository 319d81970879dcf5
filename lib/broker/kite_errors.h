// Kite's error vocabulary (reference §1.2) and how it maps onto ours.
//
//   error_type            HTTP (as sent)   ErrorCode            meaning for the caller
//   TokenException        403              kAuthError           stop; a person must log in again
//   TwoFAException        403              kAuthError
//   PermissionException   403              kPermissionDenied    the app may not do this
//   UserException         403              kRejected            account problem
//   InputException        400              kInvalidArgument     our request was wrong: no retry
//   OrderException        400              kRejected            order refused: no retry
//   MarginException       400              kRejected            insufficient funds: no retry
//   HoldingException      400              kRejected            insufficient holdings: no retry
//   NetworkException      502/503          kNetworkError        broker could not reach its OMS
//   DataException         502/504          kNetworkError        broker could not read its OMS
//   GeneralException      500 (or any)     by HTTP status (below)
//   any type with HTTP 429                  kRateLimited         (Kite sends NetworkException)
// An unknown error_type is treated as GeneralException, like the Python SDK. With no usable
// error_type the HTTP status decides: 400/405/410 kInvalidArgument, 403 kAuthError,
// 404 kNotFound, 429 kRateLimited, 5xx kNetworkError, other kRejected.
#pragma once

#include <array>
#include <string_view>

#include "broker/broker.h"
#include "broker/http_client.h"

namespace sm::broker {

// Every error_type Kite or its SDKs name; PermissionError is the Go SDK's spelling.
inline constexpr std::array<std::string_view, 12> kKiteErrorTypes = {
    "TokenException",   "UserException",       "OrderException",   "InputException",
    "MarginException",  "HoldingException",    "NetworkException", "DataException",
    "GeneralException", "PermissionException", "PermissionError",  "TwoFAException"};

bool is_known_error_type(std::string_view error_type);

// Our code for a Kite error response.
ErrorCode error_code_for(std::string_view error_type, int http_status);

// The HTTP status the real server sends with an error_type (what sm-paper sends).
int http_status_for(std::string_view error_type);

// A BrokerError from a non-2xx response or a 2xx response with an error envelope. A body that is
// not a Kite envelope (a proxy's HTML page) keeps error_type empty and uses the HTTP status.
BrokerError broker_error_from_response(const HttpResponse& response);

// A BrokerError for a transport failure. outcome_unknown is set when the request may have arrived
// and `state_changing` says it could have changed something at the broker.
BrokerError broker_error_from_transport(const HttpError& error, bool state_changing);

}  // namespace sm::broker
