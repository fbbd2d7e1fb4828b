// Which chunk's records each checkpoint covers (Checkpoint.chunks, ChunkEnd), against the
// real servers, checked by tests/testing/chunk_records_check.h: per chunk, the records of
// the entries add up to the rows of its batches; no batch of a chunk after its ChunkEnd; at
// most as many chunks open (a batch sent, no ChunkEnd yet) as concurrent readers; every chunk
// read ends and its end is covered. Also that a checkpoint lists only the chunk whose
// progress its state gained (a position in it: in_flight; its end: done). Cases: a
// hypertable read in slices with a compressed chunk (the TimescaleDB dev server: one
// connection, so one reader whatever is configured); partitions with 1 and 4 readers, the
// same with the connections killed mid-read (a retry re-sends records, counted again),
// Xmin with checkpoints throttled and after every chunk, plain tables (chunk ""), on
// PostgreSQL 15.
#include <cstdint>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "service/pg/quote.h"
#include "service/session/read_session.h"
#include "tests/testing/chunk_records_check.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::Server;

std::string Q(const std::string& ident) { return pg::QuoteIdent(ident); }

struct Collector : ReadSink {
  std::vector<v1::ReadResponse> events;
  std::function<void(const v1::ReadResponse&)> on_event;
  bool Emit(const v1::ReadResponse& r) override {
    events.push_back(r);
    if (on_event) on_event(r);
    return true;
  }
  uint64_t Rows() const {
    uint64_t n = 0;
    for (const auto& e : events) n += e.has_records() ? e.records().row_count() : 0;
    return n;
  }
  const v1::StreamSummary* Summary() const {
    for (const auto& e : events) {
      if (e.has_summary()) return &e.summary();
    }
    return nullptr;
  }
  size_t ChunkEnds() const {
    size_t n = 0;
    for (const auto& e : events) n += e.has_chunk_end();
    return n;
  }
};

// The contract over a completed read with `readers` chunk readers at most.
testing::ChunkRecordsCheck ExpectKept(const Collector& read, size_t readers) {
  testing::ChunkRecordsCheck check = testing::CheckChunkRecords(read.events, /*completed=*/true);
  EXPECT_TRUE(check.violations.empty()) << absl::StrJoin(check.violations, "\n");
  EXPECT_LE(check.max_open, readers);
  EXPECT_GT(check.chunk_ends, 0u);
  uint64_t covered = 0;
  for (const auto& [key, n] : check.covered) covered += n;
  EXPECT_EQ(covered, read.Rows()) << "every record covered once";
  return check;
}

// A chunked Standard read's checkpoints before the final one each list the one chunk whose
// progress the state gained: a position in it (in_flight) or its end (no longer in flight).
void ExpectOneChunkPerCheckpoint(const Collector& read) {
  for (size_t i = 0; i < read.events.size(); ++i) {
    if (!read.events[i].has_checkpoint()) continue;
    const v1::Checkpoint& c = read.events[i].checkpoint();
    if (c.state().completed()) {
      EXPECT_EQ(c.chunks_size(), 0) << "every chunk was covered at its end already";
      continue;
    }
    ASSERT_EQ(c.chunks_size(), 1) << "event " << i;
    std::set<std::string> in_flight;
    for (const v1::ChunkPosition& p : c.state().chunks().in_flight()) in_flight.insert(p.chunk());
    const v1::ChunkRecords& entry = c.chunks(0);
    if (entry.ended()) {
      EXPECT_EQ(in_flight.count(entry.chunk()), 0u) << "event " << i << ": " << entry.chunk();
    } else {
      EXPECT_EQ(in_flight.count(entry.chunk()), 1u) << "event " << i << ": " << entry.chunk();
    }
  }
}

v1::ReadRequest Request(Server server, const std::string& schema, const std::string& table,
                        v1::SyncMode mode, int readers) {
  v1::ReadRequest request;
  *request.mutable_config() = testing::ConfigFor(server);
  request.mutable_config()->add_schemas(schema);
  request.mutable_config()->set_timescaledb_max_concurrent_chunks(readers);
  v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
  s->mutable_stream()->set_name(table);
  s->mutable_stream()->set_namespace_(schema);
  s->set_sync_mode(mode);
  request.mutable_options()->set_batch_max_rows(100);
  request.mutable_options()->set_retry_initial_backoff_ms(10);
  return request;
}

class TimescaleChunkRecords : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = testing::UniqueName("Chunk records Ü");
    Sql("CREATE SCHEMA " + Q(schema_));
  }
  void TearDown() override { Sql("DROP SCHEMA " + Q(schema_) + " CASCADE"); }
  // One connection at a time (the dev server takes one).
  void Sql(const std::string& sql) {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    testing::Exec(conn, sql);
  }
  std::string schema_;
};

