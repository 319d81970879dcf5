#include "core/log.h"

#include <catch2/catch.hpp>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

namespace {

constexpr sm::TimestampMs kFixedMs = 1711597500123;  // 2024-03-28T03:45:00.123Z

sm::TimestampMs fixed_clock() { return kFixedMs; }

// Logs one line through a logger writing to a temporary file and returns it parsed.
nlohmann::json log_one_line() {
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink != nullptr);
  sm::Logger log("test", sm::LogLevel::kInfo, sink);
  log.info("something_happened", {{"count", 1}});
  std::rewind(sink);
  std::string line;
  for (int c = std::fgetc(sink); c != EOF && c != '\n'; c = std::fgetc(sink)) {
    line.push_back(static_cast<char>(c));
  }
  std::fclose(sink);
  return nlohmann::json::parse(line);
}

}  // namespace

TEST_CASE("a log line's ts comes from the installed log clock, not from core") {
  sm::set_log_clock(&fixed_clock);
  const nlohmann::json line = log_one_line();
  CHECK(line["ts"] == "2024-03-28T03:45:00.123Z");
  CHECK(line["event"] == "something_happened");
  CHECK(line["count"] == 1);

  sm::set_log_clock(nullptr);
  CHECK(log_one_line()["ts"] == "1970-01-01T00:00:00.000Z");
}
