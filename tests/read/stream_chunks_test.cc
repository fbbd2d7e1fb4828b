// A stream read's chunks without a database: listings merge in read order once each, the
// chunks an earlier read finished or the cursor prunes are done (and counted as skipped),
// a saved position comes back, pending chunks are those neither done nor scheduled, and
// each chunk's task: its slices from its position or the time cursor on, a date column's
// range in days, an Xmin read's condition.
#include "service/read/stream_chunks.h"

#include "gtest/gtest.h"
#include "service/read/chunk_slices.h"

namespace tsdb_source {
namespace {

constexpr int64_t kDay = 86400000000LL;

ChunkInfo Chunk(int64_t start, const std::string& name, int64_t length = kDay) {
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

class StreamChunksTest : public ::testing::Test {
 protected:
  StreamChunksTest() {
    stream_.mutable_stream()->set_name("events");
    stream_.set_kind(v1::RELATION_KIND_HYPERTABLE);
    v1::Column* ts = stream_.add_columns();
    ts->set_name("ts");
    ts->set_kind(v1::VALUE_KIND_TIMESTAMPTZ);
    plan_.stream = &stream_;
    plan_.chunked = true;
    plan_.slice_column = 0;
  }
  std::vector<std::string> Names(const StreamChunks& chunks) {
    std::vector<std::string> names;
    for (const ChunkState& s : chunks) names.push_back(s.info.qualified);
    return names;
  }
  v1::Stream stream_;
  StreamPlan plan_;
};

TEST_F(StreamChunksTest, ListingsMergeInReadOrderOnceEach) {
  StreamChunks chunks(plan_);
  StreamChunks::Merged first = chunks.Merge({Chunk(2 * kDay, "c"), Chunk(0, "a")});
  EXPECT_EQ(first.added, 2u);
  EXPECT_EQ(first.skipped, 0u);
  StreamChunks::Merged second = chunks.Merge({Chunk(0, "a"), Chunk(kDay, "b"), Chunk(2 * kDay, "c")});
  EXPECT_EQ(second.added, 1u) << "a and c are known";
  EXPECT_EQ(Names(chunks), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(chunks.Known("b"));
  EXPECT_FALSE(chunks.Known("d"));
}

TEST_F(StreamChunksTest, ChunksFinishedBeforeOrPrunedByTheCursorAreDoneAndSkipped) {
  plan_.progress.mutable_watermark()->set_range_start(0);
  plan_.progress.mutable_watermark()->set_chunk("a");
  plan_.progress.add_done("c");
  *plan_.progress.add_in_flight() = At("d", 3 * kDay + 5);
  StreamChunks chunks(plan_);
  StreamChunks::Merged merged =
      chunks.Merge({Chunk(0, "a"), Chunk(kDay, "b"), Chunk(2 * kDay, "c"), Chunk(3 * kDay, "d")});
  EXPECT_EQ(merged.added, 4u);
  EXPECT_EQ(merged.skipped, 2u);
  EXPECT_TRUE(chunks[0].done);
  EXPECT_FALSE(chunks[1].done);
  EXPECT_TRUE(chunks[2].done);
  ASSERT_TRUE(chunks[3].position.has_value());
  EXPECT_EQ(chunks[3].position->last_key(0).int64_value(), 3 * kDay + 5);
  EXPECT_EQ(chunks.Pending(), (std::vector<size_t>{1, 3}));
  chunks[1].scheduled = true;
  EXPECT_EQ(chunks.Pending(), (std::vector<size_t>{3}));

  plan_.progress.Clear();
  plan_.incremental = true;
  plan_.cursor_index = 0;
  plan_.cursor_is_time = true;
  plan_.cursor = v1::ScalarValue();
  plan_.cursor->set_kind(v1::VALUE_KIND_TIMESTAMPTZ);
  plan_.cursor->set_int64_value(kDay);
  StreamChunks pruned(plan_);
  EXPECT_EQ(pruned.Merge({Chunk(0, "a"), Chunk(kDay, "b")}).skipped, 1u) << "a ends at the cursor";
  EXPECT_EQ(pruned.Pending(), (std::vector<size_t>{1}));
}

TEST_F(StreamChunksTest, TheProgressClaimsTheFinishedPrefixAndPositions) {
  StreamChunks chunks(plan_);
  chunks.Merge({Chunk(0, "a"), Chunk(kDay, "b"), Chunk(2 * kDay, "c")});
  chunks[0].done = true;
  chunks[1].position = At("b", kDay + 7);
  chunks[2].done = true;
  v1::ChunkProgress progress = chunks.Progress();
  EXPECT_EQ(progress.watermark().chunk(), "a");
  ASSERT_EQ(progress.in_flight_size(), 1);
  EXPECT_EQ(progress.in_flight(0).chunk(), "b");
  ASSERT_EQ(progress.done_size(), 1);
  EXPECT_EQ(progress.done(0), "c");
}

TEST_F(StreamChunksTest, ATaskReadsFromItsPositionOrTheTimeCursorOn) {
  StreamChunks chunks(plan_);
  ChunkInfo big = Chunk(0, "a", 4 * kDay);
  big.size_bytes = 4000;
  chunks.Merge({big});
  ChunkTask whole = chunks.TaskFor(0, /*slice_bytes=*/0);
  EXPECT_EQ(whole.index, 0u);
  EXPECT_EQ(whole.relation, "a");
  EXPECT_EQ(whole.label, "a");
  ASSERT_EQ(whole.slices.size(), 1u);
  EXPECT_FALSE(whole.slices[0].lower.has_value());

  ChunkTask sliced = chunks.TaskFor(0, /*slice_bytes=*/1000);
  ASSERT_EQ(sliced.slices.size(), 4u);
  EXPECT_EQ(sliced.slices[1].lower, kDay);

  chunks[0].position = At("a", 2 * kDay);
  ChunkTask resumed = chunks.TaskFor(0, 1000);
  ASSERT_FALSE(resumed.slices.empty());
  EXPECT_EQ(resumed.slices[0].lower, 2 * kDay);

  plan_.cursor_is_time = true;
  plan_.cursor = v1::ScalarValue();
  plan_.cursor->set_int64_value(3 * kDay);
  EXPECT_EQ(chunks.TaskFor(0, 1000).slices[0].lower, 3 * kDay) << "the cursor is past the position";
}

TEST_F(StreamChunksTest, ADateColumnSlicesInDays) {
  stream_.mutable_columns(0)->set_kind(v1::VALUE_KIND_DATE);
  StreamChunks chunks(plan_);
  ChunkInfo c = Chunk(-kDay - 1, "a", 3 * kDay + 2);  // (-1 day - 1 us) .. (2 days + 1 us)
  c.size_bytes = 1 << 20;
  chunks.Merge({c});
  SliceRequest in_days;
  in_days.range_start = -2;  // floored
  in_days.range_end = 3;     // ceiled
  in_days.size_bytes = 1 << 20;
  in_days.slice_bytes = 1 << 18;
  const std::vector<TimeSlice> expected = PlanSlices(in_days);
  const std::vector<TimeSlice> slices = chunks.TaskFor(0, 1 << 18).slices;
  ASSERT_EQ(slices.size(), expected.size());
  ASSERT_GT(slices.size(), 1u);
  for (size_t i = 0; i < slices.size(); ++i) {
    EXPECT_EQ(slices[i].lower, expected[i].lower) << "slice " << i;
    EXPECT_EQ(slices[i].upper, expected[i].upper) << "slice " << i;
  }
}

TEST_F(StreamChunksTest, PartitionsAndXminReadsHaveNoSlices) {
  plan_.slice_column = -1;
  StreamChunks partitions(plan_);
  partitions.Merge({Chunk(0, "p")});
  EXPECT_TRUE(partitions.TaskFor(0, 1).slices.empty());

  plan_.slice_column = 0;
  plan_.xmin = true;
  StreamChunks xmin(plan_);
  ChunkState changed;
  changed.info = Chunk(0, "a");
  changed.xmin.action = XminAction::kReadChanged;
  changed.xmin.since = 1234;
  changed.xmin_heap_only = true;
  xmin.Append(changed);
  ChunkState all;
  all.info = Chunk(-kDay, "b");  // appended: the listed order stays
  xmin.Append(all);
  EXPECT_EQ(Names(xmin), (std::vector<std::string>{"a", "b"}));
  ChunkTask a = xmin.TaskFor(0, 1);
  EXPECT_EQ(a.filter, XminSinceCondition(1234));
  EXPECT_TRUE(a.heap_only);
  EXPECT_TRUE(a.slices.empty());
  ChunkTask b = xmin.TaskFor(1, 1);
  EXPECT_EQ(b.filter, "");
  EXPECT_FALSE(b.heap_only);
  xmin.Clear();
  EXPECT_EQ(xmin.size(), 0u);
  EXPECT_FALSE(xmin.Known("a"));
}

}  // namespace
}  // namespace tsdb_source
