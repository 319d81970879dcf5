// Where programs find the data files shipped with StalkMarket (nse-calendar.csv, nse-charges.csv):
// the source tree's data/ for programs of the build tree, $PREFIX/share/stalkmarket for installed
// ones, wherever `cmake --install --prefix` put them. docs/CALENDAR.md describes the order.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace sm {

// The directories to look in, most preferred first, for the program at executable_path:
// - a program inside the build tree (SM_BUILD_DIR) prefers the source tree's data/ (SM_DATA_DIR),
//   so a developer's edits take effect without installing;
// - any other program prefers <its directory>/../share/stalkmarket (SM_DATA_DIR_FROM_BIN), the
//   layout an install creates, so an installed copy reads its own data under whatever prefix it
//   was installed and even while the source tree it was built from still exists;
// then the compiled-in places: the data directory configured at build time
// (SM_INSTALLED_DATA_DIR) and the source tree's data/. No directory is listed twice. An empty
// executable_path (unknown) gives the compiled-in places only.
std::vector<std::string> data_directories_for(const std::string& executable_path);

// data_directories_for the running program (/proc/self/exe).
std::vector<std::string> data_directories();

// name in each of data_directories(), in the same order; the caller takes the first that exists.
std::vector<std::string> data_file_candidates(std::string_view name);

// The data file a program loads: the path in the environment variable env_var when it is set
// (kNotFound when that is not a regular file), else the first of data_file_candidates(name) that
// is one; kNotFound "no <what> found (tried ...); set <env_var> to its path" when none is.
Result<std::string> find_data_file(std::string_view name, const char* env_var,
                                   std::string_view what);

}  // namespace sm
