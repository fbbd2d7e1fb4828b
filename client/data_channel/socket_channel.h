// One Unix socket of Airbyte's data channel, source side (docs/design/speed-mode.md 1.3,
// 2.2, 2.5): the shim listens on a path the platform names, the destination connects once,
// and the shim writes; nothing is ever read from it.
//
// Open removes a stale socket file at the path (any other kind of file there is refused),
// binds and listens. Start runs the socket's own thread: it accepts one connection until
// the accept deadline (counted from Open), then closes the listener, as the Bulk CDK does
// (the path stays), and from then on writes what Enqueue queued, in order. The caller's
// thread, which encodes, blocks in Enqueue only while the queue is full; the writer never
// takes longer than the write timeout without the destination taking a byte of what
// waits, so a full queue never blocks past it either: the socket then fails with "the
// destination read nothing from <path> for N s". A connected socket with nothing written
// for the idle-probe interval gets the caller's probe bytes; a probe that cannot be written
// fails it like any write. Writes use send(MSG_NOSIGNAL): a destination that went away
// (EPIPE, ECONNRESET) is "the destination closed <path>", and the process's signal handling
// is never touched. Every failure is Unavailable and sticky: the socket's error().
//
// Close flushes the queue, shuts the connection down for writing (the destination reads
// to its end, then EOF), closes it and joins the thread; Abort drops what is queued and
// stops at once. The destructor aborts a socket not closed.
//
// Each buffer handed to Enqueue must hold whole frames (messages): a probe is written only
// between buffers. Owns its descriptors (listener, connection, a wake-up eventfd) and its
// thread. Thread-safe, except that Start, Close and Abort are called by one owner thread,
// never from the state callback.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/data_channel/unique_fd.h"

namespace tsdb_source::client {

struct SocketOptions {
  absl::Duration accept_timeout = absl::Seconds(600);  // counted from Open
  absl::Duration write_timeout = absl::Seconds(600);   // no byte taken while data waits
  absl::Duration idle_probe_interval = absl::Seconds(5);
  std::string probe;          // written on an idle connected socket; empty: no probe
  size_t queue_capacity = 2;  // buffers waiting, besides the one being written (at least 1)
};

enum class SocketState {
  kListening,     // bound and listening, no destination yet
  kConnected,     // accepted: buffers are written
  kNotConnected,  // no destination came before the accept deadline or Close: not listening
  kFailed,        // the connection or a system call failed: error() says which
  kClosed,        // closed after a flush (Close) or without one (Abort)
};

// Called on the socket's thread after each change of state, with no lock of the socket
// held; `error` is the socket's error for kFailed, OK otherwise. Not called for Abort.
using SocketStateCallback = std::function<void(SocketState state, const absl::Status& error)>;

class SocketChannel final {
 public:
  // Listens on `path`. Refused: an existing file at `path` that is not a socket
  // (FailedPrecondition naming it); a failing system call is Unavailable naming the path
  // and the call.
  static absl::StatusOr<std::unique_ptr<SocketChannel>> Open(std::string path,
                                                             SocketOptions options);
  SocketChannel(const SocketChannel&) = delete;
  SocketChannel& operator=(const SocketChannel&) = delete;
  ~SocketChannel();

  // Starts the thread that accepts, then writes. Once; `on_change` may be empty.
  void Start(SocketStateCallback on_change);

  const std::string& path() const { return path_; }
  SocketState state() const;
  absl::Status error() const;

  // Queues `buffer` for writing (an empty one is ignored). Blocks while the queue is full.
  // Returns the socket's error once it failed, the status given to Interrupt once
  // interrupted, FailedPrecondition when it is not connected or is closing.
  absl::Status Enqueue(std::string buffer);

  // Enqueue calls waiting now and later return `status` (not OK) at once; what is queued
  // is still written. Used by the owner of several sockets when another one failed.
  void Interrupt(absl::Status status);

  // Stops listening if no destination came, otherwise writes every queued buffer, then
  // shutdown(SHUT_WR) and close; joins the thread. Returns error() (OK when it never
  // connected). Once; Abort after Close does nothing.
  absl::Status Close();

  // Drops what is queued, stops listening or writing now, closes, joins the thread.
  void Abort();

 private:
  using Clock = std::chrono::steady_clock;

  SocketChannel(std::string path, SocketOptions options, UniqueFd listener, UniqueFd wake);

  void Run();
  bool Accept();  // true when connected
  void Write();
  absl::Status WriteAll(const std::string& data);
  // Waits up to `timeout` (> 0) for the connection to take data or for the wake-up; false
  // when aborted.
  absl::StatusOr<bool> WaitWritable(Clock::duration timeout);
  void SetState(SocketState state, absl::Status error = absl::OkStatus());
  void Wake();
  void DrainWake();
  bool aborted() const;

  const std::string path_;
  const SocketOptions options_;
  const Clock::time_point accept_deadline_;
  UniqueFd listener_;    // the thread's until it accepts (then closed), the owner's after join
  UniqueFd connection_;  // the thread's, the owner's after join
  const UniqueFd wake_;  // eventfd: Close and Abort wake the thread's poll()
  SocketStateCallback on_change_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable filled_;  // for the writer: a buffer queued, closing, aborted
  std::condition_variable space_;   // for Enqueue: room, a failure, an interrupt, aborted
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  SocketState state_ ABSL_GUARDED_BY(mu_) = SocketState::kListening;
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  absl::Status interrupt_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ = false;  // the owner's: Close or Abort ran
};

}  // namespace tsdb_source::client
