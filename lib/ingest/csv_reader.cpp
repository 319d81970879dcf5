#include "ingest/csv_reader.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <array>
#include <deque>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "core/parallel_parts.h"
#include "ingest/fields.h"

namespace sm::ingest {
namespace {

// The error that ends a read when the issue handler stops at a bad row (--strict).
Status strict_stop(std::string_view input, std::int64_t line) {
  return error(ErrorCode::kParseError,
               fmt::format("{}:{}: stopped at the first bad row (--strict)", input, line));
}

constexpr size_t kColumnCount = 12;
constexpr std::array<std::string_view, kColumnCount> kColumnNames{
    "ts",   "date", "time",  "symbol", "series", "open",
    "high", "low",  "close", "volume", "price",  "qty"};

// Header names after column_key(): lower-case alphanumerics. "Adj Close", "Prev Close", "Last" in a
// bar file and "%Deliverble" deliberately match nothing.
struct Alias {
  std::string_view key;
  Column column;
};
constexpr Alias kAliases[] = {
    {"timestamp", Column::kTs},
    {"datetime", Column::kTs},
    {"ts", Column::kTs},
    {"tradedatetime", Column::kTs},
    {"date", Column::kDate},
    {"tradedate", Column::kDate},
    {"tradingdate", Column::kDate},
    {"time", Column::kTime},
    {"symbol", Column::kSymbol},
    {"ticker", Column::kSymbol},
    {"tradingsymbol", Column::kSymbol},
    {"instrument", Column::kSymbol},
    {"scrip", Column::kSymbol},
    {"series", Column::kSeries},
    {"open", Column::kOpen},
    {"openprice", Column::kOpen},
    {"o", Column::kOpen},
    {"high", Column::kHigh},
    {"highprice", Column::kHigh},
    {"h", Column::kHigh},
    {"low", Column::kLow},
    {"lowprice", Column::kLow},
    {"l", Column::kLow},
    {"close", Column::kClose},
    {"closeprice", Column::kClose},
    {"c", Column::kClose},
    {"volume", Column::kVolume},
    {"vol", Column::kVolume},
    {"totaltradedquantity", Column::kVolume},
    {"tottrdqty", Column::kVolume},
    {"sharestraded", Column::kVolume},
    {"price", Column::kPrice},
    {"ltp", Column::kPrice},
    {"lastprice", Column::kPrice},
    {"lasttradedprice", Column::kPrice},
    {"value", Column::kPrice},
    {"last", Column::kPrice},
    {"qty", Column::kQty},
    {"quantity", Column::kQty},
    {"lastquantity", Column::kQty},
    {"lastqty", Column::kQty},
    {"size", Column::kQty},
};

size_t slot(Column column) { return static_cast<size_t>(column); }

// The most cells a row may have for RowParser::read_plain (wider files take the general path).
constexpr std::size_t kMaxPlainCells = 16;

struct Layout {
  std::array<int, kColumnCount> index;  // -1: absent
  size_t width = 0;  // cells per row (header width, or first row's for headerless)
  bool has_header = false;
  std::string header_symbol;       // from a yfinance "Ticker,RELIANCE.NS" line
  std::vector<std::string> names;  // header names, for messages
  Layout() { index.fill(-1); }
  bool has(Column column) const { return index[slot(column)] >= 0; }
  int at(Column column) const { return index[slot(column)]; }
};

bool is_blank_or_comment(std::string_view line) {
  const size_t first = line.find_first_not_of(" \t,");
  return first == std::string_view::npos || line[first] == '#';
}

char detect_delimiter(std::string_view line) {
  const auto commas = std::count(line.begin(), line.end(), ',');
  if (commas > 0) return ',';
  if (std::count(line.begin(), line.end(), '\t') > 0) return '\t';
  if (std::count(line.begin(), line.end(), ';') > 0) return ';';
  return ',';
}

// A data row has at least one cell that reads as a number or a timestamp; header lines have none.
bool looks_like_data(const std::vector<std::string>& cells) {
  for (const std::string& cell : cells) {
    if (cell.empty()) continue;
    if (parse_price_text(cell).ok() || parse_time_text(cell, 0).ok()) return true;
  }
  return false;
}

std::optional<Column> column_for_key(std::string_view key) {
  for (const Alias& alias : kAliases) {
    if (alias.key == key) return alias.column;
  }
  return std::nullopt;
}

// Default layouts for files without a header, by number of cells (docs/INGEST.md).
Status headerless_layout(const std::vector<std::string>& first_row, Layout& layout,
                         const std::string& input) {
  using C = Column;
  auto assign = [&](std::initializer_list<C> columns) {
    int i = 0;
    for (C column : columns) layout.index[slot(column)] = i++;
  };
  const bool first_is_time = parse_time_text(first_row[0], 0).ok() ||
                             DateOrderEvidence::has_numeric_date_shape(first_row[0]);
  switch (first_row.size()) {
    case 2:
      assign({C::kTs, C::kPrice});
      break;
    case 3:
      assign({C::kTs, C::kPrice, C::kQty});
      break;
    case 5:
      assign({C::kTs, C::kOpen, C::kHigh, C::kLow, C::kClose});
      break;
    case 6:
      assign({C::kTs, C::kOpen, C::kHigh, C::kLow, C::kClose, C::kVolume});
      break;
    case 7:
      if (first_is_time) {
        assign({C::kDate, C::kTime, C::kOpen, C::kHigh, C::kLow, C::kClose, C::kVolume});
      } else {
        assign({C::kSymbol, C::kTs, C::kOpen, C::kHigh, C::kLow, C::kClose, C::kVolume});
      }
      break;
    case 8:
      assign({C::kSymbol, C::kDate, C::kTime, C::kOpen, C::kHigh, C::kLow, C::kClose, C::kVolume});
      break;
    default:
      return error(
          ErrorCode::kParseError,
          fmt::format("{}: no header and {} columns: cannot tell which is which; name them with "
                      "--map field=N (1-based), e.g. --map ts=1 --map close=5",
                      input, first_row.size()));
  }
  return Status();
}

Status apply_mapping(const CsvOptions& options, Layout& layout, const std::string& input) {
  for (const auto& [column, target] : options.column_map) {
    int found = -1;
    const bool numeric = !target.empty() && std::all_of(target.begin(), target.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    if (numeric && target.size() < 4) {
      const int number = std::stoi(target);
      if (number >= 1 && static_cast<size_t>(number) <= layout.width) found = number - 1;
    } else {
      const std::string key = column_key(target);
      for (size_t i = 0; i < layout.names.size() && found < 0; ++i) {
        if (column_key(layout.names[i]) == key) found = static_cast<int>(i);
      }
    }
    if (found < 0) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("{}: --map {}={}: no such column (the file has {} columns{}{})",
                               input, column_name(column), target, layout.width,
                               layout.has_header ? ": " : "", fmt::join(layout.names, ", ")));
    }
    // Only the named field moves; one column may feed several fields (open, high, low and close
    // all from the close of a close-only series).
    layout.index[slot(column)] = found;
  }
  return Status();
}

// A parsed row. The symbol is an index into the reader's symbol table (after parsing, the rank of
// the symbol in sorted order), so that rows are plain values: sorting and de-duplicating a million
// of them moves no strings.
struct Row {
  std::int64_t line = 0;
  std::uint32_t symbol = 0;
  TimestampMs ts = 0;
  Paise open = 0, high = 0, low = 0, close = 0, price = 0;
  Quantity volume = 0, qty = 0;
  bool date_only = false;
  bool opening_print = false;
};

class RowParser {
 public:
  RowParser(const Layout& layout, const CsvOptions& options, const std::string& input,
            RecordKind kind, const std::string& fixed_symbol, const IssueHandler& on_issue,
            CsvResult& result)
      : layout_(layout),
        options_(options),
        input_(input),
        kind_(kind),
        fixed_symbol_(fixed_symbol),
        on_issue_(on_issue),
        result_(result),
        times_(options.zone_offset_minutes) {
    if (!fixed_symbol_.empty()) symbol_id(fixed_symbol_);
    set_roles();
  }

  // The symbols seen, indexed by Row::symbol.
  std::vector<std::string>& symbols() { return symbols_; }

  // The fast path for the rows nearly every bar file is made of: no quote, no blank around a
  // cell that is read, the row's symbol that of the row before, plain numbers and times
  // (fields.h, "Fast paths") and values in which check_bar finds nothing wrong. Reads such a
  // line into row in one pass, each number as it is scanned, and returns true; returns false for
  // any other line, having changed nothing the result shows, and parse then reads (and reports)
  // it as always. Whatever it accepts, parse would have read into the same row without a report.
  bool read_plain(const Line& line, char delimiter, Row& row) {
    if (!plain_rows_) return false;
    const char* p = line.text.data();
    const char* const end = p + line.text.size();
    std::string_view date, time;
    std::optional<ParsedTime> stamp;
    for (std::size_t i = 0; i < layout_.width; ++i) {
      if (i > 0) {
        if (p == end) return false;  // fewer cells than the layout
        ++p;                         // the delimiter
      }
      const Role role = roles_[i];
      if (role >= Role::kOpen) {
        if (role == Role::kVolume) {
          p = scan_plain_quantity(p, end, delimiter, row.volume);
        } else {
          p = scan_plain_price(p, end, delimiter, row.*price_of(role));
        }
        if (p == nullptr) return false;
        continue;
      }
      if (role == Role::kStamp) {
        // A plain time is 10, 16 or 19 characters, each checked by the reader, none of them a
        // delimiter at 10 or 16: the first of those widths followed by a delimiter (or the end)
        // is the cell's, if any is.
        const auto left = static_cast<std::size_t>(end - p);
        std::size_t width = 0;
        for (const std::size_t candidate : {10u, 16u, 19u}) {
          if (left >= candidate && (left == candidate || p[candidate] == delimiter)) {
            width = candidate;
            break;
          }
        }
        if (width == 0) return false;
        stamp = times_.time(std::string_view(p, width));
        if (!stamp) return false;
        p += width;
        continue;
      }
      const char* const start = p;
      for (; p != end && *p != delimiter; ++p) {
        if (*p == '"') return false;  // quoting changes where cells end: the general split
      }
      const std::string_view cell(start, static_cast<std::size_t>(p - start));
      if (role == Role::kSkip) continue;
      if (!cell.empty() && (blank(cell.front()) || blank(cell.back()))) return false;
      switch (role) {
        case Role::kSymbol:
          if (!has_last_symbol_ || cell != last_symbol_text_) return false;
          break;
        case Role::kSeries:
          if (of_other_series([cell](Column) { return cell; })) return false;
          break;
        case Role::kDate:
          date = cell;
          break;
        default:
          time = cell;
          break;
      }
    }
    if (p != end) return false;  // more cells than the layout
    if (!stamp) {
      stamp = times_.date_time(date, time);
      if (!stamp) return false;
    }
    if (!layout_.has(Column::kVolume)) row.volume = 0;
    if (!plainly_valid_bar(row)) return false;
    row.line = line.number;
    row.symbol = fixed_symbol_.empty() ? last_symbol_ : 0;
    row.ts = stamp->ts;
    row.date_only = stamp->date_only;
    row.price = 0;
    row.qty = 0;
    row.opening_print = false;
    return true;
  }

