// The pure part of chunked checkpoints: read order, chunks an earlier read finished, chunks
// a cursor prunes, and the progress a checkpoint carries (watermark after the contiguous
// finished prefix, finished chunks beyond it, positions of unfinished ones).
#include "service/read/chunk_progress.h"

#include "gtest/gtest.h"

namespace tsdb_source {
namespace {

ChunkInfo Chunk(int64_t start, const std::string& name, int64_t length = 100) {
  ChunkInfo c;
  c.qualified = name;
  c.has_range = true;
  c.range_start = start;
  c.range_end = start + length;
  return c;
}

v1::ChunkPosition At(const std::string& chunk, int64_t time) {
  v1::ChunkPosition p;
  p.set_chunk(chunk);
  p.add_last_key()->set_int64_value(time);
  return p;
}

TEST(ChunkProgress, ReadOrderIsRangeStartThenName) {
  EXPECT_TRUE(ChunkKeyLess(1, "b", 2, "a"));
  EXPECT_TRUE(ChunkKeyLess(1, "a", 1, "b"));
  EXPECT_FALSE(ChunkKeyLess(1, "a", 1, "a"));
}

TEST(ChunkProgress, WatermarkFollowsTheFinishedPrefixDoneAndInFlightBeyondIt) {
  const ChunkInfo a = Chunk(0, "a"), b = Chunk(100, "b"), c = Chunk(200, "c"), d = Chunk(300, "d");
  const v1::ChunkPosition in_c = At("c", 250);
  // a done, b not (no position yet), c in flight, d done out of order.
  v1::ChunkProgress p = ProgressOf(v1::ChunkProgress(),
                                   {{&a, true, nullptr}, {&b, false, nullptr},
                                    {&c, false, &in_c}, {&d, true, nullptr}});
  EXPECT_EQ(p.watermark().chunk(), "a");
  EXPECT_EQ(p.watermark().range_start(), 0);
  ASSERT_EQ(p.done_size(), 1);
  EXPECT_EQ(p.done(0), "d");
  ASSERT_EQ(p.in_flight_size(), 1);
  EXPECT_EQ(p.in_flight(0).chunk(), "c");
  // Nothing finished yet: no watermark.
  p = ProgressOf(v1::ChunkProgress(), {{&a, false, nullptr}, {&b, true, nullptr}});
  EXPECT_FALSE(p.has_watermark());
  ASSERT_EQ(p.done_size(), 1);
}

TEST(ChunkProgress, TheSavedWatermarkStaysAndOlderChunksAreLeftOut) {
  const ChunkInfo a = Chunk(0, "a"), b = Chunk(100, "b"), c = Chunk(200, "c");
  v1::ChunkProgress saved;
  saved.mutable_watermark()->set_range_start(100);
  saved.mutable_watermark()->set_chunk("b");
  saved.add_done("c");
  EXPECT_TRUE(DoneInSavedProgress(saved, a));
  EXPECT_TRUE(DoneInSavedProgress(saved, b));
  EXPECT_TRUE(DoneInSavedProgress(saved, c));  // listed as done beyond the watermark
  EXPECT_FALSE(DoneInSavedProgress(saved, Chunk(300, "d")));
  // A chunk created since in an old range (start 50) is after "a" but before the watermark.
  EXPECT_TRUE(DoneInSavedProgress(saved, Chunk(50, "late")));
  v1::ChunkProgress p = ProgressOf(saved, {{&a, true, nullptr}, {&b, true, nullptr}});
  EXPECT_EQ(p.watermark().chunk(), "b");
  EXPECT_EQ(p.done_size(), 0);
}

TEST(ChunkProgress, CursorPrunesChunksAndPartitionsThatEndAtOrBeforeIt) {
  v1::Stream stream;
  stream.add_columns()->set_name("time");
  StreamPlan plan;
  plan.stream = &stream;
  plan.incremental = true;
  plan.cursor_index = 0;
  plan.cursor_is_time = true;
  v1::ScalarValue cursor;
  cursor.set_kind(v1::VALUE_KIND_TIMESTAMPTZ);
  cursor.set_int64_value(200);
  plan.cursor = cursor;
  EXPECT_TRUE(PrunedByCursor(plan, Chunk(100, "ends at the cursor")));
  EXPECT_FALSE(PrunedByCursor(plan, Chunk(150, "holds the cursor")));
  // Dates count in days.
  cursor.set_kind(v1::VALUE_KIND_DATE);
  cursor.set_int64_value(1);
  plan.cursor = cursor;
  EXPECT_TRUE(PrunedByCursor(plan, Chunk(0, "day 0", 86400000000LL)));
  EXPECT_FALSE(PrunedByCursor(plan, Chunk(0, "days 0-1", 2 * 86400000000LL)));
  // A partition of the cursor column.
  plan.cursor_is_time = false;
  cursor.set_kind(v1::VALUE_KIND_INT64);
  cursor.set_int64_value(500);
  plan.cursor = cursor;
  ChunkInfo part;
  part.qualified = "p";
  part.bound_column = "time";
  part.has_upper_bound = true;
  part.upper_bound = 500;
  EXPECT_TRUE(PrunedByCursor(plan, part));
  part.upper_bound = 501;
  EXPECT_FALSE(PrunedByCursor(plan, part));
  part.bound_column = "other";
  part.upper_bound = 10;
  EXPECT_FALSE(PrunedByCursor(plan, part));
  // No cursor, nothing pruned.
  plan.cursor.reset();
  EXPECT_FALSE(PrunedByCursor(plan, Chunk(0, "x")));
}

}  // namespace
}  // namespace tsdb_source
