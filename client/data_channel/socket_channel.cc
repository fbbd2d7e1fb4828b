#include "client/data_channel/socket_channel.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "client/data_channel/duration_text.h"

namespace tsdb_source::client {
namespace {

std::string Errno(int error) { return std::strerror(error); }

absl::Status SystemError(absl::string_view what, const std::string& path, int error) {
  return absl::UnavailableError(absl::StrCat(what, " ", path, ": ", Errno(error)));
}

// poll()'s timeout for `timeout`, rounded up so that a wait never ends before it.
int PollMilliseconds(std::chrono::steady_clock::duration timeout) {
  if (timeout <= std::chrono::steady_clock::duration::zero()) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(timeout).count();
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

// Clamped to a century, so that a deadline computed from it cannot overflow.
std::chrono::steady_clock::duration ToClock(absl::Duration duration) {
  duration = std::min(duration, absl::Hours(24 * 365 * 100));
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      absl::ToChronoNanoseconds(duration));
}

// A stale socket file goes; any other file at `path` stays and is refused.
absl::Status RemoveStaleSocket(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return SystemError("cannot inspect the socket path", path, errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("the socket path ", path, " exists and is not a socket; it is left in place"));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return SystemError("cannot remove the stale socket", path, errno);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SocketChannel>> SocketChannel::Open(std::string path,
                                                                   SocketOptions options) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("the socket path \"", path,
                                                   "\" is empty or longer than ",
                                                   sizeof(address.sun_path) - 1, " bytes"));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  if (absl::Status removed = RemoveStaleSocket(path); !removed.ok()) return removed;

  UniqueFd listener(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!listener.valid()) return SystemError("cannot create a socket for", path, errno);
  if (bind(listener.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    return SystemError("cannot bind", path, errno);
  }
  if (listen(listener.get(), 1) != 0) return SystemError("cannot listen on", path, errno);
  UniqueFd wake(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!wake.valid()) return SystemError("cannot create an eventfd for", path, errno);
  if (options.queue_capacity == 0) options.queue_capacity = 1;
  return std::unique_ptr<SocketChannel>(
      new SocketChannel(std::move(path), std::move(options), std::move(listener), std::move(wake)));
}

SocketChannel::SocketChannel(std::string path, SocketOptions options, UniqueFd listener,
                             UniqueFd wake)
    : path_(std::move(path)),
      options_(std::move(options)),
      accept_deadline_(Clock::now() + ToClock(options_.accept_timeout)),
      listener_(std::move(listener)),
      wake_(std::move(wake)) {}

SocketChannel::~SocketChannel() { Abort(); }

void SocketChannel::Start(SocketStateCallback on_change) {
  on_change_ = std::move(on_change);
  thread_ = std::thread([this] { Run(); });
}

SocketState SocketChannel::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

absl::Status SocketChannel::error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

absl::Status SocketChannel::Enqueue(std::string buffer) {
  if (buffer.empty()) return absl::OkStatus();
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (!interrupt_.ok()) return interrupt_;
    if (!error_.ok()) return error_;
    if (closing_ || aborted_) {
      return absl::FailedPreconditionError(absl::StrCat("the socket ", path_, " is closing"));
    }
    if (state_ != SocketState::kConnected) {
      return absl::FailedPreconditionError(absl::StrCat("the socket ", path_, " is not connected"));
    }
    if (queue_.size() < options_.queue_capacity) {
      queue_.push_back(std::move(buffer));
      filled_.notify_one();
      return absl::OkStatus();
    }
    space_.wait(lock);
  }
}

void SocketChannel::Interrupt(absl::Status status) {
  if (status.ok()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (interrupt_.ok()) interrupt_ = std::move(status);
  space_.notify_all();
}

absl::Status SocketChannel::Close() {
  if (finished_) return error();
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    filled_.notify_all();
    space_.notify_all();
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  listener_.Reset();
  connection_.Reset();
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == SocketState::kListening) state_ = SocketState::kNotConnected;  // not started
  return error_;
}

void SocketChannel::Abort() {
  if (finished_) return;
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    aborted_ = true;
    queue_.clear();
    filled_.notify_all();
    space_.notify_all();
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  listener_.Reset();
  connection_.Reset();
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ == SocketState::kListening || state_ == SocketState::kConnected) {
    state_ = SocketState::kClosed;
  }
}

void SocketChannel::Run() {
  if (Accept()) Write();
}

