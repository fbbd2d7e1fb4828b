#include "tests/client/data_channel/test_peer.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

namespace tsdb_source::client::testing {

std::string Pattern(size_t size, uint32_t seed) {
  std::string s(size, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x = x * 1103515245u + 12345u;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

SocketOptions Options() {
  SocketOptions options;
  options.accept_timeout = kLong;
  options.write_timeout = kLong;
  options.idle_probe_interval = absl::ZeroDuration();
  return options;
}

TempDir::TempDir() {
  char pattern[] = "/tmp/tsdb-dc-XXXXXX";
  if (mkdtemp(pattern) != nullptr) dir_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

UniqueFd ConnectUnix(const std::string& path) {
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return fd;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof(address.sun_path)) {
    errno = ENAMETOOLONG;
    return UniqueFd();
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    fd.Reset();
    errno = error;
  }
  return fd;
}

std::unique_ptr<TestPeer> TestPeer::Connect(const std::string& path, Options options) {
  UniqueFd fd = ConnectUnix(path);
  if (!fd.valid()) return nullptr;
  return std::unique_ptr<TestPeer>(new TestPeer(std::move(fd), options));
}

TestPeer::TestPeer(UniqueFd fd, Options options)
    : fd_(std::move(fd)), options_(options), reading_(options.reading) {
  thread_ = std::thread([this] { Run(); });
}

TestPeer::~TestPeer() { CloseNow(); }

void TestPeer::StartReading() {
  std::lock_guard<std::mutex> lock(mu_);
  reading_ = true;
  changed_.notify_all();
}

bool TestPeer::WaitForBytes(size_t n, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
    return data_.size() >= n || eof_;
  }) && data_.size() >= n;
}

std::string TestPeer::ReadToEnd() {
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  return data_;
}

std::string TestPeer::Data() const {
  std::lock_guard<std::mutex> lock(mu_);
  return data_;
}

size_t TestPeer::Size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return data_.size();
}

bool TestPeer::eof() const {
  std::lock_guard<std::mutex> lock(mu_);
  return eof_;
}

void TestPeer::CloseNow() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    reading_ = true;
    changed_.notify_all();
  }
  // Ends a read() in progress: it returns 0.
  if (fd_.valid()) shutdown(fd_.get(), SHUT_RDWR);
  if (thread_.joinable()) thread_.join();
  fd_.Reset();
}

void TestPeer::Run() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [this] { return reading_; });
  }
  std::vector<char> buffer(options_.chunk);
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) break;
    }
    const ssize_t n = read(fd_.get(), buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    std::unique_lock<std::mutex> lock(mu_);
    if (n <= 0) break;
    data_.append(buffer.data(), static_cast<size_t>(n));
    changed_.notify_all();
    if (options_.pause > absl::ZeroDuration()) {
      // A slow destination; CloseNow ends the pause early.
      changed_.wait_for(lock, absl::ToChronoNanoseconds(options_.pause), [this] { return stop_; });
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  eof_ = true;
  changed_.notify_all();
}

}  // namespace tsdb_source::client::testing
