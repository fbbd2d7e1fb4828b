// The change stream of a CDC read: consumes the replication slot from a start position,
// maps each change to its stream (chunks to hypertables, aggregate chunks to aggregates,
// partitions to their root), drops what TimescaleDB's compression and decompression do
// inside their ::timescaledb-(de)compression-start/end markers, and emits record batches
// of the table's columns whose RecordBatch.changes give each row's commit position and time
// and whether it is a delete (a delete's row holds the old key).
// A checkpoint follows a commit every N records or T seconds; it claims only commits whose
// records were all emitted. Ends once caught up with the server's WAL position at start
// (waiting at most initial_waiting_seconds for a first change), or runs until cancelled
// when following.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "service/cdc/cdc_checkpoints.h"
#include "service/config/source_config.h"
#include "service/read/read_control.h"
#include "service/read/read_sink.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::cdc {

struct ChangeReadStats {
  uint64_t changes = 0;            // records emitted
  uint64_t compression_dropped = 0;  // rows dropped inside compression markers
  uint64_t unrelated = 0;          // changes of relations outside the streams
};

// `streams` are the CDC streams as discovered. `ack_lsn` (0 for none)
// is confirmed to the slot before streaming: a position the client handed back.
absl::Status ReadChanges(pg::Connection& conn, const ResolvedConfig& config,
                         const std::vector<const v1::Stream*>& streams, uint64_t start_lsn,
                         uint64_t ack_lsn, const v1::ReadRequest& request, ReadSink* sink,
                         ReadControl* control, CdcCheckpoints* checkpoints,
                         ChangeReadStats* stats);

}  // namespace tsdb_source::cdc
