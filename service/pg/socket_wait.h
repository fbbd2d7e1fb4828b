// Waiting for a libpq connection's socket (PQsocket) to become readable without blocking in
// libpq: the one poll() loop of the COPY reader and the replication client. A wait ends when
// the socket is readable (or in error or hung up: the PQconsumeInput that follows says
// which), when the timeout passes, or when an optional cancel descriptor (an eventfd or the
// read end of a pipe, written by another thread) becomes readable. Signals (EINTR) do not end
// it early. Time is measured on a monotonic clock. Owns nothing, reads nothing from the
// descriptors; thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace tsdb_source::pg {

// What ended a wait.
enum class SocketWait {
  kReadable,   // the socket has input, an error or a hang-up
  kTimeout,    // the timeout passed first
  kCancelled,  // the cancel descriptor is readable (it wins when both are)
};

// Waits up to `timeout` (zero or less: checks once without waiting; InfiniteDuration: no
// limit) for `socket` to be readable or `cancel_fd` (ignored when negative) to be. A failure
// of poll() itself is Unavailable with the system's text for its errno as the whole message
// (callers say what they were waiting for).
absl::StatusOr<SocketWait> WaitForReadable(int socket, absl::Duration timeout,
                                           int cancel_fd = -1);

}  // namespace tsdb_source::pg
