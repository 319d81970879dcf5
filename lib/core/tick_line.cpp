#include "core/tick_line.h"

#include <cstdint>

#include "core/timestamp.h"

namespace sm {
namespace {

// Reads the written tick field by field; any surprise makes the caller give up (false), never an
// error: the general decoder then sees the line and says what is wrong with it.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool literal(std::string_view expected) {
    if (text_.substr(pos_, expected.size()) != expected) return false;
    pos_ += expected.size();
    return true;
  }

  // The text up to the next '"', which is consumed. Only printable ASCII without a backslash: an
  // escape, a control character or UTF-8 (which the general parser validates) goes the long way.
  bool plain_string(std::string_view& out) {
    const std::size_t start = pos_;
    for (; pos_ < text_.size(); ++pos_) {
      const char c = text_[pos_];
      if (c == '"') {
        out = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c < 0x20 || c > 0x7e || c == '\\') return false;
    }
    return false;
  }

  // A JSON integer without sign, exponent or leading zero, of at most max_digits digits (so that
  // it fits an int64 and the general parser reads the same value).
  bool digits(std::int64_t& out, std::size_t max_digits) {
    const std::size_t start = pos_;
    std::int64_t value = 0;
    for (; pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9'; ++pos_) {
      if (pos_ - start == max_digits) return false;
      value = value * 10 + (text_[pos_] - '0');
    }
    const std::size_t count = pos_ - start;
    if (count == 0 || (count > 1 && text_[start] == '0')) return false;
    out = value;
    return true;
  }

  // Rupees as append_rupees writes them, "<digits>.<two digits>", as paise. At most nine integer
  // digits: there the general path's double is exact to far better than a paisa, so both agree.
  bool rupees(Paise& out) {
    std::int64_t whole = 0;
    if (!digits(whole, 9) || !literal(".")) return false;
    if (pos_ + 2 > text_.size()) return false;
    const char tens = text_[pos_];
    const char units = text_[pos_ + 1];
    if (tens < '0' || tens > '9' || units < '0' || units > '9') return false;
    pos_ += 2;
    const int hundredths = (tens - '0') * 10 + (units - '0');
    out = whole * 100 + hundredths;
    return true;
  }

  bool at_end() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace

bool decode_written_tick(std::string_view line, Tick& tick) {
  Cursor in(line);
  std::string_view ts_text;
  std::string_view symbol;
  if (!in.literal(R"({"type":"tick","ts":")") || !in.plain_string(ts_text)) return false;
  if (!in.literal(R"(,"symbol":")") || !in.plain_string(symbol)) return false;
  if (!in.literal(R"(,"price":)") || !in.rupees(tick.price)) return false;
  if (!in.literal(R"(,"qty":)") || !in.digits(tick.qty, 18)) return false;
  if (!in.literal(R"(,"volume":)") || !in.digits(tick.volume, 18)) return false;
  if (!in.literal("}") || !in.at_end()) return false;
  Result<TimestampMs> ts = parse_timestamp(ts_text);
  if (!ts.ok()) return false;
  tick.ts = *ts;
  tick.symbol.assign(symbol);
  return true;
}

}  // namespace sm
