#include "client/data_channel/partition_router.h"

#include <cctype>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tsdb_source::client::data_channel {
namespace {

const StreamKey kStream{"public", "conditions"};
const StreamKey kOther{"public", "devices"};

// Partition ids p1, p2, ... in the order they are made.
PartitionRouter MakeRouter(int sockets) {
  auto n = std::make_shared<int>(0);
  return PartitionRouter(sockets, [n] { return "p" + std::to_string(++*n); });
}

ChunkCoverage Cover(const std::string& chunk, uint64_t records, bool ended,
                    const StreamKey& stream = kStream) {
  return ChunkCoverage{stream, chunk, records, ended};
}

TEST(PartitionRouter, EachChunkTakesTheLeastLoadedSocketAndKeepsIt) {
  PartitionRouter router = MakeRouter(2);
  const std::vector<bool> both{true, true};
  auto a = router.Records(kStream, "A", 10, both);
  auto b = router.Records(kStream, "B", 5, both);
  auto a2 = router.Records(kStream, "A", 3, both);
  ASSERT_TRUE(a.ok() && b.ok() && a2.ok());
  EXPECT_EQ(a->socket, 0);
  EXPECT_EQ(b->socket, 1);
  EXPECT_EQ(a2->socket, 0);
  EXPECT_EQ(a->partition_id, "p1");
  EXPECT_EQ(b->partition_id, "p2");
  EXPECT_EQ(a2->partition_id, "p1");
  // A ends: socket 0 is free again and the next chunk takes it.
  router.ChunkEnded(kStream, "A");
  auto c = router.Records(kStream, "C", 1, both);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->socket, 0);
}

TEST(PartitionRouter, OneReaderAtATimeSpreadsItsChunksRoundRobin) {
  PartitionRouter router = MakeRouter(3);
  const std::vector<bool> all{true, true, true};
  std::vector<int> sockets;
  for (const char* chunk : {"A", "B", "C", "D"}) {
    auto route = router.Records(kStream, chunk, 1, all);
    ASSERT_TRUE(route.ok()) << route.status();
    sockets.push_back(route->socket);
    router.ChunkEnded(kStream, chunk);
  }
  EXPECT_EQ(sockets, (std::vector<int>{0, 1, 2, 0}));
  // A socket that is not usable is passed over.
  auto e = router.Records(kStream, "E", 1, {true, false, true});
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->socket, 2);
}

TEST(PartitionRouter, OnlyUsableSocketsAreChosen) {
  PartitionRouter router = MakeRouter(3);
  auto a = router.Records(kStream, "A", 1, {false, false, true});
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->socket, 2);
  auto none = router.Records(kStream, "B", 1, {false, false, false});
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnavailable);
}

TEST(PartitionRouter, ACheckpointClosesThePartitionsItCoversWithConsecutiveIds) {
  PartitionRouter router = MakeRouter(2);
  const std::vector<bool> both{true, true};
  ASSERT_TRUE(router.Records(kStream, "A", 10, both).ok());
  ASSERT_TRUE(router.Records(kStream, "B", 7, both).ok());
  // A slice of A checkpointed: one state, A's partition renewed, B's untouched.
  auto first = router.Checkpoint(kStream, false, {Cover("A", 10, false)});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ((*first)[0].partition_id, "p1");
  EXPECT_EQ((*first)[0].records, 10u);
  EXPECT_EQ((*first)[0].id, 1);
  EXPECT_EQ((*first)[0].socket, 0);
  EXPECT_TRUE((*first)[0].current);
  auto a = router.Records(kStream, "A", 4, both);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->partition_id, "p3");
  EXPECT_EQ(a->socket, 0);
  // Both end and one checkpoint covers both: two states, only the last current.
  router.ChunkEnded(kStream, "A");
  router.ChunkEnded(kStream, "B");
  auto second = router.Checkpoint(kStream, false, {Cover("A", 4, true), Cover("B", 7, true)});
  ASSERT_TRUE(second.ok()) << second.status();
  ASSERT_EQ(second->size(), 2u);
  EXPECT_EQ((*second)[0].partition_id, "p3");
  EXPECT_EQ((*second)[0].records, 4u);
  EXPECT_EQ((*second)[0].id, 2);
  EXPECT_FALSE((*second)[0].current);
  EXPECT_EQ((*second)[1].partition_id, "p2");
  EXPECT_EQ((*second)[1].records, 7u);
  EXPECT_EQ((*second)[1].id, 3);
  EXPECT_EQ((*second)[1].socket, 1);
  EXPECT_TRUE((*second)[1].current);
  EXPECT_EQ(router.open_partitions(), 0u);
}

