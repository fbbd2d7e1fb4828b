// Read against the real servers: every row of every hypertable kind arrives, resumes from
// any checkpoint lose nothing, incremental prunes chunks and keeps ties, bad requests fail
// before any record, a chunk dropped during the read is skipped.
#include "service/session/read_session.h"

#include <thread>

#include "service/read/chunk_cache.h"

#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "gtest/gtest.h"
#include "service/pg/quote.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::Server;

std::string Q(const std::string& ident) { return pg::QuoteIdent(ident); }

// Collects a read's events; rows are identified by the int64 value of column `key_column`.
struct Collector : ReadSink {
  std::vector<v1::ReadResponse> events;
  std::function<void(const v1::ReadResponse&)> on_event;
  bool Emit(const v1::ReadResponse& r) override {
    events.push_back(r);
    if (on_event) on_event(r);
    return true;
  }
  // Keys of the rows in events [0, end) of column `column`.
  std::multiset<int64_t> Keys(int column, size_t end = SIZE_MAX) const {
    std::multiset<int64_t> keys;
    for (size_t i = 0; i < events.size() && i < end; ++i) {
      if (!events[i].has_records()) continue;
      const auto& values = events[i].records().columns(column).int64s().values();
      keys.insert(values.begin(), values.end());
    }
    return keys;
  }
  std::vector<size_t> CheckpointIndexes() const {
    std::vector<size_t> out;
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i].has_checkpoint()) out.push_back(i);
    }
    return out;
  }
  const v1::StreamSummary* Summary() const {
    for (const auto& e : events) {
      if (e.has_summary()) return &e.summary();
    }
    return nullptr;
  }
  std::vector<v1::StreamStatusKind> Statuses() const {
    std::vector<v1::StreamStatusKind> out;
    for (const auto& e : events) {
      if (e.has_status()) out.push_back(e.status().status());
    }
    return out;
  }
  size_t RecordBatches() const {
    size_t n = 0;
    for (const auto& e : events) n += e.has_records();
    return n;
  }
};

v1::ReadRequest Request(Server server, const std::string& schema, const std::string& table,
                        v1::SyncMode mode, const std::string& cursor = "") {
  v1::ReadRequest request;
  *request.mutable_config() = testing::ConfigFor(server);
  request.mutable_config()->add_schemas(schema);
  v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
  s->mutable_stream()->set_name(table);
  s->mutable_stream()->set_namespace_(schema);
  s->set_sync_mode(mode);
  if (!cursor.empty()) s->add_cursor_field(cursor);
  request.mutable_options()->set_batch_max_rows(100);
  return request;
}

class TimescaleRead : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = testing::UniqueName("Read Ü");
    pg::Connection conn = testing::Connect(Server::kTimescale);
    testing::Exec(conn, "CREATE SCHEMA " + Q(schema_));
  }
  void TearDown() override {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    testing::Exec(conn, "DROP SCHEMA " + Q(schema_) + " CASCADE");
  }
  // Runs SQL on a connection that is closed again (the dev server takes one at a time).
  void Sql(const std::string& sql) {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    testing::Exec(conn, sql);
  }
  int64_t Count(const std::string& sql) {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    auto r = conn.Exec(sql);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? std::stoll(r->GetString(0, 0)) : -1;
  }
  std::string T(const std::string& table) const { return Q(schema_) + "." + Q(table); }
  std::string schema_;
};

