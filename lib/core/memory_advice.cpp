#include "core/memory_advice.h"

#include <sys/mman.h>

#include <cstdint>

namespace sm {
namespace {

// madvise(advice) on the whole pages of `page` bytes inside [data, data + bytes): the call needs
// a page-aligned start, and a partial page at either end is shared with other memory. False when
// there is no whole page or the kernel refused.
bool advise_whole_pages(void* data, std::size_t bytes, std::uintptr_t page, int advice) {
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (start + page - 1) & ~(page - 1);
  const std::uintptr_t last = (start + bytes) & ~(page - 1);
  if (first >= last) return false;
  return madvise(static_cast<char*>(data) + (first - start), last - first, advice) == 0;
}

}  // namespace

void advise_huge_pages(void* data, std::size_t bytes) {
#ifdef MADV_HUGEPAGE
  // A hint: where it is refused the pages stay 4 KiB.
  (void)advise_whole_pages(data, bytes, std::uintptr_t{2} << 20, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

bool populate_pages(void* data, std::size_t bytes) {
#ifdef MADV_POPULATE_WRITE
  return advise_whole_pages(data, bytes, std::uintptr_t{4096}, MADV_POPULATE_WRITE);
#else
  (void)data;
  (void)bytes;
  return false;
#endif
}

}  // namespace sm
