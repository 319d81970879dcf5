// Loading bars for research: CSV files through lib/ingest's reader (which sorts, removes duplicate
// dates and reports bad rows) or the database, then the data-quality checks and, when asked, the
// corporate-action adjustment (lib/backtest). Every problem found is logged as one JSON warning
// line on stderr (event bad_row or data_quality) and counted; nothing is dropped or changed
// silently. docs/BACKTEST.md, "Data quality", lists the rules.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "backtest/corporate_actions.h"
#include "backtest/data_quality.h"
#include "backtest/market_data.h"
#include "core/log.h"
#include "core/status.h"
#include "ingest/csv_reader.h"
#include "ingest/issues.h"
#include "store/database.h"
#include "store/market_data.h"

namespace sm::history {

struct DataSource {
  std::vector<std::string> files;  // CSV files; when empty, the database at db_path
  std::string db_path;
  std::vector<std::string> symbols;  // database: these symbols (empty: all); CSV: the symbol of a
                                     // file without a symbol column (at most one)
  std::string timeframe;             // database: default 1d; CSV: default detected
  std::string from;                  // first date or time (IST unless zoned); empty: no bound
  std::string to;                    // last date (inclusive) or end time (exclusive)
  std::string corporate_actions;     // a corporate-actions file (core/corporate_action.h), or none
  bool adjust = false;               // back-adjust prices for the listed actions
  double drop_fraction = 0.2;        // fall that counts as a suspected corporate action
  // Bars starting after this (the run's own wall-clock start) are from the future: refused with
  // a warning naming symbol, time and (CSV) file and line, like any dropped row. 0: no limit.
  TimestampMs not_after = 0;
  // The load's whole-data passes run on this many threads (0: one per core): reading and parsing
  // CSV files (ingest::CsvOptions::threads), the data-quality checks and MarketData::make.
  unsigned threads = 1;
};

struct LoadedData {
  backtest::MarketData data;
  std::vector<std::string> inputs;                   // as given ("db:PATH" for the database)
  std::map<std::string, std::int64_t> issue_counts;  // problem kind -> count
  std::vector<backtest::QualityIssue> quality;       // the data-quality findings, in order
  std::int64_t corporate_actions_applied = 0;        // actions that adjusted at least one bar
  std::string corporate_actions_file;                // the file read; empty: none was found
  bool adjusted = false;                             // prices were back-adjusted
  std::vector<backtest::Adjustment> applied;         // the actions that adjusted bars, in order
  std::int64_t bars = 0;
};

// The pieces load_data and DatabaseBarStream (history/database_stream.h) share.

// Half-open [from, to) of source.from/source.to; fails with kInvalidArgument.
struct TimeRange {
  TimestampMs from = std::numeric_limits<TimestampMs>::min();
  TimestampMs to = std::numeric_limits<TimestampMs>::max();
};
Result<TimeRange> parse_range(const DataSource& source);

// The database of source opened read-only with the query its timeframe and range ask for, and the
// symbols to read: source.symbols normalised (duplicates kept, in the order given), or every
// symbol with bars in the range. Fails with kNotFound/kDatabaseError (the database),
// kUnavailable (no schema) or kInvalidArgument (timeframe, symbol).
struct BarDatabase {
  store::Database db;
  store::BarQuery query;
  std::vector<std::string> symbols;
};
Result<BarDatabase> open_bar_database(const DataSource& source, const TimeRange& range);

// The reader options for source's CSV files: --symbol (at most one), the timeframe, bars from
// the future refused. Fails with kInvalidArgument.
Result<ingest::CsvOptions> csv_options(const DataSource& source);
// What load_data logs of one CSV file after reading it (rows out of order, other series), and
// its issue counts added to loaded's. Fails with kParseError for a file of ticks.
Status note_csv_file(const std::string& path, const ingest::CsvResult& parsed,
                     const ingest::IssueReporter& reporter, const Logger& log, LoadedData& loaded);

// The warning for a stored bar from the future (after source.not_after), counted in issue_counts.
void report_future_bar(const Logger& log, const DataSource& source, const Bar& bar,
                       std::map<std::string, std::int64_t>& issue_counts);
// The warning for a data-quality finding.
void log_quality_issue(const Logger& log, const backtest::QualityIssue& issue);
// The corporate actions of source (none without a file); fails as load_corporate_actions does,
// or with kInvalidArgument for adjust without a file. Sets the loaded fields they decide.
Result<std::vector<CorporateAction>> load_actions(const DataSource& source, LoadedData& loaded);

// Fails with kNotFound / kIoError (a file or the database cannot be read), kParseError (a CSV file
// or the corporate-actions file cannot be understood), kInvalidArgument (a bad timeframe, range or
// symbol, two inputs with the same symbol, adjust without a corporate-actions file) or
// kUnavailable (no bars at all in the range).
Result<LoadedData> load_data(const DataSource& source, const Logger& log);

}  // namespace sm::history