TEST_F(TimescaleRead, FullRefreshOfEveryHypertableKind) {
  Sql("CREATE TABLE " + T("metrics") + " (id bigint NOT NULL, time timestamptz NOT NULL, "
      "device int, value float8, note text)");
  Sql("SELECT create_hypertable('" + T("metrics") + "', 'time', chunk_time_interval => interval '1 day')");
  Sql("INSERT INTO " + T("metrics") + " SELECT g, '2024-01-01'::timestamptz + g * interval '10 minutes', "
      "g % 5, g / 3.0, CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || g END FROM generate_series(0, 863) g");
  Sql("ALTER TABLE " + T("metrics") + " SET (timescaledb.compress, timescaledb.compress_segmentby = 'device')");
  Sql("SELECT compress_chunk(c) FROM show_chunks('" + T("metrics") + "', older_than => '2024-01-04'::timestamptz) c");
  Sql("CREATE TABLE " + T("Space \"Table\"") + " (id bigint NOT NULL, ts timestamptz NOT NULL, dev int NOT NULL)");
  Sql("SELECT create_hypertable('" + T("Space \"Table\"") + "', 'ts', 'dev', 3, chunk_time_interval => interval '1 day')");
  Sql("INSERT INTO " + T("Space \"Table\"") + " SELECT g, '2024-01-01'::timestamptz + g * interval '1 hour', g % 7 "
      "FROM generate_series(1, 200) g");
  Sql("CREATE TABLE " + T("ticks") + " (n bigint NOT NULL, id bigint NOT NULL)");
  Sql("SELECT create_hypertable('" + T("ticks") + "', 'n', chunk_time_interval => 100)");
  Sql("INSERT INTO " + T("ticks") + " SELECT g, g FROM generate_series(1, 450) g");

  struct Case { std::string table; int key_column; int64_t rows; };
  for (const Case& c : {Case{"metrics", 0, 864}, Case{"Space \"Table\"", 0, 200}, Case{"ticks", 1, 450}}) {
    SCOPED_TRACE(c.table);
    Collector sink;
    absl::Status status = RunRead(Request(Server::kTimescale, schema_, c.table, v1::SYNC_MODE_FULL_REFRESH), &sink);
    ASSERT_TRUE(status.ok()) << status;
    std::multiset<int64_t> keys = sink.Keys(c.key_column);
    EXPECT_EQ(static_cast<int64_t>(keys.size()), c.rows);
    EXPECT_EQ(std::set<int64_t>(keys.begin(), keys.end()).size(), keys.size()) << "duplicates";
    EXPECT_EQ(Count("SELECT count(*) FROM " + T(c.table)), c.rows);
    ASSERT_NE(sink.Summary(), nullptr);
    EXPECT_EQ(sink.Summary()->rows(), static_cast<uint64_t>(c.rows));
    EXPECT_EQ(sink.Summary()->chunks_read(),
              static_cast<uint64_t>(Count("SELECT count(*) FROM show_chunks('" + T(c.table) + "')")));
    EXPECT_EQ(sink.Statuses(), (std::vector<v1::StreamStatusKind>{v1::STREAM_STATUS_KIND_STARTED,
                                                                   v1::STREAM_STATUS_KIND_RUNNING,
                                                                   v1::STREAM_STATUS_KIND_COMPLETE}));
    EXPECT_GT(sink.RecordBatches(), 1u);  // batched, 100 rows at most
    ASSERT_FALSE(sink.CheckpointIndexes().empty());
    EXPECT_TRUE(sink.events[sink.CheckpointIndexes().back()].checkpoint().state().completed());
  }

  // Contents of the compressed hypertable against SQL: sums of id, device and note lengths.
  Collector sink;
  ASSERT_TRUE(RunRead(Request(Server::kTimescale, schema_, "metrics", v1::SYNC_MODE_FULL_REFRESH), &sink).ok());
  int64_t id_sum = 0, device_sum = 0, nulls = 0, note_len = 0;
  for (const auto& e : sink.events) {
    if (!e.has_records()) continue;
    const auto& b = e.records();
    for (uint32_t i = 0; i < b.row_count(); ++i) {
      id_sum += b.columns(0).int64s().values(i);
      device_sum += b.columns(2).int64s().values(i);
      const std::string& bitmap = b.columns(4).null_bitmap();
      bool is_null = !bitmap.empty() && ((static_cast<unsigned char>(bitmap[i / 8]) >> (i % 8)) & 1);
      nulls += is_null;
      if (!is_null) note_len += static_cast<int64_t>(b.columns(4).strings().values(i).size());
    }
  }
  EXPECT_EQ(id_sum, Count("SELECT sum(id) FROM " + T("metrics")));
  EXPECT_EQ(device_sum, Count("SELECT sum(device) FROM " + T("metrics")));
  EXPECT_EQ(nulls, Count("SELECT count(*) FROM " + T("metrics") + " WHERE note IS NULL"));
  EXPECT_EQ(note_len, Count("SELECT sum(length(note)) FROM " + T("metrics")));
}

TEST_F(TimescaleRead, ResumeFromEveryCheckpointLosesNoRow) {
  Sql("CREATE TABLE " + T("m") + " (id bigint NOT NULL, time timestamptz NOT NULL)");
  Sql("SELECT create_hypertable('" + T("m") + "', 'time', chunk_time_interval => interval '1 day')");
  Sql("INSERT INTO " + T("m") + " SELECT g, '2024-01-01'::timestamptz + g * interval '30 minutes' "
      "FROM generate_series(1, 300) g");
  Sql("ALTER TABLE " + T("m") + " SET (timescaledb.compress)");
  Sql("SELECT compress_chunk(c) FROM show_chunks('" + T("m") + "') c ORDER BY c LIMIT 2");
  for (v1::SyncMode mode : {v1::SYNC_MODE_FULL_REFRESH, v1::SYNC_MODE_INCREMENTAL}) {
    Collector first;
    ASSERT_TRUE(RunRead(Request(Server::kTimescale, schema_, "m", mode), &first).ok());
    std::multiset<int64_t> all = first.Keys(0);
    ASSERT_EQ(all.size(), 300u);
    std::vector<size_t> checkpoints = first.CheckpointIndexes();
    ASSERT_GE(checkpoints.size(), 6u);
    for (size_t k : checkpoints) {
      const v1::StreamState& state = first.events[k].checkpoint().state();
      if (state.completed()) continue;
      v1::ReadRequest resume = Request(Server::kTimescale, schema_, "m", mode);
      *resume.add_state() = state;
      Collector second;
      absl::Status status = RunRead(resume, &second);
      ASSERT_TRUE(status.ok()) << status;
      std::multiset<int64_t> before = first.Keys(0, k);
      std::multiset<int64_t> after = second.Keys(0);
      std::set<int64_t> union_keys(before.begin(), before.end());
      union_keys.insert(after.begin(), after.end());
      EXPECT_EQ(union_keys.size(), 300u) << "rows lost resuming from checkpoint at event " << k;
      EXPECT_EQ(before.size() + after.size(), 300u) << "chunk-level checkpoints repeat nothing";
      // The state stays small: a watermark, not a list of chunks.
      EXPECT_EQ(state.chunks().done_size(), 0);
      EXPECT_LT(state.ByteSizeLong(), 300u);
    }
  }
}

