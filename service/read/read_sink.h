// Where a read's events go: the interface between the readers (chunk reading, change
// capture) and whoever consumes them (the gRPC layer's stream, the shim in process, tests).
#pragma once

#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

// Emit returns false when the consumer is gone (cancelled), and the read then stops its
// query and returns CANCELLED.
class ReadSink {
 public:
  virtual ~ReadSink() = default;
  virtual bool Emit(const v1::ReadResponse& response) = 0;
};

}  // namespace tsdb_source
