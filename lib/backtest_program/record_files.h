// The detail records of one sm-backtest run written as the run makes them (a backtest::RecordSink):
// signals.ndjson, fills.ndjson and equity.csv in a directory, each through a bounded buffer under a
// ".tmp" name until finish() renames it, so a run's memory does not grow with its records and a
// reader never sees half a file. It also keeps what the HTML report's price charts read of each
// fill of a charted symbol (backtest::FillMark, 32 bytes).
#pragma once

#include <cstdio>
#include <filesystem>
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

class RecordFiles : public backtest::RecordSink {
 public:
  // symbols: the run's symbols in series order (BarFeed::symbols()); fills of the first
  // `charted` are kept as marks. Fails with kIoError when a file cannot be created in dir.
  Status open(const std::filesystem::path& dir, const std::vector<std::string>& symbols,
              Paise starting_cash, std::size_t charted);
  // The files of a run that did not finish are removed (ReportFile).

  Status signal(const backtest::SignalRecord& record) override;
  Status fill(const backtest::FillRecord& record) override;
  Status equity(const backtest::EquityPoint& point) override;

  // Writes what is buffered and gives each file its name. Fails with kIoError.
  Status finish();
  std::vector<backtest::FillMark> take_fill_marks() { return std::move(marks_); }
  // Copies a finished file ("signals.ndjson", ...) to out. Fails with kIoError.
  Status copy_to(const std::string& name, std::FILE* out) const;

 private:
  std::filesystem::path dir_;
  ReportFile signals_, fills_, equity_;
  Paise peak_ = 0;
  std::vector<std::string> charted_;  // sorted, as the series are
  std::vector<backtest::FillMark> marks_;
};

}  // namespace sm::backtest_program
