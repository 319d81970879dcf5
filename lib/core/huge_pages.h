// Large buffers written in full right after they are allocated (a whole history of bars read into
// memory) spend much of their first pass in the kernel: one page fault per 4 KiB page. Backed by
// transparent huge pages (2 MiB) they fault once per huge page.
#pragma once

#include <cstddef>

namespace sm {

// Asks the kernel to back the whole 2 MiB pages inside [data, data + bytes) with transparent huge
// pages (madvise(MADV_HUGEPAGE); the rest of the range keeps 4 KiB pages). Best done before the
// memory is first written. A hint: nothing changes where the system has no transparent huge pages
// or refuses (then the pages stay 4 KiB), and nothing is reported.
void advise_huge_pages(void* data, std::size_t bytes);

}  // namespace sm
