#include <catch2/catch.hpp>

#include "paper/program.h"

using sm::paper::parse_listen_port;

TEST_CASE("paper.listen gives the port of a loopback HOST:PORT") {
  CHECK(*parse_listen_port("127.0.0.1:8765") == 8765);
  CHECK(*parse_listen_port("localhost:0") == 0);
  CHECK(*parse_listen_port("127.0.0.1:65535") == 65535);
}

TEST_CASE("paper.listen on another host, or without a valid port, is a configuration error") {
  for (const char* bad : {"0.0.0.0:8765", "192.168.1.5:8765", "8765", "127.0.0.1:", "127.0.0.1:x",
                          "127.0.0.1:65536", "127.0.0.1:123456", ":8765"}) {
    INFO(bad);
    auto port = parse_listen_port(bad);
    REQUIRE_FALSE(port.ok());
    CHECK(port.status().code() == sm::ErrorCode::kConfigError);
    CHECK(port.status().message().find("paper.listen") != std::string::npos);
  }
}
