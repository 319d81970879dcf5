// The options of the benches that run the programs themselves (bench_order, bench_pipeline): how
// many messages to time, where the durable state goes (a disk directory, and a tmpfs one for
// what should not cost an fsync) and where the programs are.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

namespace sm::bench {

struct ProgramBenchOptions {
  int count = 0;
  std::filesystem::path disk_dir;
  std::filesystem::path tmpfs_dir = "/dev/shm";
  std::filesystem::path bin_dir;
};

// Reads COUNT_FLAG N, --disk-dir, --tmpfs-dir and --bin (the count and the disk directory
// default to those given); prints the usage and exits 1 on anything else or on a count that is
// not positive.
inline ProgramBenchOptions parse_program_bench_options(int argc, char** argv, const char* bench,
                                                       const std::string& count_flag,
                                                       int default_count,
                                                       std::filesystem::path default_disk_dir) {
  const auto fail = [&](const std::string& why) {
    std::fprintf(stderr,
                 "%s: %s\nusage: %s [%s N] [--disk-dir DIR] [--tmpfs-dir DIR] [--bin DIR]\n", bench,
                 why.c_str(), bench, count_flag.c_str());
    std::exit(1);
  };
  ProgramBenchOptions options;
  options.count = default_count;
  options.disk_dir = std::move(default_disk_dir);
  options.bin_dir = std::filesystem::path(argv[0]).parent_path();
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) fail("missing value for " + flag);
    const std::string value = argv[++i];
    if (flag == count_flag) {
      options.count = std::atoi(value.c_str());
    } else if (flag == "--disk-dir") {
      options.disk_dir = value;
    } else if (flag == "--tmpfs-dir") {
      options.tmpfs_dir = value;
    } else if (flag == "--bin") {
      options.bin_dir = value;
    } else {
      fail("unknown option " + flag);
    }
  }
  if (options.count <= 0) fail(count_flag + " must be positive");
  return options;
}

}  // namespace sm::bench