TEST_F(TimescaleRead, IncrementalPrunesChunksAndKeepsTies) {
  Sql("CREATE TABLE " + T("m") + " (id bigint NOT NULL, time timestamptz NOT NULL)");
  Sql("SELECT create_hypertable('" + T("m") + "', 'time', chunk_time_interval => interval '1 day')");
  // 10 daily chunks; the last timestamp has three rows (ties).
  Sql("INSERT INTO " + T("m") + " SELECT g, '2024-01-01'::timestamptz + g * interval '6 hours' "
      "FROM generate_series(0, 39) g");
  Sql("INSERT INTO " + T("m") + " VALUES (100, '2024-01-10 18:00+00'), (101, '2024-01-10 18:00+00')");
  Collector first;
  ASSERT_TRUE(RunRead(Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_INCREMENTAL), &first).ok());
  ASSERT_EQ(first.Keys(0).size(), 42u);
  const v1::StreamState& final_state = first.events[first.CheckpointIndexes().back()].checkpoint().state();
  ASSERT_TRUE(final_state.completed());
  ASSERT_EQ(final_state.cursor().int64_value(), 1704909600000000LL);  // 2024-01-10 18:00 UTC

  Sql("INSERT INTO " + T("m") + " VALUES (200, '2024-01-10 18:00+00'), (201, '2024-01-11 01:00+00')");
  v1::ReadRequest second_request = Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_INCREMENTAL);
  *second_request.add_state() = final_state;
  Collector second;
  ASSERT_TRUE(RunRead(second_request, &second).ok());
  // Tie rule: rows equal to the saved cursor are read again (at-least-once), so a row that
  // arrived later with the same cursor value (200) is not lost.
  EXPECT_EQ(second.Keys(0), (std::multiset<int64_t>{39, 100, 101, 200, 201}));
  ASSERT_NE(second.Summary(), nullptr);
  EXPECT_EQ(second.Summary()->chunks_read(), 2u);     // the last day's chunk and the new one
  EXPECT_EQ(second.Summary()->chunks_skipped(), 9u);  // pruned without a query

  // A state far in the future: no record, still a state.
  v1::StreamState future = final_state;
  future.mutable_cursor()->set_int64_value(4102444800000000LL);  // 2100-01-01
  v1::ReadRequest third_request = Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_INCREMENTAL);
  *third_request.add_state() = future;
  Collector third;
  ASSERT_TRUE(RunRead(third_request, &third).ok());
  EXPECT_TRUE(third.Keys(0).empty());
  EXPECT_FALSE(third.CheckpointIndexes().empty());
}

// Incremental reads of sliced chunks: the slices of the chunk holding the cursor start at
// the cursor (no row below it, every row at or above it), and a position of an earlier
// release (a time-ordered read, rows_at_key > 0) resumes at rows >= its time.
TEST_F(TimescaleRead, SlicedChunksStartAtTheCursorAndOldPositionsResume) {
  Sql("CREATE TABLE " + T("m") + " (id bigint NOT NULL, time timestamptz NOT NULL)");
  Sql("SELECT create_hypertable('" + T("m") + "', 'time', chunk_time_interval => interval '1 day')");
  // 3 days, one row a minute (4,320 rows, chunks of 1,440 rows: several pages each).
  Sql("INSERT INTO " + T("m") + " SELECT g, '2024-05-01'::timestamptz + g * interval '1 minute' "
      "FROM generate_series(0, 4319) g");
  const int64_t day = 86400000000LL;
  const int64_t start = 1714521600000000LL;  // 2024-05-01 00:00 UTC
  v1::StreamState state;
  state.set_version(1);
  state.mutable_stream()->set_name("m");
  state.mutable_stream()->set_namespace_(schema_);
  state.set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
  state.add_cursor_field("time");
  state.mutable_cursor()->set_kind(v1::VALUE_KIND_TIMESTAMPTZ);
  state.mutable_cursor()->set_int64_value(start + day + day / 3);  // day 2, 08:00
  state.set_completed(true);
  v1::ReadRequest request = Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_INCREMENTAL);
  request.mutable_options()->set_chunk_slice_bytes(8192);
  *request.add_state() = state;
  Collector sink;
  ASSERT_TRUE(RunRead(request, &sink).ok());
  std::multiset<int64_t> expected;
  for (int64_t id = 1440 + 480; id < 4320; ++id) expected.insert(id);  // from day 2, 08:00 on
  EXPECT_EQ(sink.Keys(0), expected);
  int sliced = 0;
  for (size_t k : sink.CheckpointIndexes()) {
    for (const v1::ChunkPosition& p : sink.events[k].checkpoint().state().chunks().in_flight()) {
      ++sliced;
      EXPECT_GT(p.last_key(0).int64_value(), state.cursor().int64_value()) << "a slice below the cursor";
    }
  }
  EXPECT_GT(sliced, 0);

  // An in-flight position as an earlier release wrote it (time order, 3 rows at its key):
  // the rest of that chunk from its time on, then the later chunks.
  v1::StreamState old = state;
  old.set_completed(false);
  old.clear_cursor();
  v1::ChunkPosition* position = old.mutable_chunks()->add_in_flight();
  {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    auto r = conn.Exec("SELECT chunk_schema, chunk_name FROM timescaledb_information.chunks WHERE "
                       "hypertable_schema = " + pg::QuoteLiteral(schema_) + " ORDER BY range_start LIMIT 1");
    ASSERT_TRUE(r.ok() && r->rows() == 1);
    position->set_chunk(pg::QuoteQualified(r->GetString(0, 0), r->GetString(0, 1)));
  }
  position->add_last_key()->set_kind(v1::VALUE_KIND_TIMESTAMPTZ);
  position->mutable_last_key(0)->set_int64_value(start + 600 * 60000000LL);  // 10:00 on day 1
  position->set_rows_at_key(3);
  v1::ReadRequest resume = Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_INCREMENTAL);
  *resume.add_state() = old;
  Collector second;
  absl::Status status = RunRead(resume, &second);
  ASSERT_TRUE(status.ok()) << status;
  std::multiset<int64_t> rest;
  for (int64_t id = 600; id < 4320; ++id) rest.insert(id);
  EXPECT_EQ(second.Keys(0), rest);
}

