// libFuzzer target for the price CSV reader: any file text must give bars, ticks or an error value,
// never crash, hang or trip a sanitizer. The first byte picks the options a user could pass (a
// --symbol, a --timeframe, a --time-label), so the layouts that need them are reached too. The
// two record splitters must agree cell for cell, as their contract says.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/csv_reader.h"

namespace {

void check_splitters_agree(std::string_view text) {
  std::vector<std::string> fields;
  std::vector<std::string> scratch;
  std::vector<std::string_view> cells;
  const std::string_view line = text.substr(0, text.find('\n'));
  const bool split = sm::ingest::split_csv_line(line, ',', fields);
  const bool split_views = sm::ingest::split_csv_cells(line, ',', scratch, cells);
  if (split != split_views) std::abort();
  if (!split) return;
  if (fields.size() != cells.size()) std::abort();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] != cells[i]) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned choice = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  check_splitters_agree(text);
  sm::ingest::CsvOptions options;
  if (choice & 1u) options.symbol = "FUZZ";
  if (choice & 2u) options.timeframe = sm::Timeframe{5};
  if (choice & 4u) options.time_label = sm::ingest::TimeLabel::kEnd;
  if (choice & 8u) options.series.clear();
  const bool stop_at_first_issue = (choice & 16u) != 0;
  (void)sm::ingest::read_csv(text, "fuzz", options,
                             [&](const sm::ingest::RowIssue&) { return !stop_at_first_issue; });
  return 0;
}
