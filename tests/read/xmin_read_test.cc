// Xmin reads (replication_method Xmin) against the real servers: late inserts into old
// chunks, updates of old rows and rows of new chunks are found and nothing else; a sync with
// nothing changed reads no chunk where the statistics counters flow (PostgreSQL 15, a native
// TimescaleDB: checked with the chunks' scan counters) and reads every chunk for nothing
// where they do not (the WASM dev server, which says so); compression of an unchanged chunk
// emits it once more, whole; a statistics reset makes a sync read every relation from its
// own horizon; plain and partitioned tables; a state of Airbyte's Postgres source continues.
#include <cstdint>
#include <set>
#include <vector>

#include "gtest/gtest.h"
#include "service/airbyte/postgres_state.h"
#include "service/pg/quote.h"
#include "service/session/read_session.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::Server;

std::string Q(const std::string& ident) { return pg::QuoteIdent(ident); }

struct Sync : ReadSink {
  std::vector<v1::ReadResponse> events;
  bool Emit(const v1::ReadResponse& r) override {
    events.push_back(r);
    return true;
  }
  // Keys of the rows in events [0, end).
  std::multiset<int64_t> Keys(size_t end = SIZE_MAX) const {
    std::multiset<int64_t> keys;
    for (size_t i = 0; i < events.size() && i < end; ++i) {
      const v1::ReadResponse& e = events[i];
      if (!e.has_records()) continue;
      const auto& v = e.records().columns(0).int64s().values();
      keys.insert(v.begin(), v.end());
    }
    return keys;
  }
  std::set<int64_t> KeySet(size_t end = SIZE_MAX) const {
    auto k = Keys(end);
    return std::set<int64_t>(k.begin(), k.end());
  }
  std::vector<size_t> CheckpointIndexes() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].has_checkpoint()) out.push_back(i);
    }
    return out;
  }
  v1::StreamState FinalState() const {
    v1::StreamState s;
    for (const auto& e : events) {
      if (e.has_checkpoint() && e.checkpoint().has_state()) s = e.checkpoint().state();
    }
    return s;
  }
  v1::StreamSummary Summary() const {
    for (const auto& e : events) {
      if (e.has_summary()) return e.summary();
    }
    return v1::StreamSummary();
  }
  bool Logged(const std::string& text) const {
    for (const auto& e : events) {
      if (e.has_log() && e.log().message().find(text) != std::string::npos) return true;
    }
    return false;
  }
};

constexpr char kNotSkipping[] = "none is skipped by its write counters";

// Whether the server's statistics counters flow, found apart from the code under test: a
// commit of this connection shows in the database's commit count once a flush is forced
// (PostgreSQL 15 and a native TimescaleDB: yes; the WASM dev server: never).
bool CountersFlow(Server server) {
  pg::Connection conn = testing::Connect(server);
  const std::string count =
      "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()";
  auto before = conn.Exec(count);
  auto flush = conn.Exec("SELECT pg_stat_force_next_flush()");
  auto after = conn.Exec(count);
  if (!before.ok() || !flush.ok() || !after.ok()) {
    ADD_FAILURE() << "the statistics probe failed";
    return false;
  }
  return std::stoll(after->GetString(0, 0)) > std::stoll(before->GetString(0, 0));
}

class XminRead : public ::testing::Test {
 protected:
  void Open(Server server) {
    server_ = server;
    schema_ = testing::UniqueName("Xmin \"Ü\"");
    Sql("CREATE SCHEMA " + Q(schema_));
  }
  void TearDown() override {
    if (!schema_.empty()) Sql("DROP SCHEMA " + Q(schema_) + " CASCADE");
  }
  // One connection at a time (the WASM server takes one); the statistics of what it wrote
  // are flushed before it closes, so that the next sync's counters see them.
  void Sql(const std::string& sql) {
    pg::Connection conn = testing::Connect(server_);
    testing::Exec(conn, sql);
    testing::Exec(conn, "SELECT pg_stat_force_next_flush()");
  }
  int64_t Scans(const std::string& table) {
    pg::Connection conn = testing::Connect(server_);
    auto r = conn.Exec(
        "SELECT COALESCE(sum(pg_stat_get_numscans(i.inhrelid)), 0) FROM pg_inherits i "
        "WHERE i.inhparent = " + pg::QuoteLiteral(T(table)) + "::regclass");
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::stoll(r->GetString(0, 0)) : -1;
  }
  std::string T(const std::string& table) const { return Q(schema_) + "." + Q(table); }
  // An incremental Xmin read of `table`.
  v1::ReadRequest XminRequest(const std::string& table) const {
    v1::ReadRequest request;
    *request.mutable_config() = testing::ConfigFor(server_);
    request.mutable_config()->add_schemas(schema_);
    request.mutable_config()->mutable_replication_method()->set_method("Xmin");
    v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
    s->mutable_stream()->set_name(table);
    s->mutable_stream()->set_namespace_(schema_);
    s->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
    return request;
  }
  Sync Read(const std::string& table, const std::vector<v1::StreamState>& state = {},
            int concurrent = 1, uint64_t checkpoint_records = 0) {
    v1::ReadRequest request = XminRequest(table);
    for (const auto& st : state) *request.add_state() = st;
    request.mutable_options()->set_batch_max_rows(100);
    if (concurrent > 1) request.mutable_config()->set_timescaledb_max_concurrent_chunks(concurrent);
    if (checkpoint_records > 0) request.mutable_options()->set_checkpoint_every_records(checkpoint_records);
    Sync sync;
    absl::Status status = RunRead(request, &sync);
    EXPECT_TRUE(status.ok()) << status;
    return sync;
  }
  Server server_ = Server::kTimescale;
  std::string schema_;
};

