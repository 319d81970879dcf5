// Passes split across threads: every element in exactly one part, parts in order, and storage
// reserved in parts left as reserve leaves it.
#include "core/parallel_parts.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <stdexcept>
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

TEST_CASE("run_in_parts lets a part's exception out after every part has ended",
          "[parallel_parts]") {
  for (std::size_t throwing : {std::size_t{0}, std::size_t{2}}) {
    INFO("part " << throwing << " throws");
    std::vector<std::atomic<int>> ran(4);
    const auto work = [&](std::size_t part, std::size_t, std::size_t) {
      ran[part] = 1;
      if (part == throwing) throw std::runtime_error("part failed");
    };
    CHECK_THROWS_WITH(sm::run_in_parts(100, 4, work), "part failed");
    for (const std::atomic<int>& part : ran) CHECK(part == 1);
  }
}

TEST_CASE("parts_for starts no thread for a small input", "[parallel_parts]") {
  CHECK(sm::parts_for(0, 8) == 1);
  CHECK(sm::parts_for(16383, 8) == 1);
  CHECK(sm::parts_for(2 * 16384, 8) == 2);
  CHECK(sm::parts_for(1'000'000, 2) == 2);
  CHECK(sm::parts_for(1'000'000, 1) == 1);
}
