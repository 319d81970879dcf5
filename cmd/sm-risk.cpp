// sm-risk: the risk gateway. Every signal is approved (an order intent for sm-order) or denied
// with a reason; kill switches halt, pause or force exits. There is no bypass. See man/sm-risk.1
// and docs/RISK.md.
#include <csignal>
#include <string>

#include "cli/program.h"
#include "core/log.h"
#include "gateway/program.h"
#include "time/clock.h"

int main(int argc, char** argv) {
  sm::Logger log("sm-risk");
  CLI::App app{
      "Risk gateway: reads signal NDJSON on stdin and writes an order intent for each "
      "approved signal and a risk_decision for every signal (stored in the database); "
      "fills, ticks, bars, heartbeats and errors update its state; other lines pass "
      "through unchanged. Kill switches emit halt and alert lines.",
      "sm-risk"};
  app.footer(
      "Subcommands: halt, resume, status.\nExit status: 0 ok, 1 runtime failure (database), "
      "2 usage, 3 malformed line under --strict, 4 configuration error, 5 status "
      "--fail-if-halted and not active.");
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);

  sm::gateway::GatewayArgs run;
  app.add_flag("--event-time", run.event_time,
               "take the current time from the newest message ts instead of the clock "
               "(replays and paper trading on historical data)");
  app.add_flag("--strict", run.strict, "stop at the first malformed line (exit 3)");
  app.add_option("--idle-ms", run.idle_ms,
                 "with no input, evaluate the kill switches every this many ms")
      ->capture_default_str();
  app.add_option("--by", run.by,
                 "who is starting the gateway, for the config audit (default $USER)");

  sm::gateway::ControlArgs halt;
  CLI::App* halt_cmd =
      app.add_subcommand("halt", "halt trading now; only `sm-risk resume` lifts it");
  halt_cmd->fallthrough();
  halt_cmd->add_option("--reason", halt.reason, "why (recorded)")->required();
  halt_cmd->add_option("--by", halt.by, "who (default $USER)");
  halt_cmd->add_option("--level", halt.level,
                       "halt (default: no orders), pause, or block_entries "
                       "(exits still allowed)");

  sm::gateway::ControlArgs resume;
  CLI::App* resume_cmd =
      app.add_subcommand("resume", "lift active halts and pauses (all, or one --level)");
  resume_cmd->fallthrough();
  resume_cmd->add_option("--reason", resume.reason, "why (recorded)")->required();
  resume_cmd->add_option("--by", resume.by, "who (default $USER)");
  resume_cmd->add_option("--level", resume.level, "only this level: halt, pause or block_entries");

  sm::gateway::StatusArgs status;
  CLI::App* status_cmd =
      app.add_subcommand("status",
                         "show the gateway's state (active, entries blocked, halted, "
                         "paused), why, and the figures the kill switches watch");
  status_cmd->fallthrough();
  status_cmd->add_flag("--json", status.json, "one JSON object instead of text");
  status_cmd->add_option("--at", status.at,
                         "as if the time were AT (ISO 8601; IST without a zone)");
  status_cmd->add_flag("--fail-if-halted", status.fail_if_halted,
                       "exit 5 when not active (entries blocked, halted or paused)");
  app.require_subcommand(0, 1);

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // A reader that goes away must not kill us between storing a decision and reporting it.
    std::signal(SIGPIPE, SIG_IGN);
    const sm::time::SystemClock clock;
    if (halt_cmd->parsed()) {
      halt.db_path = common.db_path;
      return sm::gateway::run_halt(halt, log, clock);
    }
    if (resume_cmd->parsed()) {
      resume.db_path = common.db_path;
      return sm::gateway::run_resume(resume, log, clock);
    }
    if (status_cmd->parsed()) {
      status.db_path = common.db_path;
      status.config_path = common.config_path;
      return sm::gateway::run_status(status, log, clock);
    }
    run.db_path = common.db_path;
    run.config_path = common.config_path;
    return sm::gateway::run_gateway(run, log, clock);
  });
}
