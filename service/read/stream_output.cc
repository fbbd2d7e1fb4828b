#include "service/read/stream_output.h"

#include <utility>

#include "service/common/errors.h"
#include "service/common/status_macros.h"
#include "service/read/sql_values.h"

namespace tsdb_source {

using Clock = std::chrono::steady_clock;

StreamOutput::StreamOutput(const StreamPlan& plan, ReadSink* sink, ReadControl* control)
    : plan_(plan), control_(control), events_(sink, control), coverage_(plan.stream->stream()) {
  summary_.mutable_stream()->CopyFrom(plan.stream->stream());
  if (plan.cursor.has_value()) max_cursor_ = *plan.cursor;
}

absl::Status StreamOutput::Start() {
  start_ = Clock::now();
  const v1::StreamDescriptor& d = plan_.stream->stream();
  RETURN_IF_ERROR(Status(v1::STREAM_STATUS_KIND_STARTED));
  {
    v1::ReadResponse r;
    *r.mutable_estimate()->mutable_stream() = d;
    r.mutable_estimate()->set_row_estimate(plan_.stream->row_estimate());
    r.mutable_estimate()->set_byte_estimate(plan_.stream->byte_estimate());
    RETURN_IF_ERROR(events_.Send(r));
  }
  v1::ReadResponse r;
  *r.mutable_stream_start()->mutable_stream() = d;
  *r.mutable_stream_start()->mutable_columns() = plan_.stream->columns();
  r.mutable_stream_start()->set_changes(plan_.snapshot_changes.has_value());
  return events_.Send(r);
}

absl::Status StreamOutput::Batch(v1::RecordBatch&& batch) {
  if (!running_) {
    running_ = true;
    RETURN_IF_ERROR(Status(v1::STREAM_STATUS_KIND_RUNNING));
  }
  if (plan_.incremental && !plan_.xmin) TrackCursor(batch);
  if (plan_.snapshot_changes.has_value()) {
    // A capture stream's snapshot: every row at the snapshot's position (one entry).
    v1::ChangeMetadata* changes = batch.mutable_changes();
    changes->Clear();
    changes->add_lsn(plan_.snapshot_changes->lsn);
    changes->add_commit_time(plan_.snapshot_changes->time_micros);
  }
  summary_.set_rows(summary_.rows() + batch.row_count());
  coverage_.Emitted(batch.chunk(), batch.row_count());
  v1::ReadResponse r;
  r.mutable_records()->Swap(&batch);
  absl::Status sent = events_.Send(r);
  batch.Swap(r.mutable_records());  // the storage goes back to the reader for reuse
  return sent;
}

void StreamOutput::TrackCursor(const v1::RecordBatch& batch) {
  const v1::ColumnValues& column = batch.columns(plan_.cursor_index);
  for (uint32_t i = 0; i < batch.row_count(); ++i) {
    if (IsNullAt(column, i) || static_cast<int>(i) >= column.int64s().values_size()) continue;
    int64_t v = column.int64s().values(i);
    // A migrated text cursor gives way to the first value read (every row read is >= it).
    if (!max_cursor_.has_value() || max_cursor_->value_case() != v1::ScalarValue::kInt64Value ||
        v > max_cursor_->int64_value()) {
      v1::ScalarValue value;
      value.set_kind(plan_.stream->columns(plan_.cursor_index).kind());
      value.set_int64_value(v);
      max_cursor_ = value;
    }
  }
}

v1::StreamState StreamOutput::BaseState() const {
  v1::StreamState state;
  state.set_version(kStateVersion);
  *state.mutable_stream() = plan_.stream->stream();
  state.set_sync_mode(plan_.incremental ? v1::SYNC_MODE_INCREMENTAL : v1::SYNC_MODE_FULL_REFRESH);
  if (plan_.incremental && !plan_.xmin) {
    state.add_cursor_field(plan_.stream->columns(plan_.cursor_index).name());
    // Until the stream completes, the cursor stays where this read started.
    if (plan_.cursor.has_value()) *state.mutable_cursor() = *plan_.cursor;
  }
  return state;
}

absl::Status StreamOutput::Checkpoint(v1::StreamState state) {
  v1::ReadResponse r;
  v1::Checkpoint* c = r.mutable_checkpoint();
  *c->mutable_state() = std::move(state);
  c->set_records_since_last_checkpoint(summary_.rows() - rows_at_checkpoint_);
  c->set_records_total(summary_.rows());
  rows_at_checkpoint_ = summary_.rows();
  bool final_checkpoint = c->state().completed();
  if (final_checkpoint) coverage_.CoverAll();
  coverage_.TakeCovered(c->mutable_chunks());
  RETURN_IF_ERROR(events_.Send(r));
  if (!final_checkpoint && control_ != nullptr && control_->stop_requested()) {
    return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_SERVER_SHUTTING_DOWN,
                     "the server is shutting down; resume from the last checkpoint");
  }
  return absl::OkStatus();
}

absl::Status StreamOutput::ChunkEnd(const std::string& chunk) {
  v1::ReadResponse r;
  *r.mutable_chunk_end() = coverage_.End(chunk);
  return events_.Send(r);
}

absl::Status StreamOutput::Complete() {
  RETURN_IF_ERROR(Status(v1::STREAM_STATUS_KIND_COMPLETE));
  return SendSummary();
}

void StreamOutput::Incomplete(const absl::Status& error) {
  v1::ReadResponse r;
  *r.mutable_status()->mutable_stream() = plan_.stream->stream();
  r.mutable_status()->set_status(v1::STREAM_STATUS_KIND_INCOMPLETE);
  r.mutable_status()->set_reason(std::string(error.message()));
  events_.sink()->Emit(r);
  SendSummary().IgnoreError();
}

absl::Status StreamOutput::Status(v1::StreamStatusKind kind) const {
  return events_.Status(plan_.stream->stream(), kind);
}

absl::Status StreamOutput::SendSummary() {
  summary_.set_seconds(std::chrono::duration<double>(Clock::now() - start_).count());
  v1::ReadResponse r;
  *r.mutable_summary() = summary_;
  return events_.Send(r);
}

}  // namespace tsdb_source
