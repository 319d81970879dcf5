#include "ingest/ingest.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>
#include <set>
#include <unordered_map>

#include "core/ndjson.h"
#include "ingest/fields.h"

namespace sm::ingest {

Result<FileReport> ingest_csv(std::string_view text, const std::string& input,
                              const CsvOptions& options, MarketDataSink& sink,
                              IssueReporter& issues) {
  return ingest_csv(LineReader::over_text(text), input, options, sink, issues);
}

Result<FileReport> ingest_csv(LineReader lines, const std::string& input, const CsvOptions& options,
                              MarketDataSink& sink, IssueReporter& issues) {
  const std::int64_t dropped_before = issues.dropped();
  const std::map<std::string, std::int64_t> issues_before = issues.counts();
  // Every row problem is reported by open, before the first bar reaches the sink.
  Result<std::unique_ptr<CsvStream>> stream =
      CsvStream::open(std::move(lines), input, options, issues.handler());
  if (!stream.ok()) return stream.status();
  FileReport report;
  report.dropped = issues.dropped() - dropped_before;
  for (const auto& [reason, count] : issues.counts()) {
    const auto before = issues_before.find(reason);
    const std::int64_t added = count - (before == issues_before.end() ? 0 : before->second);
    if (added > 0) report.issues[reason] = added;
  }
  std::set<std::string> symbols;
  auto note = [&](const auto& record) {
    if (report.accepted == 0 || record.ts < report.first_ts) report.first_ts = record.ts;
    if (report.accepted == 0 || record.ts > report.last_ts) report.last_ts = record.ts;
    if (symbols.empty() || *symbols.rbegin() != record.symbol) symbols.insert(record.symbol);
    ++report.accepted;
  };
  Bar bar;
  for (;;) {
    Result<bool> got = (*stream)->next(bar);
    if (!got.ok()) return got.status();
    if (!*got) break;
    note(bar);
    SM_RETURN_IF_ERROR(sink.add(bar));
  }
  report.parsed = (*stream)->result();
  for (const Tick& tick : report.parsed.ticks) {
    note(tick);
    SM_RETURN_IF_ERROR(sink.add(tick));
  }
  report.parsed.bars = {};
  report.parsed.ticks = {};
  report.symbols.assign(symbols.begin(), symbols.end());
  return report;
}

Status require_rows_accepted(const std::string& input, const FileReport& report) {
  if (report.accepted > 0) return Status();
  if (report.parsed.rows_read == 0) {
    return error(ErrorCode::kParseError,
                 fmt::format("{}: nothing stored: the file has no data rows", input));
  }
  std::vector<std::string> reasons;
  for (const auto& [reason, count] : report.issues) {
    reasons.push_back(fmt::format("{} {}", reason, count));
  }
  if (report.parsed.series_skipped > 0) {
    reasons.push_back(fmt::format("other series {} (see --series)", report.parsed.series_skipped));
  }
  return error(ErrorCode::kParseError,
               fmt::format("{}: nothing stored: none of its {} data rows could be used ({})", input,
                           report.parsed.rows_read, fmt::join(reasons, ", ")));
}

namespace {

// The decoder's messages name the field as "field 'open' ..."; the log line carries it separately.
std::string field_named_in(const std::string& message) {
  constexpr std::string_view kPrefix = "field '";
  if (!message.starts_with(kPrefix)) return "";
  const std::size_t end = message.find('\'', kPrefix.size());
  return end == std::string::npos ? "" : message.substr(kPrefix.size(), end - kPrefix.size());
}

// Returns false when strict mode says stop.
bool report_problem(IssueReporter& issues, const std::string& input, std::int64_t line,
                    const Problem& problem) {
  return issues.report(
      RowIssue{input, line, problem.field, problem.reason, problem.detail, problem.drop});
}

// Each distinct symbol text is normalised once: a feed interleaves its symbols (every line a
// different one), so remembering only the last text would normalise every line. Bounded, so a
// stream of ever new (bad) symbols cannot grow it without end.
class SymbolCache {
 public:
  // The normalised symbol of text; the reference is valid until the next call.
  Result<const std::string*> normalize(const std::string& text) {
    if (auto found = known_.find(text); found != known_.end()) return &found->second;
    Result<std::string> normalised = normalize_symbol(text);
    if (!normalised.ok()) return normalised.status();
    if (known_.size() >= kMaxSymbols) known_.clear();
    return &known_.emplace(text, std::move(*normalised)).first->second;
  }

