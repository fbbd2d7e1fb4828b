// Change data capture end to end on PostgreSQL 15 (the TimescaleDB dev server has no
// logical replication): snapshot then changes with no gap, deletes as records, partition
// changes under their parent's stream, compression markers dropped, acknowledgement only of
// positions handed back, a slot past the saved position, and every record covered once by
// the GLOBAL checkpoints' chunks.
#include <map>
#include <set>
#include <string>
#include <thread>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "service/common/errors.h"
#include "service/pg/lsn.h"
#include "service/session/read_session.h"
#include "tests/cdc/cdc_collector.h"
#include "tests/testing/chunk_records_check.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::Server;

using Collector = testing::CdcCollector;

class CdcRead : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = testing::UniqueName("cdc");
    slot_ = testing::UniqueName("slot");
    publication_ = testing::UniqueName("pub");
    Sql("CREATE SCHEMA " + schema_);
    Sql("CREATE TABLE " + schema_ + ".items (id bigint PRIMARY KEY, note text)");
    // A key, so that change data capture can follow it (cdc/capturable.h).
    Sql("CREATE TABLE " + schema_ + ".events (id bigint NOT NULL, ts timestamptz NOT NULL, "
        "PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts)");
    Sql("CREATE TABLE " + schema_ + ".events_jan PARTITION OF " + schema_ +
        ".events FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')");
    Sql("CREATE TABLE " + schema_ + ".unrelated (id bigint PRIMARY KEY)");
    Sql("INSERT INTO " + schema_ + ".items SELECT g, 'n' || g FROM generate_series(1, 10) g");
    Sql("INSERT INTO " + schema_ + ".events SELECT g, '2024-01-01'::timestamptz + g * interval '1 hour' "
        "FROM generate_series(1, 5) g");
    Sql("CREATE PUBLICATION " + publication_ + " FOR TABLES IN SCHEMA " + schema_);
    Sql("SELECT pg_create_logical_replication_slot('" + slot_ + "', 'pgoutput')");
  }
  void TearDown() override {
    Sql("SELECT pg_drop_replication_slot('" + slot_ + "')");
    Sql("DROP PUBLICATION " + publication_);
    Sql("DROP SCHEMA " + schema_ + " CASCADE");
  }
  void Sql(const std::string& sql) { testing::Exec(admin_, sql); }
  // The slot's confirmed position once it settles (the server applies status updates
  // asynchronously): polls until it equals `expected` or 5 s pass.
  uint64_t ConfirmedFlushSettled(uint64_t expected) {
    uint64_t lsn = ConfirmedFlush();
    for (int i = 0; i < 50 && lsn != expected; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      lsn = ConfirmedFlush();
    }
    return lsn;
  }
  uint64_t ConfirmedFlush() {
    auto r = admin_.Exec("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = '" + slot_ + "'");
    EXPECT_TRUE(r.ok());
    return *pg::ParseLsn(r->Get(0, 0));
  }
  v1::ReadRequest Request(std::vector<std::string> tables = {"items", "events"}) {
    v1::ReadRequest request;
    *request.mutable_config() = testing::ConfigFor(Server::kPostgres);
    request.mutable_config()->add_schemas(schema_);
    auto* rm = request.mutable_config()->mutable_replication_method();
    rm->set_method("CDC");
    rm->set_replication_slot(slot_);
    rm->set_publication(publication_);
    rm->set_initial_waiting_seconds(5);
    for (const std::string& t : tables) {
      v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
      s->mutable_stream()->set_name(t);
      s->mutable_stream()->set_namespace_(schema_);
      s->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
    }
    return request;
  }
  pg::Connection admin_ = testing::Connect(Server::kPostgres);
  std::string schema_, slot_, publication_;
};

