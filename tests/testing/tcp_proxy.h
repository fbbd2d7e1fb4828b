// A TCP proxy for fault tests, on 127.0.0.1 only: forwards connections to a target and can
// cut every connection, stall (stop forwarding, keep sockets open), or slow the server's
// data down. Runs its own thread; faults change at any time from the test.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

namespace tsdb_source::testing {

class TcpProxy final {
 public:
  enum class Mode { kForward, kStall, kSlow };

  // Listens on an ephemeral port and forwards to 127.0.0.1:target_port.
  explicit TcpProxy(int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  void set_mode(Mode mode) { mode_.store(mode); }
  // In kSlow mode: the pause after each 512 bytes from the server (default 5 ms, about
  // 100 KB/s per connection).
  void set_slow_pause_ms(int ms) { slow_pause_ms_.store(ms); }
  // Closes every open connection now (new ones are accepted).
  void CutAll() { cut_generation_.fetch_add(1); }
  // In kForward mode: stall the next new connection after it carried this many bytes from
  // the server (once; 0: never).
  void StallAfterBytes(uint64_t bytes) { stall_after_.store(bytes); }
  // Bytes forwarded from the server so far.
  uint64_t server_bytes() const { return server_bytes_.load(); }

 private:
  void AcceptLoop();
  void Pump(int client, int server);

  int listen_fd_ = -1;
  int port_ = 0;
  int target_port_;
  std::atomic<bool> stop_{false};
  std::atomic<Mode> mode_{Mode::kForward};
  std::atomic<int> cut_generation_{0};
  std::atomic<uint64_t> stall_after_{0};
  std::atomic<uint64_t> server_bytes_{0};
  std::atomic<int> slow_pause_ms_{5};
  std::thread accept_thread_;
  std::vector<std::thread> pumps_;
};

}  // namespace tsdb_source::testing
