// The chunk coverage ledger (no database): a checkpoint lists the chunks covered since the
// last one, each once, in cover order, with the records emitted since their previous
// coverage; a chunk not covered waits, however many checkpoints pass; an end is covered
// once (records 0 allowed only then), a chunk ended but not covered (throttled checkpoints)
// keeps its records for the checkpoint that covers it; records sent again after a retry are
// covered again; a state that completes covers everything; a change stream's end ends every
// chunk met.
#include "service/read/chunk_coverage.h"

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tsdb_source {
namespace {

v1::StreamDescriptor Stream() {
  v1::StreamDescriptor d;
  d.set_namespace_("public");
  d.set_name("m");
  return d;
}

struct Entry {
  std::string chunk;
  uint64_t records;
  bool ended;
  bool operator==(const Entry& o) const {
    return chunk == o.chunk && records == o.records && ended == o.ended;
  }
};

std::ostream& operator<<(std::ostream& os, const Entry& e) {
  return os << "{" << e.chunk << ", " << e.records << (e.ended ? ", ended}" : "}");
}

// The entries a checkpoint would carry now; every one names the stream.
std::vector<Entry> Take(ChunkCoverage& coverage) {
  google::protobuf::RepeatedPtrField<v1::ChunkRecords> taken;
  coverage.TakeCovered(&taken);
  std::vector<Entry> out;
  for (const v1::ChunkRecords& r : taken) {
    EXPECT_EQ(r.stream().name(), "m");
    EXPECT_EQ(r.stream().namespace_(), "public");
    out.push_back({r.chunk(), r.records(), r.ended()});
  }
  return out;
}

TEST(ChunkCoverage, ACheckpointListsOnlyTheChunksCoveredSinceTheLastOne) {
  ChunkCoverage coverage(Stream());
  coverage.Emitted("a", 10);
  coverage.Emitted("b", 5);
  coverage.Emitted("a", 3);
  coverage.Cover("a");  // a's slice position: b is still being read, not covered
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"a", 13, false}}));
  coverage.Emitted("b", 2);
  coverage.Emitted("a", 4);
  EXPECT_EQ(coverage.Uncovered("b"), 7u);
  coverage.Cover("b");
  coverage.Cover("a");
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"b", 7, false}, {"a", 4, false}}))
      << "in cover order";
  EXPECT_TRUE(Take(coverage).empty()) << "nothing new covered: nothing listed";
}

TEST(ChunkCoverage, CoveringTwiceBeforeACheckpointGivesOneEntry) {
  ChunkCoverage coverage(Stream());
  coverage.Emitted("a", 1);
  coverage.Cover("a");
  coverage.Emitted("a", 2);
  coverage.Cover("a");
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"a", 3, false}}));
}

TEST(ChunkCoverage, AChunkWithNothingNewIsNotListed) {
  ChunkCoverage coverage(Stream());
  coverage.Emitted("a", 4);
  coverage.Cover("a");
  Take(coverage);
  coverage.Cover("a");        // a position again, no record since
  coverage.Cover("unknown");  // never emitted, never ended
  EXPECT_TRUE(Take(coverage).empty());
}

TEST(ChunkCoverage, TheEndIsReportedWithTheUncoveredRecordsAndCoveredOnce) {
  ChunkCoverage coverage(Stream());
  coverage.Emitted("a", 6);
  coverage.Cover("a");
  Take(coverage);
  coverage.Emitted("a", 2);
  v1::ChunkEnd end = coverage.End("a");
  EXPECT_EQ(end.chunk(), "a");
  EXPECT_EQ(end.records(), 2u);
  EXPECT_EQ(end.stream().name(), "m");
  coverage.Cover("a");
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"a", 2, true}}));
  coverage.Cover("a");
  coverage.CoverAll();
  EXPECT_TRUE(Take(coverage).empty()) << "an end is covered once";
}