TEST_F(CdcRead, SnapshotThenChangesWithDeletesPartitionsAndAcknowledgement) {
  const uint64_t slot_at_start = ConfirmedFlush();
  Collector first;
  absl::Status status = RunRead(Request(), &first);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(first.Ids("items"), (std::multiset<int64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_EQ(first.Ids("events").size(), 5u);
  EXPECT_EQ(first.columns["items"], 2);  // the table's columns: the change metadata is typed
  EXPECT_EQ(first.captured, (std::set<std::string>{"items", "events"}));
  const v1::GlobalState* global = first.LastGlobal();
  ASSERT_NE(global, nullptr);
  ASSERT_EQ(global->streams_size(), 2);
  EXPECT_TRUE(global->streams(0).completed());
  EXPECT_GE(global->lsn(), slot_at_start);
  // Nothing was confirmed: the client has not handed a state back yet.
  EXPECT_EQ(ConfirmedFlush(), slot_at_start);

  Sql("INSERT INTO " + schema_ + ".items VALUES (11, 'new')");
  Sql("UPDATE " + schema_ + ".items SET note = 'changed' WHERE id = 2");
  Sql("DELETE FROM " + schema_ + ".items WHERE id = 3");
  Sql("INSERT INTO " + schema_ + ".events VALUES (100, '2024-01-20')");  // lands in events_jan
  Sql("INSERT INTO " + schema_ + ".unrelated VALUES (1)");
  Sql("BEGIN");
  Sql("INSERT INTO " + schema_ + ".items SELECT g, 'bulk' FROM generate_series(1000, 2999) g");
  Sql("COMMIT");
  // TimescaleDB compression shows up as deletes and inserts inside markers: not user changes.
  Sql("BEGIN");
  Sql("SELECT pg_logical_emit_message(true, '::timescaledb-compression-start', '')");
  Sql("DELETE FROM " + schema_ + ".items WHERE id = 4");
  Sql("INSERT INTO " + schema_ + ".items VALUES (4, 'n4')");
  Sql("SELECT pg_logical_emit_message(true, '::timescaledb-compression-end', '')");
  Sql("COMMIT");
  Sql("TRUNCATE " + schema_ + ".unrelated");

  v1::ReadRequest second_request = Request();
  *second_request.mutable_global_state() = *global;
  Collector second;
  status = RunRead(second_request, &second);
  ASSERT_TRUE(status.ok()) << status;
  std::multiset<int64_t> items = second.Ids("items");
  EXPECT_EQ(items.count(11), 1u);
  EXPECT_EQ(items.count(2), 1u);
  EXPECT_EQ(items.count(4), 0u) << "compression rewrites are not changes";
  EXPECT_EQ(items.count(1500), 1u);
  EXPECT_EQ(items.size(), 2u + 2000u);
  EXPECT_EQ(second.Ids("items", /*deleted=*/true), (std::multiset<int64_t>{3}));
  EXPECT_EQ(second.Ids("events"), (std::multiset<int64_t>{100}));
  EXPECT_EQ(second.Ids("unrelated").size(), 0u);
  const v1::GlobalState* global2 = second.LastGlobal();
  ASSERT_NE(global2, nullptr);
  EXPECT_GT(global2->lsn(), global->lsn());
  // Every record (snapshot and changes) is covered exactly once by a GLOBAL checkpoint's
  // chunks, each chunk ends once and its end is covered (tests/testing/chunk_records_check.h).
  for (const Collector* read : {&first, &second}) {
    testing::ChunkRecordsCheck check = testing::CheckChunkRecords(read->events, /*completed=*/true);
    EXPECT_TRUE(check.violations.empty()) << absl::StrJoin(check.violations, "\n");
    EXPECT_GT(check.ended_entries, 0u);
  }
  // The change batches' chunks: the table, and the partition the insert landed in.
  std::set<std::string> changed_chunks;
  for (const v1::ReadResponse& e : second.events) {
    if (e.has_chunk_end()) changed_chunks.insert(e.chunk_end().stream().name() + " " + e.chunk_end().chunk());
  }
  EXPECT_EQ(changed_chunks, (std::set<std::string>{"items " + schema_ + ".items",
                                                   "events " + schema_ + ".events_jan"}));
  // The slot moved only to the position the client handed back (the first read's).
  EXPECT_EQ(ConfirmedFlushSettled(std::max(global->lsn(), slot_at_start)),
            std::max(global->lsn(), slot_at_start));

  // A third read from the second state: nothing new, and the slot moves on.
  v1::ReadRequest third_request = Request();
  *third_request.mutable_global_state() = *global2;
  Collector third;
  ASSERT_TRUE(RunRead(third_request, &third).ok());
  EXPECT_TRUE(third.records.empty());
  EXPECT_EQ(ConfirmedFlushSettled(global2->lsn()), global2->lsn());

  // A TRUNCATE has no per-row form: it is reported, naming the stream.
  Sql("TRUNCATE " + schema_ + ".items");
  v1::ReadRequest fourth_request = Request();
  *fourth_request.mutable_global_state() = *third.LastGlobal();
  Collector fourth;
  ASSERT_TRUE(RunRead(fourth_request, &fourth).ok());
  EXPECT_TRUE(fourth.Logged("TRUNCATE of " + schema_ + ".items"));
}

TEST_F(CdcRead, ChangesDuringTheSnapshotAreNotLost) {
  // Enough rows for many batches, so that the snapshot is still running when the first
  // batch arrives; the sink then inserts a row and updates one on another connection. The
  // snapshot's own transaction cannot see them: they must come from the change stream (an
  // _ab_cdc_lsn past the position the snapshot rows carry).
  Sql("INSERT INTO " + schema_ + ".items SELECT g, 'n' FROM generate_series(11, 20000) g");
  Sql("SELECT pg_replication_slot_advance('" + slot_ + "', pg_current_wal_lsn())");  // not changes
  const int64_t snapshot_lsn = static_cast<int64_t>(ConfirmedFlush());
  v1::ReadRequest request = Request({"items"});
  request.mutable_options()->set_batch_max_rows(100);
  Collector sink;
  bool changed = false;
  size_t records_when_changed = 0;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (!r.has_records() || changed) return;
    changed = true;
    records_when_changed = sink.records.size();
    pg::Connection other = testing::Connect(Server::kPostgres);
    testing::Exec(other, "INSERT INTO " + schema_ + ".items VALUES (500000, 'during')");
    testing::Exec(other, "UPDATE " + schema_ + ".items SET note = 'during' WHERE id = 19999");
  };
  ASSERT_TRUE(RunRead(request, &sink).ok());
  ASSERT_TRUE(changed);
  ASSERT_LT(records_when_changed, 20000u) << "the changes must land while the snapshot runs";
  std::multiset<int64_t> streamed = sink.StreamedIds("items", snapshot_lsn);
  EXPECT_EQ(streamed, (std::multiset<int64_t>{19999, 500000}));
  // Every row of the table arrived (the snapshot's 20,000 and the new one).
  const std::multiset<int64_t> ids = sink.Ids("items");
  const std::set<int64_t> all(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), 20001u);
}

