// Passes split across threads: every element in exactly one part, parts in order, and storage
// reserved in parts left as reserve leaves it.
#include "core/parallel_parts.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace sm;

TEST_CASE("run_in_parts covers every element once, in contiguous parts in order, none empty",
          "[core][parallel]") {
  for (std::size_t count : {0u, 1u, 2u, 7u, 1000u}) {
    for (std::size_t parts : {0u, 1u, 2u, 3u, 8u}) {
      INFO(count << " elements, " << parts << " parts");
      std::vector<int> seen(count, 0);
      std::vector<std::pair<std::size_t, std::size_t>> ranges(part_count(count, parts));
      run_in_parts(count, parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
        ranges[part] = {begin, end};
        for (std::size_t i = begin; i < end; ++i) ++seen[i];
      });
      CHECK(std::count(seen.begin(), seen.end(), 1) == static_cast<std::ptrdiff_t>(count));
      std::size_t next = 0;
      for (const auto& [begin, end] : ranges) {
        CHECK(begin == next);
        CHECK(end > begin);
        next = end;
      }
      CHECK(next == count);
      CHECK(count_in_parts(count, parts, [](std::size_t i) { return i % 3 == 0; }) ==
            static_cast<std::int64_t>((count + 2) / 3));
    }
  }
}

TEST_CASE("reserve_in_parts reserves a vector or a string without changing its contents",
          "[core][parallel]") {
  std::vector<std::string> values = {"a", "b", "a string too long for the small buffer"};
  reserve_in_parts(values, 100'000, 3);
  CHECK(values.capacity() >= 100'000);
  REQUIRE(values.size() == 3);
  CHECK(values[2] == "a string too long for the small buffer");
  values.resize(100'000);
  CHECK(values.back().empty());
  std::string text = "abc";
  reserve_in_parts(text, 100'000, 2);
  CHECK(text.capacity() >= 100'000);
  CHECK(text == "abc");
  std::vector<std::int64_t> none;
  reserve_in_parts(none, 0, 2);
  CHECK(none.empty());
}

TEST_CASE("thread_count: 0 is one per core", "[core][parallel]") {
  CHECK(thread_count(3) == 3);
  CHECK(thread_count(0) >= 1);
}
