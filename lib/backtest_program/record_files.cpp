#include "backtest_program/record_files.h"

#include <fmt/format.h>

#include <algorithm>

#include "backtest/report.h"

namespace sm::backtest_program {
namespace {

// Big enough that writes are few, small against the 20 MiB a run may use.
constexpr std::size_t kBufferBytes = std::size_t{256} * 1024;

}  // namespace

Status RecordFiles::open_file(File& file, const std::filesystem::path& path) {
  file.path = path;
  const std::string temp = path.string() + ".tmp";
  file.handle = std::fopen(temp.c_str(), "wb");
  if (file.handle == nullptr) {
    return error(ErrorCode::kIoError, fmt::format("cannot write {}", temp));
  }
  file.buffer.reserve(kBufferBytes + 4096);
  return Status();
}

Status RecordFiles::flush(File& file, bool all) {
  if (file.buffer.empty() || (!all && file.buffer.size() < kBufferBytes)) return Status();
  if (std::fwrite(file.buffer.data(), 1, file.buffer.size(), file.handle) != file.buffer.size()) {
    return error(ErrorCode::kIoError, fmt::format("cannot write {}.tmp", file.path.string()));
  }
  file.buffer.clear();
  return Status();
}

Status RecordFiles::open(const std::filesystem::path& dir, const std::vector<std::string>& symbols,
                         Paise starting_cash, std::size_t charted) {
  dir_ = dir;
  SM_RETURN_IF_ERROR(open_file(signals_, dir / "signals.ndjson"));
  SM_RETURN_IF_ERROR(open_file(fills_, dir / "fills.ndjson"));
  SM_RETURN_IF_ERROR(open_file(equity_, dir / "equity.csv"));
  equity_.buffer = backtest::kEquityCsvHeader;
  peak_ = starting_cash;
  charted_.assign(symbols.begin(),
                  symbols.begin() + static_cast<std::ptrdiff_t>(std::min(charted, symbols.size())));
  return Status();
}

RecordFiles::~RecordFiles() {
  for (File* file : {&signals_, &fills_, &equity_}) {
    if (file->handle == nullptr) continue;
    std::fclose(file->handle);
    std::error_code ignored;
    std::filesystem::remove(file->path.string() + ".tmp", ignored);
  }
}

Status RecordFiles::signal(const backtest::SignalRecord& record) {
  backtest::append_signal_line(signals_.buffer, record);
  return flush(signals_, false);
}

Status RecordFiles::fill(const backtest::FillRecord& record) {
  backtest::append_fill_line(fills_.buffer, record);
  auto found = std::lower_bound(charted_.begin(), charted_.end(), record.fill.symbol);
  if (found != charted_.end() && *found == record.fill.symbol) {
    marks_.push_back({record.fill.ts, record.fill.price, record.fill.qty,
                      static_cast<std::uint32_t>(found - charted_.begin()), record.fill.side});
  }
  return flush(fills_, false);
}

Status RecordFiles::equity(const backtest::EquityPoint& point) {
  backtest::append_equity_row(equity_.buffer, point, peak_);
  return flush(equity_, false);
}

Status RecordFiles::finish() {
  for (File* file : {&signals_, &fills_, &equity_}) {
    SM_RETURN_IF_ERROR(flush(*file, true));
    const std::string temp = file->path.string() + ".tmp";
    const bool closed = std::fclose(file->handle) == 0;
    file->handle = nullptr;
    if (!closed) return error(ErrorCode::kIoError, fmt::format("cannot write {}", temp));
    std::error_code ec;
    std::filesystem::rename(temp, file->path, ec);
    if (ec) {
      return error(ErrorCode::kIoError,
                   fmt::format("cannot write {}: {}", file->path.string(), ec.message()));
    }
  }
  return Status();
}

Status RecordFiles::copy_to(const std::string& name, std::FILE* out) const {
  const std::string path = (dir_ / name).string();
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr) return error(ErrorCode::kIoError, fmt::format("cannot read {}", path));
  std::string chunk(kBufferBytes, '\0');
  bool ok = true;
  while (std::size_t got = std::fread(chunk.data(), 1, chunk.size(), in)) {
    if (std::fwrite(chunk.data(), 1, got, out) != got) {
      ok = false;
      break;
    }
  }
  ok = ok && !std::ferror(in);
  std::fclose(in);
  if (!ok) return error(ErrorCode::kIoError, fmt::format("cannot copy {}", path));
  return Status();
}

}  // namespace sm::backtest_program