TEST_F(CdcRead, SlotPastTheSavedPositionFailsOrResyncs) {
  Collector first;
  ASSERT_TRUE(RunRead(Request({"items"}), &first).ok());
  v1::GlobalState stale = *first.LastGlobal();
  // The slot moves past the saved position (as if another consumer confirmed later changes).
  Sql("INSERT INTO " + schema_ + ".items VALUES (600, 'x')");
  Sql("SELECT pg_replication_slot_advance('" + slot_ + "', pg_current_wal_lsn())");
  v1::ReadRequest request = Request({"items"});
  *request.mutable_global_state() = stale;
  Collector failed;
  absl::Status status = RunRead(request, &failed);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("Re-sync data"), std::string::npos) << status;
  EXPECT_TRUE(failed.records.empty());

  request.mutable_config()->mutable_replication_method()->set_invalid_cdc_cursor_position_behavior("Re-sync data");
  Collector resynced;
  ASSERT_TRUE(RunRead(request, &resynced).ok());
  EXPECT_EQ(resynced.Ids("items").count(600), 1u);
  EXPECT_EQ(resynced.Ids("items").size(), 11u);  // a fresh snapshot
}

TEST_F(CdcRead, IncrementalOnAStreamItCannotCaptureIsRefusedBeforeAnything) {
  Sql("CREATE VIEW " + schema_ + ".recent AS SELECT * FROM " + schema_ + ".items");
  Sql("CREATE TABLE " + schema_ + ".keyless (id bigint, note text)");
  Sql("INSERT INTO " + schema_ + ".keyless VALUES (1, 'x')");
  const uint64_t slot_at_start = ConfirmedFlush();
  for (const char* stream : {"recent", "keyless"}) {
    Collector sink;
    absl::Status status = RunRead(Request({"items", stream}), &sink);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_EQ(ReasonOf(status), "STREAM_NOT_CAPTURABLE") << status;
    EXPECT_NE(status.message().find("stream " + schema_ + "." + stream), std::string::npos)
        << status;
    EXPECT_NE(status.message().find("full_refresh"), std::string::npos) << status;
    EXPECT_TRUE(sink.records.empty()) << stream;
  }
  EXPECT_EQ(ConfirmedFlush(), slot_at_start);
  // Once it has a replica identity, the table can be captured.
  Sql("ALTER TABLE " + schema_ + ".keyless REPLICA IDENTITY FULL");
  Collector captured;
  absl::Status status = RunRead(Request({"items", "keyless"}), &captured);
  ASSERT_TRUE(status.ok()) << status;
  // (The row is also in the slot, after its position: it arrives again as a change.)
  const std::multiset<int64_t> ids = captured.Ids("keyless");
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()), (std::set<int64_t>{1}));
}

