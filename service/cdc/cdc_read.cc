#include "service/cdc/cdc_read.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "service/cdc/cdc_checkpoints.h"
#include "service/cdc/change_reader.h"
#include "service/cdc/slot_info.h"
#include "service/common/errors.h"
#include "service/common/status_macros.h"
#include "service/pg/lsn.h"
#include "service/read/event_emitter.h"
#include "service/read/stream_reader.h"

namespace tsdb_source::cdc {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Turns a snapshot read (the stream read as a full refresh whose batches carry the
// snapshot's position, stream_plan.h SnapshotPlan) into CDC output: checkpoints become
// global (with the chunks they cover), and the stream is not declared COMPLETE until its
// changes have been streamed too. Every other event passes through as it is (no copy).
class SnapshotSink final : public ReadSink {
 public:
  SnapshotSink(ReadSink* sink, CdcCheckpoints* checkpoints) : sink_(sink), checkpoints_(checkpoints) {}

  bool Emit(const v1::ReadResponse& response) override {
    switch (response.event_case()) {
      case v1::ReadResponse::kRecords:
        checkpoints_->AddRecords(response.records().row_count());
        return sink_->Emit(response);
      case v1::ReadResponse::kCheckpoint:
        checkpoints_->SetStream(response.checkpoint().state());
        checkpoints_->AddCovered(response.checkpoint().chunks());
        return checkpoints_->Emit();
      case v1::ReadResponse::kStatus:
        if (response.status().status() == v1::STREAM_STATUS_KIND_COMPLETE) return true;
        return sink_->Emit(response);
      default:
        return sink_->Emit(response);
    }
  }

 private:
  ReadSink* sink_;
  CdcCheckpoints* checkpoints_;
};

}  // namespace

absl::Status RunCdcRead(MainConnection& conn, const ResolvedConfig& config,
                        const std::vector<StreamPlan>& plans, const v1::ReadRequest& request,
                        ReadSink* sink, ReadControl* control) {
  const EventEmitter events(sink, control);
  // A stream change data capture cannot follow is never read incrementally (discover offers
  // it full refresh only and says why): refused before anything is read.
  for (const StreamPlan& plan : plans) {
    if (plan.incremental && !plan.stream->not_capturable_reason().empty()) {
      const v1::StreamDescriptor& d = plan.stream->stream();
      return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_STREAM_NOT_CAPTURABLE,
                       absl::StrCat("stream ", d.namespace_(), ".", d.name(),
                                    " is configured incremental, but change data capture "
                                    "cannot capture it: ",
                                    plan.stream->not_capturable_reason()));
    }
  }
  // The slot decides where changes start; it must exist before any snapshot.
  ASSIGN_OR_RETURN(std::optional<SlotInfo> slot, LookupSlot(conn.get(), config.replication_slot));
  if (!slot.has_value() || !slot->confirmed_flush_lsn.has_value()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_SLOT_NOT_FOUND,
                     MissingSlotMessage(config.replication_slot));
  }
  if (slot->plugin != "pgoutput" || !slot->InCurrentDatabase()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_SLOT_UNUSABLE,
                     absl::StrCat("replication slot '", config.replication_slot,
                                  "' must use pgoutput in database '", config.connect.database, "'"));
  }
  const uint64_t slot_lsn = *slot->confirmed_flush_lsn;

  // The saved position, unless it is unusable.
  const v1::GlobalState& saved = request.global_state();
  bool use_saved = request.has_global_state();
  if (use_saved && saved.version() != kStateVersion) {
    return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_INVALID_STATE,
                     absl::StrCat("the CDC state has version ", saved.version(),
                                  "; this release reads version ", kStateVersion));
  }
  if (use_saved && saved.lsn() > 0 && slot_lsn > saved.lsn()) {
    std::string problem = absl::StrCat(
        "replication slot '", config.replication_slot, "' is at ", pg::FormatLsn(slot_lsn),
        ", past the saved position ", pg::FormatLsn(saved.lsn()),
        ": the changes between them are gone from the slot");
    if (!config.resync_on_invalid_cdc_position) {
      return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_INVALID_CDC_POSITION,
                       absl::StrCat(problem, " (set invalid_cdc_cursor_position_behavior to "
                                             "'Re-sync data' to snapshot again)"));
    }
    RETURN_IF_ERROR(events.Log(v1::LOG_LEVEL_WARN, absl::StrCat(problem, "; snapshotting every stream again")));
    use_saved = false;
  }
  const uint64_t start_lsn = use_saved && saved.lsn() > 0 ? saved.lsn() : slot_lsn;
  CdcCheckpoints checkpoints(sink, start_lsn);
  if (use_saved) {
    for (const v1::StreamState& s : saved.streams()) checkpoints.SetStream(s);
  }

  // Snapshots (and full-refresh streams) through the chunk readers.
  std::vector<const v1::Stream*> cdc_streams;
  const int64_t snapshot_time = NowMicros();
  for (const StreamPlan& plan : plans) {
    if (!plan.incremental) {
      RETURN_IF_ERROR(ReadStream(conn, config, plan, request.options(), sink, control));
      continue;
    }
    cdc_streams.push_back(plan.stream);
    const v1::StreamState* done = checkpoints.Stream(plan.stream->stream());
    if (done != nullptr && done->completed()) {
      RETURN_IF_ERROR(events.Status(plan.stream->stream(), v1::STREAM_STATUS_KIND_STARTED));
      v1::ReadResponse start;
      *start.mutable_stream_start()->mutable_stream() = plan.stream->stream();
      *start.mutable_stream_start()->mutable_columns() = plan.stream->columns();
      start.mutable_stream_start()->set_changes(true);
      RETURN_IF_ERROR(events.Send(start));
      continue;
    }
    std::vector<std::string> warnings;
    ASSIGN_OR_RETURN(StreamPlan snapshot,
                     SnapshotPlan(plan, SnapshotChanges{start_lsn, snapshot_time}, done, &warnings));
    for (const std::string& warning : warnings) RETURN_IF_ERROR(events.Log(v1::LOG_LEVEL_WARN, warning));
    SnapshotSink snapshot_sink(sink, &checkpoints);
    RETURN_IF_ERROR(ReadStream(conn, config, snapshot, request.options(), &snapshot_sink, control));
  }
  if (cdc_streams.empty()) return absl::OkStatus();

  // Then the changes from the slot.
  ChangeReadStats stats;
  absl::Status status = ReadChanges(conn.get(), config, cdc_streams, start_lsn,
                                    use_saved ? saved.lsn() : 0, request, sink, control,
                                    &checkpoints, &stats);
  for (const v1::Stream* stream : cdc_streams) {
    RETURN_IF_ERROR(events.Status(stream->stream(),
                           status.ok() ? v1::STREAM_STATUS_KIND_COMPLETE : v1::STREAM_STATUS_KIND_INCOMPLETE,
                           status.ok() ? "" : std::string(status.message())));
  }
  if (!status.ok()) return status;
  return events.Log(v1::LOG_LEVEL_INFO,
             absl::StrCat("change data capture: ", stats.changes, " changes emitted, ",
                          stats.compression_dropped, " rows of TimescaleDB (de)compression dropped, ",
                          stats.unrelated, " changes of other relations skipped; position ",
                          pg::FormatLsn(checkpoints.lsn())));
}

}  // namespace tsdb_source::cdc
