#include "backtest_program/record_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "backtest/report.h"

namespace sm::backtest_program {
namespace {

// Big enough that writes are few, small against the 20 MiB a run may use.
constexpr std::size_t kBufferBytes = std::size_t{256} * 1024;

// The spill files' encoding: integers as their 8 bytes, texts as their length and bytes. The files
// are read back by the process that wrote them, so the byte order is the machine's.
void put_integer(std::string& out, std::int64_t value) {
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  out.append(bytes, sizeof value);
}

void put_text(std::string& out, const std::string& text) {
  put_integer(out, static_cast<std::int64_t>(text.size()));
  out += text;
}

// Reads back what put_integer and put_text wrote, in the same order. REQUIRES: the record holds
// them (the process wrote it).
class RecordReader {
 public:
  explicit RecordReader(std::string_view record) : rest_(record) {}
  std::int64_t integer() {
    std::int64_t value = 0;
    std::memcpy(&value, rest_.data(), sizeof value);
    rest_.remove_prefix(sizeof value);
    return value;
  }
  void text(std::string& out) {
    const auto size = static_cast<std::size_t>(integer());
    out.assign(rest_.data(), size);
    rest_.remove_prefix(size);
  }

 private:
  std::string_view rest_;
};

void encode_trade(const backtest::TradeRecord& t, std::string& out) {
  out.clear();
  for (const std::int64_t value :
       {t.entry_ts, t.exit_ts, t.qty, t.entry_value, t.exit_value, t.gross_pnl, t.charges.brokerage,
        t.charges.stt, t.charges.exchange, t.charges.sebi, t.charges.stamp, t.charges.gst,
        t.charges.dp, t.net_pnl, t.bars_held}) {
    put_integer(out, value);
  }
  put_text(out, t.strategy);
  put_text(out, t.symbol);
  put_text(out, t.exit_reason);
}

void decode_trade(std::string_view record, backtest::TradeRecord& t) {
  RecordReader in(record);
  for (std::int64_t* value :
       {&t.entry_ts, &t.exit_ts, &t.qty, &t.entry_value, &t.exit_value, &t.gross_pnl,
        &t.charges.brokerage, &t.charges.stt, &t.charges.exchange, &t.charges.sebi,
        &t.charges.stamp, &t.charges.gst, &t.charges.dp, &t.net_pnl, &t.bars_held}) {
    *value = in.integer();
  }
  in.text(t.strategy);
  in.text(t.symbol);
  in.text(t.exit_reason);
}

void encode_mark(const backtest::FillMark& mark, std::string& out) {
  out.clear();
  put_integer(out, mark.ts);
  put_integer(out, mark.price);
  put_integer(out, mark.qty);
  put_integer(out, mark.series);
  put_integer(out, mark.side == Side::kBuy ? 0 : 1);
}

backtest::FillMark decode_mark(std::string_view record) {
  RecordReader in(record);
  backtest::FillMark mark;
  mark.ts = in.integer();
  mark.price = in.integer();
  mark.qty = in.integer();
  mark.series = static_cast<std::uint32_t>(in.integer());
  mark.side = in.integer() == 0 ? Side::kBuy : Side::kSell;
  return mark;
}

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

void HtmlFile::flush_if_full() {
  if (status_.ok()) status_ = file_.flush_if_full();
  // After a failure nothing more is written: the buffer must not grow with the page.
  if (!status_.ok()) file_.buffer().clear();
}

Status HtmlFile::finish() {
  SM_RETURN_IF_ERROR(status_);
  return file_.finish();
}

SpillFile::~SpillFile() {
  if (handle_ != nullptr) std::fclose(handle_);
}

// The name is removed at once: the open file lives on until it is closed, and nothing is left
// behind however the program ends.
Status SpillFile::open(const std::filesystem::path& path) {
  path_ = path;
  handle_ = std::fopen(path.c_str(), "w+b");
  if (handle_ == nullptr) {
    return error(ErrorCode::kIoError, fmt::format("cannot write {}", path.string()));
  }
  std::error_code ignored;
  std::filesystem::remove(path, ignored);
  buffer_.reserve(kBufferBytes + 4096);
  return Status();
}

Status SpillFile::write_buffer() {
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), handle_) != buffer_.size()) {
    return error(ErrorCode::kIoError, fmt::format("cannot write {}", path_.string()));
  }
  buffer_.clear();
  return Status();
}

