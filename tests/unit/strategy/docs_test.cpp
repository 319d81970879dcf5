// docs/STRATEGIES.md documents every built-in strategy and each of its parameters with the range
// and default the code enforces.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "strategy/registry.h"
#include "strategy/sizing.h"
#include "test_data.h"

using namespace sm::strategy;

namespace {

std::string section(const std::string& doc, const std::string& heading) {
  std::size_t start = doc.find(heading + "\n");
  if (start == std::string::npos) return "";
  std::size_t end = doc.find("\n##", start + heading.size());
  return doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

void check_documented(const std::string& text, const ParamSpec& spec) {
  INFO(spec.name);
  std::size_t row = text.find("| `" + spec.name + "` |");
  REQUIRE(row != std::string::npos);
  std::string line = text.substr(row, text.find('\n', row) - row);
  if (spec.kind == ParamKind::kInteger || spec.kind == ParamKind::kNumber) {
    std::string allowed = spec.allowed();  // "an integer in [1, 1000]" -> "integer in [1, 1000]"
    allowed = allowed.substr(allowed.find(' ') + 1);
    CHECK_THAT(line, Catch::Contains(allowed));
    CHECK_THAT(line, Catch::Contains("| " + spec.default_text() + " |"));
  }
}

}  // namespace

TEST_CASE("STRATEGIES.md documents every built-in and parameter", "[docs]") {
  std::ifstream in(testing::fixture_path("../../docs/STRATEGIES.md"));
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  for (const auto& info : builtin_strategies()) {
    INFO(info.name);
    std::string part = section(doc, "### " + info.name);
    REQUIRE_FALSE(part.empty());
    for (const auto& spec : info.params) check_documented(part, spec);
  }
  std::string sizing = section(doc, "### Sizing parameters (every strategy)");
  for (const auto& spec : sizing_param_specs()) check_documented(sizing, spec);
}
