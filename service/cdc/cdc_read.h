// A change data capture read. Streams configured as incremental are captured: each is
// first snapshotted through the chunk readers (unless an earlier read finished its
// snapshot), then the replication slot's changes are streamed. The position to stream from
// is the slot's confirmed position, taken before any snapshot starts, so nothing between
// the snapshot and the changes is missed (changes overlapping the snapshot may repeat).
// Full-refresh streams are read as in a standard read. A stream configured incremental that
// change data capture cannot follow (Stream.not_capturable_reason) fails the read before
// anything is read (INVALID_ARGUMENT, reason STREAM_NOT_CAPTURABLE, naming it). All CDC streams share one state
// (GlobalState); the slot is confirmed only up to a position handed back in that state.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "service/config/source_config.h"
#include "service/read/read_control.h"
#include "service/read/read_sink.h"
#include "service/read/stream_plan.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::cdc {

absl::Status RunCdcRead(MainConnection& conn, const ResolvedConfig& config,
                        const std::vector<StreamPlan>& plans, const v1::ReadRequest& request,
                        ReadSink* sink, ReadControl* control);

}  // namespace tsdb_source::cdc
