#include "strategy/params.h"

#include <fmt/format.h>
#include <cassert>
#include <cmath>
#include <nlohmann/json.hpp>

namespace sm::strategy {
namespace {

using nlohmann::json;

std::string number_text(double value) { return fmt::format("{}", value); }

bool in_range(const ParamSpec& spec, double value) {
  bool above_min = spec.min_exclusive ? value > spec.min : value >= spec.min;
  return above_min && value <= spec.max;
}

std::string names_of(std::span<const ParamSpec> specs) {
  std::string out;
  for (const auto& spec : specs) {
    if (!out.empty()) out += ", ";
    out += spec.name;
  }
  return out;
}

Status bad_value(std::string_view owner, const ParamSpec& spec, const json& value) {
  return error(ErrorCode::kInvalidArgument,
               fmt::format("{}: parameter '{}' must be {}, got {}", owner, spec.name,
                           spec.allowed(), value.dump()));
}

Result<ParamValue> read_value(std::string_view owner, const ParamSpec& spec, const json& value) {
  switch (spec.kind) {
    case ParamKind::kInteger: {
      std::int64_t integer = 0;
      if (value.is_number_integer()) {
        if (value.is_number_unsigned() && value.get<std::uint64_t>() > (1ULL << 53)) {
          return bad_value(owner, spec, value);
        }
        integer = value.get<std::int64_t>();
      } else if (value.is_number_float()) {
        // 10.0 is accepted as 10; 10.5 is not an integer.
        double number = value.get<double>();
        if (!std::isfinite(number) || std::trunc(number) != number || std::fabs(number) > 1e15) {
          return bad_value(owner, spec, value);
        }
        integer = static_cast<std::int64_t>(number);
      } else {
        return bad_value(owner, spec, value);
      }
      if (!in_range(spec, static_cast<double>(integer))) return bad_value(owner, spec, value);
      return ParamValue(integer);
    }
    case ParamKind::kNumber: {
      if (!value.is_number()) return bad_value(owner, spec, value);
      double number = value.get<double>();
      if (!std::isfinite(number) || !in_range(spec, number)) return bad_value(owner, spec, value);
      return ParamValue(number);
    }
    case ParamKind::kRupees: {
      Result<Paise> paise = value.is_string()   ? parse_rupees(value.get<std::string>())
                            : value.is_number() ? paise_from_double(value.get<double>())
                                                : Result<Paise>(error(ErrorCode::kParseError, ""));
      if (!paise.ok() || !in_range(spec, to_rupees(*paise))) return bad_value(owner, spec, value);
      return ParamValue(*paise);
    }
    case ParamKind::kChoice: {
      if (!value.is_string()) return bad_value(owner, spec, value);
      const std::string& text = value.get_ref<const std::string&>();
      for (const auto& choice : spec.choices) {
        if (choice == text) return ParamValue(text);
      }
      return bad_value(owner, spec, value);
    }
  }
  return error(ErrorCode::kInternal, "unhandled parameter kind");
}

}  // namespace

std::string ParamSpec::allowed() const {
  if (kind == ParamKind::kChoice) {
    std::string out = "one of: ";
    for (std::size_t i = 0; i < choices.size(); ++i) {
      if (i > 0) out += ", ";
      out += choices[i];
    }
    return out;
  }
  const char* what = kind == ParamKind::kInteger  ? "an integer"
                     : kind == ParamKind::kRupees ? "an amount in rupees"
                                                  : "a number";
  return fmt::format("{} in {}{}, {}]", what, min_exclusive ? "(" : "[", number_text(min),
                     number_text(max));
}

std::string ParamSpec::default_text() const {
  switch (kind) {
    case ParamKind::kInteger:
      return std::to_string(std::get<std::int64_t>(default_value));
    case ParamKind::kNumber:
      return number_text(std::get<double>(default_value));
    case ParamKind::kRupees:
      return fmt::format("\"{}\"", format_rupees(std::get<std::int64_t>(default_value)));
    case ParamKind::kChoice:
      return fmt::format("\"{}\"", std::get<std::string>(default_value));
  }
  return "";
}

ParamSpec integer_param(std::string name, std::int64_t default_value, std::int64_t min,
                        std::int64_t max, std::string doc) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kInteger;
  spec.default_value = default_value;
  spec.min = static_cast<double>(min);
  spec.max = static_cast<double>(max);
  spec.doc = std::move(doc);
  return spec;
}

