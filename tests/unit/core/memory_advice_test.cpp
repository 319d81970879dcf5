#include <catch2/catch.hpp>

#include <sys/mman.h>

#include <algorithm>

#include <cstdint>
#include <numeric>
#include <vector>

#include "core/memory_advice.h"

TEST_CASE(
    "a buffer advised to use huge pages keeps working as before (a smoke test: the hint must not "
    "change contents)",
    "[memory_advice]") {
  // Larger than two huge pages, so that whole ones lie inside whatever the alignment; and a small
  // one, which holds none.
  for (const std::size_t values : {std::size_t{1'000'000}, std::size_t{100}}) {
    std::vector<std::int64_t> buffer;
    buffer.reserve(values);
    sm::advise_huge_pages(buffer.data(), buffer.capacity() * sizeof(std::int64_t));
    for (std::size_t i = 0; i < values; ++i) buffer.push_back(static_cast<std::int64_t>(i));
    CHECK(std::accumulate(buffer.begin(), buffer.end(), std::int64_t{0}) ==
          static_cast<std::int64_t>(values * (values - 1) / 2));
  }
  sm::advise_huge_pages(nullptr, 0);  // nothing to advise
}

TEST_CASE("populated pages are resident and zero before the program writes them",
          "[memory_advice]") {
  constexpr std::size_t kPages = 64;
  void* mapped =
      mmap(nullptr, kPages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(mapped != MAP_FAILED);
  auto* bytes = static_cast<unsigned char*>(mapped);
  std::vector<unsigned char> flags(kPages);
  REQUIRE(mincore(mapped, kPages * 4096, flags.data()) == 0);
  CHECK(std::none_of(flags.begin(), flags.end(), [](unsigned char f) { return (f & 1U) != 0; }));
  // From the middle of page 1 to the middle of the last page: only the whole pages between.
  const bool populated = sm::populate_pages(bytes + 4096 + 100, (kPages - 2) * 4096);
  if (!populated) {
    WARN("the kernel refused MADV_POPULATE_WRITE (before Linux 5.14): nothing to check");
  } else {
    REQUIRE(mincore(mapped, kPages * 4096, flags.data()) == 0);
    CHECK((flags[0] & 1U) == 0);  // before the range
    CHECK((flags[1] & 1U) == 0);  // partly in it
    for (std::size_t page = 2; page < kPages - 1; ++page) CHECK((flags[page] & 1U) != 0);
    CHECK((flags[kPages - 1] & 1U) == 0);
    CHECK(std::all_of(bytes, bytes + kPages * 4096, [](unsigned char b) { return b == 0; }));
  }
  CHECK_FALSE(sm::populate_pages(bytes + 100, 4000));  // no whole page
  REQUIRE(munmap(mapped, kPages * 4096) == 0);
}
