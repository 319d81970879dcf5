// The sm-records commands, as functions from parsed command-line text to an exit code, so the
// program's main only declares flags. man/sm-records.1 and docs/RECORDS.md describe them.
// Exit codes: 0 done; 1 a database or internal failure; 2 a bad flag value (a date, a financial
// year, one the rates file does not cover, a statement without its dates); 3 no database, a
// database without the StalkMarket schema (an empty file), or a data file (charges, rates, FMV,
// corporate actions, losses brought forward) that cannot be read or parsed, or a loss brought
// forward from a year not before the report's.
#pragma once

#include <string>

#include "core/log.h"

namespace sm::records {

struct LedgerArgs {
  std::string db_path;
  std::string financial_year;  // --fy 2024-25; or
  std::string from, to;        // --from / --to: IST dates, both included; empty: unbounded
  std::string format = "csv";  // csv | ndjson
  bool day_totals = false;     // --totals: CSV of the day totals instead of the fills
  std::string charges_path;    // --charges; empty: the default nse-charges.csv
};
int run_ledger(const LedgerArgs& args, const Logger& log);

struct GainsArgs {
  std::string db_path;
  std::string financial_year;  // --fy, required
  std::string format = "csv";  // csv | ndjson
  bool summary = false;        // --summary: CSV of the year's lines instead of the disposals
  bool by_strategy = false;    // --by-strategy: CSV of the gains per strategy instead
  bool losses = false;         // --losses: CSV of the loss accounts instead
  std::string losses_path;     // --losses-brought-forward; empty: none
  std::string charges_path;    // --charges
  std::string rates_path;      // --rates; empty: the default capital-gains-rates.csv
  std::string fmv_path;        // --fmv; empty: no FMV (grandfathered lots are flagged)
  std::string actions_path;    // --corporate-actions; empty: the default file, if any
};
int run_gains(const GainsArgs& args, const Logger& log);

struct StatementArgs {
  std::string db_path;
  std::string period = "month";  // day | month
  std::string financial_year;    // --fy; or
  std::string from, to;          // --from / --to, both required without --fy
  std::string format = "csv";    // csv | html
  std::string charges_path;      // --charges
  std::string actions_path;      // --corporate-actions
};
int run_statement(const StatementArgs& args, const Logger& log);

}  // namespace sm::records
