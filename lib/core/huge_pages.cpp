#include "core/huge_pages.h"

#include <sys/mman.h>

#include <cstdint>

namespace sm {

void advise_huge_pages(void* data, std::size_t bytes) {
  constexpr std::uintptr_t kHugePage = std::uintptr_t{2} << 20;
  const auto start = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (start + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t last = (start + bytes) & ~(kHugePage - 1);
  if (data == nullptr || last <= first) return;
  // A failure (EINVAL without transparent huge pages) leaves ordinary pages: nothing to report.
  (void)::madvise(static_cast<char*>(data) + (first - start), last - first, MADV_HUGEPAGE);
}

}  // namespace sm