TEST_F(TimescaleRead, BadRequestsFailBeforeAnyRecord) {
  Sql("CREATE TABLE " + T("m") + " (id bigint NOT NULL, time timestamptz NOT NULL, doc jsonb)");
  Sql("SELECT create_hypertable('" + T("m") + "', 'time')");
  Sql("INSERT INTO " + T("m") + " VALUES (1, now(), '{}')");
  auto expect_invalid = [&](const v1::ReadRequest& request, const std::string& reason_text) {
    Collector sink;
    absl::Status status = RunRead(request, &sink);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_NE(status.message().find(reason_text), std::string::npos) << status;
    EXPECT_EQ(sink.RecordBatches(), 0u);
  };
  v1::ReadRequest unknown = Request(Server::kTimescale, schema_, "nope", v1::SYNC_MODE_FULL_REFRESH);
  expect_invalid(unknown, "nope");
  expect_invalid(Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_INCREMENTAL, "missing"), "missing");
  expect_invalid(Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_INCREMENTAL, "doc"), "doc");
  v1::ReadRequest empty = Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_FULL_REFRESH);
  empty.mutable_catalog()->clear_streams();
  expect_invalid(empty, "no streams");
  v1::ReadRequest bad_version = Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_FULL_REFRESH);
  v1::StreamState* state = bad_version.add_state();
  state->set_version(99);
  state->mutable_stream()->set_name("m");
  state->mutable_stream()->set_namespace_(schema_);
  expect_invalid(bad_version, "version 99");
}

TEST_F(TimescaleRead, MissingStreamIsSkippedWhenAskedAndItsStateKept) {
  Sql("CREATE TABLE " + T("m") + " (id bigint NOT NULL, time timestamptz NOT NULL)");
  Sql("SELECT create_hypertable('" + T("m") + "', 'time')");
  Sql("INSERT INTO " + T("m") + " VALUES (1, now()), (2, now())");
  v1::ReadRequest request = Request(Server::kTimescale, schema_, "gone", v1::SYNC_MODE_FULL_REFRESH);
  v1::ConfiguredStream* present = request.mutable_catalog()->add_streams();
  present->mutable_stream()->set_name("m");
  present->mutable_stream()->set_namespace_(schema_);
  present->set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
  v1::StreamState* gone_state = request.add_state();  // the platform's state of the gone stream
  gone_state->mutable_stream()->set_name("gone");
  gone_state->mutable_stream()->set_namespace_(schema_);
  gone_state->set_version(99);  // not even valid: it is neither read nor reported
  request.mutable_options()->set_skip_missing_streams(true);
  Collector sink;
  absl::Status status = RunRead(request, &sink);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(sink.Keys(0), (std::multiset<int64_t>{1, 2}));
  ASSERT_FALSE(sink.events.empty());
  const v1::StreamStatus* gone = nullptr;
  for (const v1::ReadResponse& e : sink.events) {
    if (e.has_status() && e.status().stream().name() == "gone") {
      EXPECT_EQ(gone, nullptr) << "one status for the skipped stream";
      gone = &e.status();
    }
    if (e.has_checkpoint()) {
      EXPECT_EQ(e.checkpoint().state().stream().name(), "m");
    }
  }
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(gone->status(), v1::STREAM_STATUS_KIND_INCOMPLETE);
  EXPECT_EQ(gone->stream().namespace_(), schema_);
  EXPECT_NE(gone->reason().find("skipped"), std::string::npos) << gone->reason();
  EXPECT_NE(gone->reason().find("discover"), std::string::npos) << gone->reason();

  // Every stream missing: nothing to read, no failure.
  v1::ReadRequest only_gone = Request(Server::kTimescale, schema_, "gone", v1::SYNC_MODE_FULL_REFRESH);
  only_gone.mutable_options()->set_skip_missing_streams(true);
  Collector none;
  ASSERT_TRUE(RunRead(only_gone, &none).ok());
  EXPECT_EQ(none.RecordBatches(), 0u);
  EXPECT_EQ(none.Statuses(), (std::vector<v1::StreamStatusKind>{v1::STREAM_STATUS_KIND_INCOMPLETE}));
}

