// One pass over a large array split across threads: the whole-file steps of loading a price file
// (checks, labels and conversions of a million rows, each needing an element and at most the one
// before it), so that the load scales with the threads a sweep runs on.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/memory_advice.h"

namespace sm {

// The number of threads for a --threads value: 0 means one per core.
inline unsigned thread_count(unsigned threads) {
  return threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads;
}

// The number of parts run_in_parts makes of count elements when asked for `parts`: at least 1
// and at most count (0 when count is 0), so that no part is empty.
inline std::size_t part_count(std::size_t count, std::size_t parts) {
  return std::min(std::max<std::size_t>(parts, 1), count);
}

// The start of part `part` of `parts` equal stretches of [0, count); part_begin(count, parts,
// parts) == count.
inline std::size_t part_begin(std::size_t count, std::size_t parts, std::size_t part) {
  return count * part / parts;
}

// Calls work(part, begin, end) for the part_count(count, parts) contiguous stretches [begin, end)
// of [0, count), at once: part 0 on the calling thread, each other on a thread of its own, all
// joined before returning. Each call must write only its own stretch and its own part's results.
template <typename Work>
void run_in_parts(std::size_t count, std::size_t parts, const Work& work) {
  parts = part_count(count, parts);
  if (parts == 0) return;
  std::vector<std::thread> threads;
  threads.reserve(parts - 1);
  for (std::size_t p = 1; p < parts; ++p) {
    threads.emplace_back([&work, count, parts, p] {
      work(p, part_begin(count, parts, p), part_begin(count, parts, p + 1));
    });
  }
  work(std::size_t{0}, std::size_t{0}, part_begin(count, parts, 1));
  for (std::thread& thread : threads) thread.join();
}

// How many i in [0, count) satisfy test(i), counted in parts (run_in_parts).
template <typename Test>
std::int64_t count_in_parts(std::size_t count, std::size_t parts, const Test& test) {
  std::vector<std::int64_t> found(part_count(count, parts), 0);
  run_in_parts(count, parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
    std::int64_t n = 0;
    for (std::size_t i = begin; i < end; ++i) n += test(i) ? 1 : 0;
    found[part] = n;
  });
  std::int64_t total = 0;
  for (std::int64_t n : found) total += n;
  return total;
}

// values.reserve(count), then the storage beyond values' size faulted in on `parts` threads
// (populate_pages, core/memory_advice.h): a fresh vector (or string) of tens of megabytes takes
// tens of thousands of page faults (each a page the kernel zeroes) on its first writes, and this
// takes them on all threads instead of in the serial resize, fill or read that follows. The
// elements are not touched; the size is unchanged.
template <typename Contiguous>
void reserve_in_parts(Contiguous& values, std::size_t count, std::size_t parts) {
  using Element = typename Contiguous::value_type;
  constexpr std::size_t kPageBytes = 4096;
  values.reserve(count);
  char* const storage = static_cast<char*>(static_cast<void*>(values.data()));
  const std::size_t first = values.size() * sizeof(Element);
  const std::size_t bytes = values.capacity() * sizeof(Element) - first;
  const std::size_t pages = (bytes + kPageBytes - 1) / kPageBytes;
  run_in_parts(pages, parts, [&](std::size_t, std::size_t begin, std::size_t end) {
    const std::size_t from = begin * kPageBytes;
    populate_pages(storage + first + from, std::min(end * kPageBytes, bytes) - from);
  });
}

}  // namespace sm
