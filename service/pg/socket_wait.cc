#include "service/pg/socket_wait.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"

namespace tsdb_source::pg {

absl::StatusOr<SocketWait> WaitForReadable(int socket, absl::Duration timeout, int cancel_fd) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  auto left = [&] { return timeout - absl::FromChrono(Clock::now() - start); };
  for (;;) {
    const absl::Duration remaining = left();
    int timeout_ms = 0;
    if (remaining > absl::ZeroDuration()) {
      timeout_ms = static_cast<int>(std::min<int64_t>(
          absl::ToInt64Milliseconds(absl::Ceil(remaining, absl::Milliseconds(1))), INT_MAX));
    }
    pollfd fds[2] = {{socket, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
    const int ready = poll(fds, cancel_fd >= 0 ? 2 : 1, timeout_ms);
    if (ready < 0) {
      const int error = errno;
      if (error == EINTR) continue;
      return absl::UnavailableError(std::strerror(error));
    }
    if (cancel_fd >= 0 && fds[1].revents != 0) return SocketWait::kCancelled;
    if (fds[0].revents != 0) return SocketWait::kReadable;
    if (left() <= absl::ZeroDuration()) return SocketWait::kTimeout;
  }
}

}  // namespace tsdb_source::pg
