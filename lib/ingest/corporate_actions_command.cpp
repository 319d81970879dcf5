#include "ingest/corporate_actions_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <tuple>

#include "core/corporate_action.h"
#include "core/exit_codes.h"
#include "core/file_replace.h"
#include "core/json_writer.h"
#include "core/read_file.h"
#include "ingest/ingest.h"

namespace sm::ingest {
namespace {

using ActionKey = std::tuple<std::string, Date, ActionKind, std::int64_t, std::int64_t>;

std::set<ActionKey> keys_of(const std::vector<CorporateAction>& actions) {
  std::set<ActionKey> keys;
  for (const CorporateAction& action : actions) {
    keys.insert({action.symbol, action.ex_date, action.kind, action.a, action.b});
  }
  return keys;
}

// The checks beyond the file format that a list about to be used live must pass.
Status check_trading_days(const std::vector<CorporateAction>& actions, std::string_view source) {
  for (const CorporateAction& action : actions) {
    const int day = weekday(action.ex_date);
    if (day == 0 || day == 6) {
      return Status(ErrorCode::kParseError,
                    fmt::format("{}: {} ex_date {} is a {}: an ex-date is a trading day", source,
                                action.symbol, format_date(action.ex_date),
                                day == 0 ? "Sunday" : "Saturday"));
    }
  }
  return Status();
}

std::size_t count_missing(const std::set<ActionKey>& from, const std::set<ActionKey>& in) {
  return static_cast<std::size_t>(std::count_if(
      from.begin(), from.end(), [&](const ActionKey& key) { return in.count(key) == 0; }));
}

}  // namespace

int run_corporate_actions_refresh(const CorporateActionsArgs& args, const Logger& log) {
  std::string target = args.actions_path;
  if (target.empty()) {
    Result<std::string> found = corporate_actions_default_path();
    if (!found.ok()) return report_failure(log, "corporate_actions_not_found", found.status());
    target = *found;
  }
  auto refuse = [&](const Status& status) {
    log.error_status("corporate_actions_refresh_refused", status,
                     {{"file", target}, {"kept", "the old file is unchanged"}});
    return status.code() == ErrorCode::kParseError ? kExitDataError : kExitFailure;
  };
  Result<std::string> text = read_file(args.list_path);
  if (!text.ok()) {
    // The new list is the program's input: unreadable input is a data error.
    log.error_status("corporate_actions_refresh_refused", text.status(),
                     {{"file", target}, {"kept", "the old file is unchanged"}});
    return kExitDataError;
  }
  Result<std::vector<CorporateAction>> fresh = parse_corporate_actions(*text, args.list_path);
  if (!fresh.ok()) return refuse(fresh.status());
  if (Status days = check_trading_days(*fresh, args.list_path); !days.ok()) return refuse(days);

  // The old file may be missing (a first install) or itself broken; neither stops a valid list.
  std::vector<CorporateAction> previous;
  if (Result<std::vector<CorporateAction>> old = load_corporate_actions(target); old.ok()) {
    previous = std::move(*old);
  }
  const std::set<ActionKey> fresh_keys = keys_of(*fresh);
  const std::set<ActionKey> previous_keys = keys_of(previous);
  if (!args.dry_run) {
    if (Status written = replace_file_atomically(target, *text); !written.ok()) {
      return refuse(written);
    }
  }
  std::string line;
  JsonObjectWriter(line)
      .string("type", "corporate_actions_refreshed")
      .string("file", target)
      .string("source", args.list_path)
      .integer("actions", static_cast<std::int64_t>(fresh->size()))
      .integer("previous_actions", static_cast<std::int64_t>(previous.size()))
      .integer("added", static_cast<std::int64_t>(count_missing(fresh_keys, previous_keys)))
      .integer("removed", static_cast<std::int64_t>(count_missing(previous_keys, fresh_keys)))
      .boolean("written", !args.dry_run)
      .finish();
  line += '\n';
  if (std::fputs(line.c_str(), stdout) < 0 || std::fflush(stdout) != 0) return kExitFailure;
  return kExitOk;
}

}  // namespace sm::ingest
