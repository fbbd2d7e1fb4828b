// The chunks of one stream read and where each stands: listings merged in read order (a
// chunk an earlier read finished or the cursor prunes is done at once), the chunks still to
// read, what remains to read of each (its ChunkTask: time slices from its saved position or
// the time cursor on, or an Xmin read's condition) and the progress a checkpoint claims
// (chunk_progress.h). No I/O. Used by one thread, the stream reader's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "service/read/chunk_task.h"
#include "service/read/chunks.h"
#include "service/read/stream_plan.h"
#include "service/read/xmin_plan.h"
#include "tsdb_source/v1/state.pb.h"

namespace tsdb_source {

struct ChunkState {
  ChunkInfo info;
  bool done = false;
  bool scheduled = false;
  std::optional<v1::ChunkPosition> position;  // where an unfinished chunk stands
  // Xmin reads: the relation as counted now, its entry in the saved state (null: none),
  // the decision, whether only the chunk's own rows are read, and whether it vanished.
  XminRelationNow xmin_now;
  const v1::XminRelation* xmin_saved = nullptr;
  XminDecision xmin;
  bool xmin_heap_only = false;
  bool xmin_dropped = false;
};

class StreamChunks final {
 public:
  // `plan` outlives this.
  explicit StreamChunks(const StreamPlan& plan) : plan_(plan) {}

  struct Merged {
    size_t added = 0;    // chunks not known before
    size_t skipped = 0;  // of those, the ones done already (saved progress, cursor)
  };
  // Adds the chunks of `listed` not known yet, each where it belongs in read order.
  Merged Merge(const std::vector<ChunkInfo>& listed);

  // Xmin reads, which keep the listed order: whether a chunk of that quoted name is here,
  // and adding one after the others.
  bool Known(const std::string& qualified) const { return known_.count(qualified) > 0; }
  void Append(ChunkState chunk);
  void Clear();

  // The chunks neither done nor scheduled, in read order.
  std::vector<size_t> Pending() const;

  // What remains to read of chunk `index`; `slice_bytes` is the slicing threshold
  // (chunk_slices.h).
  ChunkTask TaskFor(size_t index, uint64_t slice_bytes) const;

  // The progress a checkpoint carries, from the plan's saved progress on.
  v1::ChunkProgress Progress() const;

  size_t size() const { return chunks_.size(); }
  ChunkState& operator[](size_t index) { return chunks_[index]; }
  const ChunkState& operator[](size_t index) const { return chunks_[index]; }
  std::vector<ChunkState>::const_iterator begin() const { return chunks_.begin(); }
  std::vector<ChunkState>::const_iterator end() const { return chunks_.end(); }
  std::vector<ChunkState>::iterator begin() { return chunks_.begin(); }
  std::vector<ChunkState>::iterator end() { return chunks_.end(); }

 private:
  const StreamPlan& plan_;
  std::vector<ChunkState> chunks_;
  std::set<std::string> known_;  // quoted names of chunks_
};

}  // namespace tsdb_source
