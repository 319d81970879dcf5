#include "strategy/state_json.h"

#include <limits>

namespace sm::strategy::state {

const nlohmann::json& field(const nlohmann::json& object, std::string_view key) {
  if (!object.is_object())
    throw StateError("expected an object holding '" + std::string(key) + "'");
  auto it = object.find(key);
  if (it == object.end()) throw StateError("missing field '" + std::string(key) + "'");
  return *it;
}

double number_value(const nlohmann::json& value, std::string_view what) {
  if (!value.is_number()) throw StateError("'" + std::string(what) + "' is not a number");
  double number = value.get<double>();
  if (!std::isfinite(number)) throw StateError("'" + std::string(what) + "' is not finite");
  return number;
}

std::int64_t integer_value(const nlohmann::json& value, std::string_view what) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() &&
        value.get<std::uint64_t>() >
            static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw StateError("'" + std::string(what) + "' is out of range");
    }
    return value.get<std::int64_t>();
  }
  throw StateError("'" + std::string(what) + "' is not an integer");
}

std::int64_t get_integer(const nlohmann::json& object, std::string_view key, std::int64_t min,
                         std::int64_t max) {
  std::int64_t value = get_integer(object, key);
  if (value < min || value > max) {
    throw StateError("'" + std::string(key) + "' = " + std::to_string(value) + " is outside [" +
                     std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return value;
}

bool get_bool(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = field(object, key);
  if (!value.is_boolean()) throw StateError("'" + std::string(key) + "' is not true or false");
  return value.get<bool>();
}

std::optional<double> get_optional_number(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = field(object, key);
  if (value.is_null()) return std::nullopt;
  return number_value(value, key);
}

std::optional<std::int64_t> get_optional_integer(const nlohmann::json& object,
                                                 std::string_view key) {
  const nlohmann::json& value = field(object, key);
  if (value.is_null()) return std::nullopt;
  return integer_value(value, key);
}

const nlohmann::json& get_array(const nlohmann::json& object, std::string_view key) {
  const nlohmann::json& value = field(object, key);
  if (!value.is_array()) throw StateError("'" + std::string(key) + "' is not an array");
  return value;
}

}  // namespace sm::strategy::state
