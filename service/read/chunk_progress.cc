#include "service/read/chunk_progress.h"

#include <algorithm>
#include <climits>

namespace tsdb_source {

bool ChunkKeyLess(int64_t a_start, const std::string& a_name, int64_t b_start,
                  const std::string& b_name) {
  return a_start != b_start ? a_start < b_start : a_name < b_name;
}

std::optional<int64_t> RangeUnits(const v1::ScalarValue& value) {
  if (value.value_case() != v1::ScalarValue::kInt64Value) return std::nullopt;
  int64_t v = value.int64_value();
  if (value.kind() == v1::VALUE_KIND_DATE) {
    if (v >= INT32_MAX) return INT64_MAX;
    if (v <= INT32_MIN) return INT64_MIN;
    return v * 86400000000LL;
  }
  return v;
}

bool DoneInSavedProgress(const v1::ChunkProgress& saved, const ChunkInfo& c) {
  if (std::find(saved.done().begin(), saved.done().end(), c.qualified) != saved.done().end()) {
    return true;
  }
  return saved.has_watermark() && !ChunkKeyLess(saved.watermark().range_start(),
                                                saved.watermark().chunk(), c.range_start,
                                                c.qualified);
}

bool PrunedByCursor(const StreamPlan& plan, const ChunkInfo& c) {
  if (!plan.cursor.has_value()) return false;
  if (plan.cursor_is_time && c.has_range) {
    auto cursor = RangeUnits(*plan.cursor);
    return cursor.has_value() && c.range_end <= *cursor;
  }
  // A partition on the cursor column that ends at or before the cursor holds no row the
  // cursor filter lets through.
  if (plan.incremental && plan.cursor_index >= 0 && c.has_upper_bound &&
      c.bound_column == plan.stream->columns(plan.cursor_index).name()) {
    auto cursor = RangeUnits(*plan.cursor);
    return cursor.has_value() && c.upper_bound <= *cursor;
  }
  return false;
}

v1::ChunkProgress ProgressOf(const v1::ChunkProgress& saved,
                             const std::vector<ChunkStanding>& chunks) {
  v1::ChunkProgress progress;
  if (saved.has_watermark()) *progress.mutable_watermark() = saved.watermark();
  bool prefix = true;
  for (const ChunkStanding& s : chunks) {
    const bool before_old =
        saved.has_watermark() && !ChunkKeyLess(saved.watermark().range_start(),
                                               saved.watermark().chunk(),
                                               s.info->range_start, s.info->qualified);
    if (before_old) continue;
    if (prefix && s.done) {
      progress.mutable_watermark()->set_range_start(s.info->range_start);
      progress.mutable_watermark()->set_chunk(s.info->qualified);
      continue;
    }
    prefix = false;
    if (s.done) {
      progress.add_done(s.info->qualified);
    } else if (s.position != nullptr) {
      *progress.add_in_flight() = *s.position;
    }
  }
  return progress;
}

}  // namespace tsdb_source
