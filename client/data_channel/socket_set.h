// The sockets of the data channel as the shim's read converter sees them: how many there
// are, which can take a new partition, and handing one of them bytes (whole messages). The
// data channel (data_channel.h) implements it over Unix sockets; tests over buffers.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace tsdb_source::client::data_channel {

class SocketSet {
 public:
  virtual ~SocketSet() = default;
  // Number of sockets (connected or not).
  virtual int size() const = 0;
  // Whether socket i is connected and healthy, for each i.
  virtual std::vector<bool> Usable() const = 0;
  // Hands `bytes` (whole messages) to socket i, after what it was handed before; may block
  // while the socket's queue is full. The channel's error once it failed.
  virtual absl::Status Send(int socket, std::string bytes) = 0;
};

}  // namespace tsdb_source::client::data_channel
