// Sources feeding a MarketDataSink: one CSV file, or an NDJSON stream of ticks and bars (stdin).
// Both validate every record the same way (check_bar / check_tick), report bad rows through an
// IssueReporter and pass only accepted records on.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/status.h"
#include "ingest/csv_reader.h"
#include "ingest/issues.h"
#include "ingest/sink.h"

namespace sm::ingest {

// What one CSV file gave (for the per-file log line and the run summary).
struct FileReport {
  CsvResult parsed;  // bars/ticks vectors are emptied once handed to the sink
  std::int64_t accepted = 0;
  std::int64_t dropped = 0;                    // rows reported and dropped while reading this file
  std::map<std::string, std::int64_t> issues;  // this file's reports by reason name
  std::vector<std::string> symbols;
  TimestampMs first_ts = 0;
  TimestampMs last_ts = 0;
};

// Parses lines as CSV (CsvStream: a file in order is never held whole) and adds every accepted
// record to sink, in read_csv's order. Every bad row is reported before the first record reaches
// the sink. Fails with read_csv's errors (layout, strict stop), kIoError (the file cannot be
// read) or the sink's (database).
Result<FileReport> ingest_csv(LineReader lines, const std::string& input, const CsvOptions& options,
                              MarketDataSink& sink, IssueReporter& issues);
// The same for a text in memory.
Result<FileReport> ingest_csv(std::string_view text, const std::string& input,
                              const CsvOptions& options, MarketDataSink& sink,
                              IssueReporter& issues);

// A CSV file of which no data row was accepted (it was empty, held only a header, or every row
// was dropped) is a failure, so that a cron job notices: kParseError "input: nothing stored: ..."
// with the rows read and the drops by reason. OK when at least one row was accepted (partial drops
// are reported row by row and counted in the file's summary).
Status require_rows_accepted(const std::string& input, const FileReport& report);

struct StreamReport {
  std::int64_t lines = 0;            // non-blank lines read
  std::int64_t accepted = 0;         // bars and ticks handed to the sink
  std::int64_t other_messages = 0;   // valid messages of other types (passed through with --emit)
  bool stopped_on_bad_line = false;  // strict mode stopped the stream
};

// Reads NDJSON ticks and bars from fd until end of input or a stop request. Symbols are normalised
// like CSV symbols and daily bars relabelled 09:15 IST; then each record is checked. Undecodable
// lines are reported as bad_line with their line number. Other message types are passed through
// to the sink's emit writer unchanged. In strict mode the first dropped record ends the stream
// (stopped_on_bad_line). Fails with kIoError when reading fails, or the sink's error.
Result<StreamReport> ingest_ndjson(int fd, const std::string& input, const TimeLimits& limits,
                                   bool strict, MarketDataSink& sink, IssueReporter& issues);

}  // namespace sm::ingest
