// The pure part of Xmin reads: which relations a sync skips or reads from which
// transaction, the entries it saves, and the transaction-ID arithmetic across an epoch
// boundary (the SQL condition is modelled exactly as PostgreSQL's age() computes it).
#include "service/read/xmin_plan.h"

#include <cstdint>
#include <random>

#include "gtest/gtest.h"

namespace tsdb_source {
namespace {

constexpr uint64_t kEpoch = uint64_t{1} << 32;

XminFacts Facts(uint64_t horizon, bool live = true, const std::string& epoch = "e1") {
  XminFacts f;
  f.horizon = horizon;
  f.next_xid = horizon + 10;
  f.stats_epoch = epoch;
  f.counters_live = live;
  return f;
}

XminRelationNow Now(uint64_t writes, uint32_t oid = 7, bool known = true) {
  XminRelationNow n;
  n.relation = "\"s\".\"c\"";
  n.oid = oid;
  n.writes = writes;
  n.writes_known = known;
  n.filenode = 0;
  return n;
}

v1::XminRelation Entry(uint64_t writes, uint64_t horizon, uint32_t oid = 7) {
  v1::XminRelation e;
  e.set_relation("\"s\".\"c\"");
  e.set_oid(oid);
  e.set_writes(writes);
  e.set_writes_known(true);
  e.set_horizon(horizon);
  return e;
}

v1::XminState Saved(uint64_t horizon, const std::string& epoch = "e1") {
  v1::XminState s;
  s.set_horizon(horizon);
  s.set_stats_epoch(epoch);
  return s;
}

TEST(XminPlan, FirstSyncReadsEverything) {
  XminDecision d = DecideXmin(v1::XminState(), nullptr, Now(5), Facts(1000));
  EXPECT_EQ(d.action, XminAction::kReadAll);
}

TEST(XminPlan, UnchangedCountersSkipChangedOnesReadFromTheRelationsHorizon) {
  v1::XminRelation e = Entry(40, 900);
  EXPECT_EQ(DecideXmin(Saved(950), &e, Now(40), Facts(1000)).action, XminAction::kSkip);
  XminDecision d = DecideXmin(Saved(950), &e, Now(41), Facts(1000));
  EXPECT_EQ(d.action, XminAction::kReadChanged);
  EXPECT_EQ(d.since, 900u);  // its own horizon, not the stream's
  // A counter that went down (a reset the epoch did not show) is a change as well.
  EXPECT_EQ(DecideXmin(Saved(950), &e, Now(3), Facts(1000)).action, XminAction::kReadChanged);
}

TEST(XminPlan, NewRelationIsReadWholeAndAMigratedStateReadsFromItsHorizon) {
  // The previous sync listed relations, not this one: it may hold rows never in the stream
  // (a table attached as a partition, a chunk split off another).
  v1::XminState saved = Saved(950);
  *saved.add_relations() = Entry(1, 900, /*oid=*/99);
  EXPECT_EQ(DecideXmin(saved, nullptr, Now(0), Facts(1000)).action, XminAction::kReadAll);
  // Same name, another OID: dropped and created again, so new.
  v1::XminRelation e = Entry(40, 900, /*oid=*/6);
  EXPECT_EQ(DecideXmin(saved, &e, Now(40, /*oid=*/7), Facts(1000)).action, XminAction::kReadAll);
  // source-postgres's state has a horizon and no relation: every relation from it.
  XminDecision d = DecideXmin(Saved(950), nullptr, Now(0), Facts(1000));
  EXPECT_EQ(d.action, XminAction::kReadChanged);
  EXPECT_EQ(d.since, 950u);
}

TEST(XminPlan, ARewriteIsReadLikeAWrite) {
  // VACUUM FULL, CLUSTER, a merge of chunks: rows moved, xmin kept, no write counted.
  v1::XminRelation e = Entry(40, 900);
  e.set_filenode(5000);
  XminRelationNow now = Now(40);
  now.filenode = 5000;
  EXPECT_EQ(DecideXmin(Saved(950), &e, now, Facts(1000)).action, XminAction::kSkip);
  now.filenode = 5001;
  XminDecision d = DecideXmin(Saved(950), &e, now, Facts(1000));
  EXPECT_EQ(d.action, XminAction::kReadChanged);
  EXPECT_EQ(d.since, 900u);
}

TEST(XminPlan, CountersAreTrustedOnlyWhenLiveInTheSameEpochAndKnown) {
  v1::XminRelation e = Entry(40, 900);
  // Not flowing (the WASM server; PostgreSQL before 15; track_counts off).
  EXPECT_EQ(DecideXmin(Saved(950), &e, Now(40), Facts(1000, /*live=*/false)).action,
            XminAction::kReadChanged);
  // A restart or a statistics reset since the entry.
  EXPECT_EQ(DecideXmin(Saved(950, "e0"), &e, Now(40), Facts(1000)).action,
            XminAction::kReadChanged);
  // The relation was not counted (it appeared after the counters were read).
  EXPECT_EQ(DecideXmin(Saved(950), &e, Now(40, 7, /*known=*/false), Facts(1000)).action,
            XminAction::kReadChanged);
  v1::XminRelation unknown = e;
  unknown.set_writes_known(false);
  EXPECT_EQ(DecideXmin(Saved(950), &unknown, Now(40), Facts(1000)).action,
            XminAction::kReadChanged);
}

TEST(XminPlan, AHorizonTooOldForA32BitXminReadsTheRelationWhole) {
  v1::XminRelation e = Entry(40, 1000);
  XminFacts f = Facts(1000 + kXminFilterWindow);
  f.next_xid = 1000 + kXminFilterWindow;
  EXPECT_EQ(DecideXmin(Saved(1000), &e, Now(41), f).action, XminAction::kReadAll);
  f.next_xid = 999 + kXminFilterWindow;
  EXPECT_EQ(DecideXmin(Saved(1000), &e, Now(41), f).action, XminAction::kReadChanged);
  // Unchanged relations are still skipped, however old their horizon.
  f.next_xid = 5 * kEpoch;
  EXPECT_EQ(DecideXmin(Saved(1000), &e, Now(40), f).action, XminAction::kSkip);
}

TEST(XminPlan, EntryAfterReadTakesThisSyncsHorizonAndCounters) {
  v1::XminRelation e = EntryAfterRead(Now(77), Facts(5000));
  EXPECT_EQ(e.relation(), "\"s\".\"c\"");
  EXPECT_EQ(e.oid(), 7u);
  EXPECT_EQ(e.writes(), 77u);
  EXPECT_TRUE(e.writes_known());
  EXPECT_EQ(e.horizon(), 5000u);
  EXPECT_EQ(e.filenode(), 0u);
}

TEST(XminPlan, ConditionNamesThe32BitIdOfSince) {
  EXPECT_EQ(XminSinceCondition(3 * kEpoch + 12345),
            "pg_catalog.age(xmin) BETWEEN 0 AND (SELECT pg_catalog.age('12345'::pg_catalog.xid))");
  EXPECT_EQ(XminEpoch(3 * kEpoch + 12345), 3u);
  EXPECT_EQ(XminXid32(3 * kEpoch + 12345), 12345u);
}

// PostgreSQL's age(xid) for a normal xid: (int32)(reader's next xid - xid), in 32 bits.
int32_t Age(uint32_t reader_next32, uint32_t xid32) {
  return static_cast<int32_t>(reader_next32 - xid32);
}

// What the SQL condition selects, for a row written by full ID `row`, read by a transaction
// whose next xid is `reader_next`.
bool Selected(uint64_t row, uint64_t since, uint64_t reader_next) {
  const int32_t age = Age(static_cast<uint32_t>(reader_next), static_cast<uint32_t>(row));
  const int32_t bound = Age(static_cast<uint32_t>(reader_next), static_cast<uint32_t>(since));
  return age >= 0 && age <= bound;
}

TEST(XminPlan, TheConditionIsExactAcrossAnEpochBoundary) {
  std::mt19937_64 rng(42);
  // `since` just below the boundary between epochs 6 and 7, the reader well past it.
  for (uint64_t since : {7 * kEpoch - 5, 7 * kEpoch - 1, 7 * kEpoch, 7 * kEpoch + 3,
                         7 * kEpoch - 1000000}) {
    for (uint64_t reader_next : {since + 1, since + 10, 7 * kEpoch + 100,
                                 since + kXminFilterWindow - 1}) {
      if (reader_next <= since || !XminFilterable(since, reader_next)) continue;
      // Rows the reader can see: written below its next xid, within 2^31 (unfrozen rows).
      for (int i = 0; i < 20000; ++i) {
        const uint64_t back = rng() % ((uint64_t{1} << 31) - 1) + 1;
        const uint64_t row = reader_next - back;
        EXPECT_EQ(Selected(row, since, reader_next), row >= since)
            << "row " << row << " since " << since << " reader " << reader_next;
      }
      for (uint64_t row : {since - 1, since, since + 1, reader_next - 1}) {
        if (row >= reader_next) continue;
        EXPECT_EQ(Selected(row, since, reader_next), row >= since) << row;
      }
    }
  }
}

TEST(XminPlan, FilterableOnlyWithinTheWindow) {
  EXPECT_TRUE(XminFilterable(7 * kEpoch - 5, 7 * kEpoch + 5));
  EXPECT_FALSE(XminFilterable(100, 100 + kXminFilterWindow));
  EXPECT_FALSE(XminFilterable(200, 100));  // a horizon from the future (another server)
}

TEST(XminPlan, ARewriteReadsFromTheOldestHorizonOfTheState) {
  // merge_chunks moved rows, xmin kept, from a chunk a sync skipped while a write to it was
  // not counted yet: its horizon (700) is older than the survivor's (900).
  v1::XminState saved = Saved(950);
  v1::XminRelation survivor = Entry(40, 900);
  survivor.set_filenode(5000);
  *saved.add_relations() = survivor;
  *saved.add_relations() = Entry(3, 700, /*oid=*/8);
  XminRelationNow now = Now(40);
  now.filenode = 5001;
  XminDecision d = DecideXmin(saved, &survivor, now, Facts(1000));
  EXPECT_EQ(d.action, XminAction::kReadChanged);
  EXPECT_EQ(d.since, 700u);
}

TEST(XminPlan, CompressedDataCountsApartAndByItsRelation) {
  // Decompression drops the compressed relation with its counts; compression makes another.
  v1::XminRelation e = Entry(10, 900);
  e.set_compressed_oid(4000);
  e.set_compressed_writes(10);
  XminRelationNow now = Now(10);
  now.compressed_oid = 4000;
  now.compressed_writes = 10;
  EXPECT_EQ(DecideXmin(Saved(950), &e, now, Facts(1000)).action, XminAction::kSkip);
  // Heap 10 -> 19 and the compressed data gone: the sum would still say 20.
  now.writes = 19;
  now.compressed_oid = 0;
  now.compressed_writes = 0;
  e.set_writes(10);
  EXPECT_EQ(DecideXmin(Saved(950), &e, now, Facts(1000)).action, XminAction::kReadChanged);
  now = Now(10);
  now.compressed_oid = 4001;  // recompressed into another relation, same counts
  now.compressed_writes = 10;
  EXPECT_EQ(DecideXmin(Saved(950), &e, now, Facts(1000)).action, XminAction::kReadChanged);
}

TEST(XminPlan, AnotherServerOrAForeignTableIsReadWhole) {
  v1::XminRelation e = Entry(40, 900);
  v1::XminState saved = Saved(950);
  saved.set_server("7714/1");
  XminFacts f = Facts(1000);
  f.server = "7714/1";
  EXPECT_EQ(DecideXmin(saved, &e, Now(40), f).action, XminAction::kSkip);
  f.server = "7714/2";  // promoted standby: a new timeline
  EXPECT_EQ(DecideXmin(saved, &e, Now(40), f).action, XminAction::kReadAll);
  f.server = "";  // the server does not say: as before
  EXPECT_EQ(DecideXmin(saved, &e, Now(40), f).action, XminAction::kSkip);
  XminRelationNow foreign = Now(0);
  foreign.no_xmin = true;
  EXPECT_EQ(DecideXmin(Saved(950), &e, foreign, Facts(1000)).action, XminAction::kReadAll);
}

}  // namespace
}  // namespace tsdb_source
