#include "strategy/registry.h"

#include <fmt/format.h>
#include <algorithm>
#include <nlohmann/json.hpp>

namespace sm::strategy {

#define SM_STRATEGY(id, Rule) StrategyInfo id##_info();
#include "strategy/builtin_strategies.def"
#undef SM_STRATEGY

const std::vector<StrategyInfo>& builtin_strategies() {
  static const std::vector<StrategyInfo> strategies = [] {
    std::vector<StrategyInfo> list{
#define SM_STRATEGY(id, Rule) id##_info(),
#include "strategy/builtin_strategies.def"
#undef SM_STRATEGY
    };
    std::sort(list.begin(), list.end(),
              [](const StrategyInfo& a, const StrategyInfo& b) { return a.name < b.name; });
    return list;
  }();
  return strategies;
}

const StrategyInfo* find_strategy(std::string_view name) {
  for (const auto& info : builtin_strategies()) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

std::vector<ParamSpec> all_params(const StrategyInfo& info) {
  std::vector<ParamSpec> specs = info.params;
  for (auto& spec : sizing_param_specs()) specs.push_back(std::move(spec));
  return specs;
}

Result<std::unique_ptr<Strategy>> make_strategy(std::string_view name,
                                                const nlohmann::json& params_json) {
  const StrategyInfo* info = find_strategy(name);
  if (info == nullptr) {
    std::string known;
    for (const auto& strategy : builtin_strategies()) {
      known += known.empty() ? strategy.name : ", " + strategy.name;
    }
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("unknown strategy '{}'; strategies are: {}", name, known));
  }
  std::vector<ParamSpec> specs = all_params(*info);
  Result<Params> params = parse_params(specs, params_json, info->name);
  if (!params.ok()) return params.status();
  if (info->check != nullptr) SM_RETURN_IF_ERROR(info->check(*params));
  Result<SizingRule> sizing = sizing_from_params(*params, info->name);
  if (!sizing.ok()) return sizing.status();
  bool gives_stop = info->gives_stop != nullptr && info->gives_stop(*params);
  if (sizing->method == SizingMethod::kRisk && !gives_stop) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: sizing=risk needs a stop, and {} gives none with these "
                             "parameters; use fixed_qty or fixed_value",
                             info->name, info->name));
  }
  return info->make(StrategyConfig{info->name, std::move(params).value(), *sizing});
}

Result<std::unique_ptr<Strategy>> make_strategy_from_text(std::string_view name,
                                                          std::string_view params_json) {
  nlohmann::json parsed = params_json.empty() ? nlohmann::json(nullptr)
                                              : nlohmann::json::parse(params_json, nullptr, false);
  if (parsed.is_discarded()) {
    return error(ErrorCode::kInvalidArgument,
                 fmt::format("{}: parameters are not valid JSON: {}", name, params_json));
  }
  return make_strategy(name, parsed);
}

}  // namespace sm::strategy
