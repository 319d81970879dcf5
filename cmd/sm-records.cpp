// sm-records: the records a trader files: the trade ledger, the capital-gains report and the
// daily or monthly statements.
// See man/sm-records.1 and docs/RECORDS.md.
#include <string>

#include "cli/program.h"
#include "core/config.h"
#include "core/exit_codes.h"
#include "core/log.h"
#include "records/program.h"

namespace {

// Adds the gains command, whose flags fill gains.
void add_gains_command(CLI::App& app, sm::records::GainsArgs& gains) {
  CLI::App* gains_cmd = app.add_subcommand("gains", "the capital-gains report of a financial year");
  gains_cmd->add_option("--fy", gains.financial_year, "the financial year, e.g. 2024-25")
      ->required();
  gains_cmd->add_option("--format", gains.format, "csv or ndjson")
      ->check(CLI::IsMember({"csv", "ndjson"}))
      ->capture_default_str();
  CLI::Option* summary =
      gains_cmd->add_flag("--summary", gains.summary, "CSV of the year's totals and tax instead");
  CLI::Option* by_strategy = gains_cmd->add_flag("--by-strategy", gains.by_strategy,
                                                 "CSV of the gains per strategy and kind instead");
  gains_cmd
      ->add_flag("--losses", gains.losses,
                 "CSV of the losses brought forward, set off and carried forward instead")
      ->excludes(summary)
      ->excludes(by_strategy);
  by_strategy->excludes(summary);
  gains_cmd->add_option("--losses-brought-forward", gains.losses_path,
                        "CSV incurred,kind,amount: losses of earlier years not yet set off");
  gains_cmd->add_option("--fmv", gains.fmv_path,
                        "CSV symbol,fmv_2018_01_31: fair market values for grandfathering");
  gains_cmd->add_option("--rates", gains.rates_path,
                        "rates file (default: $SM_GAINS_RATES, else capital-gains-rates.csv)");
  gains_cmd->add_option("--corporate-actions", gains.actions_path,
                        "corporate actions file (default: $SM_CORPORATE_ACTIONS, else the "
                        "bundled corporate-actions.csv)");
  gains_cmd->add_option("--charges", gains.charges_path,
                        "charge rates file (default: $SM_CHARGES, else nse-charges.csv)");
}

}  // namespace

int main(int argc, char** argv) {
  sm::Logger log("sm-records");
  CLI::App app{
      "The records a trader files: the trade ledger (every fill with its charges as a "
      "contract note lists them, totals per day), the capital-gains report of a "
      "financial year, and daily or monthly statements.",
      "sm-records"};
  sm::cli::CommonOptions common;
  sm::cli::add_common_options(app, common);
  app.require_subcommand(1);
  app.fallthrough();  // --db and the other common flags also after the command

  sm::records::LedgerArgs ledger;
  CLI::App* ledger_cmd =
      app.add_subcommand("ledger", "every fill, charges itemised, as CSV or NDJSON");
  ledger_cmd->add_option("--fy", ledger.financial_year, "the financial year, e.g. 2024-25");
  ledger_cmd->add_option("--from", ledger.from, "first IST date (YYYY-MM-DD), included");
  ledger_cmd->add_option("--to", ledger.to, "last IST date (YYYY-MM-DD), included");
  ledger_cmd->add_option("--format", ledger.format, "csv or ndjson")
      ->check(CLI::IsMember({"csv", "ndjson"}))
      ->capture_default_str();
  ledger_cmd->add_flag("--totals", ledger.day_totals, "CSV of the totals per IST day instead");
  ledger_cmd->add_option("--charges", ledger.charges_path,
                         "charge rates file (default: $SM_CHARGES, else nse-charges.csv)");

  sm::records::GainsArgs gains;
  add_gains_command(app, gains);

  sm::records::StatementArgs statement;
  CLI::App* statement_cmd = app.add_subcommand(
      "statement", "daily or monthly statements: positions, P&L, charges, halts (CSV or HTML)");
  statement_cmd->add_option("--period", statement.period, "day or month")
      ->check(CLI::IsMember({"day", "month"}))
      ->capture_default_str();
  statement_cmd->add_option("--fy", statement.financial_year, "the financial year, e.g. 2024-25");
  statement_cmd->add_option("--from", statement.from, "first IST date (YYYY-MM-DD)");
  statement_cmd->add_option("--to", statement.to, "last IST date (YYYY-MM-DD)");
  statement_cmd->add_option("--format", statement.format, "csv or html")
      ->check(CLI::IsMember({"csv", "html"}))
      ->capture_default_str();
  statement_cmd->add_option("--corporate-actions", statement.actions_path,
                            "corporate actions file (default as for gains)");
  statement_cmd->add_option("--charges", statement.charges_path,
                            "charge rates file (default: $SM_CHARGES, else nse-charges.csv)");

  return sm::cli::run(app, argc, argv, log, [&]() -> int {
    // No key is read, but a --config that is missing or wrong is refused as in every program.
    // Quietly: the records are for people and scripts, whose stderr stays empty when all is well.
    const sm::Logger quiet("sm-records", sm::LogLevel::kWarning);
    if (sm::Result<sm::Config> config = sm::load_config(common.config_path, quiet); !config.ok()) {
      return sm::report_failure(log, "config_error", config.status(), sm::kExitConfigError);
    }
    ledger.db_path = common.db_path;
    gains.db_path = common.db_path;
    statement.db_path = common.db_path;
    if (ledger_cmd->parsed()) return sm::records::run_ledger(ledger, log);
    if (statement_cmd->parsed()) return sm::records::run_statement(statement, log);
    return sm::records::run_gains(gains, log);
  });
}
