#include "cli/program.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/exit_codes.h"
#include "support/captured_log.h"

namespace {

// Runs body under cli::run with the given arguments after the program name.
int run_with(CLI::App& app, std::vector<std::string> args, sm::Logger& log,
             const std::function<int()>& body) {
  args.insert(args.begin(), "sm-test");
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  return sm::cli::run(app, static_cast<int>(argv.size()), argv.data(), log, body);
}

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace

TEST_CASE("run returns the body's exit code") {
  sm::testing::CapturedLog captured;
  CLI::App app{"test"};
  CHECK(run_with(app, {}, captured.log(), [] { return sm::kExitDrift; }) == sm::kExitDrift);
}

TEST_CASE("an exception escaping the body is one internal_error line and exit 1") {
  sm::testing::CapturedLog captured;
  CLI::App app{"test"};
  const int code = run_with(app, {}, captured.log(),
                            []() -> int { throw std::runtime_error("invariant broken"); });
  CHECK(code == sm::kExitFailure);
  const std::string text = captured.text();
  CHECK(count_lines(text) == 1);
  CHECK(text.find(R"("event":"internal_error")") != std::string::npos);
  CHECK(text.find("invariant broken") != std::string::npos);
}

TEST_CASE("an exception of a type that is not std::exception is caught too") {
  sm::testing::CapturedLog captured;
  CLI::App app{"test"};
  const int code = run_with(app, {}, captured.log(), []() -> int { throw 42; });
  CHECK(code == sm::kExitFailure);
  CHECK(count_lines(captured.text()) == 1);
  CHECK(captured.text().find(R"("event":"internal_error")") != std::string::npos);
}

TEST_CASE("an exception thrown by an option's callback while parsing is caught") {
  sm::testing::CapturedLog captured;
  CLI::App app{"test"};
  app.add_option_function<std::string>(
      "--boom", [](const std::string&) { throw std::logic_error("callback failed"); });
  bool ran = false;
  const int code = run_with(app, {"--boom", "x"}, captured.log(), [&] {
    ran = true;
    return sm::kExitOk;
  });
  CHECK(code == sm::kExitFailure);
  CHECK_FALSE(ran);
  CHECK(captured.text().find("callback failed") != std::string::npos);
}

TEST_CASE("an unknown flag is still a usage error, not an internal error") {
  sm::testing::CapturedLog captured;
  CLI::App app{"test"};
  CHECK(run_with(app, {"--nope"}, captured.log(), [] { return sm::kExitOk; }) == sm::kExitUsage);
  CHECK(captured.text().find(R"("event":"usage_error")") != std::string::npos);
}