TEST_F(CdcRead, MissingSlotIsAClearError) {
  v1::ReadRequest request = Request({"items"});
  request.mutable_config()->mutable_replication_method()->set_replication_slot("no_such_slot");
  Collector sink;
  absl::Status status = RunRead(request, &sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ReasonOf(status), "SLOT_NOT_FOUND");
  EXPECT_EQ(status.message(),
            "replication slot 'no_such_slot' does not exist (SELECT "
            "pg_create_logical_replication_slot('no_such_slot', 'pgoutput');)");
}

// A slot of another plugin is refused before any snapshot; a physical slot, which has no
// confirmed position, counts as missing.
TEST_F(CdcRead, SlotOfAnotherPluginOrKindIsAClearError) {
  const std::string decoding = testing::UniqueName("slot_decoding");
  const std::string physical = testing::UniqueName("slot_physical");
  Sql("SELECT pg_create_logical_replication_slot('" + decoding + "', 'test_decoding')");
  Sql("SELECT pg_create_physical_replication_slot('" + physical + "')");
  v1::ReadRequest request = Request({"items"});
  request.mutable_config()->mutable_replication_method()->set_replication_slot(decoding);
  Collector sink;
  absl::Status status = RunRead(request, &sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ReasonOf(status), "SLOT_UNUSABLE");
  EXPECT_EQ(status.message(), "replication slot '" + decoding + "' must use pgoutput in database '" +
                                  request.config().database() + "'");
  EXPECT_TRUE(sink.Ids("items").empty());

  request.mutable_config()->mutable_replication_method()->set_replication_slot(physical);
  status = RunRead(request, &sink);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(ReasonOf(status), "SLOT_NOT_FOUND");
  EXPECT_EQ(status.message(), "replication slot '" + physical +
                                  "' does not exist (SELECT pg_create_logical_replication_slot('" +
                                  physical + "', 'pgoutput');)");
  Sql("SELECT pg_drop_replication_slot('" + decoding + "')");
  Sql("SELECT pg_drop_replication_slot('" + physical + "')");
}

TEST_F(CdcRead, FollowStreamsUntilCancelled) {
  v1::ReadRequest request = Request({"items"});
  request.set_follow(true);
  ReadControl control;
  Collector sink;
  struct Cancelling : ReadSink {
    Collector* inner;
    ReadControl* control;
    bool Emit(const v1::ReadResponse& r) override {
      inner->Emit(r);
      if (r.has_records() && !inner->Ids("items").empty() && inner->Ids("items").count(777) > 0) {
        control->Cancel();
      }
      return true;
    }
  } cancelling;
  cancelling.inner = &sink;
  cancelling.control = &control;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    pg::Connection conn = testing::Connect(Server::kPostgres);
    testing::Exec(conn, "INSERT INTO " + schema_ + ".items VALUES (777, 'live')");
  });
  absl::Status status = RunRead(request, &cancelling, &control);
  writer.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_EQ(sink.Ids("items").count(777), 1u);
}

