// Reads price CSV files as users really have them (NSE/nsepy daily, NSE long histories, headerless
// 1-minute exports, Kite/TradingView/yfinance exports, second-by-second tick files) into normalised
// bars or ticks: symbols upper-cased without exchange decorations, timestamps in UTC ms, prices in
// exact paise, sorted by (symbol, ts), one row per (symbol, ts). docs/INGEST.md describes the
// layouts, the column aliases, the time-label rules and what happens to bad rows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/messages.h"
#include "core/status.h"
#include "ingest/fields.h"
#include "ingest/issues.h"
#include "ingest/line_reader.h"

namespace sm::ingest {

// Splits one CSV record into cells. Handles RFC 4180 quoting ("a,b" and "" inside quotes) and trims
// spaces around cells. Returns false when a quote is left open (a truncated line). fields is
// cleared first; its capacity is reused across calls.
bool split_csv_line(std::string_view line, char delimiter, std::vector<std::string>& fields);

// The same split as views: cells[i] equals what split_csv_line puts in fields[i]. A line without a
// quote is cut in place (cells point into line); a line with one goes through split_csv_line into
// scratch and cells point there (valid until scratch changes). Returns false as split_csv_line
// does.
bool split_csv_cells(std::string_view line, char delimiter, std::vector<std::string>& scratch,
                     std::vector<std::string_view>& cells);

// What a bar's time stamp marks: the start of the interval it covers, or its end.
enum class TimeLabel { kAuto, kStart, kEnd };
Result<TimeLabel> parse_time_label(std::string_view text);  // "auto", "start", "end"
std::string_view time_label_name(TimeLabel label);

// The logical columns a file can provide.
enum class Column {
  kTs,
  kDate,
  kTime,
  kSymbol,
  kSeries,
  kOpen,
  kHigh,
  kLow,
  kClose,
  kVolume,
  kPrice,
  kQty
};
// "ts", "date", "time", "symbol", "series", "open", "high", "low", "close", "volume", "price",
// "qty".
Result<Column> parse_column(std::string_view name);
std::string_view column_name(Column column);

struct CsvOptions {
  // --symbol: the symbol of every row. Required when the file has no symbol column; when it has
  // one, this wins (and is normalised the same way).
  std::string symbol;
  // --tz: offset applied to timestamps that carry no zone (NSE files are IST).
  int zone_offset_minutes = kIstOffsetMinutes;
  // --timeframe: the bar length; when absent it is detected (1d for date-only files, else the most
  // common spacing between consecutive rows of a symbol).
  std::optional<Timeframe> timeframe;
  // --date-format: the layout of the timestamp (or date) cells. When absent, cells such as
  // "31/12/2019" are read day-first or month-first as the whole file proves (see
  // DateOrderEvidence); a file that proves neither fails, and so does one that proves both.
  std::optional<DateFormat> date_format;
  // --time-label for intraday bars; kAuto decides from the session's first and last stamps.
  TimeLabel time_label = TimeLabel::kAuto;
  // --map field=column: column is a header name (case and punctuation ignored) or a 1-based index.
  // Only the named field moves; one column may feed several fields.
  std::vector<std::pair<Column, std::string>> column_map;
  // Rows whose series column is not one of these are skipped (counted, not bad). Empty = keep all.
  std::vector<std::string> series = {"EQ"};
  TimeLimits limits;
  // read_csv parses the rows on this many threads (0: one per core), the text cut into parts at
  // line ends and joined in file order: the result, the issues and a stop are those of one
  // thread. CsvStream reads on one.
  unsigned threads = 1;
};

// Parses the --map value "field=column".
Result<std::pair<Column, std::string>> parse_column_mapping(std::string_view text);

enum class RecordKind { kBars, kTicks };

struct CsvResult {
  RecordKind kind = RecordKind::kBars;
  Timeframe timeframe;  // bars only
  bool timeframe_detected = false;
  TimeLabel time_label = TimeLabel::kStart;  // what was applied to intraday bars
  std::string time_label_evidence;   // why (auto) or what contradicts it; empty if nothing to say
  bool time_label_doubtful = false;  // evidence is mixed or contradicts an explicit label
  std::string columns;               // "ts=Date open=Open ..." as resolved, for the log
  std::string date_format;           // the --date-format layout applied (given or detected), if any
  bool date_format_detected = false;
  std::vector<Bar> bars;                   // sorted by (symbol, ts), unique (symbol, ts)
  std::vector<Tick> ticks;                 // sorted by (symbol, ts), stable within equal keys
  std::int64_t rows_read = 0;              // data rows seen (not header, blank or comment lines)
  std::int64_t series_skipped = 0;         // rows of another series (see CsvOptions::series)
  std::int64_t opening_prints_merged = 0;  // end-labelled 09:15 prints folded into the 09:15 bar
  std::int64_t prices_rounded = 0;         // cells with more than two decimals (float noise)
  std::int64_t rows_out_of_order =
      0;  // rows older than the previous row of their symbol in the file
};

// Parses a whole file's text. Row problems go to on_issue (see Reason for which are dropped); if it
// returns false, reading stops and the result is kParseError "stopped at ...". A file whose layout
// cannot be understood (no timestamp or price column, no symbol and no --symbol, an undetectable
// timeframe, day-first/month-first dates that the file does not decide) fails with kParseError
// naming input; a --map naming a column that does not exist
// fails with kInvalidArgument.
Result<CsvResult> read_csv(std::string_view text, const std::string& input,
                           const CsvOptions& options, const IssueHandler& on_issue);

// A CSV file of bars read as a stream: the same bars in the same order as read_csv gives, the same
// rows reported in the same order with the same messages, and the same result fields, but read
// in blocks (LineReader) instead of whole, so memory does not grow with the file.
//
// open makes the passes that must see every row before the first bar can be given: the date
// layout (only when the first row has a numeric date such as 31/12/2019), then a survey that
// parses every row and reports its problems (as read_csv's row reading does) while gathering the
// timeframe, the time-label evidence and whether the file is in (symbol, ts) order; when
// duplicate keys or refused times are possible, a pass that reports them (read_csv reports them
// after every row problem). next then reads the file once more, giving one bar at a time.
//
// A file the stream cannot give in order is read whole, as read_csv reads it (memory grows with
// it, read_whole() is true): a file of ticks, rows out of (symbol, ts) order (newest first, a
// symbol in several blocks), or end-labelled bars that a 09:15 print would put out of order.
class CsvStream {
 public:
  // Fails as read_csv does (kParseError, kInvalidArgument, strict_stop), or as LineReader does
  // (kNotFound, kIoError).
  static Result<std::unique_ptr<CsvStream>> open(LineReader lines, const std::string& input,
                                                 const CsvOptions& options,
                                                 const IssueHandler& on_issue);
  static Result<std::unique_ptr<CsvStream>> open_file(const std::string& path,
                                                      const CsvOptions& options,
                                                      const IssueHandler& on_issue);
  ~CsvStream();

  // What read_csv's result holds, without the bars (ticks: read whole, they are in it). Complete
  // once next returned false (opening_prints_merged is counted as bars are given).
  const CsvResult& result() const;
  // The file was read whole (see above).
  bool read_whole() const;
  // The symbols of the rows kept, in the order the file first names them.
  const std::vector<std::string>& symbols() const;
  // The next bar into bar (its previous contents reused); false after the last. Fails with
  // kIoError when the file cannot be read again.
  Result<bool> next(Bar& bar);

 private:
  struct State;
  explicit CsvStream(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// The NSE continuous session, in IST minutes of the day: [09:15, 15:30).
inline constexpr int kSessionOpenMinute = 9 * 60 + 15;
inline constexpr int kSessionCloseMinute = 15 * 60 + 30;

// Daily bars are labelled 09:15 IST of their trading date, whatever time the source printed.
TimestampMs daily_label(TimestampMs ts);

}  // namespace sm::ingest
