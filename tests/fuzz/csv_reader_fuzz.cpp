// libFuzzer target for the price CSV reader: any file text must give bars, ticks or an error value,
// never crash, hang or trip a sanitizer. The first byte picks the options a user could pass (a
// --symbol, a --timeframe, a --time-label), so the layouts that need them are reached too. The
// two record splitters must agree cell for cell, as their contract says, and the streaming reader
// (CsvStream: its fast row path, its spill file of the survey's rows) and read_csv on several
// threads (the top three bits of the first byte: 2 to 9) must give what read_csv gives: the same
// status, the same issues in the same order, the same bars.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/csv_reader.h"
#include "ingest/line_reader.h"

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

// What a read gave: its status, each issue and each bar as text.
struct Outcome {
  std::string status;
  std::vector<std::string> issues;
  std::vector<std::string> records;
};

sm::ingest::IssueHandler collect(Outcome& out, bool stop_at_first_issue) {
  return [&out, stop_at_first_issue](const sm::ingest::RowIssue& issue) {
    out.issues.push_back(issue.input + ":" + std::to_string(issue.line) + ":" + issue.field + ":" +
                         std::string(sm::ingest::reason_name(issue.reason)) + ":" + issue.detail +
                         (issue.dropped ? ":dropped" : ":kept"));
    return !stop_at_first_issue;
  };
}

std::string describe(const sm::Bar& bar) {
  return std::to_string(bar.ts) + " " + bar.symbol + " " + std::to_string(bar.timeframe.minutes) +
         " " + std::to_string(bar.open) + " " + std::to_string(bar.high) + " " +
         std::to_string(bar.low) + " " + std::to_string(bar.close) + " " +
         std::to_string(bar.volume) + (bar.partial ? " partial" : "");
}

// What read_csv gives for text: its status, issues, bars and number of ticks.
Outcome read_whole(std::string_view text, const sm::ingest::CsvOptions& options,
                   bool stop_at_first_issue) {
  Outcome out;
  sm::Result<sm::ingest::CsvResult> read =
      sm::ingest::read_csv(text, "fuzz", options, collect(out, stop_at_first_issue));
  out.status = read.ok() ? "ok" : read.status().to_string();
  if (read.ok()) {
    for (const sm::Bar& bar : read->bars) out.records.push_back(describe(bar));
    out.records.push_back(std::to_string(read->ticks.size()) + " ticks");
  }
  return out;
}

void check_readers_agree(std::string_view text, const sm::ingest::CsvOptions& options,
                         bool stop_at_first_issue, unsigned threads) {
  const Outcome whole = read_whole(text, options, stop_at_first_issue);
  Outcome streamed;
  auto stream = sm::ingest::CsvStream::open(sm::ingest::LineReader::over_text(text), "fuzz",
                                            options, collect(streamed, stop_at_first_issue));
  streamed.status = stream.ok() ? "ok" : stream.status().to_string();
  if (stream.ok()) {
    sm::Bar bar;
    for (;;) {
      sm::Result<bool> got = (*stream)->next(bar);
      if (!got.ok()) std::abort();
      if (!*got) break;
      streamed.records.push_back(describe(bar));
    }
    streamed.records.push_back(std::to_string((*stream)->result().ticks.size()) + " ticks");
  }
  if (streamed.status != whole.status || streamed.issues != whole.issues ||
      streamed.records != whole.records) {
    std::abort();
  }
  // read_csv on several threads (the text cut into parts at line ends) gives what it gives on one.
  sm::ingest::CsvOptions parallel = options;
  parallel.threads = threads;
  const Outcome parts = read_whole(text, parallel, stop_at_first_issue);
  if (parts.status != whole.status || parts.issues != whole.issues ||
      parts.records != whole.records) {
    std::abort();
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
  check_readers_agree(text, options, stop_at_first_issue, 2 + ((choice >> 5) & 7u));
  return 0;
}