TEST_F(TimescaleChunkRecords, SlicedAndCompressedChunksWithOneAndThreeReadersConfigured) {
  const std::string table = Q(schema_) + "." + Q("m");
  Sql("CREATE TABLE " + table + " (id bigint NOT NULL, time timestamptz NOT NULL, device int NOT NULL)");
  Sql("SELECT create_hypertable('" + table + "', 'time', chunk_time_interval => interval '1 day')");
  // 4 days, one row a minute: chunks of 1,440 rows, several slices each at 8 KiB a slice.
  Sql("INSERT INTO " + table + " SELECT g, '2024-05-01'::timestamptz + g * interval '1 minute', g % 3 "
      "FROM generate_series(0, 5759) g");
  Sql("ALTER TABLE " + table + " SET (timescaledb.compress, timescaledb.compress_segmentby = 'device')");
  Sql("SELECT compress_chunk(c) FROM show_chunks('" + table + "') c ORDER BY c LIMIT 1");
  for (int readers : {1, 3}) {
    SCOPED_TRACE(readers);
    v1::ReadRequest request = Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_FULL_REFRESH, readers);
    request.mutable_options()->set_chunk_slice_bytes(8192);
    Collector read;
    absl::Status status = RunRead(request, &read);
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(read.Rows(), 5760u);
    testing::ChunkRecordsCheck check = ExpectKept(read, static_cast<size_t>(readers));
    EXPECT_EQ(check.chunk_ends, 4u);
    EXPECT_EQ(check.ended_entries, 4u);
    EXPECT_GT(check.entries, check.ended_entries) << "slices are covered before their chunk ends";
    ExpectOneChunkPerCheckpoint(read);
  }
}

class PostgresChunkRecords : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    schema_ = testing::UniqueName("chunkrec");
    testing::Exec(admin_, "CREATE SCHEMA " + Q(schema_));
  }
  void TearDown() override { testing::Exec(admin_, "DROP SCHEMA " + Q(schema_) + " CASCADE"); }
  std::string T(const std::string& table) const { return Q(schema_) + "." + Q(table); }
  // A table partitioned by day: `days` partitions of 1440 rows (one a minute).
  void MakePartitioned(const std::string& table, int days) {
    testing::Exec(admin_, "CREATE TABLE " + T(table) + " (id bigint NOT NULL, ts timestamptz NOT NULL, "
                          "payload text) PARTITION BY RANGE (ts)");
    for (int d = 0; d < days; ++d) {
      testing::Exec(admin_, "CREATE TABLE " + T(table + "_" + std::to_string(d)) + " PARTITION OF " +
                            T(table) + " FOR VALUES FROM ('2024-01-01'::timestamptz + interval '" +
                            std::to_string(d) + " days') TO ('2024-01-01'::timestamptz + interval '" +
                            std::to_string(d + 1) + " days')");
    }
    testing::Exec(admin_, "INSERT INTO " + T(table) + " SELECT g, '2024-01-01'::timestamptz + g * "
                          "interval '1 minute', repeat('x', g % 50) FROM generate_series(0, " +
                          std::to_string(days * 1440 - 1) + ") g");
  }
  v1::ReadRequest Read(const std::string& table, v1::SyncMode mode = v1::SYNC_MODE_FULL_REFRESH) const {
    return Request(Server::kPostgres, schema_, table, mode, GetParam());
  }
  size_t readers() const { return static_cast<size_t>(GetParam()); }
  pg::Connection admin_ = testing::Connect(Server::kPostgres);
  std::string schema_;
};

TEST_P(PostgresChunkRecords, PartitionsEachCoveredAndEndedOnce) {
  MakePartitioned("events", 8);
  Collector read;
  absl::Status status = RunRead(Read("events"), &read);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(read.Rows(), 8u * 1440u);
  testing::ChunkRecordsCheck check = ExpectKept(read, readers());
  EXPECT_EQ(check.chunk_ends, 8u);
  EXPECT_EQ(check.emitted.size(), 8u);
  for (const auto& [key, rows] : check.emitted) EXPECT_EQ(rows, 1440u) << key;
  ExpectOneChunkPerCheckpoint(read);
}

// The server drops the read's connections in the middle of a large partition (100,000 more
// rows, still streaming when its third batch arrives): the retry reads it again from its
// start, re-sending what no checkpoint covered, and those records are covered too (counted
// again); the cut-short partition stays open until its retry ends it. 12 partitions, so that
// chunks remain to start after the cut whatever the readers.
TEST_P(PostgresChunkRecords, RetriedReadsCoverTheRecordsSentAgain) {
  MakePartitioned("events", 12);
  testing::Exec(admin_, "INSERT INTO " + T("events") + " SELECT -g, '2024-01-06'::timestamptz + "
                        "(g % 1440) * interval '1 minute', repeat('y', 100) "
                        "FROM generate_series(1, 100000) g");
  const uint64_t rows = 12u * 1440u + 100000u;
  const std::string large = pg::QuoteQualified(schema_, "events_5");
  Collector read;
  int large_batches = 0;
  read.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_records() && r.records().chunk() == large && ++large_batches == 3) {
      testing::Exec(admin_, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = 'tsdb-source' AND pid <> pg_backend_pid() "
                            "AND query LIKE '%" + schema_ + "%'");
    }
  };
  absl::Status status = RunRead(Read("events"), &read);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_NE(read.Summary(), nullptr);
  EXPECT_GE(read.Summary()->retries(), 1u);
  EXPECT_GT(read.Rows(), rows) << "the large partition's first batches were sent again";
  testing::ChunkRecordsCheck check = ExpectKept(read, readers());
  EXPECT_EQ(check.chunk_ends, 12u) << "a chunk cut short ends once, when its retry ends";
  EXPECT_GT(check.emitted[schema_ + ".events|" + large], 1440u + 100000u) << "sent again, covered";
  std::printf("readers=%zu rows=%llu rows_emitted=%llu retries=%llu\n", readers(),
              static_cast<unsigned long long>(rows), static_cast<unsigned long long>(read.Rows()),
              static_cast<unsigned long long>(read.Summary()->retries()));
}

