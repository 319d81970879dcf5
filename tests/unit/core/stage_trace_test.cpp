#include "core/stage_trace.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/read_file.h"
#include "support/temp_dir.h"

namespace {

std::vector<nlohmann::json> lines_of(const std::string& path) {
  sm::Result<std::string> text = sm::read_file(path);
  REQUIRE(text.ok());
  std::vector<nlohmann::json> out;
  size_t start = 0;
  while (start < text->size()) {
    const size_t end = text->find('\n', start);
    REQUIRE(end != std::string::npos);  // every line ends with a newline
    out.push_back(nlohmann::json::parse(text->substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

}  // namespace

TEST_CASE("a stage trace appends one JSON line per mark, stamped with the monotonic clock",
          "[stage_trace]") {
  sm::testing::TempDir dir;
  const std::string path = dir.file("stages.ndjson");
  const std::int64_t before = sm::monotonic_ns();
  {
    sm::StageTrace trace(path);
    REQUIRE(trace.on());
    trace.mark("signal.read", "INFY");
    trace.mark("signal.written", "INFY");
  }
  {
    // A second writer (another program) appends, never truncates.
    sm::StageTrace trace(path);
    trace.mark("risk.read", "TCS");
  }
  const std::int64_t after = sm::monotonic_ns();
  std::vector<nlohmann::json> lines = lines_of(path);
  REQUIRE(lines.size() == 3);
  CHECK(lines[0]["stage"] == "signal.read");
  CHECK(lines[0]["key"] == "INFY");
  CHECK(lines[1]["stage"] == "signal.written");
  CHECK(lines[2]["stage"] == "risk.read");
  CHECK(lines[2]["key"] == "TCS");
  for (const nlohmann::json& line : lines) {
    CHECK(line["pid"].get<std::int64_t>() > 0);
    CHECK(line["mono_ns"].get<std::int64_t>() >= before);
    CHECK(line["mono_ns"].get<std::int64_t>() <= after);
  }
  CHECK(lines[0]["mono_ns"].get<std::int64_t>() <= lines[1]["mono_ns"].get<std::int64_t>());
}

TEST_CASE("a stage trace without a path is off and writes nothing", "[stage_trace]") {
  sm::StageTrace trace("");
  CHECK_FALSE(trace.on());
  trace.mark("signal.read", "INFY");  // no file to write: must not fail
}

TEST_CASE("a stage trace whose file cannot be opened is off", "[stage_trace]") {
  sm::testing::TempDir dir;
  sm::StageTrace trace(dir.file("missing-directory/stages.ndjson"));
  CHECK_FALSE(trace.on());
  trace.mark("signal.read", "INFY");
  CHECK_FALSE(std::filesystem::exists(dir.file("missing-directory")));
}
