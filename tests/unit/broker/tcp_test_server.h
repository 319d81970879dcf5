// A tiny raw TCP server on 127.0.0.1 for HTTP-client tests that need misbehaviour a real HTTP
// server library will not produce on demand: closing after reading a request, never answering,
// answering on a kept-alive connection and then dropping the next request.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace sm::test {

// Reads one HTTP/1.1 request (headers and a Content-Length body) from fd. Returns "" on EOF/error.
inline std::string read_http_request(int fd) {
  std::string data;
  char buffer[4096];
  size_t header_end = std::string::npos;
  size_t want = 0;
  for (;;) {
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        size_t length = 0;
        const size_t at = data.find("Content-Length:");
        if (at != std::string::npos && at < header_end) length = std::stoul(data.substr(at + 15));
        want = header_end + 4 + length;
      }
    }
    if (header_end != std::string::npos && data.size() >= want) return data.substr(0, want);
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return "";
    data.append(buffer, static_cast<size_t>(n));
  }
}

inline void write_all(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

inline std::string http_reply(int status, const std::string& body, bool keep_alive = true) {
  return "HTTP/1.1 " + std::to_string(status) +
         " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         (keep_alive ? "\r\n" : "\r\nConnection: close\r\n") + "\r\n" + body;
}

class TcpTestServer {
 public:
  // handler runs on its own thread for each accepted connection; when it returns the connection
  // is shut down (the client sees EOF). backlog is passed to listen(); with accept_connections
  // false nothing is ever accepted (connections pile up in the backlog).
  using Handler = std::function<void(int fd)>;

  explicit TcpTestServer(Handler handler, int backlog = 16, bool accept_connections = true)
      : handler_(std::move(handler)) {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listen_fd_, backlog);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (accept_connections) thread_ = std::thread([this] { loop(); });
  }
  ~TcpTestServer() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    {
      // Unblock handlers still waiting in recv on a kept-alive connection.
      std::lock_guard<std::mutex> lock(mutex_);
      for (int fd : connections_) ::shutdown(fd, SHUT_RDWR);
    }
    for (std::thread& worker : workers_) worker.join();
    for (int fd : connections_) ::close(fd);
    ::close(listen_fd_);
  }

  int port() const { return port_; }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_.load(); }

 private:
  void loop() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      const int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepted_;
      std::lock_guard<std::mutex> lock(mutex_);
      connections_.push_back(fd);
      workers_.emplace_back([this, fd] {
        handler_(fd);
        ::shutdown(fd, SHUT_RDWR);
      });
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<int> connections_;
  std::vector<std::thread> workers_;
};

}  // namespace sm::test
