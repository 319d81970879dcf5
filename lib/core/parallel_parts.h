// One pass over a large array split across threads: the whole-file steps of loading a price file
// (checks, labels and conversions of a million rows, each needing an element and at most the one
// before it), so that the load scales with the threads a sweep runs on.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <system_error>
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
// An exception from a part (std::bad_alloc) is thrown here once every part has ended, the first
// part's first, as a single pass would let it out; a part whose thread cannot be started runs on
// the calling thread.
template <typename Work>
void run_in_parts(std::size_t count, std::size_t parts, const Work& work) {
  parts = part_count(count, parts);
  if (parts == 0) return;
  std::vector<std::exception_ptr> failed(parts);
  auto run = [&work, &failed, count, parts](std::size_t part) {
    try {
      work(part, part_begin(count, parts, part), part_begin(count, parts, part + 1));
    } catch (...) {
      failed[part] = std::current_exception();
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(parts - 1);
  std::size_t started = 1;
  try {
    for (; started < parts; ++started) threads.emplace_back(run, started);
  } catch (const std::system_error&) {
    // No thread for this part or the ones after it: they run below, on this thread.
  }
  run(0);
  for (std::size_t part = started; part < parts; ++part) run(part);
  for (std::thread& thread : threads) thread.join();
  for (const std::exception_ptr& failure : failed) {
    if (failure) std::rethrow_exception(failure);
  }
}

// The parts for one pass over count elements on `threads` threads (0: one per core): no more than
// one per kMinElementsPerPart elements, so that a small input (one of thousands of short series)
// starts no thread, which costs about as much as a pass over that many elements.
inline std::size_t parts_for(std::size_t count, unsigned threads) {
  constexpr std::size_t kMinElementsPerPart = 16384;
  return std::max<std::size_t>(
      1, std::min<std::size_t>(thread_count(threads), count / kMinElementsPerPart));
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
  // A thread is started for no fewer than 256 pages (1 MiB): it costs about as much as faulting
  // in that many.
  constexpr std::size_t kMinPagesPerPart = 256;
  parts = std::min(parts, std::max<std::size_t>(1, pages / kMinPagesPerPart));
  run_in_parts(pages, parts, [&](std::size_t, std::size_t begin, std::size_t end) {
    const std::size_t from = begin * kPageBytes;
    populate_pages(storage + first + from, std::min(end * kPageBytes, bytes) - from);
  });
}

}  // namespace sm
