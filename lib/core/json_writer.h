// Appends one flat JSON object to a string, fast and with exact money. The hot NDJSON encode path
// uses it instead of building a DOM; keys are written in the order they are added.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/money.h"
#include "core/timestamp.h"

namespace sm {

// Appends text as a JSON string literal (quotes included), escaping as RFC 8259 requires.
void append_json_string(std::string& out, std::string_view text);

class JsonObjectWriter {
 public:
  // Starts an object at the end of out. REQUIRES: out outlives the writer; call finish() once.
  explicit JsonObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }

  JsonObjectWriter& string(std::string_view key, std::string_view value);
  JsonObjectWriter& integer(std::string_view key, std::int64_t value);
  JsonObjectWriter& number(std::string_view key, double value);  // non-finite is written as null
  JsonObjectWriter& boolean(std::string_view key, bool value);
  // Money as a JSON number in rupees with two decimals: 123450 -> 1234.50.
  JsonObjectWriter& rupees(std::string_view key, Paise value);
  // A UTC timestamp as an ISO 8601 string with milliseconds and Z.
  JsonObjectWriter& timestamp(std::string_view key, TimestampMs value);
  // value must already be valid JSON.
  JsonObjectWriter& raw(std::string_view key, std::string_view json);
  void finish() { out_.push_back('}'); }

 private:
  void key(std::string_view name);
  std::string& out_;
  bool first_ = true;
};

}  // namespace sm
