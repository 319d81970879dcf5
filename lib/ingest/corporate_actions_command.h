// `sm-ingest corporate-actions FILE`: replaces the corporate-actions file the programs load
// (core/corporate_action.h) with FILE once FILE is valid. docs/CORPORATE_ACTIONS.md explains it.
#pragma once

#include <string>

#include "core/log.h"

namespace sm::ingest {

struct CorporateActionsArgs {
  std::string list_path;     // the new file (symbol,ex_date,kind,ratio)
  std::string actions_path;  // empty: the file the programs load (corporate_actions_default_path)
  bool dry_run = false;
};

// Validates FILE: it parses (a header with symbol, ex_date, kind, ratio; kinds bonus and split;
// ratios A:B of whole numbers 1..1000; valid dates; no symbol twice on one ex-date) and no ex-date
// is a Saturday or Sunday (an ex-date is a trading day; the rare weekend session is not one).
// Then, unless dry_run, replaces the target with FILE's text (temporary file, fsync, rename).
// Writes one "corporate_actions_refreshed" JSON line on stdout (actions, previous_actions, added,
// removed, written) and returns the exit code: 0 done, 3 FILE is invalid (the old file is kept;
// stderr names file and line), 1 a file cannot be read or written.
int run_corporate_actions_refresh(const CorporateActionsArgs& args, const Logger& log);

}  // namespace sm::ingest
