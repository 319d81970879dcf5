#include "core/data_dir.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace sm {
namespace {

namespace fs = std::filesystem;

// Symbolic links (a build directory reached through one) must not hide that a program lies in it.
fs::path resolved(const fs::path& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? path.lexically_normal() : canonical;
}

bool is_inside(const fs::path& path, const fs::path& directory) {
  const auto [mismatch, unused] =
      std::mismatch(directory.begin(), directory.end(), path.begin(), path.end());
  return mismatch == directory.end();
}

void add_once(std::vector<std::string>& directories, const std::string& directory) {
  if (std::find(directories.begin(), directories.end(), directory) == directories.end()) {
    directories.push_back(directory);
  }
}

}  // namespace

std::vector<std::string> data_directories_for(const std::string& executable_path) {
  std::vector<std::string> directories;
  if (!executable_path.empty()) {
    const fs::path program = resolved(executable_path);
    if (is_inside(program, resolved(SM_BUILD_DIR))) {
      add_once(directories, SM_DATA_DIR);
    } else {
      add_once(directories,
               (program.parent_path() / SM_DATA_DIR_FROM_BIN).lexically_normal().string());
    }
  }
  add_once(directories, SM_INSTALLED_DATA_DIR);
  add_once(directories, SM_DATA_DIR);
  return directories;
}

std::vector<std::string> data_directories() {
  std::error_code ec;
  const fs::path executable = fs::read_symlink("/proc/self/exe", ec);
  return data_directories_for(ec ? std::string() : executable.string());
}

std::vector<std::string> data_file_candidates(std::string_view name) {
  std::vector<std::string> candidates;
  for (const std::string& directory : data_directories()) {
    candidates.push_back((fs::path(directory) / name).string());
  }
  return candidates;
}

Result<std::string> find_data_file(std::string_view name, const char* env_var,
                                   std::string_view what) {
  if (const char* env = std::getenv(env_var); env != nullptr && *env != '\0') {
    std::error_code ec;
    if (!fs::is_regular_file(env, ec)) {
      return error(ErrorCode::kNotFound,
                   fmt::format("{} names {}, which is not a readable file", env_var, env));
    }
    return std::string(env);
  }
  const std::vector<std::string> candidates = data_file_candidates(name);
  for (const std::string& candidate : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec)) return candidate;
  }
  return error(ErrorCode::kNotFound, fmt::format("no {} found (tried {}); set {} to its path", what,
                                                 fmt::join(candidates, ", "), env_var));
}

}  // namespace sm
