// What one stream read sends, and the counts behind it: STARTED, the estimate and the
// columns; each batch (RUNNING before the first, its rows counted, per chunk too, an
// incremental cursor's highest value kept, a CDC snapshot's position set on it); the end of
// each chunk's read (ChunkEnd); checkpoints (with the records since the last one and the
// chunks they cover, chunk_coverage.h; a stop requested ends the read right after any but the
// final one); the end (COMPLETE, or INCOMPLETE with the reason) and the stream's summary.
// Events go through an EventEmitter (event_emitter.h). Used by one thread, the stream
// reader's.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "service/read/chunk_coverage.h"
#include "service/read/event_emitter.h"
#include "service/read/read_control.h"
#include "service/read/read_sink.h"
#include "service/read/stream_plan.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

class StreamOutput final {
 public:
  // `plan` outlives this; `control` (optional) is asked for a stop after each checkpoint.
  StreamOutput(const StreamPlan& plan, ReadSink* sink, ReadControl* control);

  // STARTED, the estimate and the columns; the summary's clock starts.
  absl::Status Start();

  // Sends `batch` (RUNNING before the first one), its storage swapped back into `batch`
  // afterwards for the reader to reuse.
  absl::Status Batch(v1::RecordBatch&& batch);

  // A state with what every checkpoint of the stream carries: version, stream, sync mode,
  // and for a cursor read its field and the cursor this read started from.
  v1::StreamState BaseState() const;

  // Sends a checkpoint of `state` with the records since the last one and the chunks covered
  // since (Cover; a state that completes the stream covers every chunk). After one that does
  // not complete the stream, a stop requested ends the read: UNAVAILABLE
  // (SERVER_SHUTTING_DOWN).
  absl::Status Checkpoint(v1::StreamState state);

  // Sends the ChunkEnd of `chunk` (as its batches name it): its read is over. Call Cover too
  // once the state to be checkpointed says so.
  absl::Status ChunkEnd(const std::string& chunk);

  // The next checkpoint's state includes `chunk`'s progress (a position in it, or its end):
  // the checkpoint lists the chunk's records emitted so far (chunk_coverage.h).
  void Cover(const std::string& chunk) { coverage_.Cover(chunk); }

  // COMPLETE, then the summary.
  absl::Status Complete();

  // INCOMPLETE with `error`'s message, then the summary; sent even when the read was
  // cancelled (the consumer, if still there, learns why), so nothing is returned.
  void Incomplete(const absl::Status& error);

  absl::Status Log(v1::LogLevel level, std::string message) const {
    return events_.Log(level, std::move(message));
  }
  const EventEmitter& events() const { return events_; }

  // The summary's counters (chunks, bytes, retries) for the stream reader to update.
  v1::StreamSummary& summary() { return summary_; }
  uint64_t records_since_checkpoint() const { return summary_.rows() - rows_at_checkpoint_; }
  // A cursor read's highest cursor value emitted (the saved one until a row is higher).
  const std::optional<v1::ScalarValue>& max_cursor() const { return max_cursor_; }

 private:
  absl::Status Status(v1::StreamStatusKind kind) const;
  absl::Status SendSummary();
  void TrackCursor(const v1::RecordBatch& batch);

  const StreamPlan& plan_;
  ReadControl* control_;
  const EventEmitter events_;
  ChunkCoverage coverage_;
  v1::StreamSummary summary_;
  uint64_t rows_at_checkpoint_ = 0;
  bool running_ = false;
  std::optional<v1::ScalarValue> max_cursor_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace tsdb_source