  // Returns false when the issue handler asked to stop.
  bool parse(const Line& line, const std::vector<std::string_view>& cells, std::vector<Row>& rows) {
    Row row;
    row.line = line.number;
    line_ = line.number;
    if (cells.size() != layout_.width) {
      return report("", Reason::kWrongColumnCount,
                    fmt::format("{} cells where the {} has {}{}", cells.size(),
                                layout_.has_header ? "header" : "first row", layout_.width,
                                cells.size() < layout_.width ? " (truncated line?)" : ""));
    }
    if (of_other_series(
            [&](Column column) { return cells[static_cast<size_t>(layout_.at(column))]; })) {
      ++result_.series_skipped;
      return true;
    }
    // Each step returns false only when the handler asked to stop; a bad cell clears ok.
    bool ok = true;
    if (!parse_symbol(cells, row, ok)) return false;
    if (!ok) return true;
    if (!parse_time(cells, row, ok)) return false;
    if (!ok) return true;
    if (!parse_values(cells, row, ok)) return false;
    if (!ok) return true;
    if (!check_values(row, ok)) return false;
    if (ok) rows.push_back(row);
    return true;
  }

 private:
  bool report(std::string field, Reason reason, std::string detail) {
    return on_issue_(RowIssue{input_, line_, std::move(field), reason, std::move(detail), true});
  }

  // cell(Column) -> std::string_view gives a cell of the row.
  template <typename Cell>
  bool of_other_series(const Cell& cell) const {
    if (!layout_.has(Column::kSeries) || options_.series.empty()) return false;
    const std::string_view series = cell(Column::kSeries);
    return std::find(options_.series.begin(), options_.series.end(), series) ==
           options_.series.end();
  }

  // Consecutive rows of a multi-symbol file mostly repeat the symbol: its text is normalized once
  // per run of equal cells.
  bool parse_symbol(const std::vector<std::string_view>& cells, Row& row, bool& ok) {
    if (!fixed_symbol_.empty()) {
      row.symbol = 0;
      return true;
    }
    const std::string_view text = cells[static_cast<size_t>(layout_.at(Column::kSymbol))];
    if (text.empty()) {
      ok = false;
      return report("symbol", Reason::kMissingField, "symbol is empty");
    }
    if (!has_last_symbol_ || text != last_symbol_text_) {
      Result<std::string> symbol = normalize_symbol(text);
      if (!symbol.ok()) {
        ok = false;
        return report("symbol", Reason::kBadSymbol, symbol.status().message());
      }
      last_symbol_text_ = text;
      last_symbol_ = symbol_id(*symbol);
      has_last_symbol_ = true;
    }
    row.symbol = last_symbol_;
    return true;
  }

  // Prices and quantities: the plain-number fast path first, the general parser (and its
  // messages) only when that declines.
  bool price(const std::vector<std::string_view>& cells, Column column, Paise& out, bool& ok) {
    const std::string_view cell = cells[static_cast<size_t>(layout_.at(column))];
    if (std::optional<Paise> plain = parse_plain_price(cell)) {
      out = *plain;
      return true;
    }
    return number(cells, column, ok, [&](std::string_view text) -> Status {
      Result<ParsedPrice> parsed = parse_price_text(text);
      if (!parsed.ok()) return parsed.status();
      if (parsed->rounded) ++result_.prices_rounded;
      out = parsed->paise;
      return Status();
    });
  }

  bool quantity(const std::vector<std::string_view>& cells, Column column, Quantity& out,
                bool& ok) {
    if (!layout_.has(column)) return true;
    const std::string_view cell = cells[static_cast<size_t>(layout_.at(column))];
    if (std::optional<Quantity> plain = parse_plain_quantity(cell)) {
      out = *plain;
      return true;
    }
    return number(cells, column, ok, [&](std::string_view text) -> Status {
      Result<Quantity> parsed = parse_quantity_text(text);
      if (!parsed.ok()) return parsed.status();
      out = *parsed;
      return Status();
    });
  }

  // Reading stops at the first bad cell of a row, so that a row reports one problem.
  bool parse_values(const std::vector<std::string_view>& cells, Row& row, bool& ok) {
    if (kind_ == RecordKind::kBars) {
      for (auto [column, out] :
           {std::pair{Column::kOpen, &row.open}, std::pair{Column::kHigh, &row.high},
            std::pair{Column::kLow, &row.low}, std::pair{Column::kClose, &row.close}}) {
        if (!price(cells, column, *out, ok)) return false;
        if (!ok) return true;
      }
      return quantity(cells, Column::kVolume, row.volume, ok);
    }
    if (!price(cells, Column::kPrice, row.price, ok)) return false;
    if (!ok) return true;
    if (!quantity(cells, Column::kQty, row.qty, ok)) return false;
    if (!ok) return true;
    return quantity(cells, Column::kVolume, row.volume, ok);
  }

  // Value checks on the row as printed; timestamps are checked after label shifting. A problem
  // that drops the row clears ok.
  bool check_values(const Row& row, bool& ok) {
    std::optional<Problem> problem;
    TimeLimits no_time_limits{std::numeric_limits<TimestampMs>::min(), 0};
    if (kind_ == RecordKind::kBars && plainly_valid_bar(row)) {
      // The common case, decided without building a Bar: check_bar would find nothing.
    } else if (kind_ == RecordKind::kBars) {
      problem =
          check_bar(Bar{row.ts, {}, {}, row.open, row.high, row.low, row.close, row.volume, false},
                    no_time_limits);
    } else {
      problem = check_tick(Tick{row.ts, {}, row.price, row.qty, row.volume}, no_time_limits);
    }
    if (!problem) return true;
    if (!on_issue_(RowIssue{input_, line_, problem->field, problem->reason, problem->detail,
                            problem->drop})) {
      return false;
    }
    if (problem->drop) ok = false;
    return true;
  }

  // Parses one numeric cell with parse; on failure reports it and clears ok. Returns false only
  // when the handler asked to stop.
  template <typename Parse>
  bool number(const std::vector<std::string_view>& cells, Column column, bool& ok, Parse parse) {
    const std::string_view text = cells[static_cast<size_t>(layout_.at(column))];
    const std::string field(column_name(column));
    if (text.empty()) {
      ok = false;
      return report(field, Reason::kMissingField, field + " is empty");
    }
    Status status = parse(text);
    if (status.ok()) return true;
    ok = false;
    const Reason reason = status.code() == ErrorCode::kInvalidArgument ? Reason::kNumberOutOfRange
                                                                       : Reason::kUnparsableNumber;
    return report(field, reason, fmt::format("{} '{}': {}", field, text, status.message()));
  }

  bool parse_time(const std::vector<std::string_view>& cells, Row& row, bool& ok) {
    auto cell = [&](Column column) -> std::string_view {
      return cells[static_cast<size_t>(layout_.at(column))];
    };
    std::string_view text;
    std::string combined;
    std::string_view field = "ts";
    if (layout_.has(Column::kTs)) {
      text = cell(Column::kTs);
    } else if (layout_.has(Column::kDate) && layout_.has(Column::kTime)) {
      field = "date";
      if (std::optional<ParsedTime> plain =
              options_.date_format ? std::nullopt
                                   : parse_plain_date_time(cell(Column::kDate), cell(Column::kTime),
                                                           options_.zone_offset_minutes)) {
        row.ts = plain->ts;
        row.date_only = plain->date_only;
        return true;
      }
      if (!cell(Column::kDate).empty() && !cell(Column::kTime).empty()) {
        combined.reserve(cell(Column::kDate).size() + 1 + cell(Column::kTime).size());
        combined.append(cell(Column::kDate)).append(" ").append(cell(Column::kTime));
        text = combined;
      }
    } else if (layout_.has(Column::kDate)) {
      field = "date";
      text = cell(Column::kDate);
    } else {
      field = "time";
      text = cell(Column::kTime);
    }
    if (text.empty()) {
      ok = false;
      return report(std::string(field), Reason::kMissingField, "timestamp is empty");
    }
    Result<ParsedTime> parsed =
        options_.date_format
            ? parse_formatted_time(text, *options_.date_format, options_.zone_offset_minutes)
            : parse_time_text(text, options_.zone_offset_minutes);
    if (!parsed.ok()) {
      ok = false;
      return report(std::string(field), Reason::kUnparsableTimestamp, parsed.status().message());
    }
    row.ts = parsed->ts;
    row.date_only = parsed->date_only;
    return true;
  }

  const Layout& layout_;
  const CsvOptions& options_;
  const std::string& input_;
  RecordKind kind_;
  const std::string& fixed_symbol_;
  const IssueHandler& on_issue_;
  CsvResult& result_;
  std::int64_t line_ = 0;
  std::string last_symbol_text_;
  std::uint32_t last_symbol_ = 0;
  bool has_last_symbol_ = false;
  std::vector<std::string> symbols_;
  std::unordered_map<std::string, std::uint32_t> symbol_ids_;
  // What read_plain does with each cell. The prices are in Row's order (open, high, low, close).
  enum class Role : std::uint8_t {
    kSkip,
    kSymbol,
    kSeries,
    kStamp,  // the one cell the timestamp is read from
    kDate,   // the date and time cells the timestamp is read from together
    kTime,
    kOpen,
    kHigh,
    kLow,
    kClose,
    kVolume
  };
  static Paise Row::*price_of(Role role) {
    switch (role) {
      case Role::kOpen:
        return &Row::open;
      case Role::kHigh:
        return &Row::high;
      case Role::kLow:
        return &Row::low;
      default:
        return &Row::close;
    }
  }
  PlainTimeReader times_;
  std::array<Role, kMaxPlainCells> roles_{};
  bool plain_rows_ = false;  // read_plain may accept rows

