// The registry of built-in strategies: name -> parameter declarations + factory. Adding a strategy
// is one file (defining `StrategyInfo <id>_info()`) plus one line in builtin_strategies.def;
// docs/STRATEGIES.md walks through it.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "strategy/params.h"
#include "strategy/strategy.h"

namespace sm::strategy {

struct StrategyInfo {
  std::string name;     // as used in configuration: lower case with dashes, e.g. "sma-cross"
  std::string summary;  // one line for people
  std::vector<ParamSpec> params;  // the strategy's own; the sizing parameters are added to all
  // Rules across parameters (e.g. slow > fast); null when there are none. Returns
  // kInvalidArgument naming the parameters.
  Status (*check)(const Params& params) = nullptr;
  // Whether entries carry a stop with these parameters (sizing=risk needs one).
  bool (*gives_stop)(const Params& params) = nullptr;
  // REQUIRES: config.params passed parse_params and check.
  std::unique_ptr<Strategy> (*make)(StrategyConfig config) = nullptr;
};

// The built-in strategies, in name order.
const std::vector<StrategyInfo>& builtin_strategies();

// Nullptr when there is no strategy of that name.
const StrategyInfo* find_strategy(std::string_view name);

// The strategy's own parameters followed by the sizing parameters.
std::vector<ParamSpec> all_params(const StrategyInfo& info);

// A new instance with validated parameters: a JSON object, or null for all defaults.
// Fails with kInvalidArgument for an unknown strategy name (listing the known ones), an unknown
// or out-of-range parameter (naming it and its allowed range), a broken cross-parameter rule, or
// sizing=risk for a strategy that gives no stop.
Result<std::unique_ptr<Strategy>> make_strategy(std::string_view name,
                                                const nlohmann::json& params);
// The same from JSON text ("" = all defaults); text that is not JSON is kInvalidArgument.
Result<std::unique_ptr<Strategy>> make_strategy_from_text(std::string_view name,
                                                          std::string_view params_json);

}  // namespace sm::strategy
