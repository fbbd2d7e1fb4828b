// Change data capture on a native TimescaleDB: real chunk-named changes, real compression,
// the job scheduler and continuous aggregates (the WASM dev server has no logical replication
// and no background jobs; run by tools/test-native, tagged manual). Each case makes its own
// hypertable (3 daily chunks of 1,000 rows), publication (the hypertable's schema and
// _timescaledb_internal, where chunks live) and slot, and checks exact keys:
//   - inserts, updates and deletes across chunks and into a chunk created since the snapshot
//     arrive under the hypertable's stream, and so do rows of a chunk created while changes
//     stream (follow mode);
//   - compress_chunk, decompress_chunk, recompression of a partial chunk, DML on a compressed
//     chunk and a compression policy run by the scheduler emit no rows, and no change made
//     around them is lost;
//   - a continuous aggregate's refresh arrives under the aggregate's stream (deletes of the
//     old buckets, inserts of the new);
//   - rows inserted and updated while the snapshot runs arrive from the change stream;
//   - Check's hypertable branch: a publication without _timescaledb_internal, and one that
//     breaks the writes of hypertables without a replica identity.
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "service/pg/lsn.h"
#include "service/pg/quote.h"
#include "service/session/check.h"
#include "service/session/read_session.h"
#include "tests/cdc/cdc_collector.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::CdcCollector;
using testing::Server;

std::string Q(const std::string& ident) { return pg::QuoteIdent(ident); }
std::string L(const std::string& value) { return pg::QuoteLiteral(value); }