std::set<int64_t> Range(int64_t from, int64_t to) {
  std::set<int64_t> out;
  for (int64_t i = from; i < to; ++i) out.insert(i);
  return out;
}

TEST_F(XminRead, LateRowsUpdatesAndNewChunksAreFoundAndNothingElse) {
  Open(Server::kTimescale);
  Sql("CREATE TABLE " + T("m") + " (id bigint NOT NULL, time timestamptz NOT NULL, v int)");
  Sql("SELECT create_hypertable('" + T("m") + "', 'time', chunk_time_interval => interval '1 day')");
  // Five days, 100 rows a day: ids 0-499.
  Sql("INSERT INTO " + T("m") + " SELECT g, '2024-03-01'::timestamptz + g * interval '864 seconds', "
      "g FROM generate_series(0, 499) g");
  Sync first = Read("m");
  EXPECT_EQ(first.KeySet(), Range(0, 500));
  EXPECT_EQ(first.Keys().size(), 500u);
  ASSERT_TRUE(first.FinalState().has_xmin());
  EXPECT_GT(first.FinalState().xmin().horizon(), 0u);
  EXPECT_EQ(first.FinalState().xmin().relations_size(), 5);

  // A late row into the first day, an update of an old row, a row in a new chunk.
  Sql("INSERT INTO " + T("m") + " VALUES (1000, '2024-03-01 12:00', 0)");
  Sql("UPDATE " + T("m") + " SET v = -1 WHERE id = 250");
  Sql("INSERT INTO " + T("m") + " VALUES (2000, '2024-03-20 00:00', 0)");
  Sync second = Read("m", {first.FinalState()});
  EXPECT_EQ(second.Keys(), (std::multiset<int64_t>{250, 1000, 2000}));
  EXPECT_EQ(second.FinalState().xmin().relations_size(), 6);

  // Nothing changed: nothing emitted; where the counters flow, no chunk is even scanned.
  const int64_t scans_before = Scans("m");
  Sync third = Read("m", {second.FinalState()});
  EXPECT_TRUE(third.Keys().empty());
  if (CountersFlow(server_)) {
    EXPECT_FALSE(third.Logged(kNotSkipping));
    EXPECT_EQ(third.Summary().chunks_read(), 0u);
    EXPECT_EQ(third.Summary().chunks_skipped(), 6u);
    EXPECT_EQ(Scans("m"), scans_before);
  } else {
    EXPECT_TRUE(third.Logged(kNotSkipping));
    EXPECT_EQ(third.Summary().chunks_read(), 6u);
  }
}

