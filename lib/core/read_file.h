// Reading a whole file into memory: the one way every program loads a data or configuration file
// (calendar, charges, corporate actions, capital-gains rates, instruments, price CSVs).
#pragma once

#include <string>

#include "core/status.h"

namespace sm {

// The whole file at path. kNotFound when it does not exist, kIoError when it cannot be read (a
// directory, no permission); the message names the path and the system's reason.
Result<std::string> read_file(const std::string& path);

}  // namespace sm
