#include "ingest/calendar_command.h"

#include <cstdio>
#include <filesystem>

#include "broker/curl_http_client.h"
#include "core/exit_codes.h"
#include "core/json_writer.h"
#include "ingest/calendar_download.h"
#include "time/calendar.h"
#include "time/calendar_refresh.h"

namespace sm::ingest {

int run_calendar_refresh(const CalendarArgs& args, const Logger& log) {
  std::string calendar_path = args.calendar_path;
  if (calendar_path.empty()) {
    Result<std::string> found = time::Calendar::default_path();
    if (!found.ok()) return report_failure(log, "calendar_not_found", found.status());
    calendar_path = *found;
  }
  if (args.list_path.empty() == args.url.empty()) {
    return report_usage_error(
        log, error(ErrorCode::kInvalidArgument, "give the list file or --url (one of them)"));
  }
  Result<time::CalendarRefresh> refreshed = time::CalendarRefresh{};
  std::string source = args.source;
  if (args.url.empty()) {
    if (source.empty()) source = std::filesystem::path(args.list_path).filename().string();
    refreshed = time::refresh_calendar(calendar_path, args.list_path, source, args.dry_run);
  } else {
    if (source.empty()) source = args.url;
    broker::CurlHttpClient http;
    Result<std::string> list = download_holiday_list(
        http, {args.url, args.page_url == "auto" ? default_page_url(args.url) : args.page_url});
    if (!list.ok()) {
      if (list.status().code() == ErrorCode::kInvalidArgument) {
        return report_usage_error(log, list.status());
      }
      log.error_status("calendar_download_failed", list.status(),
                       {{"calendar", calendar_path}, {"kept", "the old calendar is unchanged"}});
      return kExitFailure;
    }
    refreshed =
        time::refresh_calendar_from_text(calendar_path, *list, args.url, source, args.dry_run);
  }
  if (!refreshed.ok()) {
    const ErrorCode code = refreshed.status().code();
    log.error_status("calendar_refresh_refused", refreshed.status(),
                     {{"calendar", calendar_path}, {"kept", "the old calendar is unchanged"}});
    return code == ErrorCode::kParseError ? kExitDataError : kExitFailure;
  }
  std::string skipped = "[";
  for (size_t i = 0; i < refreshed->skipped_weekend.size(); ++i) {
    if (i > 0) skipped += ',';
    append_json_string(skipped, refreshed->skipped_weekend[i]);
  }
  skipped += ']';
  std::string line;
  JsonObjectWriter(line)
      .string("type", "calendar_refreshed")
      .string("calendar", calendar_path)
      .integer("year", refreshed->year)
      .integer("holidays", refreshed->holidays)
      .integer("previous_holidays", refreshed->replaced)
      .raw("skipped_weekend", skipped)
      .string("source", source)
      .boolean("written", refreshed->written)
      .finish();
  line += '\n';
  if (std::fputs(line.c_str(), stdout) < 0 || std::fflush(stdout) != 0) return kExitFailure;
  return kExitOk;
}

}  // namespace sm::ingest