  // The roles of the cells, as parse reads them; plain_rows_ stays false for what read_plain
  // does not read (ticks, --date-format, wide rows, a cell read as two fields).
  void set_roles() {
    if (kind_ != RecordKind::kBars || options_.date_format || layout_.width > kMaxPlainCells) {
      return;
    }
    const auto give = [this](Column column, Role role) {
      const int index = layout_.at(column);
      if (index < 0 || static_cast<std::size_t>(index) >= layout_.width) return false;
      Role& slot = roles_[static_cast<std::size_t>(index)];
      if (slot != Role::kSkip) return false;
      slot = role;
      return true;
    };
    bool ok = true;
    if (fixed_symbol_.empty()) ok = ok && give(Column::kSymbol, Role::kSymbol);
    if (layout_.has(Column::kSeries) && !options_.series.empty()) {
      ok = ok && give(Column::kSeries, Role::kSeries);
    }
    if (layout_.has(Column::kTs)) {
      ok = ok && give(Column::kTs, Role::kStamp);
    } else if (layout_.has(Column::kDate) && layout_.has(Column::kTime)) {
      ok = ok && give(Column::kDate, Role::kDate) && give(Column::kTime, Role::kTime);
    } else {
      ok = ok && give(layout_.has(Column::kDate) ? Column::kDate : Column::kTime, Role::kStamp);
    }
    ok = ok && give(Column::kOpen, Role::kOpen) && give(Column::kHigh, Role::kHigh) &&
         give(Column::kLow, Role::kLow) && give(Column::kClose, Role::kClose);
    if (layout_.has(Column::kVolume)) ok = ok && give(Column::kVolume, Role::kVolume);
    plain_rows_ = ok;
  }

  static bool blank(char c) { return c == ' ' || c == '\t'; }

  std::uint32_t symbol_id(const std::string& symbol) {
    auto [it, added] = symbol_ids_.try_emplace(symbol, static_cast<std::uint32_t>(symbols_.size()));
    if (added) symbols_.push_back(symbol);
    return it->second;
  }

  // True when check_bar (without time limits) certainly finds no problem: positive prices in
  // order, low <= open, close <= high, a volume in range. Anything else goes to check_bar itself.
  static bool plainly_valid_bar(const Row& row) {
    return row.low > 0 && row.low <= row.high && row.open >= row.low && row.open <= row.high &&
           row.close >= row.low && row.close <= row.high && row.volume >= 0 &&
           row.volume <= kMaxVolume;
  }
};

int ist_minute(TimestampMs ts) { return ist_minute_of_day(ts); }
bool flat(const Row& row) {
  return row.open == row.high && row.high == row.low && row.low == row.close;
}

TimestampMs time_of_day(TimestampMs ts) { return ((ts % kMsPerDay) + kMsPerDay) % kMsPerDay; }

// What detect_timeframe reads of the rows, taken in (symbol, ts) order one row at a time, so that
// the whole-file reader and the stream (CsvStream) decide alike.
class TimeframeEvidence {
 public:
  void add(const Row& row) {
    if (!row.date_only) all_date_only_ = false;
    const TimestampMs time = time_of_day(row.ts);
    if (rows_ == 0) {
      first_time_ = time;
    } else if (time != first_time_) {
      same_time_ = false;
    }
    // Consecutive equal steps are counted before they go into the map: nearly every step of a
    // bar file is the bar length, so the map is touched at gaps only.
    if (rows_ > 0 && row.symbol == previous_symbol_ && row.ts > previous_ts_) {
      const TimestampMs step = row.ts - previous_ts_;
      if (step != run_step_) {
        if (run_length_ > 0) spacing_[run_step_] += run_length_;
        run_step_ = step;
        run_length_ = 0;
      }
      ++run_length_;
    }
    previous_symbol_ = row.symbol;
    previous_ts_ = row.ts;
    ++rows_;
  }

  // REQUIRES: at least one row was added.
  Result<Timeframe> decide(const std::string& input) {
    if (run_length_ > 0) spacing_[run_step_] += run_length_;
    run_length_ = 0;
    if (all_date_only_) return Timeframe{Timeframe::kDailyMinutes};
    // Every row at the same time of day (e.g. Kite's daily candles stamped 00:00+05:30): daily.
    if (same_time_ && (rows_ == 1 || spacing_.empty() || spacing_.begin()->first >= kMsPerDay)) {
      return Timeframe{Timeframe::kDailyMinutes};
    }
    return most_common_step(spacing_, input);
  }

 private:
  static Result<Timeframe> most_common_step(const std::map<TimestampMs, std::int64_t>& spacing,
                                            const std::string& input);

  std::int64_t rows_ = 0;
  bool all_date_only_ = true;
  TimestampMs first_time_ = 0;
  bool same_time_ = true;
  std::map<TimestampMs, std::int64_t> spacing_;
  TimestampMs run_step_ = 0;
  std::int64_t run_length_ = 0;
  std::uint32_t previous_symbol_ = 0;
  TimestampMs previous_ts_ = 0;
};

Result<Timeframe> detect_timeframe(const std::vector<Row>& rows, const std::string& input) {
  TimeframeEvidence evidence;
  for (const Row& row : rows) evidence.add(row);
  return evidence.decide(input);
}

Result<Timeframe> TimeframeEvidence::most_common_step(
    const std::map<TimestampMs, std::int64_t>& spacing, const std::string& input) {
  if (spacing.empty()) {
    return error(ErrorCode::kParseError,
                 fmt::format("{}: too few rows to detect the bar length; pass --timeframe", input));
  }
  const auto mode =
      std::max_element(spacing.begin(), spacing.end(),
                       [](const auto& a, const auto& b) { return a.second < b.second; });
  const TimestampMs step = mode->first;
  if (step >= 20 * kMsPerHour) return Timeframe{Timeframe::kDailyMinutes};
  if (step % kMsPerMinute != 0 || step / kMsPerMinute > 720) {
    return error(
        ErrorCode::kParseError,
        fmt::format(
            "{}: rows are most often {} ms apart, which is not a bar length; pass --timeframe "
            "(or, for trades or quotes, name a price column with --map price=COLUMN)",
            input, step));
  }
  return Timeframe{static_cast<int>(step / kMsPerMinute)};
}

// What decide_time_label reads: the rows at the session edges, taken one at a time.
struct LabelEvidence {
  std::int64_t at_open_print = 0, at_open_bar = 0, at_close = 0;
  void add(const Row& row) {
    const int minute = ist_minute(row.ts);
    if (minute == kSessionOpenMinute) {
      (flat(row) ? at_open_print : at_open_bar) += 1;
    } else if (minute == kSessionCloseMinute) {
      ++at_close;
    }
  }
  void add(const LabelEvidence& other) {
    at_open_print += other.at_open_print;
    at_open_bar += other.at_open_bar;
    at_close += other.at_close;
  }
};

// Decides (auto) or checks (explicit) the time label of intraday bars from what sits at the session
// edges: a start-labelled file has ordinary bars at 09:15 and nothing at 15:30; an end-labelled
// one has bars stamped 15:30 and, at 09:15, at most an opening print (open = high = low = close).
void decide_time_label(const LabelEvidence& counts, const CsvOptions& options, CsvResult& result) {
  const std::int64_t at_open_print = counts.at_open_print;
  const std::int64_t at_open_bar = counts.at_open_bar;
  const std::int64_t at_close = counts.at_close;
  const std::string evidence = fmt::format(
      "{} rows stamped 09:15 (of which {} open=high=low=close prints), {} rows stamped 15:30",
      at_open_print + at_open_bar, at_open_print, at_close);
  const bool says_end = at_close > 0 && at_open_bar == 0;
  const bool says_start = at_open_bar > 0 && at_close == 0;
  if (options.time_label == TimeLabel::kAuto) {
    result.time_label = says_end ? TimeLabel::kEnd : TimeLabel::kStart;
    result.time_label_doubtful = at_open_bar > 0 && at_close > 0;
    result.time_label_evidence =
        evidence + (says_end     ? ": end-of-bar labels"
                    : says_start ? ": start-of-bar labels"
                    : result.time_label_doubtful
                        ? ": mixed evidence, assumed start-of-bar labels (set --time-label)"
                        : ": no rows at the session edges, assumed start-of-bar labels");
    return;
  }
  result.time_label = options.time_label;
  if ((options.time_label == TimeLabel::kStart && says_end) ||
      (options.time_label == TimeLabel::kEnd && says_start)) {
    result.time_label_doubtful = true;
    result.time_label_evidence =
        evidence + fmt::format(": looks like {}-of-bar labels, but --time-label {} was given",
                               says_end ? "end" : "start", time_label_name(options.time_label));
  }
}

bool identical(const Row& a, const Row& b) {
  return a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close &&
         a.volume == b.volume && a.price == b.price && a.qty == b.qty;
}

}  // namespace

bool split_csv_line(std::string_view line, char delimiter, std::vector<std::string>& fields) {
  fields.clear();
  size_t i = 0;
  const size_t n = line.size();
  for (;;) {
    std::string& cell = fields.emplace_back();
    while (i < n && (line[i] == ' ' || line[i] == '\t') && line[i] != delimiter) ++i;
    if (i < n && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (line[i] == '"') {
          if (i + 1 < n && line[i + 1] == '"') {
            cell.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        cell.push_back(line[i++]);
      }
      if (!closed) return false;
      while (i < n && line[i] != delimiter)
        ++i;  // anything between the closing quote and the delimiter
    } else {
      const size_t start = i;
      while (i < n && line[i] != delimiter) ++i;
      size_t end = i;
      while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t')) --end;
      cell.assign(line.data() + start, end - start);
    }
    if (i >= n) return true;
    ++i;  // the delimiter
  }
}

bool split_csv_cells(std::string_view line, char delimiter, std::vector<std::string>& scratch,
                     std::vector<std::string_view>& cells) {
  cells.clear();
  // Nearly every line has no quote; only those pay for split_csv_line's copies.
  if (line.find('"') != std::string_view::npos) {
    if (!split_csv_line(line, delimiter, scratch)) return false;
    for (const std::string& cell : scratch) cells.emplace_back(cell);
    return true;
  }
  const auto blank = [delimiter](char c) { return (c == ' ' || c == '\t') && c != delimiter; };
  size_t start = 0;
  for (;;) {
    size_t end = line.find(delimiter, start);
    if (end == std::string_view::npos) end = line.size();
    size_t first = start;
    while (first < end && blank(line[first])) ++first;
    size_t last = end;
    while (last > first && blank(line[last - 1])) --last;
    cells.push_back(line.substr(first, last - first));
    if (end == line.size()) return true;
    start = end + 1;
  }
}

Result<TimeLabel> parse_time_label(std::string_view text) {
  if (text == "auto") return TimeLabel::kAuto;
  if (text == "start") return TimeLabel::kStart;
  if (text == "end") return TimeLabel::kEnd;
  return error(ErrorCode::kInvalidArgument,
               fmt::format("'{}' is not a time label (auto, start or end)", text));
}

std::string_view time_label_name(TimeLabel label) {
  switch (label) {
    case TimeLabel::kAuto:
      return "auto";
    case TimeLabel::kStart:
      return "start";
    case TimeLabel::kEnd:
      return "end";
  }
  return "auto";
}

Result<Column> parse_column(std::string_view name) {
  for (size_t i = 0; i < kColumnNames.size(); ++i) {
    if (kColumnNames[i] == name) return static_cast<Column>(i);
  }
  return error(ErrorCode::kInvalidArgument,
               fmt::format("'{}' is not a field (one of {})", name, fmt::join(kColumnNames, ", ")));
}

std::string_view column_name(Column column) { return kColumnNames[slot(column)]; }

Result<std::pair<Column, std::string>> parse_column_mapping(std::string_view text) {
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos || equals == 0 || equals + 1 == text.size()) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("--map '{}' is not field=column (e.g. close=Close or ts=1)", text));
  }
  Result<Column> column = parse_column(text.substr(0, equals));
  if (!column.ok()) return column.status();
  return std::make_pair(*column, std::string(text.substr(equals + 1)));
}

