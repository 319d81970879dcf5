#include "core/json_writer.h"

#include <fmt/format.h>
#include <algorithm>
#include <charconv>
#include <cmath>

namespace sm {

namespace {
bool needs_escape(char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; }
}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  out.push_back('"');
  // Symbols, keys and most texts need no escape: copy them whole.
  if (std::none_of(text.begin(), text.end(), needs_escape)) {
    out.append(text);
    out.push_back('"');
    return;
  }
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void JsonObjectWriter::key(std::string_view name) {
  if (!first_) out_.push_back(',');
  first_ = false;
  append_json_string(out_, name);
  out_.push_back(':');
}

JsonObjectWriter& JsonObjectWriter::string(std::string_view name, std::string_view value) {
  key(name);
  append_json_string(out_, value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::integer(std::string_view name, std::int64_t value) {
  key(name);
  char text[24];
  const std::to_chars_result written = std::to_chars(text, text + sizeof text, value);
  out_.append(text, written.ptr);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::number(std::string_view name, double value) {
  key(name);
  if (std::isfinite(value)) {
    fmt::format_to(std::back_inserter(out_), "{}", value);
  } else {
    out_ += "null";
  }
  return *this;
}

JsonObjectWriter& JsonObjectWriter::boolean(std::string_view name, bool value) {
  key(name);
  out_ += value ? "true" : "false";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::rupees(std::string_view name, Paise value) {
  key(name);
  append_rupees(out_, value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::timestamp(std::string_view name, TimestampMs value) {
  key(name);
  out_.push_back('"');
  append_utc(out_, value);
  out_.push_back('"');
  return *this;
}

JsonObjectWriter& JsonObjectWriter::raw(std::string_view name, std::string_view json) {
  key(name);
  out_ += json;
  return *this;
}

}  // namespace sm
