#include "tests/testing/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

namespace tsdb_source::testing {

TcpProxy::TcpProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  listen(listen_fd_, 64);
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

TcpProxy::~TcpProxy() {
  stop_.store(true);
  shutdown(listen_fd_, SHUT_RDWR);
  close(listen_fd_);
  accept_thread_.join();
  for (std::thread& t : pumps_) t.join();
}

void TcpProxy::AcceptLoop() {
  while (!stop_.load()) {
    pollfd fd{listen_fd_, POLLIN, 0};
    if (poll(&fd, 1, 100) <= 0) continue;
    int client = accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(target_port_));
    if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(client);
      close(server);
      continue;
    }
    pumps_.emplace_back([this, client, server] { Pump(client, server); });
  }
}

void TcpProxy::Pump(int client, int server) {
  const int generation = cut_generation_.load();
  uint64_t from_server = 0;
  const uint64_t stall_after = stall_after_.exchange(0);  // one connection only
  bool stalled = false;
  char buffer[16384];
  while (!stop_.load() && cut_generation_.load() == generation) {
    Mode mode = mode_.load();
    if (mode == Mode::kStall || stalled) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (poll(fds, 2, 50) <= 0) continue;
    bool closed = false;
    for (int i = 0; i < 2 && !closed; ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      size_t want = sizeof(buffer);
      if (i == 1 && mode == Mode::kSlow) want = 512;
      ssize_t n = read(fds[i].fd, buffer, want);
      if (n <= 0) {
        closed = true;
        break;
      }
      int out = i == 0 ? server : client;
      ssize_t sent = 0;
      while (sent < n) {
        ssize_t w = send(out, buffer + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
        if (w <= 0) {
          closed = true;
          break;
        }
        sent += w;
      }
      if (i == 1) {
        from_server += static_cast<uint64_t>(n);
        server_bytes_.fetch_add(static_cast<uint64_t>(n));
        if (mode == Mode::kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(slow_pause_ms_.load()));
        if (stall_after > 0 && from_server >= stall_after) stalled = true;
      }
    }
    if (closed) break;
  }
  close(client);
  close(server);
}

}  // namespace tsdb_source::testing
