// A file descriptor owned by one object: closed when the owner goes, moved and never copied.
// The data channel's listening and connected sockets and its wake-up eventfds are held
// this way, so no error path leaks one. Not thread-safe (the descriptor it holds may be
// used from any thread; the holder itself is changed by one).
#pragma once

#include <unistd.h>

#include <utility>

namespace tsdb_source::client {

class UniqueFd final {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { Reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Closes the descriptor held (if any) and holds `fd` instead. close()'s result is not
  // looked at: on Linux the descriptor is released even when close() reports an error.
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace tsdb_source::client
