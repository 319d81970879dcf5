// Large buffers written in full right after they are allocated (a whole history of bars read into
// memory) spend much of their first pass in the kernel: one page fault per 4 KiB page. Two hints
// to the kernel about such a buffer; neither changes its contents or can fail for the caller.
#pragma once

#include <cstddef>

namespace sm {

// Asks the kernel to back the whole 2 MiB pages inside [data, data + bytes) with transparent huge
// pages (madvise(MADV_HUGEPAGE); the rest of the range keeps 4 KiB pages), so that they fault once
// per huge page. Best done before the memory is first written. A hint: nothing changes where the
// system has no transparent huge pages or refuses (then the pages stay 4 KiB), and nothing is
// reported.
void advise_huge_pages(void* data, std::size_t bytes);

// Has the kernel fault in, writable and zeroed, the whole 4 KiB pages inside [data, data + bytes)
// now (madvise(MADV_POPULATE_WRITE)) instead of on their first writes; called on several threads
// for parts of one buffer, it takes those faults in parallel (core/parallel_parts.h,
// reserve_in_parts). The range's bytes are not read or written by the program, so it may be a
// container's spare capacity. A hint: where the kernel refuses (before Linux 5.14) nothing is
// done and the pages fault on first use as before; false then (and for a range without a whole
// page), true when they were faulted in.
bool populate_pages(void* data, std::size_t bytes);

}  // namespace sm
