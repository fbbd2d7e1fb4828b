#include "service/read/event_emitter.h"

#include <utility>

namespace tsdb_source {

absl::Status EventEmitter::Send(const v1::ReadResponse& response) const {
  if (control_ != nullptr && control_->cancelled()) return absl::CancelledError("the read was cancelled");
  if (!sink_->Emit(response)) return absl::CancelledError("the client cancelled the read");
  return absl::OkStatus();
}

absl::Status EventEmitter::Status(const v1::StreamDescriptor& stream, v1::StreamStatusKind kind,
                                  const std::string& reason) const {
  v1::ReadResponse r;
  *r.mutable_status()->mutable_stream() = stream;
  r.mutable_status()->set_status(kind);
  if (!reason.empty()) r.mutable_status()->set_reason(reason);
  return Send(r);
}

absl::Status EventEmitter::Log(v1::LogLevel level, std::string message) const {
  v1::ReadResponse r;
  r.mutable_log()->set_level(level);
  r.mutable_log()->set_message(std::move(message));
  return Send(r);
}

}  // namespace tsdb_source
