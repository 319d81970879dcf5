// Which URLs may carry a secret (the Kite access token, a signed postback, the paper price feed):
// https to any host, plain http only to the loopback interface, where sm-paper listens. Plain
// http to another host would send the token in clear. docs/BROKER.md "Broker URL" is the user's
// view of this rule.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace sm::broker {

// True for "127.0.0.1", "localhost" (any case) and "[::1]" / "::1": the hosts plain http may reach.
bool is_loopback_host(std::string_view host);

// OK when url is absolute, has a host, and is https, or http to a loopback host. Otherwise
// kInvalidArgument whose message names what (not a URL, no host, another scheme, http to a
// remote host); the message never repeats a query string. what names the setting in messages
// ("--broker-url", "broker.base_url").
Status check_secret_safe_url(std::string_view url, std::string_view what);

// The libcurl protocol list (CURLOPT_PROTOCOLS_STR) for a request to url: "http,https" when it
// is plain http to a loopback host, else "https", so libcurl itself refuses every other case.
const char* allowed_protocols_for(std::string_view url);

}  // namespace sm::broker