TEST_F(XminRead, CompressionAndStatisticsReset) {
  Open(Server::kTimescale);
  Sql("CREATE TABLE " + T("c") + " (id bigint NOT NULL, time timestamptz NOT NULL, dev int)");
  Sql("SELECT create_hypertable('" + T("c") + "', 'time', chunk_time_interval => interval '1 day')");
  Sql("INSERT INTO " + T("c") + " SELECT g, '2024-03-01'::timestamptz + g * interval '864 seconds', "
      "g % 4 FROM generate_series(0, 399) g");
  Sql("ALTER TABLE " + T("c") + " SET (timescaledb.compress, timescaledb.compress_segmentby = 'dev')");
  Sync first = Read("c");
  EXPECT_EQ(first.KeySet(), Range(0, 400));

  // Compressing an unchanged chunk rewrites its rows: the chunk is emitted once more, whole
  // (the rows' own xmins are gone), and no other chunk.
  Sql("SELECT compress_chunk(c) FROM show_chunks('" + T("c") + "', older_than => '2024-03-02'::timestamptz) c");
  Sync second = Read("c", {first.FinalState()});
  EXPECT_EQ(second.Keys().size(), 100u);
  EXPECT_EQ(second.KeySet(), Range(0, 100));

  Sync third = Read("c", {second.FinalState()});
  EXPECT_TRUE(third.Keys().empty());

  // An update inside the compressed chunk: the row arrives (with at most the rows of the
  // batches TimescaleDB decompressed to update it), nothing outside that chunk.
  Sql("UPDATE " + T("c") + " SET dev = dev WHERE id = 42");
  Sync fourth = Read("c", {third.FinalState()});
  EXPECT_EQ(fourth.KeySet().count(42), 1u);
  for (int64_t k : fourth.KeySet()) EXPECT_LT(k, 100) << k;

  // A statistics reset loses counts: every chunk is read again, each from its own horizon,
  // so only the new row arrives.
  Sql("INSERT INTO " + T("c") + " VALUES (3000, '2024-03-03 01:00', 1)");
  Sql("SELECT pg_stat_reset()");
  Sync fifth = Read("c", {fourth.FinalState()});
  EXPECT_EQ(fifth.Keys(), (std::multiset<int64_t>{3000}));
  EXPECT_EQ(fifth.Summary().chunks_read(), 4u);
  EXPECT_EQ(fifth.Summary().chunks_skipped(), 0u);
}

TEST_F(XminRead, PlainAndPartitionedTablesOnPostgres) {
  Open(Server::kPostgres);
  Sql("CREATE TABLE " + T("t") + " (id bigint PRIMARY KEY, v text)");
  Sql("INSERT INTO " + T("t") + " SELECT g, 'v' || g FROM generate_series(0, 99) g");
  Sql("CREATE TABLE " + T("p") + " (id bigint NOT NULL, v int) PARTITION BY RANGE (id)");
  for (int i = 0; i < 4; ++i) {
    Sql("CREATE TABLE " + T("p" + std::to_string(i)) + " PARTITION OF " + T("p") + " FOR VALUES FROM (" +
        std::to_string(i * 100) + ") TO (" + std::to_string(i * 100 + 100) + ")");
  }
  Sql("INSERT INTO " + T("p") + " SELECT g, g FROM generate_series(0, 399) g");
  Sync t1 = Read("t");
  Sync p1 = Read("p");
  EXPECT_EQ(t1.KeySet(), Range(0, 100));
  EXPECT_EQ(p1.KeySet(), Range(0, 400));

  Sql("UPDATE " + T("t") + " SET v = 'x' WHERE id = 3");
  Sql("INSERT INTO " + T("t") + " VALUES (500, 'late')");
  Sql("UPDATE " + T("p") + " SET v = -v WHERE id = 250");
  Sync t2 = Read("t", {t1.FinalState()});
  Sync p2 = Read("p", {p1.FinalState()});
  EXPECT_EQ(t2.Keys(), (std::multiset<int64_t>{3, 500}));
  EXPECT_EQ(p2.Keys(), (std::multiset<int64_t>{250}));
  // Only the partition written to was read.
  EXPECT_EQ(p2.Summary().chunks_read(), 1u);
  EXPECT_EQ(p2.Summary().chunks_skipped(), 3u);

  Sync t3 = Read("t", {t2.FinalState()});
  EXPECT_TRUE(t3.Keys().empty());
  EXPECT_EQ(t3.Summary().chunks_skipped(), 1u);

  // A state of Airbyte's Postgres source (its xmin_raw_value), as the shim takes it over
  // (service/airbyte/postgres_state.h: a horizon only), continues from that point.
  int64_t horizon = 0;
  {
    pg::Connection conn = testing::Connect(server_);
    auto r = conn.Exec("SELECT txid_snapshot_xmin(txid_current_snapshot())");
    ASSERT_TRUE(r.ok()) << r.status();
    horizon = std::stoll(r->GetString(0, 0));
  }
  Sql("UPDATE " + T("t") + " SET v = 'y' WHERE id = 7");
  v1::StreamDescriptor d;
  d.set_name("t");
  d.set_namespace_(schema_);
  airbyte::PostgresStreamState pg;
  pg.state_type = "xmin";
  pg.xmin_raw_value = static_cast<uint64_t>(horizon);
  airbyte::MigratedState theirs = airbyte::MigratePostgresState(pg, d);
  ASSERT_TRUE(theirs.state.has_value()) << theirs.warning;
  Sync migrated = Read("t", {*theirs.state});
  EXPECT_EQ(migrated.Keys(), (std::multiset<int64_t>{7}));
}