TEST(PostgresReadMixed, PlainAndPartitionedTablesAndADroppedPartition) {
  std::string schema = testing::UniqueName("pgread");
  pg::Connection admin = testing::Connect(Server::kPostgres);
  testing::Exec(admin, "CREATE SCHEMA " + Q(schema));
  std::string plain = Q(schema) + ".plain";
  std::string parted = Q(schema) + ".events";
  testing::Exec(admin, "CREATE TABLE " + plain + " (id bigint PRIMARY KEY, updated date, t text[])");
  testing::Exec(admin, "INSERT INTO " + plain + " SELECT g, '2024-01-01'::date + g, ARRAY['a', g::text] "
                       "FROM generate_series(1, 1000) g");
  testing::Exec(admin, "CREATE TABLE " + parted + " (id bigint NOT NULL, ts timestamptz NOT NULL) "
                       "PARTITION BY RANGE (ts)");
  for (int d = 1; d <= 5; ++d) {
    testing::Exec(admin, "CREATE TABLE " + Q(schema) + ".events_" + std::to_string(d) + " PARTITION OF " +
                         parted + " FOR VALUES FROM ('2024-01-0" + std::to_string(d) + "') TO ('2024-01-0" +
                         std::to_string(d + 1) + "')");
  }
  testing::Exec(admin, "INSERT INTO " + parted + " SELECT g, '2024-01-01'::timestamptz + g * interval '1 minute' "
                       "FROM generate_series(0, 5 * 1440 - 1) g");

  Collector plain_sink;
  ASSERT_TRUE(RunRead(Request(Server::kPostgres, schema, "plain", v1::SYNC_MODE_FULL_REFRESH), &plain_sink).ok());
  EXPECT_EQ(plain_sink.Keys(0).size(), 1000u);

  // Incremental on a date cursor of a plain table.
  Collector inc;
  v1::ReadRequest inc_request = Request(Server::kPostgres, schema, "plain", v1::SYNC_MODE_INCREMENTAL, "updated");
  v1::StreamState* state = inc_request.add_state();
  state->set_version(1);
  state->mutable_stream()->set_name("plain");
  state->mutable_stream()->set_namespace_(schema);
  state->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
  state->add_cursor_field("updated");
  state->mutable_cursor()->set_kind(v1::VALUE_KIND_DATE);
  state->mutable_cursor()->set_int64_value(19723 + 990);  // 2024-01-01 is day 19723
  state->set_completed(true);
  ASSERT_TRUE(RunRead(inc_request, &inc).ok());
  EXPECT_EQ(inc.Keys(0), (std::multiset<int64_t>{990, 991, 992, 993, 994, 995, 996, 997, 998, 999, 1000}));

  // An integer cursor beyond an int4 column's range is far in the future: no row, no error.
  testing::Exec(admin, "CREATE TABLE " + Q(schema) + ".small (n int4 NOT NULL)");
  testing::Exec(admin, "INSERT INTO " + Q(schema) + ".small VALUES (1), (2)");
  v1::ReadRequest far = Request(Server::kPostgres, schema, "small", v1::SYNC_MODE_INCREMENTAL, "n");
  v1::StreamState* far_state = far.add_state();
  far_state->set_version(1);
  far_state->mutable_stream()->set_name("small");
  far_state->mutable_stream()->set_namespace_(schema);
  far_state->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
  far_state->add_cursor_field("n");
  far_state->mutable_cursor()->set_kind(v1::VALUE_KIND_INT64);
  far_state->mutable_cursor()->set_int64_value(1000000000000000LL);
  far_state->set_completed(true);
  Collector far_sink;
  absl::Status far_status = RunRead(far, &far_sink);
  ASSERT_TRUE(far_status.ok()) << far_status;
  EXPECT_TRUE(far_sink.Keys(0).empty());

  // The partitioned table, partition by partition; the third partition is dropped once the
  // first one is checkpointed.
  Collector parts;
  bool dropped = false;
  parts.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_checkpoint() && !dropped) {
      dropped = true;
      testing::Exec(admin, "DROP TABLE " + Q(schema) + ".events_3");
    }
  };
  absl::Status status = RunRead(Request(Server::kPostgres, schema, "events", v1::SYNC_MODE_FULL_REFRESH), &parts);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(parts.Keys(0).size(), 4u * 1440u);
  ASSERT_NE(parts.Summary(), nullptr);
  EXPECT_EQ(parts.Summary()->chunks_read(), 4u);
  EXPECT_EQ(parts.Summary()->chunks_skipped(), 1u);
  bool warned = false;
  for (const auto& e : parts.events) {
    if (e.has_log() && e.log().message().find("events_3") != std::string::npos) warned = true;
  }
  EXPECT_TRUE(warned);
  testing::Exec(admin, "DROP SCHEMA " + Q(schema) + " CASCADE");
}


// Resumes inside a chunk: with a checkpoint every 25 records, resuming from any in-chunk
// checkpoint loses nothing and repeats at most the rows of the position's time value.
TEST_F(TimescaleRead, ResumeInsideAChunkLosesNoRow) {
  Sql("CREATE TABLE " + T("m") + " (id bigint NOT NULL, time timestamptz NOT NULL)");
  Sql("SELECT create_hypertable('" + T("m") + "', 'time', chunk_time_interval => interval '1 day')");
  // Two rows per timestamp: ties inside a chunk.
  Sql("INSERT INTO " + T("m") + " SELECT g, '2024-01-01'::timestamptz + (g / 2) * interval '15 minutes' "
      "FROM generate_series(0, 399) g");
  v1::ReadRequest request = Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_options()->set_batch_max_rows(10);
  // Every chunk (one 8 KiB page or two) is above the slice threshold: read in time slices.
  request.mutable_options()->set_chunk_slice_bytes(2048);
  Collector first;
  ASSERT_TRUE(RunRead(request, &first).ok());
  ASSERT_EQ(first.Keys(0).size(), 400u);
  int in_chunk = 0;
  for (size_t k : first.CheckpointIndexes()) {
    const v1::StreamState& state = first.events[k].checkpoint().state();
    if (state.completed() || state.chunks().in_flight_size() == 0) continue;
    ++in_chunk;
    const v1::ChunkPosition& position = state.chunks().in_flight(0);
    ASSERT_EQ(position.last_key_size(), 1);
    v1::ReadRequest resume = request;
    *resume.add_state() = state;
    Collector second;
    ASSERT_TRUE(RunRead(resume, &second).ok());
    std::multiset<int64_t> before = first.Keys(0, k);
    std::multiset<int64_t> after = second.Keys(0);
    std::set<int64_t> union_keys(before.begin(), before.end());
    union_keys.insert(after.begin(), after.end());
    EXPECT_EQ(union_keys.size(), 400u) << "rows lost resuming from event " << k;
    EXPECT_EQ(position.rows_at_key(), 0u);
    EXPECT_EQ(before.size() + after.size(), 400u) << "a slice position repeats nothing";
  }
  EXPECT_GT(in_chunk, 5);
}

