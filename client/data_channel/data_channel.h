// Airbyte's socket data channel as a whole: one SocketChannel per path the platform gave
// (docs/design/speed-mode.md 2.2, 2.5). Open starts listening on every path at once, before
// the read is planned, so the destination can connect meanwhile; a socket is usable as soon
// as it is connected, and sockets that connect later join while the others are in use.
//
// Failures are the channel's: the first failure of any socket (the destination closed it,
// read nothing for the write timeout, a system call failed) becomes the channel's sticky
// error, an Unavailable status (the shim reports it as a transient error); every Enqueue,
// on any socket, then returns it, also those blocked on a full queue. When no socket at
// all connected within the accept timeout, the sticky error is "the destination did not
// connect to any of <paths> within N s"; a socket that stays unconnected while others
// connected is not an error (state() says which, for a log line).
//
// No call blocks forever: waits for a connection have a deadline, and a full queue frees
// up or fails within the write timeout. Owns its sockets and their threads. Thread-safe,
// except that Close and Abort are called by one owner thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/data_channel/channel_config.h"
#include "client/data_channel/socket_channel.h"

namespace tsdb_source::client {

// The socket options of a SOCKET config: its timeouts and the idle probe of its format.
SocketOptions SocketOptionsFor(const ChannelConfig& config);

class DataChannel final {
 public:
  // Listens on every path (at least one). The first path that cannot be listened on fails
  // the whole: nothing is left listening (see SocketChannel::Open for the errors).
  static absl::StatusOr<std::unique_ptr<DataChannel>> Open(const std::vector<std::string>& paths,
                                                           const SocketOptions& options);
  DataChannel(const DataChannel&) = delete;
  DataChannel& operator=(const DataChannel&) = delete;
  ~DataChannel();  // aborts unless closed

  // Sockets are numbered in path order; `index` < size() (unchecked, except by Enqueue).
  size_t size() const { return sockets_.size(); }
  const std::string& path(size_t index) const { return sockets_[index]->path(); }
  SocketState state(size_t index) const;
  bool IsConnected(size_t index) const { return state(index) == SocketState::kConnected; }
  // The indexes of the sockets connected now, in path order.
  std::vector<size_t> Connected() const;

  // The sticky error, OK while there is none.
  absl::Status status() const;

  // Returns OK once any socket is connected (at once if one is). Otherwise the sticky
  // error once there is one (also the accept timeout's), or DeadlineExceeded when
  // `deadline` passes first (InfiniteFuture: wait for the accept timeout).
  absl::Status WaitForAnyConnected(absl::Time deadline);

  // The lowest index of a connected socket that is not `busy` (`busy` may be shorter than
  // size(): the rest is not busy). Waits for one to connect until `deadline` (then
  // DeadlineExceeded) while a socket still listens; NotFound at once when every connected
  // socket is busy and none can connect any more (the caller frees one of its own); the
  // sticky error when there is one.
  absl::StatusOr<size_t> PickConnected(const std::vector<bool>& busy, absl::Time deadline);

  // Queues `buffer` (whole frames) on socket `index`, which must be connected; blocks
  // while its queue is full. Returns the sticky error when there is one.
  absl::Status Enqueue(size_t index, std::string buffer);

  // Stops the sockets that still listen, flushes and closes every connected one, joins
  // their threads. Returns the sticky error (OK when nothing failed).
  absl::Status Close();

  // Drops everything queued and closes every socket now (a read that failed).
  void Abort();

 private:
  DataChannel(std::vector<std::unique_ptr<SocketChannel>> sockets, absl::Duration accept_timeout);

  void OnChange(size_t index, SocketState state, const absl::Status& error);
  void Fail(absl::Status error) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Waits on changed_ until `deadline`; false when it passed.
  bool WaitUntil(std::unique_lock<std::mutex>& lock, absl::Time deadline);
  std::string PathList() const;

  const std::vector<std::unique_ptr<SocketChannel>> sockets_;
  const absl::Duration accept_timeout_;
  bool finished_ = false;  // the owner's: Close or Abort ran

  mutable std::mutex mu_;
  std::condition_variable changed_;  // a socket's state changed, or the sticky error came
  std::vector<SocketState> states_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tsdb_source::client
