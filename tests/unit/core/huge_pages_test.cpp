#include <catch2/catch.hpp>

#include <cstdint>
#include <numeric>
#include <vector>

#include "core/huge_pages.h"

TEST_CASE("a buffer advised to use huge pages keeps working as before", "[huge_pages]") {
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