class HypertableCdc : public ::testing::Test {
 protected:
  void SetUp() override {
    pg::Connection first = testing::Connect(Server::kTimescale);
    pg::ConnectOptions options = testing::ConnectOptionsFor(Server::kTimescale);
    options.connect_timeout_seconds = 3;
    ASSERT_TRUE(pg::Connection::Open(options).ok())
        << "these tests need a TimescaleDB with several connections and logical replication "
           "(a native one): run them through tools/test-native";
    auto wal = first.Exec("SELECT current_setting('wal_level')");
    ASSERT_TRUE(wal.ok()) << wal.status();
    ASSERT_EQ(wal->GetString(0, 0), "logical") << "the native server needs wal_level = logical";
    schema_ = testing::UniqueName("CDC hyper ü");
    slot_ = testing::UniqueName("slot");
    publication_ = testing::UniqueName("pub");
    table_ = Q(schema_) + "." + Q("readings");
    Sql("CREATE SCHEMA " + Q(schema_));
    Sql("CREATE TABLE " + table_ +
        " (id bigint NOT NULL, t timestamptz NOT NULL, device int NOT NULL, v float8, PRIMARY KEY (id, t))");
    Sql("SELECT create_hypertable(" + L(table_) + ", 't', chunk_time_interval => interval '1 day')");
    Sql("ALTER TABLE " + table_ +
        " SET (timescaledb.compress, timescaledb.compress_segmentby = 'device', timescaledb.compress_orderby = 't')");
    // Ids 0..2999, 1,000 per day from 2024-03-01: id / 1000 is the chunk.
    Sql("INSERT INTO " + table_ + " SELECT g, '2024-03-01'::timestamptz + g * interval '86.4 seconds', "
        "g % 3, random() FROM generate_series(0, 2999) g");
    Sql("CREATE PUBLICATION " + Q(publication_) + " FOR TABLES IN SCHEMA " + Q(schema_) + ", _timescaledb_internal");
    Sql("SELECT pg_create_logical_replication_slot(" + L(slot_) + ", 'pgoutput')");
  }
  void TearDown() override {
    if (slot_.empty()) return;
    Sql("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = " + L(slot_));
    Sql("DROP PUBLICATION IF EXISTS " + Q(publication_));
    Sql("DROP SCHEMA IF EXISTS " + Q(schema_) + " CASCADE");
  }
  void Sql(const std::string& sql) {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    testing::Exec(conn, sql);
  }
  std::string Value(const std::string& sql) {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    auto r = conn.Exec(sql);
    EXPECT_TRUE(r.ok()) << r.status() << " in " << sql;
    return r.ok() && r->rows() > 0 && !r->IsNull(0, 0) ? r->GetString(0, 0) : "";
  }
  std::set<int64_t> KeysInDatabase() {
    return testing::KeysIn(Server::kTimescale, "SELECT id FROM " + table_);
  }
  // The chunks in time order, as regclass text.
  std::vector<std::string> Chunks() {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    auto r = conn.Exec("SELECT format('%I.%I', chunk_schema, chunk_name) FROM timescaledb_information.chunks "
                       "WHERE hypertable_schema = " + L(schema_) +
                       " AND hypertable_name = 'readings' ORDER BY range_start");
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out;
    for (int i = 0; r.ok() && i < r->rows(); ++i) out.push_back(r->GetString(i, 0));
    return out;
  }
  int64_t SlotPosition() {
    auto lsn = pg::ParseLsn(Value("SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                                   "WHERE slot_name = " + L(slot_)));
    EXPECT_TRUE(lsn.ok()) << lsn.status();
    return lsn.ok() ? static_cast<int64_t>(*lsn) : 0;
  }
  v1::SourceConfig Config() {
    v1::SourceConfig config = testing::ConfigFor(Server::kTimescale);
    config.add_schemas(schema_);
    auto* rm = config.mutable_replication_method();
    rm->set_method("CDC");
    rm->set_replication_slot(slot_);
    rm->set_publication(publication_);
    rm->set_initial_waiting_seconds(5);
    return config;
  }
  v1::ReadRequest Request(std::vector<std::string> streams = {"readings"}) {
    v1::ReadRequest request;
    *request.mutable_config() = Config();
    for (const std::string& name : streams) {
      v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
      s->mutable_stream()->set_name(name);
      s->mutable_stream()->set_namespace_(schema_);
      s->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
    }
    return request;
  }
  // Reads from `state` (none: snapshot first) and returns what arrived.
  CdcCollector ReadFrom(const v1::GlobalState* state, std::vector<std::string> streams = {"readings"}) {
    v1::ReadRequest request = Request(streams);
    if (state != nullptr) *request.mutable_global_state() = *state;
    CdcCollector sink;
    absl::Status status = RunRead(request, &sink);
    EXPECT_TRUE(status.ok()) << status;
    return sink;
  }
  // How many rows the read's summary says were dropped as (de)compression.
  static int64_t CompressionRowsDropped(const CdcCollector& sink) {
    std::string log = sink.LogWith("rows of TimescaleDB (de)compression dropped");
    size_t comma = log.find(" changes emitted, ");
    if (comma == std::string::npos) return -1;
    return std::stoll(log.substr(comma + std::string(" changes emitted, ").size()));
  }
  std::string schema_, slot_, publication_, table_;
};

TEST_F(HypertableCdc, ChangesAcrossChunksArriveUnderTheHypertable) {
  CdcCollector snapshot = ReadFrom(nullptr);
  std::multiset<int64_t> snapshot_ids = snapshot.Ids("readings");
  EXPECT_EQ(std::set<int64_t>(snapshot_ids.begin(), snapshot_ids.end()), KeysInDatabase());
  EXPECT_EQ(snapshot_ids.size(), 3000u);
  ASSERT_NE(snapshot.LastGlobal(), nullptr);
  const v1::GlobalState state = *snapshot.LastGlobal();

  // One insert per chunk, updates in two chunks, a delete, and a new chunk (2024-03-10).
  Sql("INSERT INTO " + table_ + " VALUES (10000, '2024-03-01 12:00', 1, 1), (10001, '2024-03-02 12:00', 1, 1), "
      "(10002, '2024-03-03 12:00', 1, 1)");
  Sql("UPDATE " + table_ + " SET v = -1 WHERE id IN (5, 2500)");
  Sql("DELETE FROM " + table_ + " WHERE id = 1500");
  Sql("INSERT INTO " + table_ + " VALUES (20000, '2024-03-10 00:00', 2, 2)");
  ASSERT_EQ(Chunks().size(), 4u);

  CdcCollector changes = ReadFrom(&state);
  EXPECT_EQ(changes.Ids("readings"), (std::multiset<int64_t>{5, 2500, 10000, 10001, 10002, 20000}));
  EXPECT_EQ(changes.Ids("readings", /*deleted=*/true), (std::multiset<int64_t>{1500}));
  EXPECT_EQ(changes.Streams(), (std::set<std::string>{"readings"})) << "chunk names never become streams";
  // What the two reads say is what the database has.
  std::set<int64_t> expected(snapshot_ids.begin(), snapshot_ids.end());
  for (int64_t id : changes.Ids("readings")) expected.insert(id);
  expected.erase(1500);
  EXPECT_EQ(expected, KeysInDatabase());
}

TEST_F(HypertableCdc, RowsOfAChunkCreatedWhileFollowingArrive) {
  v1::ReadRequest request = Request();
  request.set_follow(true);
  ReadControl control;
  CdcCollector sink;
  std::atomic<bool> snapshot_done{false};
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (sink.Ids("readings").size() >= 3000) snapshot_done = true;
    if (r.has_records() && sink.Ids("readings").count(30001) > 0) control.Cancel();
  };
  std::thread writer([&] {
    for (int i = 0; i < 300 && !snapshot_done; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::this_thread::sleep_for(std::chrono::seconds(1));  // the change stream is running
    Sql("INSERT INTO " + table_ + " VALUES (30000, '2024-04-01 00:00', 1, 1)");  // a new chunk
    Sql("INSERT INTO " + table_ + " VALUES (30001, '2024-04-01 01:00', 1, 1)");  // the same chunk
  });
  absl::Status status = RunRead(request, &sink, &control);
  writer.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_TRUE(snapshot_done);
  EXPECT_EQ(sink.Ids("readings").count(30000), 1u);
  EXPECT_EQ(sink.Ids("readings").count(30001), 1u);
  EXPECT_EQ(Chunks().size(), 4u);
}

TEST_F(HypertableCdc, CompressionDecompressionAndRecompressionEmitNoRows) {
  CdcCollector snapshot = ReadFrom(nullptr);
  ASSERT_NE(snapshot.LastGlobal(), nullptr);
  const v1::GlobalState state = *snapshot.LastGlobal();
  const std::vector<std::string> chunks = Chunks();
  ASSERT_EQ(chunks.size(), 3u);

  Sql("SELECT compress_chunk(" + L(chunks[0]) + ")");
  // An insert into the compressed chunk (it becomes partial), then recompression, which
  // deletes that row from the uncompressed part inside compression markers.
  Sql("INSERT INTO " + table_ + " VALUES (40000, '2024-03-01 06:00:30', 1, 4)");
  Sql("SELECT compress_chunk(" + L(chunks[0]) + ")");
  // DML on the compressed chunk: TimescaleDB decompresses the batch (inside decompression
  // markers), then updates and deletes the row (user changes).
  Sql("UPDATE " + table_ + " SET v = -7 WHERE id = 7");
  Sql("DELETE FROM " + table_ + " WHERE id = 8");
  Sql("SELECT decompress_chunk(" + L(chunks[0]) + ")");
  Sql("SELECT compress_chunk(" + L(chunks[1]) + ")");
  Sql("SELECT decompress_chunk(" + L(chunks[1]) + ")");
  Sql("SELECT compress_chunk(" + L(chunks[1]) + ")");
  Sql("DELETE FROM " + table_ + " WHERE id = 2100");  // an uncompressed chunk
  EXPECT_EQ(Value("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = " + L(schema_) +
                  " AND is_compressed"),
            "1");

  CdcCollector changes = ReadFrom(&state);
  EXPECT_EQ(changes.Ids("readings"), (std::multiset<int64_t>{7, 40000}));
  EXPECT_EQ(changes.Ids("readings", /*deleted=*/true), (std::multiset<int64_t>{8, 2100}));
  EXPECT_EQ(changes.Streams(), (std::set<std::string>{"readings"}));
  // Each chunk's rows were decompressed once (the first chunk's 1,001 partly by the DML,
  // the rest by decompress_chunk; the second's 1,000), and recompression deleted row 40000
  // from the uncompressed part: all inside markers, all dropped.
  EXPECT_GE(CompressionRowsDropped(changes), 2001) << changes.LogWith("change data capture");
  std::set<int64_t> expected;
  for (int64_t id : snapshot.Ids("readings")) expected.insert(id);
  expected.insert(40000);
  expected.erase(8);
  expected.erase(2100);
  EXPECT_EQ(expected, KeysInDatabase());
}

TEST_F(HypertableCdc, ACompressionPolicyRunByTheSchedulerEmitsNoRows) {
  ASSERT_NE(Value("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND application_name LIKE 'TimescaleDB Background Worker Scheduler%'"),
            "0")
      << "the job scheduler must run in the test database (timescaledb in shared_preload_libraries)";
  CdcCollector snapshot = ReadFrom(nullptr);
  ASSERT_NE(snapshot.LastGlobal(), nullptr);
  const v1::GlobalState state = *snapshot.LastGlobal();

  Sql("INSERT INTO " + table_ + " VALUES (50000, '2024-03-02 06:00:30', 1, 5)");
  const std::string job = Value("SELECT add_compression_policy(" + L(table_) + ", compress_after => interval '1 day')");
  ASSERT_FALSE(job.empty());
  Sql("SELECT alter_job(" + job + ", next_start => now())");
  // The job's run is recorded after it commits: wait for both. (On PostgreSQL 15.20 with
  // TimescaleDB 2.26.4 every background job does its work, then is recorded as failed with
  // "cannot drop portal "" while it is being set up": a run is what counts here.)
  std::string compressed, runs;
  for (int i = 0; i < 600 && (compressed != "3" || runs != "1"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    compressed = Value("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = " +
                       L(schema_) + " AND is_compressed");
    runs = Value("SELECT total_runs FROM timescaledb_information.job_stats WHERE job_id = " + job);
  }
  ASSERT_EQ(compressed, "3") << "the scheduler did not run the compression policy within 60 s";
  EXPECT_EQ(runs, "1");
  Sql("INSERT INTO " + table_ + " VALUES (50001, '2024-03-03 06:00:30', 1, 5)");

  CdcCollector changes = ReadFrom(&state);
  EXPECT_EQ(changes.Ids("readings"), (std::multiset<int64_t>{50000, 50001}));
  EXPECT_TRUE(changes.Ids("readings", /*deleted=*/true).empty());
}

TEST_F(HypertableCdc, AContinuousAggregateRefreshArrivesUnderTheAggregate) {
  const std::string view = Q(schema_) + "." + Q("hourly");
  Sql("CREATE MATERIALIZED VIEW " + view + " WITH (timescaledb.continuous) AS "
      "SELECT time_bucket('1 hour', t) AS bucket, device, count(*) AS n FROM " + table_ +
      " GROUP BY 1, 2 WITH NO DATA");
  const std::string materialized =
      Value("SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) "
            "FROM timescaledb_information.continuous_aggregates WHERE view_schema = " + L(schema_));
  ASSERT_FALSE(materialized.empty());
  // The publication breaks the refresh of an aggregate without a replica identity; Check
  // names it (AContinuousAggregateWithoutReplicaIdentityFailsCheck); here it is fixed.
  Sql("ALTER TABLE " + materialized + " REPLICA IDENTITY FULL");

  CdcCollector snapshot = ReadFrom(nullptr, {"readings", "hourly"});
  EXPECT_TRUE(snapshot.Ids("hourly").empty());
  ASSERT_NE(snapshot.LastGlobal(), nullptr);
  const v1::GlobalState state = *snapshot.LastGlobal();

  Sql("CALL refresh_continuous_aggregate(" + L(view) + ", NULL, NULL)");
  const std::string buckets = Value("SELECT count(*) FROM " + view);
  EXPECT_EQ(buckets, "216");  // 3 days x 24 hours x 3 devices
  CdcCollector refreshed = ReadFrom(&state, {"readings", "hourly"});
  EXPECT_EQ(refreshed.Ids("hourly").size(), 216u);
  EXPECT_TRUE(refreshed.Ids("hourly", /*deleted=*/true).empty());
  EXPECT_TRUE(refreshed.Ids("readings").empty()) << "the refresh changed no reading";

  // A late reading in the first hour, and a refresh of that hour: the old bucket rows are
  // deleted and new ones inserted, all under the aggregate.
  Sql("INSERT INTO " + table_ + " VALUES (60000, '2024-03-01 00:10', 0, 6)");
  Sql("CALL refresh_continuous_aggregate(" + L(view) + ", '2024-03-01 00:00', '2024-03-01 01:00')");
  ASSERT_NE(refreshed.LastGlobal(), nullptr);
  CdcCollector late = ReadFrom(refreshed.LastGlobal(), {"readings", "hourly"});
  EXPECT_EQ(late.Ids("readings"), (std::multiset<int64_t>{60000}));
  const int64_t first_hour = 1709251200LL * 1000000;  // 2024-03-01 00:00 UTC, microseconds
  std::multiset<int64_t> inserted = late.Ids("hourly");
  std::multiset<int64_t> deleted = late.Ids("hourly", /*deleted=*/true);
  EXPECT_GE(inserted.count(first_hour), 1u);
  EXPECT_GE(deleted.count(first_hour), 1u);
  for (int64_t bucket : inserted) EXPECT_EQ(bucket, first_hour);
  for (int64_t bucket : deleted) EXPECT_EQ(bucket, first_hour);
}

TEST_F(HypertableCdc, RowsInsertedWhileTheSnapshotRunsArriveFromTheChangeStream) {
  const int64_t snapshot_lsn = SlotPosition();
  v1::ReadRequest request = Request();
  request.mutable_options()->set_batch_max_rows(100);
  CdcCollector sink;
  bool changed = false;
  size_t records_when_changed = 0;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (!r.has_records() || changed) return;
    changed = true;
    records_when_changed = sink.records.size();
    Sql("INSERT INTO " + table_ + " VALUES (70000, '2024-03-01 00:00:01', 1, 7), (70001, '2024-03-03 23:59', 1, 7)");
    Sql("UPDATE " + table_ + " SET v = -9 WHERE id = 2999");
  };
  absl::Status status = RunRead(request, &sink);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_TRUE(changed);
  ASSERT_LT(records_when_changed, 3000u) << "the changes must land while the snapshot runs";
  EXPECT_EQ(sink.StreamedIds("readings", snapshot_lsn), (std::multiset<int64_t>{2999, 70000, 70001}));
  std::multiset<int64_t> ids = sink.Ids("readings");
  EXPECT_EQ(std::set<int64_t>(ids.begin(), ids.end()), KeysInDatabase());
}

TEST_F(HypertableCdc, CheckWantsTheChunkSchemaInThePublication) {
  Sql("DROP PUBLICATION " + Q(publication_));
  Sql("CREATE PUBLICATION " + Q(publication_) + " FOR TABLES IN SCHEMA " + Q(schema_));
  v1::CheckResponse missing = RunCheck(Config());
  EXPECT_FALSE(missing.succeeded());
  EXPECT_EQ(missing.reason(), "PUBLICATION_INCOMPLETE") << missing.message();
  EXPECT_NE(missing.message().find("ADD TABLES IN SCHEMA _timescaledb_internal"), std::string::npos)
      << missing.message();
  Sql("ALTER PUBLICATION " + Q(publication_) + " ADD TABLES IN SCHEMA _timescaledb_internal");
  v1::CheckResponse ok = RunCheck(Config());
  EXPECT_TRUE(ok.succeeded()) << ok.message();
}

TEST_F(HypertableCdc, HypertablesWithoutReplicaIdentityFailCheck) {
  // A publication of _timescaledb_internal publishes the chunks of every hypertable, synced
  // or not: PostgreSQL then refuses DELETE and UPDATE on one without a replica identity, and
  // refreshes of a continuous aggregate fail (its materialized hypertable has no key).
  const std::string keyless = Q(schema_) + "." + Q("keyless log");
  Sql("CREATE TABLE " + keyless + " (t timestamptz NOT NULL, message text)");
  Sql("SELECT create_hypertable(" + L(keyless) + ", 't')");
  Sql("INSERT INTO " + keyless + " VALUES ('2024-03-01', 'a')");
  const std::string view = Q(schema_) + "." + Q("daily");
  Sql("CREATE MATERIALIZED VIEW " + view + " WITH (timescaledb.continuous) AS "
      "SELECT time_bucket('1 day', t) AS bucket, count(*) AS n FROM " + table_ + " GROUP BY 1 WITH NO DATA");
  const std::string materialized =
      Value("SELECT format('%I.%I', materialization_hypertable_schema, materialization_hypertable_name) "
            "FROM timescaledb_information.continuous_aggregates WHERE view_schema = " + L(schema_));
  {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    auto refused = conn.Exec("DELETE FROM " + keyless);
    ASSERT_FALSE(refused.ok()) << "PostgreSQL accepted a DELETE it should refuse";
    EXPECT_NE(std::string(refused.status().message()).find("replica identity"), std::string::npos)
        << refused.status();
    Sql("INSERT INTO " + table_ + " VALUES (80000, '2024-03-01 00:10', 0, 8)");
    auto refresh = conn.Exec("CALL refresh_continuous_aggregate(" + L(view) + ", NULL, NULL)");
    ASSERT_FALSE(refresh.ok()) << "the refresh should fail under this publication";
    EXPECT_NE(std::string(refresh.status().message()).find("replica identity"), std::string::npos)
        << refresh.status();
  }
  // Check names relations as format('%I.%I') does.
  const std::string keyless_name = Value("SELECT format('%I.%I', " + L(schema_) + ", 'keyless log')");
  const std::string view_name = Value("SELECT format('%I.%I', " + L(schema_) + ", 'daily')");
  const std::string table_name = Value("SELECT format('%I.%I', " + L(schema_) + ", 'readings')");
  v1::CheckResponse broken = RunCheck(Config());
  EXPECT_FALSE(broken.succeeded());
  EXPECT_EQ(broken.reason(), "REPLICA_IDENTITY_MISSING") << broken.message();
  EXPECT_NE(broken.message().find(keyless_name + " REPLICA IDENTITY FULL"), std::string::npos) << broken.message();
  EXPECT_NE(broken.message().find("continuous aggregate " + view_name), std::string::npos) << broken.message();
  EXPECT_NE(broken.message().find(materialized + " REPLICA IDENTITY FULL"), std::string::npos) << broken.message();
  EXPECT_EQ(broken.message().find(table_name + " REPLICA"), std::string::npos) << "a table with a primary key is fine";

  // The statements Check gives fix it: writes and refreshes work again, Check passes.
  Sql("ALTER TABLE " + keyless + " REPLICA IDENTITY FULL");
  Sql("ALTER TABLE " + materialized + " REPLICA IDENTITY FULL");
  Sql("DELETE FROM " + keyless);
  Sql("CALL refresh_continuous_aggregate(" + L(view) + ", NULL, NULL)");
  v1::CheckResponse ok = RunCheck(Config());
  EXPECT_TRUE(ok.succeeded()) << ok.message();
}

}  // namespace
}  // namespace tsdb_source