// The chunk list is cached across reads of one process; a chunk compressed or dropped after
// it was listed is still read exactly once, or skipped with a warning.
TEST_F(TimescaleRead, CachedChunkListSurvivesCompressionAndDrops) {
  ChunkCache::Global().Clear();
  Sql("CREATE TABLE " + T("m") + " (id bigint NOT NULL, time timestamptz NOT NULL)");
  Sql("SELECT create_hypertable('" + T("m") + "', 'time', chunk_time_interval => interval '1 day')");
  Sql("INSERT INTO " + T("m") + " SELECT g, '2024-01-01'::timestamptz + g * interval '1 hour' "
      "FROM generate_series(0, 119) g");  // 5 chunks
  Collector first;
  ASSERT_TRUE(RunRead(Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_FULL_REFRESH), &first).ok());
  ASSERT_EQ(first.Keys(0).size(), 120u);
  Sql("ALTER TABLE " + T("m") + " SET (timescaledb.compress)");
  Sql("SELECT compress_chunk(c) FROM show_chunks('" + T("m") + "') c ORDER BY c LIMIT 2");
  Sql("SELECT drop_chunks('" + T("m") + "', older_than => '2024-01-02'::timestamptz)");  // the first chunk
  Collector second;  // the cached list still names the dropped chunk and the old compression flags
  ASSERT_TRUE(RunRead(Request(Server::kTimescale, schema_, "m", v1::SYNC_MODE_FULL_REFRESH), &second).ok());
  std::multiset<int64_t> keys = second.Keys(0);
  EXPECT_EQ(keys.size(), 96u);
  EXPECT_EQ(std::set<int64_t>(keys.begin(), keys.end()).size(), 96u);
  ASSERT_NE(second.Summary(), nullptr);
  EXPECT_EQ(second.Summary()->chunks_skipped(), 1u);
  bool warned = false;
  for (const auto& e : second.events) warned |= e.has_log() && e.log().level() == v1::LOG_LEVEL_WARN;
  EXPECT_TRUE(warned);
  ChunkCache::Global().Clear();
}

class PostgresRead : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = testing::UniqueName("pgread");
    testing::Exec(admin_, "CREATE SCHEMA " + Q(schema_));
  }
  void TearDown() override { testing::Exec(admin_, "DROP SCHEMA " + Q(schema_) + " CASCADE"); }
  std::string T(const std::string& table) const { return Q(schema_) + "." + Q(table); }
  // A table partitioned by day: `days` partitions of 1440 rows (one a minute), id unique.
  void MakePartitioned(const std::string& table, int days) {
    testing::Exec(admin_, "CREATE TABLE " + T(table) + " (id bigint NOT NULL, ts timestamptz NOT NULL, "
                          "payload text) PARTITION BY RANGE (ts)");
    for (int d = 0; d < days; ++d) AddPartition(table, d);
    testing::Exec(admin_, "INSERT INTO " + T(table) + " SELECT g, '2024-01-01'::timestamptz + g * "
                          "interval '1 minute', repeat('x', g % 50) FROM generate_series(0, " +
                          std::to_string(days * 1440 - 1) + ") g");
  }
  void AddPartition(const std::string& table, int day) {
    testing::Exec(admin_, "CREATE TABLE " + T(table + "_" + std::to_string(day)) + " PARTITION OF " +
                          T(table) + " FOR VALUES FROM ('2024-01-01'::timestamptz + interval '" +
                          std::to_string(day) + " days') TO ('2024-01-01'::timestamptz + interval '" +
                          std::to_string(day + 1) + " days')");
  }
  pg::Connection admin_ = testing::Connect(Server::kPostgres);
  std::string schema_;
};

