#include "service/read/chunk_slices.h"

#include <algorithm>
#include <cmath>

namespace tsdb_source {

std::vector<TimeSlice> PlanSlices(const SliceRequest& r) {
  const TimeSlice whole{r.read_from, std::nullopt};
  const bool infinite = r.range_start == INT64_MIN || r.range_end == INT64_MAX;
  if (r.slice_bytes == 0 || infinite || r.range_start >= r.range_end ||
      r.size_bytes <= r.slice_bytes) {
    return {whole};
  }
  const int64_t lo = r.read_from.has_value() ? std::max(*r.read_from, r.range_start) : r.range_start;
  if (lo >= r.range_end) return {whole};
  // Unsigned: a range may span more than INT64_MAX units (e.g. integer time near both ends).
  const uint64_t width = static_cast<uint64_t>(r.range_end) - static_cast<uint64_t>(lo);
  const uint64_t full = static_cast<uint64_t>(r.range_end) - static_cast<uint64_t>(r.range_start);
  // Rows are assumed spread evenly over the range: the part still to read holds its share.
  const long double remaining = static_cast<long double>(r.size_bytes) * width / full;
  long double wanted = std::ceil(remaining / static_cast<long double>(r.slice_bytes));
  uint64_t n = wanted < 1 ? 1 : static_cast<uint64_t>(std::min<long double>(wanted, kMaxSlicesPerChunk));
  n = std::min<uint64_t>(n, width);
  if (n <= 1) return {whole};
  std::vector<TimeSlice> slices;
  slices.reserve(n);
  std::optional<int64_t> lower = r.read_from;
  for (uint64_t i = 1; i < n; ++i) {
    const unsigned __int128 offset = static_cast<unsigned __int128>(width) * i / n;
    const int64_t bound = static_cast<int64_t>(static_cast<uint64_t>(lo) + static_cast<uint64_t>(offset));
    slices.push_back(TimeSlice{lower, bound});
    lower = bound;
  }
  slices.push_back(TimeSlice{lower, std::nullopt});
  return slices;
}

}  // namespace tsdb_source
