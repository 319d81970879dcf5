#include "backtest_program/record_files.h"

#include <fmt/format.h>

#include <algorithm>

#include "backtest/report.h"

namespace sm::backtest_program {
namespace {

// Big enough that writes are few, small against the 20 MiB a run may use.
constexpr std::size_t kBufferBytes = std::size_t{256} * 1024;

}  // namespace

ReportFile::~ReportFile() {
  if (handle_ == nullptr) return;
  std::fclose(handle_);
  std::error_code ignored;
  std::filesystem::remove(path_.string() + ".tmp", ignored);
}

Status ReportFile::open(const std::filesystem::path& path) {
  path_ = path;
  const std::string temp = path.string() + ".tmp";
  handle_ = std::fopen(temp.c_str(), "wb");
  if (handle_ == nullptr) return error(ErrorCode::kIoError, fmt::format("cannot write {}", temp));
  buffer_.reserve(kBufferBytes + 4096);
  return Status();
}

Status ReportFile::write_bytes(std::string_view bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), handle_) != bytes.size()) {
    return error(ErrorCode::kIoError, fmt::format("cannot write {}.tmp", path_.string()));
  }
  return Status();
}

Status ReportFile::flush_if_full() {
  if (buffer_.size() < kBufferBytes) return Status();
  SM_RETURN_IF_ERROR(write_bytes(buffer_));
  buffer_.clear();
  return Status();
}

Status ReportFile::write(std::string_view text) {
  SM_RETURN_IF_ERROR(write_bytes(buffer_));
  buffer_.clear();
  return write_bytes(text);
}

Status ReportFile::finish() {
  SM_RETURN_IF_ERROR(write_bytes(buffer_));
  buffer_.clear();
  const std::string temp = path_.string() + ".tmp";
  const bool closed = std::fclose(handle_) == 0;
  handle_ = nullptr;
  if (!closed) return error(ErrorCode::kIoError, fmt::format("cannot write {}", temp));
  std::error_code ec;
  std::filesystem::rename(temp, path_, ec);
  if (ec) {
    return error(ErrorCode::kIoError,
                 fmt::format("cannot write {}: {}", path_.string(), ec.message()));
  }
  return Status();
}

Status RecordFiles::open(const std::filesystem::path& dir, const std::vector<std::string>& symbols,
                         Paise starting_cash, std::size_t charted) {
  dir_ = dir;
  SM_RETURN_IF_ERROR(signals_.open(dir / "signals.ndjson"));
  SM_RETURN_IF_ERROR(fills_.open(dir / "fills.ndjson"));
  SM_RETURN_IF_ERROR(equity_.open(dir / "equity.csv"));
  equity_.buffer() = backtest::kEquityCsvHeader;
  peak_ = starting_cash;
  charted_.assign(symbols.begin(),
                  symbols.begin() + static_cast<std::ptrdiff_t>(std::min(charted, symbols.size())));
  return Status();
}

Status RecordFiles::signal(const backtest::SignalRecord& record) {
  backtest::append_signal_line(signals_.buffer(), record);
  return signals_.flush_if_full();
}

Status RecordFiles::fill(const backtest::FillRecord& record) {
  backtest::append_fill_line(fills_.buffer(), record);
  auto found = std::lower_bound(charted_.begin(), charted_.end(), record.fill.symbol);
  if (found != charted_.end() && *found == record.fill.symbol) {
    marks_.push_back({record.fill.ts, record.fill.price, record.fill.qty,
                      static_cast<std::uint32_t>(found - charted_.begin()), record.fill.side});
  }
  return fills_.flush_if_full();
}

Status RecordFiles::equity(const backtest::EquityPoint& point) {
  backtest::append_equity_row(equity_.buffer(), point, peak_);
  return equity_.flush_if_full();
}

Status RecordFiles::finish() {
  for (ReportFile* file : {&signals_, &fills_, &equity_}) SM_RETURN_IF_ERROR(file->finish());
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
