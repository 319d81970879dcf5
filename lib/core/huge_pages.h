// Large buffers in 2 MiB pages: loading a million bars fills a few hundred MiB of fresh vectors
// (the file's text, the parsed rows, the bars, the timeline), and with 4 KiB pages the page
// faults that give them memory cost as much CPU as the parsing (bench/README.md, issue 14
// part 7).
#pragma once

#include <cstddef>
#include <vector>

namespace sm {

// Asks the kernel to back the 2 MiB-aligned stretch of [data, data + bytes) with huge pages
// (madvise MADV_HUGEPAGE) when it is not yet touched, so that its first writes fault once per
// 2 MiB instead of once per 4 KiB. Only a hint: below one huge page, with transparent huge pages
// off ("never"), or on a system without them, it does nothing; the contents never change.
void advise_huge_pages(void* data, std::size_t bytes);

// reserve(count), then advise_huge_pages on the reserved storage.
template <typename T>
void reserve_in_huge_pages(std::vector<T>& values, std::size_t count) {
  values.reserve(count);
  advise_huge_pages(values.data(), values.capacity() * sizeof(T));
}

}  // namespace sm