ParamSpec number_param(std::string name, double default_value, double min, double max,
                       std::string doc, Bound lower) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kNumber;
  spec.default_value = default_value;
  spec.min = min;
  spec.max = max;
  spec.min_exclusive = lower == Bound::kAbove;
  spec.doc = std::move(doc);
  return spec;
}

ParamSpec rupees_param(std::string name, Paise default_value, double min_rupees, double max_rupees,
                       std::string doc) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kRupees;
  spec.default_value = default_value;
  spec.min = min_rupees;
  spec.max = max_rupees;
  spec.doc = std::move(doc);
  return spec;
}

ParamSpec choice_param(std::string name, std::string default_value,
                       std::vector<std::string> choices, std::string doc) {
  ParamSpec spec;
  spec.name = std::move(name);
  spec.kind = ParamKind::kChoice;
  spec.default_value = std::move(default_value);
  spec.choices = std::move(choices);
  spec.doc = std::move(doc);
  return spec;
}

const ParamValue& Params::at(std::string_view name) const {
  auto it = values_.find(name);
  assert(it != values_.end());
  return it->second.value;
}

std::int64_t Params::integer(std::string_view name) const {
  return std::get<std::int64_t>(at(name));
}
Paise Params::rupees(std::string_view name) const { return std::get<std::int64_t>(at(name)); }
double Params::number(std::string_view name) const { return std::get<double>(at(name)); }
const std::string& Params::choice(std::string_view name) const {
  return std::get<std::string>(at(name));
}

json Params::to_json() const {
  json out = json::object();
  for (const auto& [name, entry] : values_) {
    const ParamValue& value = entry.value;
    if (entry.kind == ParamKind::kRupees) {
      out[name] = format_rupees(std::get<std::int64_t>(value));
    } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
      out[name] = *integer;
    } else if (const auto* number = std::get_if<double>(&value)) {
      out[name] = *number;
    } else {
      out[name] = std::get<std::string>(value);
    }
  }
  return out;
}

Result<Params> parse_params(std::span<const ParamSpec> specs, const json& object,
                            std::string_view owner) {
  if (!object.is_null() && !object.is_object()) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: parameters must be a JSON object, got {}", owner, object.dump()));
  }
  if (object.is_object()) {
    for (const auto& [name, value] : object.items()) {
      bool declared = false;
      for (const auto& spec : specs) declared = declared || spec.name == name;
      if (!declared) {
        return error(ErrorCode::kInvalidArgument,
                     fmt::format("{}: unknown parameter '{}'; parameters are: {}", owner, name,
                                 names_of(specs)));
      }
    }
  }
  Params params;
  for (const auto& spec : specs) {
    ParamValue value = spec.default_value;
    if (object.is_object()) {
      auto it = object.find(spec.name);
      if (it != object.end()) {
        auto read = read_value(owner, spec, *it);
        if (!read.ok()) return read.status();
        value = std::move(read).value();
        params.given_.insert(spec.name);
      }
    }
    params.values_[spec.name] = Params::Entry{spec.kind, std::move(value)};
  }
  return params;
}

Result<json> parse_param_flags(const std::vector<std::string>& texts) {
  json params = json::object();
  for (const std::string& text : texts) {
    const std::size_t eq = text.find('=');
    if (eq == std::string::npos || eq == 0) {
      return error(ErrorCode::kInvalidArgument,
                   fmt::format("--param '{}' is not name=value", text));
    }
    const std::string value = text.substr(eq + 1);
    json parsed = json::parse(value, nullptr, /*allow_exceptions=*/false);
    params[text.substr(0, eq)] = parsed.is_discarded() ? json(value) : parsed;
  }
  return params;
}

}  // namespace sm::strategy
