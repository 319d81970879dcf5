#include "core/input_pump.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

namespace {

// Both ends of a pipe, closed at the end; close_writer() is end of input.
class Pipe {
 public:
  Pipe() { REQUIRE(::pipe(fds_) == 0); }
  ~Pipe() {
    if (fds_[0] >= 0) ::close(fds_[0]);
    close_writer();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  int reader() const { return fds_[0]; }
  void write(const std::string& text) const {
    REQUIRE(::write(fds_[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  }
  void close_writer() {
    if (fds_[1] >= 0) ::close(fds_[1]);
    fds_[1] = -1;
  }

 private:
  int fds_[2] = {-1, -1};
};

std::vector<std::string> texts(const std::vector<sm::InputLine>& lines) {
  std::vector<std::string> out;
  for (const sm::InputLine& line : lines) out.push_back(line.too_long ? "<too long>" : line.text);
  return out;
}

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since)
      .count();
}

// Everything the pump returns for text written and then closed (end of input after it).
std::vector<sm::InputLine> read_all(const std::string& text, size_t max_line_bytes = 1 << 20) {
  Pipe pipe;
  sm::InputPump pump(pipe.reader(), max_line_bytes);
  std::vector<sm::InputLine> lines;
  pipe.write(text);
  pipe.close_writer();
  for (int i = 0; i < 10 && !pump.eof(); ++i) REQUIRE(pump.read(1000, lines).ok());
  REQUIRE(pump.eof());
  const size_t count = lines.size();
  REQUIRE(pump.read(1000, lines).ok());  // after the end: at once, nothing more
  CHECK(lines.size() == count);
  return lines;
}

void ignore_signal(int) {}

}  // namespace

TEST_CASE("input pump joins a line split across reads and numbers lines from 1") {
  Pipe pipe;
  sm::InputPump pump(pipe.reader());
  std::vector<sm::InputLine> lines;
  pipe.write("{\"a\":1}\n{\"b\"");
  REQUIRE(pump.read(1000, lines).ok());
  CHECK(texts(lines) == std::vector<std::string>{"{\"a\":1}"});
  pipe.write(":2}\r\n\n{\"c\":3}\n");
  REQUIRE(pump.read(1000, lines).ok());
  CHECK(texts(lines) == std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "", "{\"c\":3}"});
  CHECK(lines[1].number == 2);
  CHECK(lines[3].number == 4);
  CHECK_FALSE(pump.eof());
}

TEST_CASE("input pump returns a truncated last line at end of input, then nothing") {
  const std::vector<sm::InputLine> lines = read_all("one\ntwo without newline\r");
  CHECK(texts(lines) == std::vector<std::string>{"one", "two without newline"});
  CHECK(lines.back().number == 2);
}

TEST_CASE("input pump at end of input with nothing pending adds no line") {
  CHECK(texts(read_all("only\n")) == std::vector<std::string>{"only"});
  CHECK(read_all("").empty());
}

TEST_CASE("input pump returns after the timeout when no input comes") {
  Pipe pipe;
  sm::InputPump pump(pipe.reader());
  std::vector<sm::InputLine> lines;
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(pump.read(80, lines).ok());
  const std::int64_t waited = elapsed_ms(start);
  CHECK(lines.empty());
  CHECK(waited >= 70);
  CHECK(waited < 2000);
  CHECK_FALSE(pump.eof());
  REQUIRE(pump.read(0, lines).ok());  // just looks
  CHECK(lines.empty());
}

TEST_CASE("input pump reports an over-long line once and goes on after it") {
  Pipe pipe;
  sm::InputPump pump(pipe.reader(), 16);
  std::vector<sm::InputLine> lines;
  SECTION("a line that passes the limit before its newline arrives") {
    pipe.write("short\n" + std::string(20, 'x'));
    REQUIRE(pump.read(1000, lines).ok());
    pipe.write(std::string(30, 'y'));
    REQUIRE(pump.read(1000, lines).ok());
    pipe.write("zz\nafter\n");
    REQUIRE(pump.read(1000, lines).ok());
  }
  SECTION("a whole over-long line in one read") {
    pipe.write("short\n" + std::string(40, 'x') + "\nafter\n");
    REQUIRE(pump.read(1000, lines).ok());
  }
  CHECK(texts(lines) == std::vector<std::string>{"short", "<too long>", "after"});
  CHECK(lines[1].number == 2);
  CHECK(lines[2].number == 3);
}

TEST_CASE("input pump: an over-long line cut off by end of input is reported once") {
  CHECK(texts(read_all(std::string(40, 'x'), 16)) == std::vector<std::string>{"<too long>"});
  CHECK(texts(read_all("ok\n" + std::string(17, 'x'), 16)) ==
        std::vector<std::string>{"ok", "<too long>"});
}

TEST_CASE("input pump: a signal ends the wait early without an error") {
  struct sigaction action {};
  struct sigaction previous {};
  action.sa_handler = ignore_signal;  // no SA_RESTART, like the stop handlers
  sigemptyset(&action.sa_mask);
  REQUIRE(::sigaction(SIGUSR1, &action, &previous) == 0);
  Pipe pipe;
  sm::InputPump pump(pipe.reader());
  std::vector<sm::InputLine> lines;
  const pthread_t waiter = ::pthread_self();
  std::thread interrupter([waiter] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::pthread_kill(waiter, SIGUSR1);
  });
  const auto start = std::chrono::steady_clock::now();
  const sm::Status status = pump.read(10'000, lines);
  const std::int64_t waited = elapsed_ms(start);
  interrupter.join();
  ::sigaction(SIGUSR1, &previous, nullptr);
  CHECK(status.ok());
  CHECK(lines.empty());
  CHECK(waited < 5000);
  CHECK_FALSE(pump.eof());
}

TEST_CASE("input pump: a read error is kIoError") {
  const int directory = ::open("/", O_RDONLY | O_DIRECTORY);  // poll says readable, read() fails
  REQUIRE(directory >= 0);
  sm::InputPump pump(directory);
  std::vector<sm::InputLine> lines;
  const sm::Status status = pump.read(100, lines);
  ::close(directory);
  CHECK(status.code() == sm::ErrorCode::kIoError);
  CHECK(lines.empty());
}

TEST_CASE("pause_for sleeps about the time asked") {
  const auto start = std::chrono::steady_clock::now();
  sm::pause_for(60);
  const std::int64_t waited = elapsed_ms(start);
  CHECK(waited >= 50);
  CHECK(waited < 2000);
}