TEST_F(PostgresRead, ConcurrentReadersReadEveryRowOnceWithSmallStates) {
  MakePartitioned("events", 12);
  v1::ReadRequest request = Request(Server::kPostgres, schema_, "events", v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_config()->set_timescaledb_max_concurrent_chunks(4);
  Collector sink;
  absl::Status status = RunRead(request, &sink);
  ASSERT_TRUE(status.ok()) << status;
  std::multiset<int64_t> keys = sink.Keys(0);
  EXPECT_EQ(keys.size(), 12u * 1440u);
  EXPECT_EQ(std::set<int64_t>(keys.begin(), keys.end()).size(), keys.size());
  ASSERT_NE(sink.Summary(), nullptr);
  EXPECT_EQ(sink.Summary()->chunks_read(), 12u);
  // Every checkpoint claims only chunks whose rows were all emitted before it, and resuming
  // from it loses nothing.
  for (size_t k : sink.CheckpointIndexes()) {
    const v1::StreamState& state = sink.events[k].checkpoint().state();
    EXPECT_LE(state.chunks().done_size(), 4);
    if (state.completed()) continue;
    v1::ReadRequest resume = request;
    *resume.add_state() = state;
    Collector second;
    ASSERT_TRUE(RunRead(resume, &second).ok());
    std::multiset<int64_t> before = sink.Keys(0, k);
    std::set<int64_t> all(before.begin(), before.end());
    for (int64_t key : second.Keys(0)) all.insert(key);
    EXPECT_EQ(all.size(), 12u * 1440u) << "rows lost resuming from event " << k;
  }
}

TEST_F(PostgresRead, ASlowChunkDoesNotGrowTheState) {
  // The first partition is 100 times the others: while one reader is on it, the others may
  // only run ahead by the number of readers, so checkpoints never list more done chunks than
  // that beyond the watermark (found when sanitizer builds made the timing uneven).
  MakePartitioned("events", 16);
  testing::Exec(admin_, "INSERT INTO " + T("events") + " SELECT -g, '2024-01-01'::timestamptz + "
                        "(g % 1440) * interval '1 minute', repeat('y', 100) "
                        "FROM generate_series(1, 150000) g");
  v1::ReadRequest request = Request(Server::kPostgres, schema_, "events", v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_config()->set_timescaledb_max_concurrent_chunks(4);
  Collector sink;
  ASSERT_TRUE(RunRead(request, &sink).ok());
  EXPECT_EQ(sink.Keys(0).size(), 16u * 1440u + 150000u);
  for (size_t k : sink.CheckpointIndexes()) {
    EXPECT_LE(sink.events[k].checkpoint().state().chunks().done_size(), 3) << "event " << k;
  }
}

TEST_F(PostgresRead, IncrementalSkipsPartitionsEndingBeforeTheCursor) {
  MakePartitioned("events", 6);  // 2024-01-01 .. 2024-01-06, one partition a day
  auto read_from = [&](int64_t cursor_micros, Collector* sink) {
    v1::ReadRequest request = Request(Server::kPostgres, schema_, "events", v1::SYNC_MODE_INCREMENTAL, "ts");
    v1::StreamState* state = request.add_state();
    state->set_version(1);
    state->mutable_stream()->set_name("events");
    state->mutable_stream()->set_namespace_(schema_);
    state->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
    state->add_cursor_field("ts");
    state->mutable_cursor()->set_kind(v1::VALUE_KIND_TIMESTAMPTZ);
    state->mutable_cursor()->set_int64_value(cursor_micros);
    state->set_completed(true);
    absl::Status status = RunRead(request, sink);
    ASSERT_TRUE(status.ok()) << status;
  };
  // At a partition boundary (2024-01-05 00:00 UTC): the four partitions before it end at or
  // before the cursor and are skipped without a query.
  Collector at_boundary;
  read_from(1704412800000000LL, &at_boundary);
  EXPECT_EQ(at_boundary.Keys(0).size(), 2u * 1440u);
  EXPECT_EQ(*at_boundary.Keys(0).begin(), 4 * 1440);
  ASSERT_NE(at_boundary.Summary(), nullptr);
  EXPECT_EQ(at_boundary.Summary()->chunks_read(), 2u);
  EXPECT_EQ(at_boundary.Summary()->chunks_skipped(), 4u);
  // Inside a partition (2024-01-04 12:00 UTC): that partition is read from the cursor on.
  Collector inside;
  read_from(1704369600000000LL, &inside);
  EXPECT_EQ(inside.Keys(0).size(), 720u + 2u * 1440u);
  EXPECT_EQ(*inside.Keys(0).begin(), 3 * 1440 + 720);
  ASSERT_NE(inside.Summary(), nullptr);
  EXPECT_EQ(inside.Summary()->chunks_read(), 3u);
  EXPECT_EQ(inside.Summary()->chunks_skipped(), 3u);
}

TEST_F(PostgresRead, GlobalStateInAStandardReadIsIgnoredWithAWarning) {
  testing::Exec(admin_, "CREATE TABLE " + T("g") + " (id bigint PRIMARY KEY)");
  testing::Exec(admin_, "INSERT INTO " + T("g") + " SELECT generate_series(1, 50)");
  v1::ReadRequest request = Request(Server::kPostgres, schema_, "g", v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_global_state()->set_version(1);
  Collector sink;
  absl::Status status = RunRead(request, &sink);
  ASSERT_TRUE(status.ok()) << status;
  std::multiset<int64_t> all;
  for (int64_t id = 1; id <= 50; ++id) all.insert(id);
  EXPECT_EQ(sink.Keys(0), all);
  int warned = 0;
  for (const v1::ReadResponse& e : sink.events) {
    if (e.has_log() && e.log().level() == v1::LOG_LEVEL_WARN &&
        e.log().message().find("GLOBAL (change data capture) state") != std::string::npos) {
      ++warned;
    }
  }
  EXPECT_EQ(warned, 1);

  // Without a GLOBAL state, no such warning.
  Collector plain;
  ASSERT_TRUE(RunRead(Request(Server::kPostgres, schema_, "g", v1::SYNC_MODE_FULL_REFRESH), &plain).ok());
  for (const v1::ReadResponse& e : plain.events) {
    EXPECT_FALSE(e.has_log() && e.log().message().find("GLOBAL") != std::string::npos) << e.log().message();
  }
}

TEST_F(PostgresRead, PrimaryKeyTableResumesAfterItsLastKey) {
  testing::Exec(admin_, "CREATE TABLE " + T("items") + " (region text, id int, note text, "
                        "PRIMARY KEY (region, id))");
  testing::Exec(admin_, "INSERT INTO " + T("items") + " SELECT (ARRAY['north', 'south', 'O''Brien \"q\"'])[g % 3 + 1], g, 'n' "
                        "FROM generate_series(1, 500) g");
  v1::ReadRequest request = Request(Server::kPostgres, schema_, "items", v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_options()->set_batch_max_rows(20);
  request.mutable_options()->set_checkpoint_every_records(50);
  Collector first;
  ASSERT_TRUE(RunRead(request, &first).ok());
  ASSERT_EQ(first.Keys(1).size(), 500u);
  int positioned = 0;
  for (size_t k : first.CheckpointIndexes()) {
    const v1::StreamState& state = first.events[k].checkpoint().state();
    if (state.completed()) continue;
    ASSERT_EQ(state.last_primary_key_size(), 2);
    ++positioned;
    v1::ReadRequest resume = request;
    *resume.add_state() = state;
    Collector second;
    ASSERT_TRUE(RunRead(resume, &second).ok());
    std::multiset<int64_t> before = first.Keys(1, k), after = second.Keys(1);
    EXPECT_EQ(before.size() + after.size(), 500u) << "a unique key resumes exactly";
    std::set<int64_t> all(before.begin(), before.end());
    all.insert(after.begin(), after.end());
    EXPECT_EQ(all.size(), 500u);
  }
  EXPECT_GE(positioned, 5);
}

TEST_F(PostgresRead, PartitionCreatedDuringTheReadIsRead) {
  MakePartitioned("events", 3);
  v1::ReadRequest request = Request(Server::kPostgres, schema_, "events", v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_options()->set_chunk_discovery_interval_ms(1);
  Collector sink;
  bool created = false;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_checkpoint() && !created) {
      created = true;
      AddPartition("events", 3);
      testing::Exec(admin_, "INSERT INTO " + T("events") + " VALUES (999999, '2024-01-04 12:00+00', 'late')");
    }
  };
  ASSERT_TRUE(RunRead(request, &sink).ok());
  std::multiset<int64_t> keys = sink.Keys(0);
  EXPECT_EQ(keys.size(), 3u * 1440u + 1u);
  EXPECT_EQ(keys.count(999999), 1u);
}


// The server drops the read's connections mid-read (as a restart does): the read retries
// from its last checkpoint and completes; rows lost 0, rows repeated at most those emitted
// after the last checkpoint.
TEST_F(PostgresRead, ConnectionLostMidReadIsRetriedFromTheLastCheckpoint) {
  MakePartitioned("events", 6);
  v1::ReadRequest request = Request(Server::kPostgres, schema_, "events", v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_options()->set_retry_initial_backoff_ms(10);
  request.mutable_options()->set_checkpoint_every_records(500);
  Collector sink;
  int checkpoints = 0;
  uint64_t rows_at_kill = 0, rows_at_last_checkpoint = 0;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_checkpoint()) {
      rows_at_last_checkpoint = r.checkpoint().records_total();
      if (++checkpoints == 3) {
        rows_at_kill = rows_at_last_checkpoint;
        testing::Exec(admin_, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE application_name = 'tsdb-source' AND pid <> pg_backend_pid() "
                              "AND query LIKE '%" + schema_ + "%'");
      }
    }
  };
  absl::Status status = RunRead(request, &sink);
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_GT(rows_at_kill, 0u);
  std::multiset<int64_t> keys = sink.Keys(0);
  EXPECT_EQ(std::set<int64_t>(keys.begin(), keys.end()).size(), 6u * 1440u) << "rows lost";
  EXPECT_LE(keys.size() - 6u * 1440u, 1440u) << "repeats beyond one chunk";
  ASSERT_NE(sink.Summary(), nullptr);
  EXPECT_EQ(sink.Summary()->retries(), 1u);
  std::printf("fault=connections_terminated rows=%u lost=%zu duplicated=%zu rows_since_checkpoint_at_fault<=%u\n",
              6u * 1440u, 6u * 1440u - std::set<int64_t>(keys.begin(), keys.end()).size(),
              keys.size() - std::set<int64_t>(keys.begin(), keys.end()).size(), 1440u);
}

TEST_F(PostgresRead, GivingUpEndsAfterTheLastCheckpointAndAResumeCompletes) {
  MakePartitioned("events", 4);
  v1::ReadRequest request = Request(Server::kPostgres, schema_, "events", v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_options()->set_retry_initial_backoff_ms(10);
  request.mutable_options()->set_max_attempts(2);
  Collector sink;
  int checkpoints = 0;
  sink.on_event = [&](const v1::ReadResponse& r) {
    // Every checkpoint after the first kills the connection: attempts run out.
    if (r.has_checkpoint() && ++checkpoints >= 2) {
      testing::Exec(admin_, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name = 'tsdb-source' AND pid <> pg_backend_pid() "
                            "AND query LIKE '%" + schema_ + "%'");
    }
  };
  absl::Status status = RunRead(request, &sink);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("attempts"), std::string::npos) << status;
  std::vector<size_t> checkpoint_events = sink.CheckpointIndexes();
  ASSERT_FALSE(checkpoint_events.empty());
  EXPECT_EQ(sink.Statuses().back(), v1::STREAM_STATUS_KIND_INCOMPLETE);
  // Resume from the last checkpoint: together nothing is lost.
  const v1::StreamState& last = sink.events[checkpoint_events.back()].checkpoint().state();
  v1::ReadRequest resume = Request(Server::kPostgres, schema_, "events", v1::SYNC_MODE_FULL_REFRESH);
  *resume.add_state() = last;
  Collector second;
  ASSERT_TRUE(RunRead(resume, &second).ok());
  std::set<int64_t> all;
  for (int64_t k : sink.Keys(0, checkpoint_events.back())) all.insert(k);
  for (int64_t k : second.Keys(0)) all.insert(k);
  EXPECT_EQ(all.size(), 4u * 1440u);
}

TEST_F(PostgresRead, ColumnAddedDuringTheReadKeepsTheStartingColumnsAndSaysSo) {
  MakePartitioned("events", 3);
  Collector sink;
  bool altered = false;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_checkpoint() && !altered) {
      altered = true;
      testing::Exec(admin_, "ALTER TABLE " + T("events") + " ADD COLUMN late_column int DEFAULT 7");
    }
  };
  absl::Status status = RunRead(Request(Server::kPostgres, schema_, "events", v1::SYNC_MODE_FULL_REFRESH), &sink);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(sink.Keys(0).size(), 3u * 1440u);
  for (const auto& e : sink.events) {
    if (e.has_records()) {
      EXPECT_EQ(e.records().columns_size(), 3);  // the columns it started with
    }
  }
  bool warned = false;
  for (const auto& e : sink.events) {
    warned |= e.has_log() && e.log().level() == v1::LOG_LEVEL_WARN &&
              e.log().message().find("late_column") != std::string::npos;
  }
  EXPECT_TRUE(warned);
}

}  // namespace
}  // namespace tsdb_source