Status SpillFile::append(std::string_view record) {
  put_integer(buffer_, static_cast<std::int64_t>(record.size()));
  buffer_ += record;
  if (buffer_.size() < kBufferBytes) return Status();
  return write_buffer();
}

Status SpillFile::read(const std::function<void(std::string_view)>& visit) {
  SM_RETURN_IF_ERROR(write_buffer());
  const auto failed = [&] {
    return error(ErrorCode::kIoError, fmt::format("cannot read {}", path_.string()));
  };
  if (std::fflush(handle_) != 0 || std::fseek(handle_, 0, SEEK_SET) != 0) return failed();
  std::string record;
  std::int64_t size = 0;
  while (std::fread(&size, sizeof size, 1, handle_) == 1) {
    record.resize(static_cast<std::size_t>(size));
    if (std::fread(record.data(), 1, record.size(), handle_) != record.size()) return failed();
    visit(record);
  }
  // Later appends go after what was read.
  if (std::ferror(handle_) || std::fseek(handle_, 0, SEEK_END) != 0) return failed();
  return Status();
}

Status RecordFiles::open(const std::filesystem::path& dir, const std::vector<std::string>& symbols,
                         Paise starting_cash, std::size_t charted) {
  dir_ = dir;
  SM_RETURN_IF_ERROR(signals_.open(dir / "signals.ndjson"));
  SM_RETURN_IF_ERROR(fills_.open(dir / "fills.ndjson"));
  SM_RETURN_IF_ERROR(equity_.open(dir / "equity.csv"));
  SM_RETURN_IF_ERROR(trades_.open(dir / "trades.ndjson"));
  SM_RETURN_IF_ERROR(trade_spill_.open(dir / "trades.spill.tmp"));
  SM_RETURN_IF_ERROR(mark_spill_.open(dir / "fill-marks.spill.tmp"));
  equity_.buffer() = backtest::kEquityCsvHeader;
  peak_ = starting_cash;
  charted_.assign(symbols.begin(),
                  symbols.begin() + static_cast<std::ptrdiff_t>(std::min(charted, symbols.size())));
  mark_ranges_.assign(charted_.size(), std::nullopt);
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
    const auto series = static_cast<std::uint32_t>(found - charted_.begin());
    encode_mark({record.fill.ts, record.fill.price, record.fill.qty, series, record.fill.side},
                record_);
    SM_RETURN_IF_ERROR(mark_spill_.append(record_));
    std::optional<std::pair<Paise, Paise>>& range = mark_ranges_[series];
    if (!range) range.emplace(record.fill.price, record.fill.price);
    range->first = std::min(range->first, record.fill.price);
    range->second = std::max(range->second, record.fill.price);
  }
  return fills_.flush_if_full();
}

Status RecordFiles::trade(const backtest::TradeRecord& record) {
  backtest::append_trade_line(trades_.buffer(), record);
  encode_trade(record, record_);
  SM_RETURN_IF_ERROR(trade_spill_.append(record_));
  return trades_.flush_if_full();
}

Status RecordFiles::equity(const backtest::EquityPoint& point) {
  backtest::append_equity_row(equity_.buffer(), point, peak_);
  return equity_.flush_if_full();
}

Status RecordFiles::finish(const backtest::BacktestResult& result) {
  trades_.buffer() += backtest::open_positions_ndjson(result);
  for (ReportFile* file : {&signals_, &fills_, &equity_, &trades_}) {
    SM_RETURN_IF_ERROR(file->finish());
  }
  return Status();
}

Status RecordFiles::read_trades(const std::function<void(const backtest::TradeRecord&)>& visit) {
  backtest::TradeRecord trade;
  return trade_spill_.read([&](std::string_view record) {
    decode_trade(record, trade);
    visit(trade);
  });
}

Status RecordFiles::read_fill_marks(std::uint32_t series,
                                    const std::function<void(const backtest::FillMark&)>& visit) {
  if (series >= mark_ranges_.size() || !mark_ranges_[series]) return Status();
  return mark_spill_.read([&](std::string_view record) {
    const backtest::FillMark mark = decode_mark(record);
    if (mark.series == series) visit(mark);
  });
}

std::optional<std::pair<Paise, Paise>> RecordFiles::fill_mark_range(std::uint32_t series) const {
  return series < mark_ranges_.size() ? mark_ranges_[series] : std::nullopt;
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
