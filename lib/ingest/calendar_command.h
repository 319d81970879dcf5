// `sm-ingest calendar FILE`: replaces one year's holidays in the NSE calendar file from NSE's
// published list (time/calendar_refresh.h does the work; docs/CALENDAR.md explains it).
#pragma once

#include <string>

#include "core/log.h"

namespace sm::ingest {

struct CalendarArgs {
  std::string list_path;  // NSE's holiday-master JSON, or a date,name CSV
  std::string url;        // instead of list_path: download the list (calendar_download.h)
  // With url: the page whose cookies the download carries; "auto": default_page_url(url).
  std::string page_url = "auto";
  std::string calendar_path;  // empty: the calendar the programs load (Calendar::default_path)
  std::string source;         // the `source` column of the new rows; empty: the list's file name
  bool dry_run = false;
};

// Reads the list from list_path, or downloads it from url, then refreshes. Writes one
// "calendar_refreshed" JSON line on stdout and returns the exit code: 0 done, 3 the list or the
// merged calendar is invalid (the old file is kept; stderr names file, line and field), 1 a file
// cannot be read or written or the download failed, 2 a URL that is not https (or http to
// 127.0.0.1/localhost).
int run_calendar_refresh(const CalendarArgs& args, const Logger& log);

}  // namespace sm::ingest
