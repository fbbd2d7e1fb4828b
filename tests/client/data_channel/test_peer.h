// A destination for the data channel's tests: connects to a socket path like Airbyte's
// destination does, and reads on its own thread until EOF, optionally slowly (a pause after
// each read) or not at all until told to. Also a temporary directory for socket paths
// short enough for sun_path (Bazel's TEST_TMPDIR often is not).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "client/data_channel/socket_channel.h"
#include "client/data_channel/unique_fd.h"

namespace tsdb_source::client::testing {

// A timeout never reached in a passing test.
inline constexpr absl::Duration kLong = absl::Seconds(60);

// `size` bytes that differ with `seed` and position, so a lost, repeated or reordered
// buffer shows.
std::string Pattern(size_t size, uint32_t seed);

// Socket options for tests: kLong timeouts, no probes unless a test wants them.
SocketOptions Options();

// A fresh directory under /tmp, removed with what it holds when the object goes.
class TempDir final {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

// Connects to a Unix socket; an invalid fd (errno set) when that fails.
UniqueFd ConnectUnix(const std::string& path);

class TestPeer final {
 public:
  struct Options {
    size_t chunk = 64 * 1024;                     // bytes per read
    absl::Duration pause = absl::ZeroDuration();  // after each read
    bool reading = true;                          // false: connect, read nothing until StartReading
  };

  // nullptr when the connection failed (the test fails on it).
  static std::unique_ptr<TestPeer> Connect(const std::string& path, Options options);
  static std::unique_ptr<TestPeer> Connect(const std::string& path) {
    return Connect(path, Options());
  }
  ~TestPeer();

  void StartReading();
  // Waits until `n` bytes arrived or EOF; false after `timeout`.
  bool WaitForBytes(size_t n, absl::Duration timeout);
  // Waits for EOF (or a read error) and returns all that was read.
  std::string ReadToEnd();
  // What was read so far.
  std::string Data() const;
  size_t Size() const;
  bool eof() const;
  // Stops reading and closes the connection at once, unread data left behind.
  void CloseNow();

 private:
  TestPeer(UniqueFd fd, Options options);
  void Run();

  UniqueFd fd_;
  const Options options_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::string data_;
  bool eof_ = false;
  bool stop_ = false;
  bool reading_ = false;
};

}  // namespace tsdb_source::client::testing
