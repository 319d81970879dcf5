// Internal to lib/strategy: helpers to write and read saved state as JSON. Readers throw StateError
// on a missing field or a value of the wrong type or range; restore functions catch it (and
// nlohmann's own exceptions) with restore_guarded, so no exception leaves the module.
#pragma once

#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/status.h"
#include "strategy/window.h"

namespace sm::strategy::state {

class StateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

const nlohmann::json& field(const nlohmann::json& object, std::string_view key);
double number_value(const nlohmann::json& value, std::string_view what);  // finite number
std::int64_t integer_value(const nlohmann::json& value, std::string_view what);
inline double get_number(const nlohmann::json& object, std::string_view key) {
  return number_value(field(object, key), key);
}
inline std::int64_t get_integer(const nlohmann::json& object, std::string_view key) {
  return integer_value(field(object, key), key);
}
// An integer in [min, max].
std::int64_t get_integer(const nlohmann::json& object, std::string_view key, std::int64_t min,
                         std::int64_t max);
bool get_bool(const nlohmann::json& object, std::string_view key);
// null reads as nullopt.
std::optional<double> get_optional_number(const nlohmann::json& object, std::string_view key);
std::optional<std::int64_t> get_optional_integer(const nlohmann::json& object,
                                                 std::string_view key);
const nlohmann::json& get_array(const nlohmann::json& object, std::string_view key);

inline nlohmann::json optional_json(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}
inline nlohmann::json optional_json(const std::optional<std::int64_t>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

template <typename T>
T element_value(const nlohmann::json& value, std::string_view what) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(number_value(value, what));
  } else {
    return static_cast<T>(integer_value(value, what));
  }
}

// Oldest first.
template <typename T>
nlohmann::json window_json(const Window<T>& window) {
  nlohmann::json out = nlohmann::json::array();
  for (std::size_t i = 0; i < window.size(); ++i) out.push_back(window[i]);
  return out;
}

// Replaces window's contents with the array at key. Throws when it holds more values than the
// window's capacity or exactly `required` values are needed and the count differs.
template <typename T>
void read_window(const nlohmann::json& object, std::string_view key, Window<T>& window) {
  const nlohmann::json& array = get_array(object, key);
  if (array.size() > window.capacity()) {
    throw StateError(std::string(key) + ": " + std::to_string(array.size()) +
                     " values, more than the window of " + std::to_string(window.capacity()));
  }
  window.clear();
  for (const auto& value : array) window.push(element_value<T>(value, key));
}

// Runs read(), turning StateError and JSON exceptions into kParseError naming `what`.
template <typename F>
Status restore_guarded(std::string_view what, F&& read) {
  try {
    read();
    return Status();
  } catch (const StateError& e) {
    return error(ErrorCode::kParseError, std::string(what) + " state: " + e.what());
  } catch (const nlohmann::json::exception& e) {
    return error(ErrorCode::kParseError, std::string(what) + " state: " + e.what());
  }
}

}  // namespace sm::strategy::state
