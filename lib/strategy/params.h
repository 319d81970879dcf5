// Strategy parameters: declared by a list of ParamSpec and read from a JSON object, e.g.
// {"fast": 10, "slow": 30, "sizing": "fixed_qty", "qty": 100}. Unknown names, wrong types and
// out-of-range values are kInvalidArgument errors that name the parameter and its allowed range.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/money.h"
#include "core/status.h"

namespace sm::strategy {

enum class ParamKind {
  kInteger,  // a whole number
  kNumber,   // any finite number
  kRupees,   // an amount of money: a JSON number or decimal text with at most 2 decimals; held in
             // paise
  kChoice,   // one of a fixed list of strings
};

// kInteger and kRupees (paise) hold int64, kNumber double, kChoice string.
using ParamValue = std::variant<std::int64_t, double, std::string>;

struct ParamSpec {
  std::string name;
  ParamKind kind = ParamKind::kInteger;
  ParamValue default_value;  // used when the parameter is not given
  double min = 0;            // bounds, inclusive unless min_exclusive; rupees for kRupees
  double max = 0;
  bool min_exclusive = false;
  std::vector<std::string> choices;  // kChoice only
  std::string doc;                   // one line for people (docs/STRATEGIES.md, --help output)

  // "an integer in [2, 1000]", "a number in (0, 1]", "one of: fixed_qty, fixed_value, risk".
  std::string allowed() const;
  // The default as JSON text: 10, 0.01, "fixed_qty", "0.00".
  std::string default_text() const;
};

// Declaration helpers. Bounds are inclusive; Bound::kAbove makes the minimum exclusive.
enum class Bound { kAtLeast, kAbove };
ParamSpec integer_param(std::string name, std::int64_t default_value, std::int64_t min,
                        std::int64_t max, std::string doc);
ParamSpec number_param(std::string name, double default_value, double min, double max,
                       std::string doc, Bound lower = Bound::kAtLeast);
ParamSpec rupees_param(std::string name, Paise default_value, double min_rupees, double max_rupees,
                       std::string doc);
ParamSpec choice_param(std::string name, std::string default_value,
                       std::vector<std::string> choices, std::string doc);

// Validated parameter values: every declared parameter has a value (given or default).
class Params {
 public:
  // REQUIRES (all getters): name is declared with a matching kind.
  std::int64_t integer(std::string_view name) const;  // kInteger
  Paise rupees(std::string_view name) const;          // kRupees
  double number(std::string_view name) const;         // kNumber
  const std::string& choice(std::string_view name) const;
  // True when the caller gave the parameter (false when the default was used).
  bool given(std::string_view name) const { return given_.count(name) > 0; }

  // Every parameter, in name order; rupees as decimal text ("50000.00"). Feeding this back to
  // parse_params gives equal Params.
  nlohmann::json to_json() const;

 private:
  friend Result<Params> parse_params(std::span<const ParamSpec>, const nlohmann::json&,
                                     std::string_view);
  struct Entry {
    ParamKind kind;
    ParamValue value;
  };
  const ParamValue& at(std::string_view name) const;

  std::map<std::string, Entry, std::less<>> values_;
  std::set<std::string, std::less<>> given_;
};

// Reads `object` against `specs`. A null object means "all defaults". Fails with
// kInvalidArgument, prefixed by `owner` (e.g. "sma-cross"), when object is not an object, names a
// parameter that is not declared, or gives a value of the wrong type or outside its range.
Result<Params> parse_params(std::span<const ParamSpec> specs, const nlohmann::json& object,
                            std::string_view owner);

// The JSON object for parse_params from command-line texts "name=value" (sm-signal's and
// sm-backtest's --param): each value is JSON when it parses (10, 0.5, true), else a string
// (fixed_qty). A later name replaces an earlier one. kInvalidArgument naming the text when it has
// no '=' or an empty name.
Result<nlohmann::json> parse_param_flags(const std::vector<std::string>& texts);

}  // namespace sm::strategy
