// The three sm-ingest commands, as functions from parsed command-line text to an exit code, so the
// program's main only declares flags. Flag values are validated here: a bad value is a usage error
// (kExitUsage). man/sm-ingest.1 and docs/INGEST.md describe the behaviour.
#pragma once

#include <string>
#include <vector>

#include "core/log.h"
#include "ingest/replay.h"
#include "time/clock.h"

namespace sm::ingest {

// sm-ingest [FILE...] | sm-ingest - : load CSV files, or NDJSON ticks/bars from stdin.
struct IngestArgs {
  std::vector<std::string> inputs;           // paths; "-" is NDJSON on stdin
  bool use_stdin = false;                    // --stdin: same as "-"
  std::string symbol;                        // --symbol
  std::string tz = "IST";                    // --tz
  std::string timeframe;                     // --timeframe; empty: detect
  std::string date_format;                   // --date-format; empty: ISO or detected
  std::string time_label = "auto";           // --time-label auto|start|end
  std::vector<std::string> maps;             // --map field=column
  std::vector<std::string> series = {"EQ"};  // --series; "all" keeps every series
  std::vector<std::string> resample;         // --resample 5m (repeatable)
  bool all_hours = false;                    // --all-hours
  bool emit = false;                         // --emit
  bool strict = false;                       // --strict
  bool dry_run = false;                      // --dry-run: validate (and emit), store nothing
  int batch_size = 10'000;                   // --batch-size
  std::string db_path;
};
// Exit codes: 0 done (bad rows reported and skipped), 1 database failure, 2 bad flag value or
// --map naming a column that does not exist, 3 an input that cannot be read or understood, a CSV
// file of which no row could be stored (require_rows_accepted), or a bad row under --strict. Other
// inputs are still processed after an unreadable one.
int run_ingest(const IngestArgs& args, const Logger& log, const time::Clock& clock);

// sm-ingest resample --to TF: NDJSON ticks/bars on stdin (or stored ones with --from-db) to bars.
struct ResampleArgs {
  std::string to;                    // --to 5m
  bool from_db = false;              // --from-db: read stored bars (or --ticks) instead of stdin
  std::vector<std::string> symbols;  // --symbol (with --from-db); empty: all
  std::string source = "1m";         // --source: the stored timeframe to read (with --from-db)
  bool ticks = false;                // --ticks: read stored ticks (with --from-db)
  std::string from, until;           // --from / --to-date range (with --from-db)
  bool store = false;                // --store: also store the resampled bars
  bool all_hours = false;
  bool strict = false;
  std::string db_path;
};
int run_resample(const ResampleArgs& args, const Logger& log, const time::Clock& clock);

// sm-ingest replay: stored ticks/bars for a range as NDJSON, paced.
struct ReplayArgs {
  std::vector<std::string> symbols;
  std::string timeframe = "1d";
  bool ticks = false;
  std::string from, until;
  std::string speed = "max";
  std::string db_path;
};
// Exit codes: 0 done (also when stopped by SIGTERM or when stdout closed), 1 database failure,
// 2 bad flag value, 3 the database file does not exist.
int run_replay(const ReplayArgs& args, const Logger& log, const time::Clock& clock,
               const SleepFunction& sleep);

}  // namespace sm::ingest
