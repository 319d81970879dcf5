#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "core/ndjson.h"

using namespace sm;

namespace {

// A descriptor reading text from an unlinked temporary file (a pipe would block past 64 KiB).
int pipe_with(const std::string& text) {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  REQUIRE(std::fwrite(text.data(), 1, text.size(), file) == text.size());
  std::fflush(file);
  const int fd = ::dup(fileno(file));
  std::fclose(file);
  REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
  return fd;
}

std::vector<std::string> all_lines(const std::string& text,
                                   size_t max_line = LineReader::kDefaultMaxLineBytes,
                                   int* too_long = nullptr) {
  const int fd = pipe_with(text);
  LineReader reader(fd, max_line);
  std::vector<std::string> lines;
  std::string_view line;
  for (;;) {
    const auto outcome = reader.next(line);
    if (outcome == LineReader::Outcome::kEnd) break;
    if (outcome == LineReader::Outcome::kTooLong) {
      if (too_long) ++*too_long;
      lines.push_back("<too long>");
      continue;
    }
    REQUIRE(outcome == LineReader::Outcome::kLine);
    lines.emplace_back(line);
  }
  ::close(fd);
  return lines;
}

const char* kTick = R"({"type":"tick","ts":"2024-03-28T03:45:00Z","symbol":"A","price":1.5})";

}  // namespace

TEST_CASE("LineReader handles LF, CRLF and a last line without newline", "[ndjson]") {
  CHECK(all_lines("a\nb\r\nc") == std::vector<std::string>{"a", "b", "c"});
  CHECK(all_lines("") == std::vector<std::string>{});
  CHECK(all_lines("\n\n") == std::vector<std::string>{"", ""});
}

TEST_CASE("LineReader skips overlong lines and keeps going", "[ndjson]") {
  int too_long = 0;
  const std::string big(100, 'x');
  CHECK(all_lines("ok\n" + big + "\nafter\n", 10, &too_long) ==
        std::vector<std::string>{"ok", "<too long>", "after"});
  CHECK(too_long == 1);
}

TEST_CASE("LineReader reads lines that span its internal buffer", "[ndjson]") {
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += std::to_string(i) + std::string(static_cast<size_t>(i % 50), 'y') + "\n";
  const auto lines = all_lines(text);
  REQUIRE(lines.size() == 20000);
  CHECK(lines[19999] == "19999" + std::string(19999 % 50, 'y'));
}

TEST_CASE("MessageReader reports bad lines with input name and line number", "[ndjson]") {
  const std::string text = std::string(kTick) + "\n{\"type\":\"tick\",\"ts\":\n\n" + kTick + "\n" +
                           R"({"type":"tick","ts":"2024-03-28T03:45:00Z","symbol":"A","price":1.5)";
  const int fd = pipe_with(text);
  std::vector<BadLine> bad;
  MessageReader reader(fd, "feed.ndjson", [&](const BadLine& b) { bad.push_back(b); });
  Message message;
  int good = 0;
  while (reader.next(message) == MessageReader::Outcome::kMessage) ++good;
  ::close(fd);
  CHECK(good == 2);
  REQUIRE(bad.size() == 2);
  CHECK(bad[0].input == "feed.ndjson");
  CHECK(bad[0].line == 2);
  CHECK(bad[1].line == 5);  // the truncated last line
  CHECK(reader.bad_lines() == 2);
}

TEST_CASE("MessageReader in strict mode stops at the first bad line", "[ndjson]") {
  const int fd = pipe_with(std::string("garbage\n") + kTick + "\n");
  MessageReader reader(fd, "stdin", nullptr, /*strict=*/true);
  Message message;
  CHECK(reader.next(message) == MessageReader::Outcome::kStoppedOnBadLine);
  CHECK(reader.line_number() == 1);
  ::close(fd);
}

TEST_CASE("MessageReader keeps the raw line for pass-through", "[ndjson]") {
  const std::string unknown = R"({"type":"news","ts":"2024-03-28T03:45:00Z","headline":"x"})";
  const int fd = pipe_with(unknown + "\n");
  MessageReader reader(fd, "stdin", nullptr);
  Message message;
  REQUIRE(reader.next(message) == MessageReader::Outcome::kMessage);
  CHECK(std::holds_alternative<UnknownMessage>(message));
  CHECK(reader.raw_line() == unknown);
  ::close(fd);
}

TEST_CASE("NdjsonWriter writes one line per message", "[ndjson]") {
  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  NdjsonWriter writer(file);
  writer.write(Heartbeat{0, "sm-test", "ok", 1, ""});
  writer.write_raw(R"({"type":"news"})");
  writer.flush();
  CHECK(writer.lines_written() == 2);
  std::rewind(file);
  char buffer[256] = {};
  const size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
  std::fclose(file);
  const std::string text(buffer, n);
  CHECK(text ==
        "{\"type\":\"heartbeat\",\"ts\":\"1970-01-01T00:00:00.000Z\",\"component\":\"sm-test\","
        "\"status\":\"ok\",\"pid\":1,\"detail\":\"\"}\n{\"type\":\"news\"}\n");
}

namespace {

// What a pipe holds now, without waiting.
std::string drain(int fd) {
  std::string out;
  char buffer[512];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("NdjsonWriter flushes each line on a pipe, and a burst's lines once at its end",
          "[ndjson]") {
  int fds[2];
  REQUIRE(::pipe2(fds, O_NONBLOCK) == 0);
  std::FILE* out = ::fdopen(fds[1], "w");
  REQUIRE(out != nullptr);
  NdjsonWriter writer(out);
  writer.write_raw(R"({"type":"bar"})");
  CHECK(drain(fds[0]) == "{\"type\":\"bar\"}\n");  // live: flushed at once
  writer.begin_burst();
  writer.write_raw(R"({"type":"bar"})");
  writer.write_raw(R"({"type":"signal"})");
  CHECK(drain(fds[0]).empty());  // held until the burst ends
  writer.end_burst();
  CHECK(drain(fds[0]) == "{\"type\":\"bar\"}\n{\"type\":\"signal\"}\n");
  writer.write_raw(R"({"type":"news"})");
  CHECK(drain(fds[0]) == "{\"type\":\"news\"}\n");  // per line again after the burst
  CHECK(writer.good());
  std::fclose(out);
  ::close(fds[0]);
}
