// Reading a whole file into memory: the one way every program loads a data or configuration file
// (calendar, charges, corporate actions, capital-gains rates, instruments, price CSVs).
#pragma once

#include <cstddef>
#include <string>

#include "core/status.h"

namespace sm {

// The whole file at path. kNotFound when it does not exist, kIoError when it cannot be read (a
// directory, no permission); the message names the path and the system's reason. A regular
// file's memory is made ready on `parts` threads first (reserve_in_parts): for the price files
// a sweep loads on several threads.
Result<std::string> read_file(const std::string& path, std::size_t parts = 1);

}  // namespace sm
