// PlanSlices: small chunks are one open slice; large ones split into equal, contiguous time
// sub-ranges that cover every value at or above read_from, whatever the range or the size.
#include "service/read/chunk_slices.h"

#include <random>

#include "gtest/gtest.h"

namespace tsdb_source {
namespace {

constexpr int64_t kDay = 86400000000LL;

SliceRequest Request(int64_t start, int64_t end, uint64_t size, uint64_t slice,
                     std::optional<int64_t> from = std::nullopt) {
  SliceRequest r;
  r.range_start = start;
  r.range_end = end;
  r.size_bytes = size;
  r.slice_bytes = slice;
  r.read_from = from;
  return r;
}

// Each value >= read_from (or any value) belongs to exactly one slice.
void ExpectPartition(const SliceRequest& r, const std::vector<TimeSlice>& slices) {
  ASSERT_FALSE(slices.empty());
  EXPECT_EQ(slices.front().lower, r.read_from);
  EXPECT_FALSE(slices.back().upper.has_value()) << "the last slice is open above";
  for (size_t i = 0; i + 1 < slices.size(); ++i) {
    ASSERT_TRUE(slices[i].upper.has_value());
    EXPECT_EQ(slices[i].upper, slices[i + 1].lower) << "slices " << i << " and " << i + 1 << " touch";
    if (slices[i].lower.has_value()) EXPECT_LT(*slices[i].lower, *slices[i].upper) << "slice " << i;
  }
}

TEST(PlanSlices, SmallChunkIsOneOpenSlice) {
  auto slices = PlanSlices(Request(0, kDay, 100 << 20, 256 << 20));
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_FALSE(slices[0].lower.has_value());
  EXPECT_FALSE(slices[0].upper.has_value());
}

TEST(PlanSlices, ThresholdZeroMeansNoSlicing) {
  EXPECT_EQ(PlanSlices(Request(0, kDay, 1ull << 40, 0)).size(), 1u);
}

TEST(PlanSlices, LargeChunkSplitsIntoEqualSlices) {
  auto r = Request(0, kDay, 1000, 250);
  auto slices = PlanSlices(r);
  ASSERT_EQ(slices.size(), 4u);
  ExpectPartition(r, slices);
  EXPECT_FALSE(slices[0].lower.has_value()) << "rows below the nominal range are not missed";
  EXPECT_EQ(*slices[0].upper, kDay / 4);
  EXPECT_EQ(*slices[1].upper, kDay / 2);
  EXPECT_EQ(*slices[2].upper, 3 * kDay / 4);
  EXPECT_EQ(PlanSlices(Request(0, kDay, 1001, 250)).size(), 5u) << "rounded up";
}

TEST(PlanSlices, ResumeSlicesOnlyTheRest) {
  auto r = Request(0, kDay, 1000, 250, kDay / 2);
  auto slices = PlanSlices(r);
  ASSERT_EQ(slices.size(), 2u) << "half the chunk is left: two slices";
  ExpectPartition(r, slices);
  EXPECT_EQ(*slices[0].lower, kDay / 2);
  EXPECT_EQ(*slices[0].upper, 3 * kDay / 4);
}

TEST(PlanSlices, ReadFromOutsideTheRange) {
  auto below = Request(kDay, 2 * kDay, 1000, 250, -5);
  auto slices = PlanSlices(below);
  EXPECT_EQ(slices.size(), 4u);
  ExpectPartition(below, slices);
  auto above = Request(0, kDay, 1000, 250, 2 * kDay);
  slices = PlanSlices(above);
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0].lower, 2 * kDay);
}

TEST(PlanSlices, InfiniteOrEmptyRangesAreNotSliced) {
  EXPECT_EQ(PlanSlices(Request(INT64_MIN, 0, 1 << 30, 1)).size(), 1u);
  EXPECT_EQ(PlanSlices(Request(0, INT64_MAX, 1 << 30, 1)).size(), 1u);
  EXPECT_EQ(PlanSlices(Request(5, 5, 1 << 30, 1)).size(), 1u);
}

TEST(PlanSlices, NoSliceNarrowerThanOneUnit) {
  auto r = Request(10, 13, 1 << 30, 1);  // integer time: three values
  auto slices = PlanSlices(r);
  ASSERT_EQ(slices.size(), 3u);
  ExpectPartition(r, slices);
  EXPECT_EQ(*slices[0].upper, 11);
  EXPECT_EQ(*slices[1].upper, 12);
}

TEST(PlanSlices, AtMostTheLimitOfSlices) {
  auto r = Request(0, kDay, 1ull << 40, 1);
  auto slices = PlanSlices(r);
  EXPECT_EQ(slices.size(), kMaxSlicesPerChunk);
  ExpectPartition(r, slices);
}

TEST(PlanSlices, WideIntegerRangesDoNotOverflow) {
  auto r = Request(INT64_MIN + 1, INT64_MAX - 1, 1000, 100);
  auto slices = PlanSlices(r);
  ASSERT_EQ(slices.size(), 10u);
  ExpectPartition(r, slices);
}

TEST(PlanSlices, RandomRequestsAlwaysPartition) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    int64_t a = static_cast<int64_t>(rng() % 2000000) - 1000000;
    int64_t b = a + static_cast<int64_t>(rng() % 100000);
    std::optional<int64_t> from;
    if (rng() % 2) from = a + static_cast<int64_t>(rng() % 200000) - 50000;
    auto r = Request(a, b, rng() % 100000, 1 + rng() % 5000, from);
    auto slices = PlanSlices(r);
    ASSERT_LE(slices.size(), kMaxSlicesPerChunk);
    ExpectPartition(r, slices);
    if (HasFailure()) FAIL() << "request " << i << ": [" << a << ", " << b << ")";
  }
}

}  // namespace
}  // namespace tsdb_source
