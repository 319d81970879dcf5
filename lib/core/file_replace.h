// Replacing a whole file so that a reader (or a power cut) sees the old file or the new one, never
// half of one: the data files the programs load (calendar, corporate actions) are refreshed this
// way.
#pragma once

#include <string>

#include "core/status.h"

namespace sm {

// Writes text to a temporary file beside path (mode 0644), fsyncs it, renames it over path and
// fsyncs the directory. kIoError naming the file on any failure; path is then unchanged and the
// temporary file removed.
Status replace_file_atomically(const std::string& path, const std::string& text);

}  // namespace sm
