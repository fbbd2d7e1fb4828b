#include "client/data_channel/socket_outputs.h"

#include <string_view>

namespace tsdb_source::client::data_channel {

SocketOutputs::SocketOutputs(SocketSet* sockets) : sockets_(sockets) {
  for (int i = 0; i < sockets_->size(); ++i) {
    outputs_.push_back(std::make_unique<AirbyteOutput>([this, i](std::string_view bytes) {
      if (!status_.ok()) return;  // the read is being stopped: nothing more is sent
      absl::Status sent = sockets_->Send(i, std::string(bytes));
      if (!sent.ok()) status_ = sent;
    }));
  }
}

int SocketOutputs::Pick(int preferred) const {
  const std::vector<bool> usable = sockets_->Usable();
  if (preferred >= 0 && preferred < static_cast<int>(usable.size()) && usable[preferred]) {
    return preferred;
  }
  for (size_t i = 0; i < usable.size(); ++i) {
    if (usable[i]) return static_cast<int>(i);
  }
  return 0;
}

void SocketOutputs::FlushAll() {
  for (auto& out : outputs_) out->Flush();
}

}  // namespace tsdb_source::client::data_channel
