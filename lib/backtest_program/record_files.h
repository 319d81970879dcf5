// The detail records of one sm-backtest run written as the run makes them (a backtest::RecordSink):
// signals.ndjson, fills.ndjson and equity.csv in a directory, each through a bounded buffer under a
// ".tmp" name until finish() renames it, so a run's memory does not grow with its records and a
// reader never sees half a file. It also keeps what the HTML report's price charts read of each
// fill of a charted symbol (backtest::FillMark, 32 bytes).
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "backtest/engine.h"
#include "backtest/html_report.h"
#include "core/status.h"

namespace sm::backtest_program {

class RecordFiles : public backtest::RecordSink {
 public:
  // symbols: the run's symbols in series order (BarFeed::symbols()); fills of the first
  // `charted` are kept as marks. Fails with kIoError when a file cannot be created in dir.
  Status open(const std::filesystem::path& dir, const std::vector<std::string>& symbols,
              Paise starting_cash, std::size_t charted);
  // Removes the files of a run that did not finish.
  ~RecordFiles() override;

  Status signal(const backtest::SignalRecord& record) override;
  Status fill(const backtest::FillRecord& record) override;
  Status equity(const backtest::EquityPoint& point) override;

  // Writes what is buffered and gives each file its name. Fails with kIoError.
  Status finish();
  std::vector<backtest::FillMark> take_fill_marks() { return std::move(marks_); }
  // Copies a finished file ("signals.ndjson", ...) to out. Fails with kIoError.
  Status copy_to(const std::string& name, std::FILE* out) const;

 private:
  struct File {
    std::filesystem::path path;  // the final name; written as path + ".tmp"
    std::FILE* handle = nullptr;
    std::string buffer;
  };
  static Status open_file(File& file, const std::filesystem::path& path);
  static Status flush(File& file, bool all);
  std::filesystem::path dir_;
  File signals_, fills_, equity_;
  Paise peak_ = 0;
  std::vector<std::string> charted_;  // sorted, as the series are
  std::vector<backtest::FillMark> marks_;
};

}  // namespace sm::backtest_program
