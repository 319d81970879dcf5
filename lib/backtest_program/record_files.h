// The detail records of one sm-backtest run written as the run makes them (a backtest::RecordSink):
// signals.ndjson, fills.ndjson, equity.csv and trades.ndjson in a directory, each through a bounded
// buffer under a ".tmp" name until finish() renames it, so a run's memory does not grow with its
// records and a reader never sees half a file. What the HTML report reads of the round trips and
// of each fill of a charted symbol (backtest::FillMark) goes to scratch files beside them, read
// back once by the report (backtest::SpilledRecords) and removed with the RecordFiles.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/engine.h"
#include "backtest/html_report.h"
#include "core/status.h"

namespace sm::backtest_program {

// One report file written beside its name (path + ".tmp") through a bounded buffer and renamed
// into place by finish(), so a reader never sees half of it; removed if never finished.
class ReportFile {
 public:
  ReportFile() = default;
  ReportFile(const ReportFile&) = delete;
  ReportFile& operator=(const ReportFile&) = delete;
  ~ReportFile();

  // Fails with kIoError when the temporary file cannot be created.
  Status open(const std::filesystem::path& path);
  // Text appended here goes out when it outgrows the buffer (flush_if_full) or at finish().
  std::string& buffer() { return buffer_; }
  Status flush_if_full();
  // Writes what is buffered, then text straight through (no copy of a large report).
  Status write(std::string_view text);
  // Writes what is buffered and gives the file its name. Fails with kIoError.
  Status finish();

 private:
  Status write_bytes(std::string_view bytes);
  std::filesystem::path path_;
  std::FILE* handle_ = nullptr;
  std::string buffer_;
};

// A report page (backtest::HtmlSink) written to a ReportFile as it is rendered. A write error is
// kept (what follows it is dropped) and returned by finish().
class HtmlFile : public backtest::HtmlSink {
 public:
  Status open(const std::filesystem::path& path) { return file_.open(path); }
  std::string& buffer() override { return file_.buffer(); }
  void flush_if_full() override;
  // Fails with the first write error, else as ReportFile::finish.
  Status finish();

 private:
  ReportFile file_;
  Status status_;
};

// Records of a run kept on disk to be read back after it: each appended as a length and its bytes
// through a bounded buffer, read back in order in one pass. The file is removed when the
// SpillFile is destroyed.
class SpillFile {
 public:
  SpillFile() = default;
  SpillFile(const SpillFile&) = delete;
  SpillFile& operator=(const SpillFile&) = delete;
  ~SpillFile();

  // Fails with kIoError when the file cannot be created.
  Status open(const std::filesystem::path& path);
  // Fails with kIoError when a full buffer cannot be written.
  Status append(std::string_view record);
  // Calls visit with each record appended so far, in order. Fails with kIoError.
  Status read(const std::function<void(std::string_view)>& visit);

 private:
  Status write_buffer();
  std::filesystem::path path_;
  std::FILE* handle_ = nullptr;
  std::string buffer_;
};

class RecordFiles : public backtest::RecordSink, public backtest::SpilledRecords {
 public:
  // symbols: the run's symbols in series order (BarFeed::symbols()); fills of the first
  // `charted` are kept as marks. Fails with kIoError when a file cannot be created in dir.
  Status open(const std::filesystem::path& dir, const std::vector<std::string>& symbols,
              Paise starting_cash, std::size_t charted);
  // The files of a run that did not finish are removed (ReportFile).

  Status signal(const backtest::SignalRecord& record) override;
  Status fill(const backtest::FillRecord& record) override;
  Status equity(const backtest::EquityPoint& point) override;
  Status trade(const backtest::TradeRecord& record) override;

  // Ends trades.ndjson with the result's open positions, writes what is buffered and gives each
  // file its name. Fails with kIoError.
  Status finish(const backtest::BacktestResult& result);
  // Copies a finished file ("signals.ndjson", ...) to out. Fails with kIoError.
  Status copy_to(const std::string& name, std::FILE* out) const;

  // The round trips and fill marks, read back from their scratch files.
  Status read_trades(const std::function<void(const backtest::TradeRecord&)>& visit) override;
  Status read_fill_marks(std::uint32_t series,
                         const std::function<void(const backtest::FillMark&)>& visit) override;
  std::optional<std::pair<Paise, Paise>> fill_mark_range(std::uint32_t series) const override;

 private:
  std::filesystem::path dir_;
  ReportFile signals_, fills_, equity_, trades_;
  Paise peak_ = 0;
  std::vector<std::string> charted_;  // sorted, as the series are
  SpillFile trade_spill_, mark_spill_;
  std::vector<std::optional<std::pair<Paise, Paise>>> mark_ranges_;  // per charted series
  std::string record_;  // one spilled record being encoded
};

}  // namespace sm::backtest_program
