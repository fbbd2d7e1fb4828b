// Reads one planned stream and emits its events: STARTED, an estimate, the columns, batches,
// checkpoints (after every chunk, every N records or T seconds inside a chunk, and at the
// end), RUNNING/COMPLETE or INCOMPLETE, per-chunk logs and a summary.
//
// Chunked streams (hypertables, partitioned tables) are read chunk by chunk in time order,
// by up to timescaledb_max_concurrent_chunks readers, each on its own connection. Readers
// hand batches to this thread through a bounded queue, so memory stays bounded and a slow
// consumer pauses the readers. A checkpoint claims only what was emitted before it: chunks
// finished out of order are listed beside the watermark until the chunks before them finish.
//
// The reader orchestrates (plan, list, schedule, checkpoint); its parts are files of their
// own: stream_output.h (the events and the summary), stream_chunks.h (the chunks and their
// tasks), chunk_scheduler.h (concurrent readers), retry_loop.h and xmin_read.h.
#pragma once

#include "absl/status/status.h"
#include "service/config/source_config.h"
#include "service/pg/connection.h"
#include "service/read/read_control.h"
#include "service/read/read_sink.h"
#include "service/read/stream_plan.h"

namespace tsdb_source {

// Reads `plan`'s stream; `conn` is the read's main connection (chunk listing, and the
// reading itself when there is one reader). A transient failure (connection lost, server
// restarting) is retried with backoff up to ReadOptions.max_attempts times, on a new
// connection, from the stream's last checkpoint: rows emitted after it may repeat, none
// is lost. When the attempts run out, the error is returned after the last checkpoint.
absl::Status ReadStream(MainConnection& conn, const ResolvedConfig& config,
                        const StreamPlan& plan, const v1::ReadOptions& options, ReadSink* sink,
                        ReadControl* control);

}  // namespace tsdb_source