 private:
  static constexpr std::size_t kMaxSymbols = 10'000;
  std::unordered_map<std::string, std::string> known_;
};

// What becomes of one bar or tick: stored, skipped (reported and dropped), or the end of the read
// (strict mode).
enum class RecordFate { kStore, kSkip, kStop };

RecordFate normalise_symbol(SymbolCache& symbols, std::string& symbol, const std::string& input,
                            std::int64_t line, IssueReporter& issues) {
  Result<const std::string*> normalised = symbols.normalize(symbol);
  if (!normalised.ok()) {
    const bool go_on = issues.report(
        RowIssue{input, line, "symbol", Reason::kBadSymbol, normalised.status().message(), true});
    return go_on ? RecordFate::kSkip : RecordFate::kStop;
  }
  if (symbol != **normalised) symbol = **normalised;
  return RecordFate::kStore;
}

RecordFate fate_of(const std::optional<Problem>& problem, const std::string& input,
                   std::int64_t line, IssueReporter& issues) {
  if (!problem) return RecordFate::kStore;
  if (!report_problem(issues, input, line, *problem)) return RecordFate::kStop;
  return problem->drop ? RecordFate::kSkip : RecordFate::kStore;
}

}  // namespace

Result<StreamReport> ingest_ndjson(int fd, const std::string& input, const TimeLimits& limits,
                                   bool strict, MarketDataSink& sink, IssueReporter& issues) {
  StreamReport report;
  bool stop = false;
  MessageReader reader(
      fd, input,
      [&](const BadLine& bad) {
        ++report.lines;
        if (!issues.report(RowIssue{bad.input, bad.line, field_named_in(bad.status.message()),
                                    Reason::kBadLine, bad.status.message(), true})) {
          stop = true;
        }
      },
      strict);
  SymbolCache symbols;
  Message message;
  for (;;) {
    const MessageReader::Outcome outcome = reader.next(message);
    if (outcome == MessageReader::Outcome::kEnd) break;
    if (outcome == MessageReader::Outcome::kStoppedOnBadLine || stop) {
      report.stopped_on_bad_line = true;
      break;
    }
    if (outcome == MessageReader::Outcome::kReadError) {
      return error(ErrorCode::kIoError,
                   fmt::format("cannot read {}: {}", input, reader.read_error()));
    }
    ++report.lines;
    const std::int64_t line = reader.line_number();
    RecordFate fate = RecordFate::kStore;
    if (Bar* bar = std::get_if<Bar>(&message)) {
      fate = normalise_symbol(symbols, bar->symbol, input, line, issues);
      if (fate == RecordFate::kStore) {
        if (bar->timeframe.is_daily()) bar->ts = daily_label(bar->ts);
        fate = fate_of(check_bar(*bar, limits), input, line, issues);
      }
      if (fate == RecordFate::kStore) {
        ++report.accepted;
        SM_RETURN_IF_ERROR(sink.add(*bar));
      }
    } else if (Tick* tick = std::get_if<Tick>(&message)) {
      fate = normalise_symbol(symbols, tick->symbol, input, line, issues);
      if (fate == RecordFate::kStore)
        fate = fate_of(check_tick(*tick, limits), input, line, issues);
      if (fate == RecordFate::kStore) {
        ++report.accepted;
        SM_RETURN_IF_ERROR(sink.add(*tick));
      }
    } else {
      ++report.other_messages;
      sink.pass_through(reader.raw_line());
    }
    if (fate == RecordFate::kStop) {
      report.stopped_on_bad_line = true;
      break;
    }
  }
  return report;
}

}  // namespace sm::ingest
