#include "client/data_channel/channel_sockets.h"

#include <utility>

namespace tsdb_source::client::data_channel {

std::vector<bool> ChannelSockets::Usable() const {
  std::vector<bool> usable(channel_->size(), false);
  if (!channel_->status().ok()) return usable;
  for (size_t i : channel_->Connected()) usable[i] = true;
  return usable;
}

absl::Status ChannelSockets::Send(int socket, std::string bytes) {
  return channel_->Enqueue(static_cast<size_t>(socket), std::move(bytes));
}

}  // namespace tsdb_source::client::data_channel
