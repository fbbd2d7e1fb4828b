// Time slices of a large chunk. A chunk is read without any ORDER BY, in the plan the
// database finds fastest (a sequential or columnar scan), so a position inside it cannot be
// "the last row emitted". Instead a chunk whose estimated size exceeds a threshold is read
// as consecutive sub-ranges of its time dimension, one COPY (one short transaction) each:
// after a slice, every row of the chunk below the slice's upper bound has been emitted, and
// a resume continues at that bound. What a resume reads again is at most one slice.
//
// Pure logic, unit-tested on its own: values are in the time column's own units
// (microseconds since 1970 for timestamp and timestamptz, days for date, the integer for
// integer time).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace tsdb_source {

// Rows with lower <= time < upper; a missing bound is open (the first slice of a chunk read
// from its start has no lower bound, the last has no upper bound, so rows outside the
// chunk's nominal range are never missed).
struct TimeSlice {
  std::optional<int64_t> lower;
  std::optional<int64_t> upper;
};

struct SliceRequest {
  int64_t range_start = 0;            // the chunk's range [range_start, range_end)
  int64_t range_end = 0;
  std::optional<int64_t> read_from;   // rows below it are not wanted (resume position, cursor)
  uint64_t size_bytes = 0;            // the chunk's estimated (uncompressed) size
  uint64_t slice_bytes = 0;           // threshold: slices of at most about this size; 0: no slicing
};

// At most this many slices per chunk (each one is a statement and a checkpoint).
inline constexpr size_t kMaxSlicesPerChunk = 1024;

// The slices covering every row at or above read_from: one open slice when the chunk is
// small enough, its range unknown or infinite; otherwise ceil(remaining size / slice_bytes)
// equal sub-ranges (at least one unit of time each) of [max(range_start, read_from),
// range_end). Never empty.
std::vector<TimeSlice> PlanSlices(const SliceRequest& request);

}  // namespace tsdb_source
