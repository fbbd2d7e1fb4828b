// Sending a read's events to its sink: the one place that builds status and log events and
// turns a consumer that went away (or a cancelled read) into CANCELLED. Used by the read
// session, the stream reader and change capture alike.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "service/read/read_control.h"
#include "service/read/read_sink.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

class EventEmitter {
 public:
  // `control` (optional): a cancelled read stops at its next event.
  EventEmitter(ReadSink* sink, ReadControl* control) : sink_(sink), control_(control) {}

  // CANCELLED when the read was cancelled or the consumer is gone.
  absl::Status Send(const v1::ReadResponse& response) const;
  // A stream's status change (with the reason an INCOMPLETE status gives).
  absl::Status Status(const v1::StreamDescriptor& stream, v1::StreamStatusKind kind,
                      const std::string& reason = "") const;
  absl::Status Log(v1::LogLevel level, std::string message) const;

  ReadSink* sink() const { return sink_; }

 private:
  ReadSink* sink_;
  ReadControl* control_;
};

}  // namespace tsdb_source