TEST_F(XminRead, ViewsAreRefusedForIncremental) {
  Open(Server::kPostgres);
  Sql("CREATE TABLE " + T("t") + " (id bigint PRIMARY KEY)");
  Sql("CREATE VIEW " + T("w") + " AS SELECT id FROM " + T("t"));
  Sync sync;
  absl::Status status = RunRead(XminRequest("w"), &sync);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("has no xmin"), std::string::npos) << status;
  EXPECT_TRUE(sync.Keys().empty());
}

TEST_F(XminRead, AnInterruptedSyncResumesWithNothingLostWithConcurrentReaders) {
  Open(Server::kPostgres);
  Sql("CREATE TABLE " + T("p") + " (id bigint NOT NULL, v int) PARTITION BY RANGE (id)");
  for (int i = 0; i < 6; ++i) {
    Sql("CREATE TABLE " + T("p" + std::to_string(i)) + " PARTITION OF " + T("p") + " FOR VALUES FROM (" +
        std::to_string(i * 100) + ") TO (" + std::to_string(i * 100 + 100) + ")");
  }
  Sql("INSERT INTO " + T("p") + " SELECT g, g FROM generate_series(0, 599) g");
  Sync first = Read("p", {}, /*concurrent=*/3);
  EXPECT_EQ(first.Keys().size(), 600u);
  EXPECT_EQ(first.KeySet(), Range(0, 600));

  // A write into every partition; the sync checkpoints after each one (1 record a
  // checkpoint), three readers at a time.
  Sql("UPDATE " + T("p") + " SET v = -v WHERE id % 100 = 7");
  const std::set<int64_t> changed = {7, 107, 207, 307, 407, 507};
  Sync second = Read("p", {first.FinalState()}, /*concurrent=*/3, /*checkpoint_records=*/1);
  EXPECT_EQ(second.KeySet(), changed);
  const std::vector<size_t> checkpoints = second.CheckpointIndexes();
  ASSERT_GE(checkpoints.size(), 3u);
  // Interrupted after every checkpoint but the last: what was emitted before it, plus a
  // resumed sync from it, holds every changed row; the checkpoint keeps the old horizon.
  for (size_t k = 0; k + 1 < checkpoints.size(); ++k) {
    const v1::StreamState cut = second.events[checkpoints[k]].checkpoint().state();
    ASSERT_TRUE(cut.has_xmin());
    EXPECT_EQ(cut.xmin().horizon(), first.FinalState().xmin().horizon());
    std::set<int64_t> got = second.KeySet(checkpoints[k]);
    Sync resumed = Read("p", {cut});
    for (int64_t key : resumed.KeySet()) got.insert(key);
    EXPECT_EQ(got, changed) << "interrupted after checkpoint " << k;
    // What the interrupted sync had finished is not read again.
    EXPECT_LT(resumed.Summary().chunks_read(), 6u) << k;
  }
  // The completed sync leaves nothing for the next one.
  Sync third = Read("p", {second.FinalState()}, /*concurrent=*/3);
  EXPECT_TRUE(third.Keys().empty());
  EXPECT_EQ(third.Summary().chunks_skipped(), 6u);
}

TEST_F(XminRead, RowsMovedByAMergeOfChunksAreNotLost) {
  Open(Server::kTimescale);
  Sql("CREATE TABLE " + T("g") + " (id bigint NOT NULL, time timestamptz NOT NULL, v int)");
  Sql("SELECT create_hypertable('" + T("g") + "', 'time', chunk_time_interval => interval '1 day')");
  Sql("INSERT INTO " + T("g") + " SELECT g, '2024-03-01'::timestamptz + g * interval '864 seconds', "
      "g FROM generate_series(0, 299) g");
  Sync first = Read("g");
  EXPECT_EQ(first.KeySet(), Range(0, 300));
  // A row of the second day changes; then the first two days' chunks are merged: the row
  // moves, its xmin kept, into a chunk whose write counters need not move.
  Sql("UPDATE " + T("g") + " SET v = -1 WHERE id = 150");
  Sql("DO $x$ DECLARE cs regclass[]; BEGIN cs := ARRAY(SELECT c FROM show_chunks('" + T("g") +
      "', older_than => '2024-03-03'::timestamptz) c ORDER BY 1); CALL merge_chunks(cs); END $x$");
  Sync second = Read("g", {first.FinalState()});
  EXPECT_EQ(second.KeySet().count(150), 1u);
  EXPECT_EQ(second.KeySet(), (std::set<int64_t>{150})) << "only the changed row";
}