// A column dropped between two changes: each change is decoded with the Relation message
// sent before it, so both rows carry b, at its old and at its new position in the tuple
// (the columns are mapped again after each Relation message).
TEST_F(CdcRead, ColumnsChangedWhileStreamingKeepTheirValues) {
  Sql("CREATE TABLE " + schema_ + ".wide (id bigint PRIMARY KEY, a text, b text)");
  Collector first;
  ASSERT_TRUE(RunRead(Request({"wide"}), &first).ok());
  const v1::GlobalState* global = first.LastGlobal();
  ASSERT_NE(global, nullptr);
  Sql("INSERT INTO " + schema_ + ".wide VALUES (1, 'a1', 'b1')");
  Sql("ALTER TABLE " + schema_ + ".wide DROP COLUMN a");
  Sql("INSERT INTO " + schema_ + ".wide VALUES (2, 'b2')");
  v1::ReadRequest second_request = Request({"wide"});
  *second_request.mutable_global_state() = *global;
  Collector second;
  ASSERT_TRUE(RunRead(second_request, &second).ok());
  // The read started after the drop: the stream's columns are id, b.
  std::map<int64_t, std::string> b_of;
  for (const v1::ReadResponse& r : second.events) {
    if (!r.has_records()) continue;
    const v1::RecordBatch& batch = r.records();
    for (uint32_t i = 0; i < batch.row_count(); ++i) {
      const int64_t id = batch.columns(0).int64s().values(static_cast<int>(i));
      b_of[id] = batch.columns(1).strings().values(static_cast<int>(i));
    }
  }
  EXPECT_EQ(b_of[1], "b1");
  EXPECT_EQ(b_of[2], "b2");
}

TEST_F(CdcRead, AnInterruptedSnapshotResumesAfterItsLastKey) {
  // A table's snapshot is planned as its full refresh is (stream_plan.h SnapshotPlan): read
  // in key order, its checkpoints hold the last key emitted, and a read resumed from one
  // reads the keys after it, each once.
  Sql("INSERT INTO " + schema_ + ".items SELECT g, 'n' FROM generate_series(11, 5000) g");
  Sql("SELECT pg_replication_slot_advance('" + slot_ + "', pg_current_wal_lsn())");  // no changes
  v1::ReadRequest request = Request({"items"});
  request.mutable_options()->set_batch_max_rows(100);
  request.mutable_options()->set_checkpoint_every_records(500);
  // Stops the read at the first checkpoint whose snapshot state holds a key.
  struct Stopping : Collector {
    bool Emit(const v1::ReadResponse& r) override {
      Collector::Emit(r);
      if (!r.has_checkpoint() || !r.checkpoint().has_global()) return true;
      const v1::GlobalState& g = r.checkpoint().global();
      return !(g.streams_size() == 1 && !g.streams(0).completed() &&
               g.streams(0).last_primary_key_size() > 0);
    }
  };
  Stopping first;
  EXPECT_FALSE(RunRead(request, &first).ok());
  const v1::GlobalState* cut = first.LastGlobal();
  ASSERT_NE(cut, nullptr);
  ASSERT_EQ(cut->streams_size(), 1);
  ASSERT_FALSE(cut->streams(0).completed());
  ASSERT_EQ(cut->streams(0).last_primary_key_size(), 1);
  const int64_t last = cut->streams(0).last_primary_key(0).int64_value();
  ASSERT_GT(last, 0);
  ASSERT_LT(last, 5000) << "the cut must fall inside the table";
  std::multiset<int64_t> expected_first, expected_second;
  for (int64_t id = 1; id <= last; ++id) expected_first.insert(id);
  for (int64_t id = last + 1; id <= 5000; ++id) expected_second.insert(id);
  EXPECT_EQ(first.Ids("items"), expected_first);

  v1::ReadRequest resume = Request({"items"});
  *resume.mutable_global_state() = *cut;
  Collector second;
  absl::Status status = RunRead(resume, &second);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(second.Ids("items"), expected_second);
}

}  // namespace
}  // namespace tsdb_source
