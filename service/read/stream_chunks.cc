#include "service/read/stream_chunks.h"

#include <algorithm>
#include <climits>
#include <utility>

#include "service/read/chunk_progress.h"
#include "service/read/chunk_slices.h"

namespace tsdb_source {
namespace {

constexpr int64_t kMicrosPerDay = 86400000000LL;

int64_t FloorDiv(int64_t a, int64_t b) {
  if (a == INT64_MIN || a == INT64_MAX) return a;  // open ranges stay open
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

}  // namespace

StreamChunks::Merged StreamChunks::Merge(const std::vector<ChunkInfo>& listed) {
  Merged merged;
  for (const ChunkInfo& c : listed) {
    if (known_.count(c.qualified) > 0) continue;
    known_.insert(c.qualified);
    ChunkState s;
    s.info = c;
    if (DoneInSavedProgress(plan_.progress, c)) {
      s.done = true;
      ++merged.skipped;
    } else if (PrunedByCursor(plan_, c)) {
      s.done = true;
      ++merged.skipped;
    }
    for (const v1::ChunkPosition& p : plan_.progress.in_flight()) {
      if (p.chunk() == c.qualified) s.position = p;
    }
    chunks_.push_back(std::move(s));
    ++merged.added;
  }
  std::sort(chunks_.begin(), chunks_.end(), [](const ChunkState& a, const ChunkState& b) {
    return ChunkKeyLess(a.info.range_start, a.info.qualified, b.info.range_start, b.info.qualified);
  });
  return merged;
}

void StreamChunks::Append(ChunkState chunk) {
  known_.insert(chunk.info.qualified);
  chunks_.push_back(std::move(chunk));
}

void StreamChunks::Clear() {
  chunks_.clear();
  known_.clear();
}

std::vector<size_t> StreamChunks::Pending() const {
  std::vector<size_t> pending;
  for (size_t i = 0; i < chunks_.size(); ++i) {
    if (!chunks_[i].done && !chunks_[i].scheduled) pending.push_back(i);
  }
  return pending;
}

ChunkTask StreamChunks::TaskFor(size_t index, uint64_t slice_bytes) const {
  ChunkTask task;
  task.index = index;
  const ChunkState& chunk = chunks_[index];
  task.relation = chunk.info.qualified;
  task.label = chunk.info.qualified;
  if (plan_.xmin) {
    // One statement per relation: the changed rows are few, and a resume reads the
    // relation again from its saved horizon.
    if (chunk.xmin.action == XminAction::kReadChanged) {
      task.filter = XminSinceCondition(chunk.xmin.since);
    }
    task.heap_only = chunk.xmin_heap_only;
    return task;
  }
  if (plan_.slice_column < 0) return task;  // partitions, or a time column of no slicing kind
  // Rows below the saved position were emitted; rows below a time cursor are not wanted.
  std::optional<int64_t> read_from;
  if (chunk.position.has_value()) read_from = chunk.position->last_key(0).int64_value();
  if (plan_.cursor_is_time && plan_.cursor.has_value() &&
      plan_.cursor->value_case() == v1::ScalarValue::kInt64Value) {
    read_from = std::max(read_from.value_or(INT64_MIN), plan_.cursor->int64_value());
  }
  SliceRequest request;
  request.read_from = read_from;
  request.size_bytes = static_cast<uint64_t>(std::max<int64_t>(chunk.info.size_bytes, 0));
  request.slice_bytes = slice_bytes;
  if (chunk.info.has_range) {
    request.range_start = chunk.info.range_start;
    request.range_end = chunk.info.range_end;
    if (plan_.stream->columns(plan_.slice_column).kind() == v1::VALUE_KIND_DATE) {
      request.range_start = FloorDiv(request.range_start, kMicrosPerDay);
      request.range_end = -FloorDiv(-request.range_end, kMicrosPerDay);
    }
  }
  task.slices = PlanSlices(request);
  return task;
}

v1::ChunkProgress StreamChunks::Progress() const {
  std::vector<ChunkStanding> standing;
  standing.reserve(chunks_.size());
  for (const ChunkState& s : chunks_) {
    standing.push_back({&s.info, s.done, s.position.has_value() ? &*s.position : nullptr});
  }
  return ProgressOf(plan_.progress, standing);
}

}  // namespace tsdb_source