TimestampMs daily_label(TimestampMs ts) { return from_ist(ist_date(ts), 9, 15); }

namespace {

// The data rows of a file start after its header block: the leading lines in which no cell reads
// as a number or a timestamp. Usually one; yfinance writes three ("Price,Close,...",
// "Ticker,RELIANCE.NS,...", "Date,,,..."). Advances next past the block and the blank lines in it.
std::vector<std::vector<std::string>> read_header_block(const std::vector<Line>& lines,
                                                        size_t& next, char delimiter) {
  std::vector<std::vector<std::string>> header_lines;
  std::vector<std::string> cells;
  while (next < lines.size()) {
    if (is_blank_or_comment(lines[next].text)) {
      ++next;
      continue;
    }
    if (!split_csv_line(lines[next].text, delimiter, cells) || looks_like_data(cells)) break;
    header_lines.push_back(cells);
    ++next;
    if (header_lines.size() == 3) break;
  }
  return header_lines;
}

Layout header_layout(const std::vector<std::vector<std::string>>& header_lines) {
  Layout layout;
  layout.has_header = true;
  layout.names = header_lines.front();
  layout.width = layout.names.size();
  bool yfinance = false;
  for (size_t h = 1; h < header_lines.size(); ++h) {
    const auto& extra = header_lines[h];
    if (!extra.empty() && column_key(extra[0]) == "ticker") {
      yfinance = true;
      for (size_t i = 1; i < extra.size() && layout.header_symbol.empty(); ++i) {
        if (!extra[i].empty()) layout.header_symbol = extra[i];
      }
    }
  }
  // In yfinance's three-line header the first cell of the first line is the word "Price" and the
  // timestamp column's name ("Date" or "Datetime") is on the last line.
  if (yfinance && !header_lines.back().empty()) layout.names[0] = header_lines.back()[0];
  for (size_t i = 0; i < layout.names.size(); ++i) {
    if (std::optional<Column> column = column_for_key(column_key(layout.names[i]))) {
      if (layout.index[slot(*column)] < 0) layout.index[slot(*column)] = static_cast<int>(i);
    }
  }
  return layout;
}

// The layout from the header block, or, when there is none, from the first data row (the line at
// first_data, which then exists), with --map applied.
Result<Layout> detect_layout(const std::vector<std::vector<std::string>>& header_lines,
                             const std::vector<Line>& lines, size_t first_data, char delimiter,
                             const CsvOptions& options, const std::string& input) {
  Layout layout;
  if (header_lines.empty()) {
    std::vector<std::string> cells;
    split_csv_line(lines[first_data].text, delimiter, cells);
    layout.width = cells.size();
    // With --map the default layout is a starting point; without it, it must exist.
    Status status = headerless_layout(cells, layout, input);
    if (!status.ok() && options.column_map.empty()) return status;
  } else {
    layout = header_layout(header_lines);
  }
  SM_RETURN_IF_ERROR(apply_mapping(options, layout, input));
  return layout;
}

// Bars when the layout has all of open, high, low and close, else ticks when it has a price; it
// must have some timestamp column either way.
Result<RecordKind> record_kind(const Layout& layout, const std::string& input) {
  const bool has_ohlc = layout.has(Column::kOpen) && layout.has(Column::kHigh) &&
                        layout.has(Column::kLow) && layout.has(Column::kClose);
  if (!has_ohlc && !layout.has(Column::kPrice)) {
    std::vector<std::string_view> missing;
    for (Column column : {Column::kOpen, Column::kHigh, Column::kLow, Column::kClose}) {
      if (!layout.has(column)) missing.push_back(column_name(column));
    }
    return error(
        ErrorCode::kParseError,
        fmt::format("{}: no {} column (and no price column for ticks); name it with --map, e.g. "
                    "--map close=\"Close Price\"",
                    input, fmt::join(missing, "/")));
  }
  if (!layout.has(Column::kTs) && !layout.has(Column::kDate) && !layout.has(Column::kTime)) {
    return error(
        ErrorCode::kParseError,
        fmt::format("{}: no date or timestamp column; name it with --map ts=COLUMN", input));
  }
  return has_ohlc ? RecordKind::kBars : RecordKind::kTicks;
}

// The symbol of every row (--symbol, else a yfinance header's), or "" when rows carry their own.
Result<std::string> fixed_symbol_of(const CsvOptions& options, const Layout& layout,
                                    const std::string& input) {
  const std::string symbol_source = !options.symbol.empty() ? options.symbol : layout.header_symbol;
  if (!symbol_source.empty()) {
    Result<std::string> symbol = normalize_symbol(symbol_source);
    if (!symbol.ok()) return symbol.status().with_context(input);
    return *symbol;
  }
  if (!layout.has(Column::kSymbol)) {
    return error(ErrorCode::kParseError, fmt::format("{}: no symbol column; pass --symbol", input));
  }
  return std::string();
}

std::string describe_columns(const Layout& layout) {
  std::vector<std::string> described;
  for (size_t i = 0; i < kColumnCount; ++i) {
    const int index = layout.index[i];
    if (index < 0) continue;
    described.push_back(fmt::format("{}={}", kColumnNames[i],
                                    layout.has_header ? layout.names[static_cast<size_t>(index)]
                                                      : fmt::format("#{}", index + 1)));
  }
  return fmt::format("{}", fmt::join(described, " "));
}

// The date layout for the rows from next on: --date-format if given; else, when the first row's
// timestamp (or date) cell is a numeric date such as "31/12/2019", the order every such cell of
// the file agrees on (DateOrderEvidence); else none (the general timestamp parser reads them).
// next_line(Line&) -> Result<bool> gives the lines from the first data row on.
template <typename NextLine>
Result<std::optional<DateFormat>> decide_date_format(NextLine next_line, char delimiter,
                                                     const Layout& layout,
                                                     const CsvOptions& options,
                                                     const std::string& input) {
  if (options.date_format) return options.date_format;
  const int column = layout.has(Column::kTs)     ? layout.at(Column::kTs)
                     : layout.has(Column::kDate) ? layout.at(Column::kDate)
                                                 : -1;
  if (column < 0) return std::optional<DateFormat>();
  const auto index = static_cast<size_t>(column);
  std::vector<std::string> scratch;
  std::vector<std::string_view> cells;
  DateOrderEvidence evidence;
  Line line;
  for (;;) {
    Result<bool> got = next_line(line);
    if (!got.ok()) return got.status();
    if (!*got) break;
    if (is_blank_or_comment(line.text)) continue;
    if (!split_csv_cells(line.text, delimiter, scratch, cells) || cells.size() <= index) {
      continue;
    }
    // Only a file that starts with such dates is scanned, so ISO files pay nothing.
    if (!evidence.seen() && !DateOrderEvidence::has_numeric_date_shape(cells[index])) break;
    evidence.add(cells[index], line.number);
  }
  if (!evidence.seen()) return std::optional<DateFormat>();
  Result<DateFormat> format = evidence.layout(input);
  if (!format.ok()) return format.status();
  return std::optional<DateFormat>(*format);
}

// The lines of a text as a split on "\n" gives them (a last line without one counts, a "\r"
// before it is dropped), one at a time, numbered from first_number.
class TextLines {
 public:
  TextLines(std::string_view text, std::int64_t first_number)
      : text_(text), number_(first_number) {}
  bool next(Line& line) {
    if (start_ >= text_.size()) return false;
    size_t end = text_.find('\n', start_);
    if (end == std::string_view::npos) end = text_.size();
    std::string_view cut = text_.substr(start_, end - start_);
    if (!cut.empty() && cut.back() == '\r') cut.remove_suffix(1);
    line = {cut, number_++};
    start_ = end + 1;
    return true;
  }
  std::int64_t next_number() const { return number_; }

