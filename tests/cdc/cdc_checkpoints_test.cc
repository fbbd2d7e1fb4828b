// The GLOBAL checkpoints of a CDC read (no database): each carries the position, every
// stream's snapshot state and the chunks it covers: a snapshot checkpoint's entries passed on
// once, and every change batch emitted before it, per stream and RecordBatch.chunk; when the
// change stream ends, a ChunkEnd for each chunk its batches named and, in the next
// checkpoint, their ends.
#include "service/cdc/cdc_checkpoints.h"

#include <vector>

#include "gtest/gtest.h"

namespace tsdb_source::cdc {
namespace {

struct Collector : ReadSink {
  std::vector<v1::ReadResponse> events;
  bool Emit(const v1::ReadResponse& r) override {
    events.push_back(r);
    return true;
  }
};

v1::StreamDescriptor Stream(const std::string& name) {
  v1::StreamDescriptor d;
  d.set_namespace_("public");
  d.set_name(name);
  return d;
}

TEST(CdcCheckpoints, ASnapshotsEntriesArePassedOnOnce) {
  Collector sink;
  CdcCheckpoints checkpoints(&sink, 100);
  google::protobuf::RepeatedPtrField<v1::ChunkRecords> covered;
  v1::ChunkRecords* entry = covered.Add();
  entry->set_chunk("\"_timescaledb_internal\".\"_hyper_1_1_chunk\"");
  entry->set_records(7);
  entry->set_ended(true);
  *entry->mutable_stream() = Stream("m");
  checkpoints.AddRecords(7);
  checkpoints.AddCovered(covered);
  ASSERT_TRUE(checkpoints.Emit());
  const v1::Checkpoint& first = sink.events.back().checkpoint();
  EXPECT_EQ(first.global().lsn(), 100u);
  ASSERT_EQ(first.chunks_size(), 1);
  EXPECT_EQ(first.chunks(0).records(), 7u);
  EXPECT_TRUE(first.chunks(0).ended());
  EXPECT_EQ(first.chunks(0).stream().name(), "m");
  ASSERT_TRUE(checkpoints.Emit());
  EXPECT_EQ(sink.events.back().checkpoint().chunks_size(), 0);
}

TEST(CdcCheckpoints, EveryChangeEmittedIsCoveredByTheNextCheckpointAndEndsWhenTheStreamEnds) {
  Collector sink;
  CdcCheckpoints checkpoints(&sink, 100);
  checkpoints.AddChanges(Stream("m"), "_timescaledb_internal._hyper_1_1_chunk", 3);
  checkpoints.AddChanges(Stream("t"), "public.t", 2);
  checkpoints.AddChanges(Stream("m"), "_timescaledb_internal._hyper_1_2_chunk", 4);
  checkpoints.set_lsn(200);
  ASSERT_TRUE(checkpoints.Emit());
  const v1::Checkpoint& first = sink.events.back().checkpoint();
  EXPECT_EQ(first.records_since_last_checkpoint(), 9u);
  ASSERT_EQ(first.chunks_size(), 3);
  uint64_t sum = 0;
  for (const v1::ChunkRecords& c : first.chunks()) {
    EXPECT_FALSE(c.ended());
    EXPECT_FALSE(c.stream().name().empty());
    sum += c.records();
  }
  EXPECT_EQ(sum, 9u);

  checkpoints.AddChanges(Stream("m"), "_timescaledb_internal._hyper_1_2_chunk", 1);
  ASSERT_TRUE(checkpoints.EndChanges());
  size_t ends = 0;
  for (const v1::ReadResponse& e : sink.events) {
    if (!e.has_chunk_end()) continue;
    ++ends;
    const uint64_t expected = e.chunk_end().chunk() == "_timescaledb_internal._hyper_1_2_chunk" ? 1 : 0;
    EXPECT_EQ(e.chunk_end().records(), expected) << e.chunk_end().chunk();
  }
  EXPECT_EQ(ends, 3u);
  ASSERT_TRUE(checkpoints.Emit());
  const v1::Checkpoint& last = sink.events.back().checkpoint();
  ASSERT_EQ(last.chunks_size(), 3);
  for (const v1::ChunkRecords& c : last.chunks()) {
    EXPECT_TRUE(c.ended()) << c.chunk();
    EXPECT_EQ(c.records(), c.chunk() == "_timescaledb_internal._hyper_1_2_chunk" ? 1u : 0u);
  }
  ASSERT_TRUE(checkpoints.EndChanges());
  ASSERT_TRUE(checkpoints.Emit());
  EXPECT_EQ(sink.events.back().checkpoint().chunks_size(), 0) << "ends are covered once";
}

}  // namespace
}  // namespace tsdb_source::cdc
