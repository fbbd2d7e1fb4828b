// One buffered AirbyteOutput per socket of the data channel: the read converter writes a
// socket's JSON lines or PROTOBUF frames into its output, which hands whole messages to the
// socket when its buffer is full and at each Flush. Keeps the first failure of any socket.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/airbyte_output.h"
#include "client/data_channel/socket_set.h"

namespace tsdb_source::client::data_channel {

class SocketOutputs final {
 public:
  // `sockets` must outlive this (destroying it flushes what the outputs hold).
  explicit SocketOutputs(SocketSet* sockets);
  SocketOutputs(const SocketOutputs&) = delete;
  SocketOutputs& operator=(const SocketOutputs&) = delete;

  SocketSet& sockets() { return *sockets_; }
  // Socket i's output.
  AirbyteOutput& out(int socket) { return *outputs_[socket]; }
  // The socket for a message of a stream whose last socket is `preferred` (-1: none): that
  // one when it is usable, else the first usable one, else 0.
  int Pick(int preferred) const;
  // Hands every socket what its output holds.
  void FlushAll();
  // The first failure of a socket; ok while none failed.
  const absl::Status& status() const { return status_; }

 private:
  SocketSet* sockets_;  // outlives this
  absl::Status status_;  // before outputs_: their destructors flush through it
  std::vector<std::unique_ptr<AirbyteOutput>> outputs_;
};

}  // namespace tsdb_source::client::data_channel
