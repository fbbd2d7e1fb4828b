// Chunk progress, the pure part of a chunked read's checkpoints: the order chunks are read
// in, which chunks an earlier read finished or a cursor prunes, and the ChunkProgress a
// checkpoint carries (a watermark after the contiguous prefix of finished chunks, the few
// finished beyond it, the positions inside unfinished ones). No I/O; unit-tested on its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "service/read/chunks.h"
#include "service/read/stream_plan.h"
#include "tsdb_source/v1/state.pb.h"

namespace tsdb_source {

// Read order: by range start, then by quoted name.
bool ChunkKeyLess(int64_t a_start, const std::string& a_name, int64_t b_start,
                  const std::string& b_name);

// Microseconds since 1970 (days become microseconds; the integer for integer time) of a
// cursor value, comparable with chunk ranges; nullopt for a value of no such kind.
std::optional<int64_t> RangeUnits(const v1::ScalarValue& value);

// True when `saved` (an earlier read's progress) says chunk `c` is finished: at or before
// its watermark, or listed as done beyond it.
bool DoneInSavedProgress(const v1::ChunkProgress& saved, const ChunkInfo& c);

// True when the plan's saved cursor leaves no row of `c` to read: a hypertable chunk whose
// time range ends at or before a time cursor, or a partition of the cursor column whose
// upper bound is at or before it.
bool PrunedByCursor(const StreamPlan& plan, const ChunkInfo& c);

// One chunk as a checkpoint sees it, in read order.
struct ChunkStanding {
  const ChunkInfo* info = nullptr;
  bool done = false;
  const v1::ChunkPosition* position = nullptr;  // where an unfinished chunk stands, if known
};

// The progress a checkpoint carries, from the saved progress the read started from and the
// chunks in read order.
v1::ChunkProgress ProgressOf(const v1::ChunkProgress& saved,
                             const std::vector<ChunkStanding>& chunks);

}  // namespace tsdb_source