TEST_P(PostgresChunkRecords, XminCoversEachPartitionAtTheCheckpointAfterItsEnd) {
  MakePartitioned("events", 6);
  v1::ReadRequest request = Read("events", v1::SYNC_MODE_INCREMENTAL);
  request.mutable_config()->mutable_replication_method()->set_method("Xmin");
  // Throttled (the defaults: 100,000 records or 60 s): the final checkpoint covers them all.
  Collector throttled;
  absl::Status status = RunRead(request, &throttled);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(throttled.Rows(), 6u * 1440u);
  testing::ChunkRecordsCheck check = ExpectKept(throttled, readers());
  EXPECT_EQ(check.chunk_ends, 6u);
  EXPECT_EQ(check.ended_entries, 6u);
  size_t checkpoints = 0;
  for (const auto& e : throttled.events) {
    if (!e.has_checkpoint()) continue;
    ++checkpoints;
    for (const v1::ChunkRecords& c : e.checkpoint().chunks()) {
      EXPECT_TRUE(c.ended()) << "Xmin covers a relation at its end only";
      EXPECT_EQ(c.records(), 1440u);
    }
  }
  EXPECT_EQ(checkpoints, 1u) << "throttled: only the final checkpoint";

  // Every record a checkpoint (after every partition), from a fresh start.
  request.mutable_options()->set_checkpoint_every_records(1);
  Collector every;
  status = RunRead(request, &every);
  ASSERT_TRUE(status.ok()) << status;
  check = ExpectKept(every, readers());
  EXPECT_EQ(check.ended_entries, 6u);
  // Each checkpoint lists exactly the relations its state gained (a first sync: a relation
  // enters the state when it was read).
  std::set<std::string> known;
  for (size_t i = 0; i < every.events.size(); ++i) {
    if (!every.events[i].has_checkpoint()) continue;
    const v1::Checkpoint& c = every.events[i].checkpoint();
    std::set<std::string> gained, listed;
    for (const v1::XminRelation& r : c.state().xmin().relations()) {
      if (known.insert(r.relation()).second) gained.insert(r.relation());
    }
    for (const v1::ChunkRecords& e : c.chunks()) listed.insert(e.chunk());
    EXPECT_EQ(listed, gained) << "event " << i;
  }
  EXPECT_EQ(known.size(), 6u);
}

TEST_P(PostgresChunkRecords, PlainTablesAreOneChunkNamedEmpty) {
  testing::Exec(admin_, "CREATE TABLE " + T("keyed") + " (id int PRIMARY KEY, note text)");
  testing::Exec(admin_, "INSERT INTO " + T("keyed") + " SELECT g, 'n' FROM generate_series(1, 500) g");
  testing::Exec(admin_, "CREATE TABLE " + T("heap") + " (id int, note text)");
  testing::Exec(admin_, "INSERT INTO " + T("heap") + " SELECT g, 'n' FROM generate_series(1, 300) g");
  for (const std::string table : {"keyed", "heap"}) {
    SCOPED_TRACE(table);
    v1::ReadRequest request = Read(table);
    request.mutable_options()->set_batch_max_rows(20);
    request.mutable_options()->set_checkpoint_every_records(50);  // key positions: "keyed" only
    Collector read;
    absl::Status status = RunRead(request, &read);
    ASSERT_TRUE(status.ok()) << status;
    testing::ChunkRecordsCheck check = ExpectKept(read, 1);
    ASSERT_EQ(check.emitted.size(), 1u);
    EXPECT_EQ(check.emitted.begin()->first, schema_ + "." + table + "|");
    EXPECT_EQ(check.chunk_ends, 1u);
    if (table == "keyed") {
      EXPECT_GE(check.entries, 5u) << "each key position covers what came before it";
    } else {
      EXPECT_EQ(check.entries, 1u) << "no resume point: the final checkpoint covers all";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Readers, PostgresChunkRecords, ::testing::Values(1, 4));

}  // namespace
}  // namespace tsdb_source
