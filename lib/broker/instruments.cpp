#include "broker/instruments.h"

#include <fmt/format.h>
#include <array>
#include <charconv>

namespace sm::broker {
namespace {

constexpr std::array<std::string_view, 12> kColumns = {
    "instrument_token", "exchange_token",  "tradingsymbol", "name",
    "last_price",       "expiry",          "strike",        "tick_size",
    "lot_size",         "instrument_type", "segment",       "exchange"};

// Splits one CSV record starting at pos; advances pos past the record's line end. Quoted fields may
// contain commas, doubled quotes and newlines.
bool next_record(std::string_view text, size_t& pos, std::vector<std::string>& fields,
                 std::string& why) {
  fields.clear();
  std::string field;
  bool quoted = false;
  bool field_started = false;
  while (pos < text.size()) {
    const char c = text[pos];
    if (quoted) {
      if (c == '"') {
        if (pos + 1 < text.size() && text[pos + 1] == '"') {
          field.push_back('"');
          pos += 2;
          continue;
        }
        quoted = false;
        ++pos;
        continue;
      }
      field.push_back(c);
      ++pos;
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
      ++pos;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
      field_started = false;
      ++pos;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
      ++pos;
      fields.push_back(std::move(field));
      return true;
    } else {
      field.push_back(c);
      field_started = true;
      ++pos;
    }
  }
  if (quoted) {
    why = "unterminated quoted field";
    return false;
  }
  fields.push_back(std::move(field));
  return true;
}

bool parse_int(std::string_view text, std::int64_t& out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string csv_field(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Rupees as Kite writes them in the dump: at least one decimal ("0.0", "0.05", "1234.5").
std::string csv_rupees(Paise paise) {
  std::string text = format_rupees(paise);
  if (text.size() > 1 && text.back() == '0') text.pop_back();
  return text;
}

}  // namespace

Result<std::vector<Instrument>> parse_instruments_csv(std::string_view text) {
  std::vector<Instrument> out;
  size_t pos = 0;
  std::vector<std::string> fields;
  std::string why;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") pos = 3;  // a UTF-8 byte-order mark
  if (!next_record(text, pos, fields, why))
    return error(ErrorCode::kParseError, "instruments line 1: " + why);
  std::array<size_t, kColumns.size()> index{};
  for (size_t c = 0; c < kColumns.size(); ++c) {
    size_t found = fields.size();
    for (size_t f = 0; f < fields.size(); ++f) {
      if (fields[f] == kColumns[c]) found = f;
    }
    if (found == fields.size()) {
      return error(ErrorCode::kParseError,
                   fmt::format("instruments line 1: no '{}' column", kColumns[c]));
    }
    index[c] = found;
  }
  const size_t width = fields.size();
  std::int64_t line = 1;
  while (pos < text.size()) {
    ++line;
    if (!next_record(text, pos, fields, why)) {
      return error(ErrorCode::kParseError, fmt::format("instruments line {}: {}", line, why));
    }
    if (fields.size() == 1 && fields[0].empty()) continue;  // blank line
    if (fields.size() != width) {
      return error(
          ErrorCode::kParseError,
          fmt::format("instruments line {}: {} fields, header has {}", line, fields.size(), width));
    }
    auto bad = [&](std::string_view column, std::string_view value) {
      return error(
          ErrorCode::kParseError,
          fmt::format("instruments line {}: field '{}' has bad value '{}'", line, column, value));
    };
    Instrument ins;
    const std::string& token = fields[index[0]];
    if (!parse_int(token, ins.instrument_token)) return bad("instrument_token", token);
    const std::string& exchange_token = fields[index[1]];
    if (!parse_int(exchange_token, ins.exchange_token))
      return bad("exchange_token", exchange_token);
    ins.tradingsymbol = fields[index[2]];
    if (ins.tradingsymbol.empty()) return bad("tradingsymbol", "");
    ins.name = fields[index[3]];
    for (auto [column, slot] :
         {std::pair<size_t, Paise*>{4, &ins.last_price}, {6, &ins.strike}, {7, &ins.tick_size}}) {
      const std::string& value = fields[index[column]];
      if (value.empty()) continue;
      Result<Paise> paise = parse_rupees(value, Rounding::kHalfEven);
      if (!paise.ok()) return bad(kColumns[column], value);
      *slot = *paise;
    }
    const std::string& expiry = fields[index[5]];
    if (!expiry.empty()) {
      Result<Date> date = parse_date(expiry);
      if (!date.ok()) return bad("expiry", expiry);
      ins.expiry = *date;
    }
    const std::string& lot = fields[index[8]];
    if (!parse_int(lot, ins.lot_size)) return bad("lot_size", lot);
    ins.instrument_type = fields[index[9]];
    ins.segment = fields[index[10]];
    ins.exchange = fields[index[11]];
    out.push_back(std::move(ins));
  }
  return out;
}

std::string instruments_to_csv(const std::vector<Instrument>& instruments) {
  std::string out;
  for (size_t c = 0; c < kColumns.size(); ++c) {
    if (c > 0) out.push_back(',');
    out += kColumns[c];
  }
  out.push_back('\n');
  for (const Instrument& i : instruments) {
    out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{}\n", i.instrument_token,
                       i.exchange_token, csv_field(i.tradingsymbol), csv_field(i.name),
                       csv_rupees(i.last_price), i.expiry ? format_date(*i.expiry) : "",
                       csv_rupees(i.strike), csv_rupees(i.tick_size), i.lot_size,
                       csv_field(i.instrument_type), csv_field(i.segment), csv_field(i.exchange));
  }
  return out;
}

}  // namespace sm::broker