 private:
  std::string_view text_;
  size_t start_ = 0;
  std::int64_t number_;
};

// The rows of some data lines: their symbols (the table the rows index), the counts the parser
// keeps (rows_read, series_skipped, prices_rounded), how many lines were read, and, for a part
// parsed on a thread of its own, the issues it met, held back to be reported in file order.
struct RowPart {
  CsvResult counts;
  std::vector<Row> rows;
  std::vector<std::string> symbols;
  std::vector<RowIssue> issues;
  std::int64_t lines = 0;
};

// Parses the lines of text, numbered from first_number, into part. Fails with strict_stop when
// the issue handler stops the read.
Status parse_lines(std::string_view text, std::int64_t first_number, char delimiter,
                   const Layout& layout, const CsvOptions& options, const std::string& input,
                   const std::string& fixed_symbol, const IssueHandler& on_issue, RowPart& part) {
  part.rows.reserve(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
  RowParser parser(layout, options, input, part.counts.kind, fixed_symbol, on_issue, part.counts);
  std::vector<std::string> scratch;
  std::vector<std::string_view> views;
  views.reserve(layout.width + 1);
  Row plain;
  TextLines lines(text, first_number);
  Line line;
  while (lines.next(line)) {
    if (is_blank_or_comment(line.text)) continue;
    ++part.counts.rows_read;
    if (parser.read_plain(line, delimiter, plain)) {
      part.rows.push_back(plain);
      continue;
    }
    bool keep_going;
    if (!split_csv_cells(line.text, delimiter, scratch, views)) {
      keep_going = on_issue(RowIssue{input, line.number, "", Reason::kWrongColumnCount,
                                     "a quoted cell is not closed (truncated line?)", true});
    } else {
      keep_going = parser.parse(line, views, part.rows);
    }
    if (!keep_going) return strict_stop(input, line.number);
  }
  part.lines = lines.next_number() - first_number;
  part.symbols = std::move(parser.symbols());
  return Status();
}

// Parses the data lines (text, from the first data row, numbered from first_number) into rows;
// symbols receives the symbol table the rows index. With options.threads, the text is cut at line
// ends into that many parts parsed at once, then joined in file order: the rows, the symbol table
// (in order of first appearance), the counts and the reported issues are those of one pass, and
// a stop (--strict) names the same line. Fails with strict_stop when the issue handler stops the
// read.
Status read_rows(std::string_view text, std::int64_t first_number, char delimiter,
                 const Layout& layout, const CsvOptions& options, const std::string& input,
                 const std::string& fixed_symbol, const IssueHandler& on_issue, CsvResult& result,
                 std::vector<Row>& rows, std::vector<std::string>& symbols) {
  std::vector<RowPart> parts(std::min<size_t>(thread_count(options.threads), text.size() + 1));
  for (RowPart& part : parts) part.counts.kind = result.kind;
  auto add_counts = [&result](const RowPart& part) {
    result.rows_read += part.counts.rows_read;
    result.series_skipped += part.counts.series_skipped;
    result.prices_rounded += part.counts.prices_rounded;
  };
  if (parts.size() == 1) {
    SM_RETURN_IF_ERROR(parse_lines(text, first_number, delimiter, layout, options, input,
                                   fixed_symbol, on_issue, parts[0]));
    add_counts(parts[0]);
    rows = std::move(parts[0].rows);
    symbols = std::move(parts[0].symbols);
    return Status();
  }
  // Each part ends just after a "\n" (the last at the end of the text); a part's lines are
  // numbered from 1 and renumbered when joined.
  std::vector<size_t> cuts(parts.size() + 1, text.size());
  cuts[0] = 0;
  for (size_t p = 1; p < parts.size(); ++p) {
    const size_t at = std::max(cuts[p - 1], text.size() * p / parts.size());
    const size_t end = at == 0 ? 0 : text.find('\n', at - 1);
    cuts[p] = end == std::string_view::npos ? text.size() : end + 1;
  }
  auto parse_part = [&](size_t p) {
    const IssueHandler hold = [&part = parts[p]](const RowIssue& issue) {
      part.issues.push_back(issue);
      return true;
    };
    // Holding every issue, a part never stops: the join reports them and stops where one pass
    // would have.
    (void)parse_lines(text.substr(cuts[p], cuts[p + 1] - cuts[p]), 1, delimiter, layout, options,
                      input, fixed_symbol, hold, parts[p]);
  };
  // One part of the text per part of run_in_parts.
  run_in_parts(parts.size(), parts.size(), [&](size_t p, size_t, size_t) { parse_part(p); });

  // In file order: the issues (a stop ends the read), the counts, the symbol table in order of
  // first appearance with each part's ids in it, and where each part's rows and lines begin.
  std::unordered_map<std::string, std::uint32_t> ids;
  std::vector<std::vector<std::uint32_t>> id_of(parts.size());
  std::vector<size_t> first_row(parts.size());
  std::vector<std::int64_t> lines_before(parts.size());
  size_t total = 0;
  std::int64_t lines = first_number - 1;
  for (size_t p = 0; p < parts.size(); ++p) {
    RowPart& part = parts[p];
    for (RowIssue& issue : part.issues) {
      issue.line += lines;
      if (!on_issue(issue)) return strict_stop(input, issue.line);
    }
    add_counts(part);
    for (const std::string& symbol : part.symbols) {
      auto [it, added] = ids.try_emplace(symbol, static_cast<std::uint32_t>(symbols.size()));
      if (added) symbols.push_back(symbol);
      id_of[p].push_back(it->second);
    }
    first_row[p] = total;
    total += part.rows.size();
    lines_before[p] = lines;
    lines += part.lines;
  }
  // Then every part's rows, renumbered, to their place at once.
  reserve_in_parts(rows, total, parts.size());
  rows.resize(total);
  run_in_parts(parts.size(), parts.size(), [&](size_t p, size_t, size_t) {
    Row* out = rows.data() + first_row[p];
    for (Row row : parts[p].rows) {
      row.line += lines_before[p];
      row.symbol = id_of[p][row.symbol];
      *out++ = row;
    }
    parts[p].rows = std::vector<Row>();
  });
  return Status();
}

// Symbol ids become ranks in sorted order, so comparing ids compares the symbols.
void rank_symbols(std::vector<std::string>& symbols, std::vector<Row>& rows) {
  std::vector<std::uint32_t> order(symbols.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return symbols[a] < symbols[b]; });
  std::vector<std::uint32_t> rank(symbols.size());
  std::vector<std::string> sorted(symbols.size());
  for (std::uint32_t r = 0; r < order.size(); ++r) {
    rank[order[r]] = r;
    sorted[r] = std::move(symbols[order[r]]);
  }
  symbols = std::move(sorted);
  if (symbols.size() > 1) {
    for (Row& row : rows) row.symbol = rank[row.symbol];
  }
}

// Per symbol: a file holding several symbols interleaved by date is still in order. One symbol's
// rows are counted in parts (each row against the one before it).
std::int64_t count_out_of_order(const std::vector<Row>& rows, size_t symbol_count, size_t parts) {
  if (symbol_count == 1) {
    return count_in_parts(rows.size(), parts,
                          [&](size_t i) { return i > 0 && rows[i].ts < rows[i - 1].ts; });
  }
  std::int64_t out_of_order = 0;
  std::vector<TimestampMs> last_ts(symbol_count);
  std::vector<bool> seen(symbol_count, false);
  for (const Row& row : rows) {
    if (seen[row.symbol] && row.ts < last_ts[row.symbol]) ++out_of_order;
    seen[row.symbol] = true;
    last_ts[row.symbol] = row.ts;
  }
  return out_of_order;
}

// Stable sort by (symbol, ts). Sorting first makes detection and de-duplication independent of
// the file's order (long histories are newest first); stability keeps file order within equal
// keys, so "first" means first in the file. Most files are already in order; one pass in parts
// finds out, and then the sort would leave them as they are.
void sort_rows(std::vector<Row>& rows, size_t symbol_count, size_t parts) {
  auto by_key = [](const Row& a, const Row& b) {
    if (a.symbol != b.symbol) return a.symbol < b.symbol;
    return a.ts < b.ts;
  };
  auto by_time = [](const Row& a, const Row& b) { return a.ts < b.ts; };
  if (count_in_parts(rows.size(), parts,
                     [&](size_t i) { return i > 0 && by_key(rows[i], rows[i - 1]); }) == 0) {
    return;
  }
  if (symbol_count == 1) {
    std::stable_sort(rows.begin(), rows.end(), by_time);
    return;
  }
  // Files of several symbols (a day's nsepy rows, an export of a watch list) usually hold each
  // symbol's rows in time order, interleaved. A stable counting sort groups them by symbol in
  // one pass, keeping file order within a symbol; only a symbol whose rows are then out of time
  // order is sorted. The result is the stable sort by (symbol, ts).
  std::vector<size_t> begin(symbol_count + 1, 0);
  for (const Row& row : rows) ++begin[row.symbol + 1];
  std::partial_sum(begin.begin(), begin.end(), begin.begin());
  std::vector<Row> grouped(rows.size());
  std::vector<size_t> fill(begin.begin(), begin.end() - 1);
  for (const Row& row : rows) grouped[fill[row.symbol]++] = row;
  rows.swap(grouped);
  grouped = std::vector<Row>();
  for (size_t symbol = 0; symbol < symbol_count; ++symbol) {
    const auto first = rows.begin() + static_cast<std::ptrdiff_t>(begin[symbol]);
    const auto last = rows.begin() + static_cast<std::ptrdiff_t>(begin[symbol + 1]);
    if (!std::is_sorted(first, last, by_time)) std::stable_sort(first, last, by_time);
  }
}

// Sets the bars' timeframe (given or detected) and moves every row to its bar's start label:
// 09:15 IST for daily bars, start of the bar for end-labelled intraday ones. Rows stay sorted.
// Each row is labelled on its own, in parts.
Status label_bars(std::vector<Row>& rows, size_t symbol_count, size_t parts,
                  const CsvOptions& options, const std::string& input, CsvResult& result) {
  if (options.timeframe) {
    result.timeframe = *options.timeframe;
  } else {
    Result<Timeframe> detected = detect_timeframe(rows, input);
    if (!detected.ok()) return detected.status();
    result.timeframe = *detected;
    result.timeframe_detected = true;
  }
  if (result.timeframe.is_daily()) {
    run_in_parts(rows.size(), parts, [&](size_t, size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) rows[i].ts = daily_label(rows[i].ts);
    });
    return Status();
  }
  std::vector<LabelEvidence> found(part_count(rows.size(), parts));
  run_in_parts(rows.size(), parts, [&](size_t part, size_t begin, size_t end) {
    LabelEvidence counts;  // counted apart: the parts' results share a cache line
    for (size_t i = begin; i < end; ++i) counts.add(rows[i]);
    found[part] = counts;
  });
  LabelEvidence counts;
  for (const LabelEvidence& part : found) counts.add(part);
  decide_time_label(counts, options, result);
  if (result.time_label == TimeLabel::kEnd) {
    const TimestampMs length = result.timeframe.minutes * kMsPerMinute;
    run_in_parts(rows.size(), parts, [&](size_t, size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        // A row stamped at the open cannot end a bar of the session; it is the opening print,
        // an instant at 09:15:00 that belongs to the first bar [09:15, 09:15 + N).
        if (ist_minute(rows[i].ts) == kSessionOpenMinute) {
          rows[i].opening_print = true;
        } else {
          rows[i].ts -= length;
        }
      }
    });
  }
  sort_rows(rows, symbol_count, parts);
  return Status();
}