TEST(PartitionRouter, ACheckpointWithNothingNewIsOneEmptyPartition) {
  PartitionRouter router = MakeRouter(1);
  auto empty = router.Checkpoint(kStream, false, {});
  ASSERT_TRUE(empty.ok());
  ASSERT_EQ(empty->size(), 1u);
  EXPECT_EQ((*empty)[0].records, 0u);
  EXPECT_EQ((*empty)[0].id, 1);
  EXPECT_EQ((*empty)[0].socket, -1);
  EXPECT_EQ((*empty)[0].partition_id, "p1");
  // An ended chunk without records is no partition either.
  auto ended = router.Checkpoint(kStream, false, {Cover("A", 0, true)});
  ASSERT_TRUE(ended.ok());
  ASSERT_EQ(ended->size(), 1u);
  EXPECT_EQ((*ended)[0].records, 0u);
  EXPECT_EQ((*ended)[0].id, 2);
}

TEST(PartitionRouter, IdsRunPerStreamAndPerReadForGlobalStates) {
  PartitionRouter router = MakeRouter(1);
  ASSERT_TRUE(router.Records(kStream, "", 2, {true}).ok());
  ASSERT_TRUE(router.Records(kOther, "", 3, {true}).ok());
  auto s1 = router.Checkpoint(kStream, false, {Cover("", 2, false)});
  auto o1 = router.Checkpoint(kOther, false, {Cover("", 3, false, kOther)});
  ASSERT_TRUE(s1.ok() && o1.ok());
  EXPECT_EQ((*s1)[0].id, 1);
  EXPECT_EQ((*o1)[0].id, 1);
  // GLOBAL: one counter for the read, across streams.
  ASSERT_TRUE(router.Records(kStream, "", 1, {true}).ok());
  ASSERT_TRUE(router.Records(kOther, "", 1, {true}).ok());
  auto g = router.Checkpoint({}, true, {Cover("", 1, false), Cover("", 1, false, kOther)});
  ASSERT_TRUE(g.ok());
  ASSERT_EQ(g->size(), 2u);
  EXPECT_EQ((*g)[0].id, 1);
  EXPECT_EQ((*g)[1].id, 2);
  auto g2 = router.Checkpoint({}, true, {});
  ASSERT_TRUE(g2.ok());
  EXPECT_EQ((*g2)[0].id, 3);
}

TEST(PartitionRouter, ACountThatDiffersFromTheRecordsSentIsAnErrorAndChangesNothing) {
  PartitionRouter router = MakeRouter(1);
  ASSERT_TRUE(router.Records(kStream, "A", 10, {true}).ok());
  auto wrong = router.Checkpoint(kStream, false, {Cover("A", 9, false)});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(wrong.status().message().find("9 records"), std::string_view::npos);
  auto unknown = router.Checkpoint(kStream, false, {Cover("Z", 1, false)});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInternal);
  auto right = router.Checkpoint(kStream, false, {Cover("A", 10, false)});
  ASSERT_TRUE(right.ok());
  EXPECT_EQ((*right)[0].id, 1);
  EXPECT_EQ((*right)[0].records, 10u);
}

TEST(PartitionRouter, RecordsAfterAChunksEndAreRefused) {
  PartitionRouter router = MakeRouter(1);
  ASSERT_TRUE(router.Records(kStream, "A", 1, {true}).ok());
  router.ChunkEnded(kStream, "A");
  EXPECT_EQ(router.Records(kStream, "A", 1, {true}).status().code(), absl::StatusCode::kInternal);
}

TEST(PartitionRouter, RandomIdsAreEightAlphanumerics) {
  const std::string a = RandomPartitionId();
  const std::string b = RandomPartitionId();
  EXPECT_EQ(a.size(), 8u);
  EXPECT_NE(a, b);
  for (char c : a) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << a;
}

}  // namespace
}  // namespace tsdb_source::client::data_channel
