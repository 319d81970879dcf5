// A private temporary directory for a unit test, removed with its contents when it goes out of
// scope. Shared by every unit-test program (tests/CMakeLists.txt puts tests/unit on the include
// path): #include "support/temp_dir.h".
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace sm::testing {

class TempDir {
 public:
  // Creates a fresh directory (mode 0700) under the system temp directory; throws
  // std::runtime_error when it cannot, which Catch reports as the test's failure.
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "sm-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed: " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  // The path of name inside the directory (not created).
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes text to name (replacing it) and returns its path.
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(file(name), std::ios::binary | std::ios::trunc) << text;
    return file(name);
  }

 private:
  std::filesystem::path path_;
};

}  // namespace sm::testing