// Ticks in rows[begin, end) share a key. Several trades may share a timestamp; only a repeated
// identical row is a duplicate. Appends the others at rows[kept].
Status keep_distinct_ticks(std::vector<Row>& rows, size_t begin, size_t end, size_t& kept,
                           const std::string& input, const IssueHandler& on_issue) {
  std::vector<bool> duplicate(end - begin, false);
  for (size_t i = begin; i < end; ++i) {
    const Row* same = nullptr;
    for (size_t j = begin; j < i && same == nullptr; ++j) {
      if (identical(rows[i], rows[j])) same = &rows[j];
    }
    if (same != nullptr) {
      if (!on_issue(RowIssue{input, rows[i].line, "ts", Reason::kDuplicateTimestamp,
                             fmt::format("identical to line {}", same->line), true})) {
        return strict_stop(input, rows[i].line);
      }
      duplicate[i - begin] = true;
    }
  }
  for (size_t i = begin; i < end; ++i) {
    if (!duplicate[i - begin]) rows[kept++] = rows[i];
  }
  return Status();
}

// Bars in rows[begin, end) share a key. The opening print is folded into its bar; among the other
// rows the one with the largest volume is kept (first on ties), as the reference preprocessing
// does. Appends the merged bar at rows[kept].
Status merge_bar_group(std::vector<Row>& rows, size_t begin, size_t end, size_t& kept,
                       const std::string& input, const IssueHandler& on_issue, CsvResult& result) {
  const Row* best = nullptr;
  const Row* print = nullptr;
  for (size_t i = begin; i < end; ++i) {
    if (rows[i].opening_print) {
      if (print == nullptr) print = &rows[i];
      continue;
    }
    if (best == nullptr || rows[i].volume > best->volume) best = &rows[i];
  }
  for (size_t i = begin; i < end; ++i) {
    const Row& row = rows[i];
    if (&row == best || &row == print) continue;
    const Row* winner = row.opening_print ? print : best;
    const std::string detail =
        identical(row, *winner)
            ? fmt::format("identical to line {}", winner->line)
            : fmt::format("same symbol and time as line {}, which is kept{}", winner->line,
                          row.opening_print ? "" : " (largest volume, first on ties)");
    if (!on_issue(RowIssue{input, row.line, "ts", Reason::kDuplicateTimestamp, detail, true})) {
      return strict_stop(input, row.line);
    }
  }
  Row merged = best != nullptr ? *best : *print;
  if (best != nullptr && print != nullptr) {
    merged.open = print->open;
    merged.high = std::max(merged.high, print->high);
    merged.low = std::min(merged.low, print->low);
    merged.volume += print->volume;
    ++result.opening_prints_merged;
  } else if (best == nullptr) {
    ++result.opening_prints_merged;
  }
  rows[kept++] = merged;
  return Status();
}

// One row per (symbol, ts) of the sorted rows, each duplicate reported. The kept rows are
// compacted in place into rows[0, kept): a group's row is written only after the whole group has
// been read, and never beyond the group's first row. Most files have no repeated key and no
// opening print: one pass in parts finds out, and then the rows stay as they are.
Status deduplicate(std::vector<Row>& rows, size_t parts, const std::string& input,
                   const IssueHandler& on_issue, CsvResult& result) {
  const auto shares_a_key = [&](size_t i) {
    return rows[i].opening_print ||
           (i > 0 && rows[i].symbol == rows[i - 1].symbol && rows[i].ts == rows[i - 1].ts);
  };
  if (count_in_parts(rows.size(), parts, shares_a_key) == 0) return Status();
  size_t kept = 0;
  for (size_t begin = 0; begin < rows.size();) {
    size_t end = begin + 1;
    while (end < rows.size() && rows[end].symbol == rows[begin].symbol &&
           rows[end].ts == rows[begin].ts)
      ++end;
    if (end == begin + 1 && !rows[begin].opening_print) {  // the common case: a key of its own
      rows[kept++] = rows[begin];
    } else if (result.kind == RecordKind::kTicks) {
      SM_RETURN_IF_ERROR(keep_distinct_ticks(rows, begin, end, kept, input, on_issue));
    } else {
      SM_RETURN_IF_ERROR(merge_bar_group(rows, begin, end, kept, input, on_issue, result));
    }
    begin = end;
  }
  rows.resize(kept);
  return Status();
}

// The rows as records (bars or ticks: make(row, record) fills one), each checked (check(record)
// gives its problem, if any); a row whose problem drops it is reported and left out. The rows are
// converted in parts, each writing its records from its first row's place on; then the dropped
// rows are reported in row order (a stop names the same row as one pass would) and the parts'
// records closed up.
template <typename Record, typename Make, typename Check>
Status emit_in_parts(const std::vector<Row>& rows, size_t parts, const Make& make,
                     const Check& check, const std::string& input, const IssueHandler& on_issue,
                     std::vector<Record>& out) {
  struct Dropped {
    std::int64_t line;
    Problem problem;
  };
  reserve_in_parts(out, rows.size(), parts);
  out.resize(rows.size());
  std::vector<std::vector<Dropped>> dropped(part_count(rows.size(), parts));
  std::vector<size_t> kept_end(dropped.size());
  run_in_parts(rows.size(), parts, [&](size_t part, size_t begin, size_t end) {
    size_t kept = begin;
    for (size_t i = begin; i < end; ++i) {
      make(rows[i], out[kept]);
      if (std::optional<Problem> problem = check(out[kept]); problem && problem->drop) {
        dropped[part].push_back({rows[i].line, std::move(*problem)});
        continue;
      }
      ++kept;
    }
    kept_end[part] = kept;
  });
  size_t kept = 0;
  for (size_t part = 0; part < dropped.size(); ++part) {
    for (const Dropped& row : dropped[part]) {
      const Problem& problem = row.problem;
      if (!on_issue(
              RowIssue{input, row.line, problem.field, problem.reason, problem.detail, true})) {
        return strict_stop(input, row.line);
      }
    }
    const auto begin =
        out.begin() + static_cast<std::ptrdiff_t>(part_begin(rows.size(), dropped.size(), part));
    const auto end = out.begin() + static_cast<std::ptrdiff_t>(kept_end[part]);
    const auto to = out.begin() + static_cast<std::ptrdiff_t>(kept);
    if (to != begin) std::move(begin, end, to);
    kept += static_cast<size_t>(end - begin);
  }
  out.erase(out.begin() + static_cast<std::ptrdiff_t>(kept), out.end());
  return Status();
}

// The rows as bars or ticks, checked against options.limits; a row that fails is reported and
// dropped.
Status emit_records(const std::vector<Row>& rows, const std::vector<std::string>& symbols,
                    size_t parts, const CsvOptions& options, const std::string& input,
                    const IssueHandler& on_issue, CsvResult& result) {
  if (result.kind == RecordKind::kBars) {
    return emit_in_parts(
        rows, parts,
        [&](const Row& row, Bar& bar) {
          bar.ts = row.ts;
          bar.symbol = symbols[row.symbol];
          bar.timeframe = result.timeframe;
          bar.open = row.open;
          bar.high = row.high;
          bar.low = row.low;
          bar.close = row.close;
          bar.volume = row.volume;
          bar.partial = row.opening_print;  // an opening print with no bar of its own
        },
        [&](const Bar& bar) { return check_bar(bar, options.limits); }, input, on_issue,
        result.bars);
  }
  return emit_in_parts(
      rows, parts,
      [&](const Row& row, Tick& tick) {
        tick.ts = row.ts;
        tick.symbol = symbols[row.symbol];
        tick.price = row.price;
        tick.qty = row.qty;
        tick.volume = row.volume;
      },
      [&](const Tick& tick) { return check_tick(tick, options.limits); }, input, on_issue,
      result.ticks);
}

// What the first lines of a file and the options decide before any row is read.
struct Setup {
  char delimiter = ',';
  Layout layout;
  std::string fixed_symbol;
  CsvOptions effective;  // the options with the date format decided
};

// Layout detection (header, columns, kind, symbol) from lines, which hold at least the header
// block and the first data row; next is the first non-blank line and ends at the first data row.
Result<Setup> set_up(const std::vector<Line>& lines, size_t& next, const CsvOptions& options,
                     const std::string& input, CsvResult& result) {
  Setup setup;
  setup.delimiter = detect_delimiter(lines[next].text);
  const std::vector<std::vector<std::string>> header_lines =
      read_header_block(lines, next, setup.delimiter);
  Result<Layout> layout = detect_layout(header_lines, lines, next, setup.delimiter, options, input);
  if (!layout.ok()) return layout.status();
  setup.layout = std::move(layout).value();
  Result<RecordKind> kind = record_kind(setup.layout, input);
  if (!kind.ok()) return kind.status();
  result.kind = *kind;
  Result<std::string> fixed_symbol = fixed_symbol_of(options, setup.layout, input);
  if (!fixed_symbol.ok()) return fixed_symbol.status();
  setup.fixed_symbol = std::move(fixed_symbol).value();
  result.columns = describe_columns(setup.layout);
  setup.effective = options;
  return setup;
}

void set_date_format(const std::optional<DateFormat>& format, const CsvOptions& options,
                     Setup& setup, CsvResult& result) {
  setup.effective.date_format = format;
  if (format) {
    result.date_format = format->text;
    result.date_format_detected = !options.date_format;
  }
}

// Row reading, then the whole-file steps: sorting, bar labels, de-duplication and the final
// checks. With rows_reported, the rows' own problems were reported already (a CsvStream that
// found the file out of order) and are not reported again.
Result<CsvResult> read_whole(std::string_view text, const std::string& input,
                             const CsvOptions& options, const IssueHandler& on_issue,
                             bool rows_reported) {
  CsvResult result;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte order mark
  // The first lines, up to the fourth that is not blank: the header block (at most three lines)
  // and the first data row, all that layout detection reads.
  std::vector<Line> first_lines;
  TextLines text_lines(text, 1);
  Line line;
  for (int non_blank = 0; non_blank < 4 && text_lines.next(line);) {
    first_lines.push_back(line);
    if (!is_blank_or_comment(line.text)) ++non_blank;
  }
  size_t next = 0;
  while (next < first_lines.size() && is_blank_or_comment(first_lines[next].text)) ++next;
  if (next == first_lines.size()) return result;  // empty input: nothing to do, not an error

  Result<Setup> setup = set_up(first_lines, next, options, input, result);
  if (!setup.ok()) return setup.status();
  // The data lines: from the first data row (if any) to the end.
  std::string_view data;
  std::int64_t first_number = 0;
  if (next < first_lines.size()) {
    data = text.substr(static_cast<size_t>(first_lines[next].text.data() - text.data()));
    first_number = first_lines[next].number;
  }
  Result<std::optional<DateFormat>> date_format = decide_date_format(
      [data_lines = TextLines(data, first_number)](Line& data_line) mutable -> Result<bool> {
        return data_lines.next(data_line);
      },
      setup->delimiter, setup->layout, options, input);
  if (!date_format.ok()) return date_format.status();
  set_date_format(*date_format, options, *setup, result);

  std::vector<Row> rows;
  std::vector<std::string> symbols;
  const IssueHandler silent = [](const RowIssue&) { return true; };
  SM_RETURN_IF_ERROR(read_rows(data, first_number, setup->delimiter, setup->layout,
                               setup->effective, input, setup->fixed_symbol,
                               rows_reported ? silent : on_issue, result, rows, symbols));
  if (rows.empty()) return result;
  rank_symbols(symbols, rows);
  const size_t parts = thread_count(options.threads);
  result.rows_out_of_order = count_out_of_order(rows, symbols.size(), parts);
  sort_rows(rows, symbols.size(), parts);
  if (result.kind == RecordKind::kBars) {
    SM_RETURN_IF_ERROR(label_bars(rows, symbols.size(), parts, options, input, result));
  }
  SM_RETURN_IF_ERROR(deduplicate(rows, parts, input, on_issue, result));
  SM_RETURN_IF_ERROR(emit_records(rows, symbols, parts, options, input, on_issue, result));
  return result;
}