TEST_F(XminRead, DecompressionThatLeavesTheCountsEqualIsStillAChange) {
  Open(Server::kTimescale);
  Sql("CREATE TABLE " + T("d") + " (id bigint NOT NULL, time timestamptz NOT NULL, seg int)");
  Sql("SELECT create_hypertable('" + T("d") + "', 'time', chunk_time_interval => interval '1 day')");
  Sql("ALTER TABLE " + T("d") + " SET (timescaledb.compress, timescaledb.compress_segmentby = 'seg')");
  // One chunk, ten segments of one row: ten batches once compressed.
  Sql("INSERT INTO " + T("d") + " SELECT g, '2024-03-01'::timestamptz + g * interval '1 minute', g "
      "FROM generate_series(0, 9) g");
  Sql("SELECT compress_chunk(c) FROM show_chunks('" + T("d") + "') c");
  Sql("DELETE FROM " + T("d") + " WHERE seg < 9");  // nine batches deleted whole
  Sync first = Read("d");
  EXPECT_EQ(first.KeySet(), (std::set<int64_t>{9}));
  // Nine rows inserted (counted on the chunk), then the chunk decompressed: its compressed
  // relation goes, with the ten batch inserts it had counted.
  Sql("INSERT INTO " + T("d") + " SELECT g, '2024-03-01'::timestamptz + g * interval '1 minute', g "
      "FROM generate_series(100, 108) g");
  Sql("SELECT decompress_chunk(c) FROM show_chunks('" + T("d") + "') c");
  Sync second = Read("d", {first.FinalState()});
  std::set<int64_t> got = second.KeySet();
  for (int64_t k = 100; k <= 108; ++k) EXPECT_EQ(got.count(k), 1u) << k;
}

TEST_F(XminRead, AnInterruptedFirstSyncResumes) {
  Open(Server::kPostgres);
  Sql("CREATE TABLE " + T("p") + " (id bigint NOT NULL) PARTITION BY RANGE (id)");
  for (int i = 0; i < 4; ++i) {
    Sql("CREATE TABLE " + T("p" + std::to_string(i)) + " PARTITION OF " + T("p") + " FOR VALUES FROM (" +
        std::to_string(i * 100) + ") TO (" + std::to_string(i * 100 + 100) + ")");
  }
  Sql("INSERT INTO " + T("p") + " SELECT g FROM generate_series(0, 399) g");
  Sync first = Read("p", {}, 1, /*checkpoint_records=*/1);
  const std::vector<size_t> checkpoints = first.CheckpointIndexes();
  ASSERT_GE(checkpoints.size(), 2u);
  const v1::StreamState cut = first.events[checkpoints[0]].checkpoint().state();
  EXPECT_EQ(cut.xmin().horizon(), 0u);  // no sync finished yet
  EXPECT_GT(cut.xmin().relations_size(), 0);
  std::set<int64_t> got = first.KeySet(checkpoints[0]);
  Sync resumed = Read("p", {cut});
  for (int64_t k : resumed.KeySet()) got.insert(k);
  EXPECT_EQ(got, Range(0, 400));
  EXPECT_LT(resumed.Summary().chunks_read(), 4u);  // what was done is not read again
}

TEST_F(XminRead, UncountedWritersAndInheritanceAreNotTrusted) {
  Open(Server::kPostgres);
  // A table with inheritance children: refused, naming it.
  Sql("CREATE TABLE " + T("parent") + " (id bigint NOT NULL)");
  Sql("CREATE TABLE " + T("child") + " () INHERITS (" + T("parent") + ")");
  Sync refused;
  absl::Status status = RunRead(XminRequest("parent"), &refused);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_NE(status.message().find("inheritance children"), std::string::npos) << status;

  // A role whose writes are not counted (track_counts off for it): no relation is skipped.
  Sql("CREATE TABLE " + T("t") + " (id bigint PRIMARY KEY)");
  Sql("INSERT INTO " + T("t") + " SELECT g FROM generate_series(1, 10) g");
  Sync first = Read("t");
  const std::string role = testing::UniqueName("uncounted");
  Sql("CREATE ROLE " + Q(role));
  Sql("ALTER ROLE " + Q(role) + " SET track_counts = off");
  Sync second = Read("t", {first.FinalState()});
  Sql("DROP ROLE " + Q(role));
  EXPECT_TRUE(second.Logged("a role or database setting turns track_counts off"));
  EXPECT_EQ(second.Summary().chunks_read(), 1u);
  EXPECT_TRUE(second.Keys().empty());
}

}  // namespace
}  // namespace tsdb_source