TEST(ChunkCoverage, AnEndWithEveryRecordCoveredIsListedWithZeroRecords) {
  // The last slice's position covered every record; the end is new information.
  ChunkCoverage coverage(Stream());
  coverage.Emitted("a", 6);
  coverage.Cover("a");
  Take(coverage);
  EXPECT_EQ(coverage.End("a").records(), 0u);
  coverage.Cover("a");
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"a", 0, true}}));
  // An empty chunk's read (no record at all) ends the same way.
  EXPECT_EQ(coverage.End("empty").records(), 0u);
  coverage.Cover("empty");
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"empty", 0, true}}));
}

TEST(ChunkCoverage, EndedChunksWaitForTheCheckpointThatCoversThem) {
  // Xmin: ends are covered as they come, a checkpoint only now and then.
  ChunkCoverage coverage(Stream());
  coverage.Emitted("a", 3);
  EXPECT_EQ(coverage.End("a").records(), 3u);
  coverage.Cover("a");
  coverage.Emitted("b", 4);
  EXPECT_EQ(coverage.End("b").records(), 4u);
  coverage.Cover("b");
  coverage.Emitted("c", 1);  // c still being read
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"a", 3, true}, {"b", 4, true}}));
  // Covered but not yet taken still counts as not covered by a checkpoint.
  coverage.Cover("c");
  EXPECT_EQ(coverage.End("c").records(), 1u);
}

TEST(ChunkCoverage, RecordsSentAgainAfterARetryAreCoveredAgain) {
  ChunkCoverage coverage(Stream());
  coverage.Emitted("a", 5);
  coverage.Cover("a");
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"a", 5, false}}));
  coverage.Emitted("a", 7);  // lost with the connection: read again from the position
  coverage.Emitted("a", 7);
  coverage.End("a");
  coverage.Cover("a");
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"a", 14, true}}));
}

TEST(ChunkCoverage, CoverAllCoversEveryChunkInTheOrderTheyWereMet) {
  ChunkCoverage coverage(Stream());
  coverage.Emitted("", 9);  // a whole table: one chunk string, empty
  coverage.End("");
  coverage.Emitted("z", 1);
  coverage.CoverAll();
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"", 9, true}, {"z", 1, false}}));
}

TEST(ChunkCoverage, EndAllEndsEveryChunkNotEndedYet) {
  ChunkCoverage coverage(Stream());
  coverage.Emitted("s.c2", 2);
  coverage.Emitted("s.c1", 1);
  coverage.End("s.c1");
  coverage.Cover("s.c1");
  coverage.Emitted("s.c2", 3);
  coverage.CoverAll();
  Take(coverage);
  coverage.Emitted("s.c3", 4);
  std::vector<v1::ChunkEnd> ends = coverage.EndAll();
  ASSERT_EQ(ends.size(), 2u);
  EXPECT_EQ(ends[0].chunk(), "s.c2");
  EXPECT_EQ(ends[0].records(), 0u);
  EXPECT_EQ(ends[1].chunk(), "s.c3");
  EXPECT_EQ(ends[1].records(), 4u);
  coverage.CoverAll();
  EXPECT_EQ(Take(coverage), (std::vector<Entry>{{"s.c2", 0, true}, {"s.c3", 4, true}}));
  EXPECT_TRUE(coverage.EndAll().empty());
}

// Over any sequence, the entries of a chunk add up to its records emitted once all is
// covered.
TEST(ChunkCoverage, EntriesAddUpToTheRecordsEmitted) {
  ChunkCoverage coverage(Stream());
  std::map<std::string, uint64_t> emitted, listed;
  const char* names[] = {"a", "b", "c"};
  for (int step = 0; step < 200; ++step) {
    const std::string chunk = names[(step * 7) % 3];
    const uint64_t n = static_cast<uint64_t>(step % 5);
    coverage.Emitted(chunk, n);
    emitted[chunk] += n;
    if (step % 4 == 0) coverage.Cover(names[step % 3]);
    if (step % 11 == 0) {
      for (const Entry& e : Take(coverage)) listed[e.chunk] += e.records;
    }
  }
  coverage.CoverAll();
  for (const Entry& e : Take(coverage)) listed[e.chunk] += e.records;
  EXPECT_EQ(listed, emitted);
}

}  // namespace
}  // namespace tsdb_source
