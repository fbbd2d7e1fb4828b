// An Xmin read's part of a stream read (xmin_plan.h says what is decided and why): the plan
// made once per read (the facts and write counters of xmin_facts.h, the relations listed
// after the horizon, a decision for each, and a hypertable chunk whose compressed data was
// written since its horizon read whole), the check that a new connection sees what the plan
// was made from, the Xmin state each checkpoint carries, and how often checkpoints come
// between chunks. Used by one thread, the stream reader's.
#pragma once

#include <chrono>
#include <cstdint>

#include "absl/status/status.h"
#include "service/config/read_options.h"
#include "service/pg/connection.h"
#include "service/read/event_emitter.h"
#include "service/read/stream_chunks.h"
#include "service/read/stream_plan.h"
#include "service/read/xmin_facts.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

class XminRead final {
 public:
  // `plan` outlives this. The clock of checkpoints between chunks starts now.
  XminRead(const StreamPlan& plan, const ResolvedReadOptions& options);

  // Before each attempt, on the read's main connection `conn`. Until a plan was made whole,
  // plans the read: `chunks` becomes the stream's relations in listed order with their
  // decisions, and summary->chunks_skipped the number skipped (a plan interrupted by a
  // failure is made again from the start: the facts, the list and every decision belong
  // together). Once planned (a retry, on a new connection): checks that `conn` sees what the
  // plan was made from. Logs go to `events`.
  absl::Status Prepare(pg::Connection& conn, const EventEmitter& events, StreamChunks* chunks,
                       v1::StreamSummary* summary);

  // Fails (UNAVAILABLE, so the read retries) when `conn` cannot see what the plan was made
  // from (xmin_facts.h, VerifyXminReader).
  absl::Status VerifyReader(pg::Connection& conn) const;

  // The Xmin state a checkpoint carries. Before the end, relations not read yet keep their
  // saved entries and the horizon stays the saved one (a resume continues like a new sync);
  // at the end (`final`), every relation listed has an entry and the horizon is this sync's.
  v1::XminState Progress(const StreamChunks& chunks, bool final) const;

  // Whether the checkpoint after a chunk is due: the state lists every relation, so it comes
  // only when checkpoint_every_records records were read since the last one or
  // checkpoint_every passed (a sync of thousands of chunks does not write thousands of states
  // of thousands of entries). When due, the clock starts again.
  bool CheckpointDue(uint64_t records_since_checkpoint);

 private:
  absl::Status Plan(pg::Connection& conn, const EventEmitter& events, StreamChunks* chunks,
                    v1::StreamSummary* summary);
  // Chunks to read for changed rows whose compressed data was written since their horizon
  // are read whole; the others read their own rows only.
  absl::Status DecideCompressed(pg::Connection& conn, const EventEmitter& events,
                                const std::vector<std::string>& changed_chunks,
                                StreamChunks* chunks);

  const StreamPlan& plan_;
  const uint64_t checkpoint_every_records_;
  const std::chrono::seconds checkpoint_every_;
  bool planned_ = false;
  XminStart start_;
  std::chrono::steady_clock::time_point last_checkpoint_ = std::chrono::steady_clock::now();
};

}  // namespace tsdb_source
