// A fast path for the tick lines the programs themselves write (NdjsonWriter, sm-ticker, sm-ingest
// --emit): a feed of a million ticks spends most of its decode time building a generic JSON value
// for a line whose shape is always the same.
#pragma once

#include <string_view>

#include "core/messages.h"

namespace sm {

// Decodes line into tick when it has exactly the shape append_json(Tick) writes:
//   {"type":"tick","ts":"<ISO 8601>","symbol":"<text>","price":<d.dd>,"qty":<n>,"volume":<n>}
// with no whitespace, no escapes, ASCII symbol text, non-negative plain numbers (price with two
// decimals), and nothing else on the line. Returns true and sets tick exactly as
// MessageDecoder's general path would; returns false (tick unspecified) for every other line,
// valid or not, so that the general decoder handles it and its error messages stay the same.
bool decode_written_tick(std::string_view line, Tick& tick);

}  // namespace sm
