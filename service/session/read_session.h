// The read session, above catalog, read and change capture: validates a read request (config, configured catalog, states) before any record,
// then reads each configured stream — hypertables and partitioned tables chunk by chunk,
// each chunk one COPY in its own short transaction, other relations with one query — and
// emits record batches, checkpoints, statuses, estimates, logs and summaries to a sink.
// Free of gRPC: the service layer adapts the sink to its stream.
#pragma once

#include "absl/status/status.h"
#include "service/read/read_control.h"
#include "service/read/read_sink.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

// Runs the read. INVALID_ARGUMENT (before any record) for an empty catalog, an unknown
// stream, a bad cursor column or a state that is malformed, of an unknown version or for
// another stream; otherwise the first error that stopped a stream. `control` (optional)
// lets another thread cancel the read or stop it at its next checkpoint.
absl::Status RunRead(const v1::ReadRequest& request, ReadSink* sink,
                     ReadControl* control = nullptr);

}  // namespace tsdb_source
