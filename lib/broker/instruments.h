// The instruments dump (GET /instruments, /instruments/{exchange}): CSV with the header
// instrument_token,exchange_token,tradingsymbol,name,last_price,expiry,strike,tick_size,lot_size,
// instrument_type,segment,exchange (reference §1.6). Columns are found by header name, so an added
// column does not break us; a missing one does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "broker/types.h"
#include "core/status.h"

namespace sm::broker {

// Parses the CSV (RFC 4180 quoting, LF or CRLF). Fails with kParseError "instruments line N: ..."
// on a missing column, a bad number or date, or a row with the wrong number of fields.
Result<std::vector<Instrument>> parse_instruments_csv(std::string_view text);

// The same CSV for a list of instruments (what sm-paper serves).
std::string instruments_to_csv(const std::vector<Instrument>& instruments);

}  // namespace sm::broker
