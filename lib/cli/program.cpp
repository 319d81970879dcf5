#include "cli/program.h"

#include <exception>

#include "core/exit_codes.h"
#include "core/shutdown.h"
#include "core/timestamp.h"
#include "time/calendar.h"
#include "time/clock.h"

namespace sm::cli {

std::string version() { return "0.1.0"; }

void add_common_options(CLI::App& app, CommonOptions& options) {
  options.db_path = "var/stalkmarket.db";
  app.add_option("--db", options.db_path, "SQLite database file")
      ->envname("SM_DB")
      ->capture_default_str();
  app.add_option("--config", options.config_path, "configuration file (docs/CONFIG.md)")
      ->envname("SM_CONFIG");
  app.add_option("--log-level", options.log_level, "debug, info, warning or error")
      ->envname("SM_LOG_LEVEL");
}

void warn_if_calendar_stale(const Logger& log, const sm::time::Clock& clock) {
  Result<sm::time::Calendar> calendar = sm::time::Calendar::load_default();
  if (!calendar.ok()) {
    log.warn("calendar_unavailable", {{"message", calendar.status().message()}});
    return;
  }
  const Date today = ist_date(clock.now_ms());
  if (std::optional<std::string> warning = calendar->coverage_warning(today)) {
    log.warn("calendar_stale", {{"message", *warning}});
  }
}

namespace {

int parse_and_run(CLI::App& app, int argc, char** argv, Logger& log,
                  const std::function<int()>& body) {
  set_log_clock([] { return sm::time::SystemClock().now_ms(); });
  app.set_version_flag("--version", version());
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::fputs(app.help().c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    std::fputs((version() + "\n").c_str(), stdout);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    log.error("usage_error", {{"message", e.what()}, {"hint", "run with --help"}});
    return kExitUsage;
  }
  // A --log-level given on the command line or in the environment wins over the default.
  for (const CLI::Option* option : app.get_options()) {
    if (option->get_name() == "--log-level" && option->count() + (option->empty() ? 0u : 1u) > 0) {
      const std::string text = option->as<std::string>();
      if (!text.empty()) {
        Result<LogLevel> level = parse_log_level(text);
        if (!level.ok()) {
          log.error("usage_error", {{"message", level.status().message()}});
          return kExitUsage;
        }
        log.set_level(*level);
      }
    }
  }
  install_stop_handlers();
  return body();
}

}  // namespace

int run(CLI::App& app, int argc, char** argv, Logger& log, const std::function<int()>& body) {
  // Whatever escapes (from the body, an option's callback or a check while parsing) is a bug, but
  // a program still ends with one JSON line and a documented exit code, never std::terminate.
  try {
    return parse_and_run(app, argc, argv, log, body);
  } catch (const std::exception& e) {
    log.error("internal_error", {{"message", e.what()}});
  } catch (...) {
    log.error("internal_error", {{"message", "an exception of unknown type escaped"}});
  }
  return kExitFailure;
}

}  // namespace sm::cli
