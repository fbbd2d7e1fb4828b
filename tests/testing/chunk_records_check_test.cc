// The chunk coverage check itself (no database): a read that keeps the contract passes, and
// each kind of break is named (a batch after its ChunkEnd, a wrong ChunkEnd count, records
// covered twice or never, an end covered before its ChunkEnd, an entry without its stream).
#include "tests/testing/chunk_records_check.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tsdb_source::testing {
namespace {

v1::StreamDescriptor Stream() {
  v1::StreamDescriptor d;
  d.set_namespace_("s");
  d.set_name("m");
  return d;
}

v1::ReadResponse Batch(const std::string& chunk, uint32_t rows) {
  v1::ReadResponse r;
  *r.mutable_records()->mutable_stream() = Stream();
  r.mutable_records()->set_chunk(chunk);
  r.mutable_records()->set_row_count(rows);
  return r;
}

v1::ReadResponse End(const std::string& chunk, uint64_t records) {
  v1::ReadResponse r;
  *r.mutable_chunk_end()->mutable_stream() = Stream();
  r.mutable_chunk_end()->set_chunk(chunk);
  r.mutable_chunk_end()->set_records(records);
  return r;
}

struct Covered {
  std::string chunk;
  uint64_t records;
  bool ended;
};

v1::ReadResponse Checkpoint(const std::vector<Covered>& covered, bool with_stream = true) {
  v1::ReadResponse r;
  r.mutable_checkpoint()->mutable_state()->set_version(1);
  for (const Covered& c : covered) {
    v1::ChunkRecords* e = r.mutable_checkpoint()->add_chunks();
    e->set_chunk(c.chunk);
    e->set_records(c.records);
    e->set_ended(c.ended);
    if (with_stream) *e->mutable_stream() = Stream();
  }
  return r;
}

bool Names(const ChunkRecordsCheck& check, const std::string& text) {
  for (const std::string& v : check.violations) {
    if (v.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(ChunkRecordsCheck, AReadThatKeepsTheContractPasses) {
  std::vector<v1::ReadResponse> events = {
      Batch("a", 3), Batch("b", 2), Checkpoint({{"a", 3, false}}), Batch("a", 1), End("a", 1),
      Checkpoint({{"a", 1, true}}), End("b", 2), End("c", 0), Checkpoint({{"b", 2, true}, {"c", 0, true}}),
      Checkpoint({})};
  ChunkRecordsCheck check = CheckChunkRecords(events, /*completed=*/true);
  EXPECT_TRUE(check.violations.empty()) << check.violations.front();
  EXPECT_EQ(check.max_open, 2u);
  EXPECT_EQ(check.chunk_ends, 3u);
  EXPECT_EQ(check.ended_entries, 3u);
  EXPECT_EQ(check.emitted.at("s.m|a"), 4u);
  EXPECT_EQ(check.covered.at("s.m|a"), 4u);
}

TEST(ChunkRecordsCheck, EachBreakIsNamed) {
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 1), End("a", 1), Batch("a", 1)}, false),
                    "after the chunk's ChunkEnd"));
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), End("a", 1)}, false), "not covered, 2 are"));
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), End("a", 2), End("a", 0)}, false),
                    "a second ChunkEnd"));
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), Checkpoint({{"a", 3, false}})}, false),
                    "3 records covered, 2 emitted"));
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), Checkpoint({{"a", 2, true}})}, false),
                    "ended before its ChunkEnd"));
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), End("a", 2), Checkpoint({{"a", 1, true}})}, false),
                    "ended with 1 records not covered"));
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), Checkpoint({{"a", 2, false}}, false)}, false),
                    "without its stream"));
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), Checkpoint({{"a", 0, false}})}, false),
                    "0 records that ends nothing"));
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), Checkpoint({{"a", 1, false}, {"a", 1, false}})}, false),
                    "listed twice"));
  // A completed read: records never covered, a chunk never ended, an end never covered.
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), End("a", 2)}, true), "2 records emitted, 0 covered"));
  EXPECT_TRUE(Names(CheckChunkRecords({Batch("a", 2), Checkpoint({{"a", 2, false}})}, true),
                    "never ended"));
  EXPECT_TRUE(Names(CheckChunkRecords({End("e", 0)}, true), "its end never covered"));
  // Not completed: what is still open is fine.
  EXPECT_TRUE(CheckChunkRecords({Batch("a", 2), End("a", 2)}, false).violations.empty());
}

}  // namespace
}  // namespace tsdb_source::testing