// What the stream's survey learns of the rows in file order: whether that order is already
// read_csv's (symbol, ts) order, and whether the later steps (labels, de-duplication, time
// limits) can report anything.
class Survey {
 public:
  void add(const Row& row) {
    const TimestampMs local = row.ts + kIstOffsetMs;
    const TimestampMs day = local >= 0 ? local / kMsPerDay : (local - kMsPerDay + 1) / kMsPerDay;
    const int minute = static_cast<int>((local - day * kMsPerDay) / kMsPerMinute);
    min_ts_ = std::min(min_ts_, row.ts);
    max_ts_ = std::max(max_ts_, row.ts);
    if (!has_previous_ || row.symbol != previous_.symbol) {
      // Each symbol must be one block of rows: a symbol seen before is out of order.
      if (row.symbol >= block_seen_.size()) block_seen_.resize(row.symbol + 1, false);
      if (block_seen_[row.symbol]) in_order_ = false;
      block_seen_[row.symbol] = true;
      blocks_.push_back(row.symbol);
    } else if (row.ts < previous_.ts) {
      in_order_ = false;
    } else {
      if (row.ts == previous_.ts) ++equal_pairs_;
      if (day == previous_day_) ++same_day_pairs_;
      if (previous_minute_ == kSessionOpenMinute && minute != kSessionOpenMinute) {
        gap_after_open_ = std::min(gap_after_open_, row.ts - previous_.ts);
      }
    }
    previous_ = row;
    previous_day_ = day;
    previous_minute_ = minute;
    has_previous_ = true;
  }

  // Whether the file's order is the stable sort by (symbol, ts): every symbol one block, the
  // blocks by symbol, times not decreasing within each.
  bool in_order(const std::vector<std::string>& symbols) const {
    if (!in_order_) return false;
    for (size_t i = 1; i < blocks_.size(); ++i) {
      if (!(symbols[blocks_[i - 1]] < symbols[blocks_[i]])) return false;
    }
    return true;
  }
  // End labels move every row but the one at 09:15 back by a bar: the order holds unless a row
  // follows a 09:15 row by less than a bar.
  bool end_labels_keep_order(TimestampMs length) const { return gap_after_open_ >= length; }
  // Whether two rows can share a bar's key once labelled (daily: the same IST date).
  bool may_repeat_keys(bool daily, bool end_labelled, TimestampMs length) const {
    if (daily) return same_day_pairs_ > 0;
    return equal_pairs_ > 0 || (end_labelled && gap_after_open_ <= length);
  }
  // Whether a labelled bar can fall outside limits (labels move a bar by less than two days).
  bool may_break(const TimeLimits& limits) const {
    constexpr TimestampMs kMargin = 2 * kMsPerDay;
    return min_ts_ - kMargin < limits.not_before ||
           (limits.not_after != 0 && max_ts_ + kMargin > limits.not_after);
  }

 private:
  bool in_order_ = true;
  bool has_previous_ = false;
  Row previous_;
  TimestampMs previous_day_ = 0;  // IST day number and minute of previous_
  int previous_minute_ = 0;
  std::vector<bool> block_seen_;
  std::vector<std::uint32_t> blocks_;
  std::int64_t equal_pairs_ = 0;
  std::int64_t same_day_pairs_ = 0;
  TimestampMs gap_after_open_ = std::numeric_limits<TimestampMs>::max();
  TimestampMs min_ts_ = std::numeric_limits<TimestampMs>::max();
  TimestampMs max_ts_ = std::numeric_limits<TimestampMs>::min();
};

}  // namespace

// The rows a CsvStream's survey kept, for the passes after it: read back from a temporary file
// instead of parsing the text again. Each row is a few variable-length numbers, most of them
// differences from the row before (a row of a 1-minute file takes about 16 bytes), so the file
// is a fraction of the CSV's size.
class RowSpill {
 public:
  explicit RowSpill(SpillFile file) : file_(std::move(file)) {}

  // Fails with kIoError (the disk is full).
  Status add(const Row& row) {
    std::array<char, kMaxRecordBytes> record;
    char* out = record.data();
    put(out, difference(row.line, previous_.line));
    put(out, row.symbol);
    put(out, difference(row.ts, previous_.ts));
    put(out, difference(row.open, previous_.close));
    put(out, difference(row.high, row.open));
    put(out, difference(row.low, row.open));
    put(out, difference(row.close, row.open));
    put(out, difference(row.volume, previous_.volume));
    put(out, difference(row.price, previous_.price));
    put(out, difference(row.qty, previous_.qty));
    *out++ = static_cast<char>((row.date_only ? 1 : 0) | (row.opening_print ? 2 : 0));
    previous_ = row;
    ++rows_;
    return file_.append(
        std::string_view(record.data(), static_cast<std::size_t>(out - record.data())));
  }

  // Back to the first row. Fails with kIoError.
  Status rewind() {
    previous_ = Row();
    read_ = 0;
    return file_.rewind();
  }

  // The next row as it was added; false after the last. Fails with kIoError.
  Result<bool> next(Row& row) {
    if (read_ == rows_) return false;
    Result<std::string_view> window = file_.window(kMaxRecordBytes);
    if (!window.ok()) return window.status();
    const char* in = window->data();
    const char* const end = in + window->size();
    bool ok = true;
    const auto get = [&]() -> std::uint64_t {
      std::uint64_t value = 0;
      for (int shift = 0; ok; shift += 7) {
        if (in == end || shift > 63) {
          ok = false;
          break;
        }
        const auto byte = static_cast<std::uint8_t>(*in++);
        value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
        if (byte < 0x80) break;
      }
      return value;
    };
    row.line = sum(previous_.line, get());
    row.symbol = static_cast<std::uint32_t>(get());
    row.ts = sum(previous_.ts, get());
    row.open = sum(previous_.close, get());
    row.high = sum(row.open, get());
    row.low = sum(row.open, get());
    row.close = sum(row.open, get());
    row.volume = sum(previous_.volume, get());
    row.price = sum(previous_.price, get());
    row.qty = sum(previous_.qty, get());
    if (in == end) ok = false;
    if (!ok) return error(ErrorCode::kIoError, "a temporary file ended early");
    const auto flags = static_cast<std::uint8_t>(*in++);
    row.date_only = (flags & 1) != 0;
    row.opening_print = (flags & 2) != 0;
    file_.skip(static_cast<std::size_t>(in - window->data()));
    previous_ = row;
    ++read_;
    return true;
  }

 private:
  // Ten numbers of at most ten bytes each and the flags.
  static constexpr std::size_t kMaxRecordBytes = 10 * 10 + 1;

  // a - b, zigzag-encoded (small differences of either sign take few bytes); wraps, exactly
  // undone by sum.
  static std::uint64_t difference(std::int64_t a, std::int64_t b) {
    const std::uint64_t delta = static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b);
    return (delta << 1) ^ (0 - (delta >> 63));
  }
  static std::int64_t sum(std::int64_t base, std::uint64_t zigzag) {
    const std::uint64_t delta = (zigzag >> 1) ^ (0 - (zigzag & 1));
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(base) + delta);
  }
  static void put(char*& out, std::uint64_t value) {
    while (value >= 0x80) {
      *out++ = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    *out++ = static_cast<char>(value);
  }

  SpillFile file_;
  Row previous_;
  std::int64_t rows_ = 0;
  std::int64_t read_ = 0;
};

Result<CsvResult> read_csv(std::string_view text, const std::string& input,
                           const CsvOptions& options, const IssueHandler& on_issue) {
  return read_whole(text, input, options, on_issue, /*rows_reported=*/false);
}

struct CsvStream::State {
  State(LineReader reader, const std::string& name, const CsvOptions& given,
        const IssueHandler& handler)
      : lines(std::move(reader)), input(name), options(given), on_issue(handler) {}

  // The next row the parser keeps, from the first data line on; false at the end. Fails with a
  // read error, or strict_stop when handler stops the read.
  Result<bool> next_row(RowParser& parser, const IssueHandler& handler, CsvResult& counts,
                        Row& row) {
    Line line;
    for (;;) {
      Result<bool> got = lines.next(line);
      if (!got.ok()) return got.status();
      if (!*got) return false;
      if (line.number < first_data_line || is_blank_or_comment(line.text)) continue;
      ++counts.rows_read;
      if (parser.read_plain(line, setup.delimiter, row)) return true;
      parsed.clear();
      bool keep_going;
      if (!split_csv_cells(line.text, setup.delimiter, scratch, cells)) {
        keep_going = handler(RowIssue{input, line.number, "", Reason::kWrongColumnCount,
                                      "a quoted cell is not closed (truncated line?)", true});
      } else {
        keep_going = parser.parse(line, cells, parsed);
      }
      if (!keep_going) return strict_stop(input, line.number);
      if (!parsed.empty()) {
        row = parsed.back();
        return true;
      }
    }
  }

  // A row of a pass after the survey: read back from the spill, or parsed again (silently: the
  // survey reported the rows' problems) when there is none.
  Result<bool> next_later_row(RowParser& parser, Row& row) {
    if (spill) return spill->next(row);
    return next_row(parser, silent, scratch_counts, row);
  }

  // Back to the first row for a pass after the survey.
  Status rewind_later_pass() { return spill ? spill->rewind() : lines.rewind(); }

  RowParser make_parser(const IssueHandler& handler, CsvResult& counts) {
    return RowParser(setup.layout, setup.effective, input, result.kind, setup.fixed_symbol, handler,
                     counts);
  }

