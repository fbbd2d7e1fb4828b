// The data channel's Unix sockets (data_channel.h) as the read converter's SocketSet: a
// socket is usable while it is connected and the channel has not failed; bytes are queued
// on it (blocking while its queue is full, within the write timeout).
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "client/data_channel/data_channel.h"
#include "client/data_channel/socket_set.h"

namespace tsdb_source::client::data_channel {

class ChannelSockets final : public SocketSet {
 public:
  // `channel` must outlive this.
  explicit ChannelSockets(DataChannel* channel) : channel_(channel) {}

  int size() const override { return static_cast<int>(channel_->size()); }
  std::vector<bool> Usable() const override;
  absl::Status Send(int socket, std::string bytes) override;

 private:
  DataChannel* channel_;
};

}  // namespace tsdb_source::client::data_channel