bool SocketChannel::Accept() {
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now >= accept_deadline_) {
      listener_.Reset();
      SetState(SocketState::kNotConnected);
      return false;
    }
    pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    const int ready = poll(fds, 2, PollMilliseconds(accept_deadline_ - now));
    if (ready < 0) {
      if (errno == EINTR) continue;
      listener_.Reset();
      SetState(SocketState::kFailed,
               SystemError("waiting for the destination to connect to", path_, errno));
      return false;
    }
    if (fds[1].revents != 0) {
      DrainWake();
      std::unique_lock<std::mutex> lock(mu_);
      if (aborted_) return false;
      if (closing_) {
        lock.unlock();
        listener_.Reset();
        SetState(SocketState::kNotConnected);
        return false;
      }
    }
    if (fds[0].revents == 0) continue;
    const int fd = accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      // The connection that made the listener readable may be gone again.
      if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR || error == ECONNABORTED) {
        continue;
      }
      listener_.Reset();
      SetState(SocketState::kFailed, SystemError("cannot accept a connection on", path_, error));
      return false;
    }
    connection_.Reset(fd);
    listener_.Reset();  // one destination per socket: later connections are refused
    SetState(SocketState::kConnected);
    return true;
  }
}

void SocketChannel::Write() {
  const bool probes =
      !options_.probe.empty() && options_.idle_probe_interval > absl::ZeroDuration();
  const Clock::duration idle_interval = ToClock(options_.idle_probe_interval);
  Clock::time_point last_write = Clock::now();
  for (;;) {
    std::string buffer;
    bool probe = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (aborted_) return;
        if (!queue_.empty()) {
          buffer = std::move(queue_.front());
          queue_.pop_front();
          space_.notify_all();
          break;
        }
        if (closing_) break;
        if (!probes) {
          filled_.wait(lock);
          continue;
        }
        const Clock::time_point due = last_write + idle_interval;
        if (Clock::now() >= due) {
          probe = true;
          break;
        }
        filled_.wait_until(lock, due);
      }
    }
    if (buffer.empty() && !probe) break;  // closing and nothing left
    const absl::Status written = WriteAll(probe ? options_.probe : buffer);
    if (!written.ok()) {
      if (aborted()) return;
      connection_.Reset();
      {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.clear();
      }
      SetState(SocketState::kFailed, written);
      return;
    }
    last_write = Clock::now();
  }
  // Everything queued was taken by the connection: the destination reads it, then EOF.
  shutdown(connection_.get(), SHUT_WR);
  connection_.Reset();
  SetState(SocketState::kClosed);
}

absl::Status SocketChannel::WriteAll(const std::string& data) {
  const Clock::duration write_timeout = ToClock(options_.write_timeout);
  size_t done = 0;
  Clock::time_point stalled_since = Clock::now();
  while (done < data.size()) {
    const ssize_t n = send(connection_.get(), data.data() + done, data.size() - done,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += static_cast<size_t>(n);
      stalled_since = Clock::now();
      continue;
    }
    const int error = n < 0 ? errno : EAGAIN;
    if (error == EINTR) continue;
    if (error == EPIPE || error == ECONNRESET) {
      return absl::UnavailableError(absl::StrCat("the destination closed ", path_));
    }
    if (error != EAGAIN && error != EWOULDBLOCK) {
      return SystemError("cannot write to", path_, error);
    }
    const Clock::duration left = write_timeout - (Clock::now() - stalled_since);
    if (left <= Clock::duration::zero()) {
      return absl::UnavailableError(absl::StrCat("the destination read nothing from ", path_,
                                                 " for ", SecondsText(options_.write_timeout),
                                                 " s"));
    }
    absl::StatusOr<bool> go_on = WaitWritable(left);
    if (!go_on.ok()) return go_on.status();
    if (!*go_on) return absl::CancelledError(absl::StrCat("the socket ", path_, " was aborted"));
  }
  return absl::OkStatus();
}

absl::StatusOr<bool> SocketChannel::WaitWritable(Clock::duration timeout) {
  for (;;) {
    pollfd fds[2] = {{connection_.get(), POLLOUT, 0}, {wake_.get(), POLLIN, 0}};
    const int ready = poll(fds, 2, PollMilliseconds(timeout));
    if (ready < 0) {
      if (errno == EINTR) continue;
      return SystemError("cannot wait to write to", path_, errno);
    }
    if (fds[1].revents != 0) {
      DrainWake();
      if (aborted()) return false;
    }
    // Writable, an error or a hang-up (the next send says which), the timeout (the caller
    // measures it), or a wake-up for Close, which does not stop a flush.
    return true;
  }
}

void SocketChannel::SetState(SocketState state, absl::Status error) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    state_ = state;
    if (!error.ok() && error_.ok()) error_ = error;
    space_.notify_all();
  }
  if (on_change_) on_change_(state, error);
}

void SocketChannel::Wake() {
  const uint64_t one = 1;
  // An eventfd's counter only saturates after 2^64 - 2 writes: this cannot fail usefully.
  [[maybe_unused]] const ssize_t n = write(wake_.get(), &one, sizeof(one));
}

void SocketChannel::DrainWake() {
  uint64_t count = 0;
  [[maybe_unused]] const ssize_t n = read(wake_.get(), &count, sizeof(count));
}

bool SocketChannel::aborted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return aborted_;
}

}  // namespace tsdb_source::client