  // Moves a row to its bar's start label, as label_bars does.
  void label(Row& row) const {
    if (daily) {
      row.ts = daily_label(row.ts);
    } else if (end_labelled) {
      if (ist_minute(row.ts) == kSessionOpenMinute) {
        row.opening_print = true;
      } else {
        row.ts -= length;
      }
    }
  }

  // The next bar's rows merged (the rows of one key, as deduplicate merges them); false at the
  // end. Duplicates go to handler; merged opening prints are counted in counts.
  Result<bool> next_group(RowParser& parser, const IssueHandler& handler, CsvResult& counts,
                          Row& merged, bool& was_merged) {
    group.clear();
    if (has_pending) {
      group.push_back(pending);
      has_pending = false;
    }
    Row row;
    for (;;) {
      Result<bool> got = next_later_row(parser, row);
      if (!got.ok()) return got.status();
      if (!*got) break;
      label(row);
      if (!group.empty() && (row.symbol != group.front().symbol || row.ts != group.front().ts)) {
        pending = row;
        has_pending = true;
        break;
      }
      group.push_back(row);
    }
    if (group.empty()) return false;
    was_merged = group.size() > 1 || group.front().opening_print;
    if (was_merged) {
      size_t kept = 0;
      SM_RETURN_IF_ERROR(merge_bar_group(group, 0, group.size(), kept, input, handler, counts));
    }
    merged = group.front();
    return true;
  }

  // The bar of a merged row; problem is set when the bar fails the final checks. Those can only
  // refuse a bar for its time (the survey checked the rows' values) or a merged bar's volume, so
  // they are skipped when neither can happen.
  void make_bar(const Row& row, bool was_merged, Bar& bar, std::optional<Problem>& problem) const {
    bar.ts = row.ts;
    if (bar.symbol != symbols[row.symbol]) bar.symbol = symbols[row.symbol];
    bar.timeframe = result.timeframe;
    bar.open = row.open;
    bar.high = row.high;
    bar.low = row.low;
    bar.close = row.close;
    bar.volume = row.volume;
    bar.partial = row.opening_print;
    problem.reset();
    if (!was_merged && !check_time_limits) return;
    problem = check_bar(bar, options.limits);
    if (problem && !problem->drop) problem.reset();
  }

  // A pass that reports what the whole-file reader reports after reading the rows: duplicates,
  // then bars refused by the final checks, in (symbol, ts) order. Gives no bars.
  Status report_later_issues() {
    SM_RETURN_IF_ERROR(rewind_later_pass());
    has_pending = false;
    CsvResult counts;
    RowParser reporting_parser = make_parser(silent, counts);
    std::vector<RowIssue> refused;
    Row merged;
    bool was_merged = false;
    Bar bar;
    std::optional<Problem> problem;
    for (;;) {
      Result<bool> got = next_group(reporting_parser, on_issue, counts, merged, was_merged);
      if (!got.ok()) return got.status();
      if (!*got) break;
      make_bar(merged, was_merged, bar, problem);
      if (problem) {
        refused.push_back(
            RowIssue{input, merged.line, problem->field, problem->reason, problem->detail, true});
      }
    }
    for (const RowIssue& issue : refused) {
      if (!on_issue(issue)) return strict_stop(input, issue.line);
    }
    return Status();
  }

  // The survey: every row parsed and its problems reported, as read_csv's row reading does;
  // then the whole-file decisions, and the stream set up (or the file read whole).
  Status survey_and_prepare() {
    SM_RETURN_IF_ERROR(lines.rewind());
    RowParser survey_parser = make_parser(on_issue, result);
    Survey survey;
    TimeframeEvidence timeframe;
    LabelEvidence labels;
    std::int64_t rows = 0;
    Row row;
    // Without a temporary file (none can be made, or the disk fills up) the later passes parse
    // the text again: slower, the same rows.
    if (result.kind == RecordKind::kBars) {
      Result<SpillFile> file = SpillFile::create();
      if (file.ok()) spill.emplace(std::move(file).value());
    }
    for (;;) {
      Result<bool> got = next_row(survey_parser, on_issue, result, row);
      if (!got.ok()) return got.status();
      if (!*got) break;
      if (spill && !spill->add(row).ok()) spill.reset();
      ++rows;
      survey.add(row);
      timeframe.add(row);
      labels.add(row);
    }
    symbols = std::move(survey_parser.symbols());
    if (rows == 0) {
      done = true;
      return Status();
    }
    bool in_order = result.kind == RecordKind::kBars && survey.in_order(symbols);
    if (in_order) {
      if (options.timeframe) {
        result.timeframe = *options.timeframe;
      } else {
        Result<Timeframe> detected = timeframe.decide(input);
        if (!detected.ok()) return detected.status();
        result.timeframe = *detected;
        result.timeframe_detected = true;
      }
      daily = result.timeframe.is_daily();
      if (!daily) {
        decide_time_label(labels, options, result);
        end_labelled = result.time_label == TimeLabel::kEnd;
        length = result.timeframe.minutes * kMsPerMinute;
        in_order = !end_labelled || survey.end_labels_keep_order(length);
      }
    }
    if (!in_order) return read_whole_instead();
    check_time_limits = survey.may_break(options.limits);
    if (survey.may_repeat_keys(daily, end_labelled, length) || check_time_limits) {
      SM_RETURN_IF_ERROR(report_later_issues());
    }
    return start_stream();
  }

  // Ticks and files out of order are read whole, as read_csv reads them; the rows' problems
  // were reported by the survey.
  Status read_whole_instead() {
    spill.reset();
    std::string text;
    SM_RETURN_IF_ERROR(lines.rewind());
    Line line;
    for (;;) {
      Result<bool> got = lines.next(line);
      if (!got.ok()) return got.status();
      if (!*got) break;
      text.append(line.text).push_back('\n');
    }
    Result<CsvResult> read = ingest::read_whole(text, input, options, on_issue,
                                                /*rows_reported=*/true);
    if (!read.ok()) return read.status();
    result = std::move(read).value();
    whole = true;
    return Status();
  }

  Status start_stream() {
    SM_RETURN_IF_ERROR(rewind_later_pass());
    has_pending = false;
    stream_parser.emplace(make_parser(silent, scratch_counts));
    return Status();
  }

  LineReader lines;
  std::string input;
  CsvOptions options;
  IssueHandler on_issue;
  const IssueHandler silent = [](const RowIssue&) { return true; };
  Setup setup;
  std::int64_t first_data_line = 0;
  CsvResult result;
  CsvResult scratch_counts;          // what passes after the survey count again
  std::vector<std::string> symbols;  // by the parser's symbol ids
  bool daily = false;
  bool end_labelled = false;
  TimestampMs length = 0;
  bool check_time_limits = true;  // a labelled bar may fall outside options.limits
  bool whole = false;             // read whole: bars are result.bars from next_bar on
  std::size_t next_bar = 0;
  bool done = false;                       // no bars (empty file, or no row kept)
  std::optional<RowParser> stream_parser;  // the pass that gives the bars
  std::optional<RowSpill> spill;           // the survey's rows, for the later passes
  std::vector<std::string> scratch;
  std::vector<std::string_view> cells;
  std::vector<Row> parsed;
  std::vector<Row> group;
  Row pending;
  bool has_pending = false;
};

CsvStream::CsvStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
CsvStream::~CsvStream() = default;

const CsvResult& CsvStream::result() const { return state_->result; }
bool CsvStream::read_whole() const { return state_->whole; }
const std::vector<std::string>& CsvStream::symbols() const { return state_->symbols; }

Result<std::unique_ptr<CsvStream>> CsvStream::open_file(const std::string& path,
                                                        const CsvOptions& options,
                                                        const IssueHandler& on_issue) {
  Result<LineReader> lines = LineReader::open_file(path);
  if (!lines.ok()) return lines.status();
  return open(std::move(lines).value(), path, options, on_issue);
}

Result<std::unique_ptr<CsvStream>> CsvStream::open(LineReader lines, const std::string& input,
                                                   const CsvOptions& options,
                                                   const IssueHandler& on_issue) {
  auto state = std::make_unique<State>(std::move(lines), input, options, on_issue);
  State& s = *state;
  std::unique_ptr<CsvStream> stream(new CsvStream(std::move(state)));
  // The first lines, up to the fourth that is not blank: the header block (at most three lines)
  // and the first data row, all that layout detection reads.
  std::deque<std::string> texts;
  std::vector<Line> first_lines;
  int non_blank = 0;
  Line line;
  while (non_blank < 4) {
    Result<bool> got = s.lines.next(line);
    if (!got.ok()) return got.status();
    if (!*got) break;
    texts.emplace_back(line.text);
    first_lines.push_back({texts.back(), line.number});
    if (!is_blank_or_comment(line.text)) ++non_blank;
  }
  size_t next = 0;
  while (next < first_lines.size() && is_blank_or_comment(first_lines[next].text)) ++next;
  if (next == first_lines.size()) {  // empty input: nothing to do, not an error
    s.done = true;
    return stream;
  }
  Result<Setup> setup = set_up(first_lines, next, options, input, s.result);
  if (!setup.ok()) return setup.status();
  s.setup = std::move(setup).value();
  s.first_data_line =
      next < first_lines.size() ? first_lines[next].number : first_lines.back().number + 1;
  SM_RETURN_IF_ERROR(s.lines.rewind());
  Result<std::optional<DateFormat>> date_format = decide_date_format(
      [&s](Line& data_line) -> Result<bool> {
        for (;;) {
          Result<bool> got = s.lines.next(data_line);
          if (!got.ok() || !*got || data_line.number >= s.first_data_line) return got;
        }
      },
      s.setup.delimiter, s.setup.layout, options, input);
  if (!date_format.ok()) return date_format.status();
  set_date_format(*date_format, options, s.setup, s.result);
  SM_RETURN_IF_ERROR(s.survey_and_prepare());
  return stream;
}

Result<bool> CsvStream::next(Bar& bar) {
  State& s = *state_;
  if (s.whole) {
    if (s.next_bar == s.result.bars.size()) return false;
    bar = std::move(s.result.bars[s.next_bar++]);
    return true;
  }
  if (s.done) return false;
  Row merged;
  bool was_merged = false;
  std::optional<Problem> problem;
  for (;;) {
    Result<bool> got = s.next_group(*s.stream_parser, s.silent, s.result, merged, was_merged);
    if (!got.ok()) return got.status();
    if (!*got) {
      s.done = true;
      return false;
    }
    s.make_bar(merged, was_merged, bar, problem);
    if (!problem) return true;
  }
}

}  // namespace sm::ingest
