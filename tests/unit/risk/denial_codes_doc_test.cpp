// Every denial code the engine can give is documented: a user who sees one in a decision record
// finds it in docs/RISK.md. The codes are read from the source (risk/engine.h's
// code namespace), so a code added there without documentation fails here.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string source_file(const std::string& relative) {
  // SM_TEST_FIXTURES is <source>/tests/fixtures.
  std::ifstream in(std::string(SM_TEST_FIXTURES) + "/../../" + relative);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The values of the constants inside `namespace code { ... }`.
std::vector<std::string> decision_codes(const std::string& header) {
  const std::string::size_type begin = header.find("namespace code {");
  const std::string::size_type end = header.find("}  // namespace code", begin);
  REQUIRE(begin != std::string::npos);
  REQUIRE(end != std::string::npos);
  const std::string block = header.substr(begin, end - begin);
  const std::regex constant(R"re(std::string_view k\w+ = "([A-Z_]+)")re");
  std::vector<std::string> codes;
  for (std::sregex_iterator it(block.begin(), block.end(), constant), last; it != last; ++it) {
    codes.push_back((*it)[1]);
  }
  return codes;
}

}  // namespace

TEST_CASE("every denial code the risk engine gives is documented in docs/RISK.md") {
  const std::vector<std::string> codes = decision_codes(source_file("lib/risk/engine.h"));
  CHECK(codes.size() > 20);
  const std::string doc = source_file("docs/RISK.md");
  for (const std::string& code : codes) {
    if (code == "APPROVED") continue;  // the one code that is not a denial
    INFO(code);
    const std::regex whole_word("(^|[^A-Z_])" + code + "([^A-Z_]|$)");
    CHECK(std::regex_search(doc, whole_word));
  }
}
