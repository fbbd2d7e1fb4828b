// What the chunk readers guarantee while the database changes under them, on a native
// TimescaleDB (several connections at once; run by tools/test-native, tagged manual: the
// dev server takes one connection at a time). Chunks are read unordered in time slices,
// each slice its own COPY and transaction, so:
//   - rows inserted into the chunk being read: every row that existed before the read
//     arrives exactly once (new rows arrive when their slice is read after they commit);
//   - a chunk compressed or decompressed between two of its slices: every row arrives exactly
//     once (each slice is planned anew, on whichever form the chunk has then);
//   - 4 readers: the same, with changes to several chunks at once.
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "service/pg/quote.h"
#include "service/session/read_session.h"
#include "tests/testing/databases.h"
#include "tests/testing/tcp_proxy.h"

namespace tsdb_source {
namespace {

using testing::Server;
using testing::TcpProxy;

std::string Q(const std::string& ident) { return pg::QuoteIdent(ident); }

struct Collector : ReadSink {
  std::function<void(const v1::ReadResponse&)> on_event;
  std::multiset<int64_t> keys;
  bool Emit(const v1::ReadResponse& r) override {
    if (r.has_records()) {
      const auto& v = r.records().columns(0).int64s().values();
      keys.insert(v.begin(), v.end());
    }
    if (on_event) on_event(r);
    return true;
  }
};

class HypertableConcurrency : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    // The server must take a second connection while one is open.
    pg::Connection first = testing::Connect(Server::kTimescale);
    pg::ConnectOptions options = testing::ConnectOptionsFor(Server::kTimescale);
    options.connect_timeout_seconds = 3;
    ASSERT_TRUE(pg::Connection::Open(options).ok())
        << "these tests need a TimescaleDB that takes several connections at once (a native "
           "one): run them through tools/test-native";
    schema_ = testing::UniqueName("Concurrent ü");
    table_ = Q(schema_) + "." + Q("m");
    Sql("CREATE SCHEMA " + Q(schema_));
    Sql("CREATE TABLE " + table_ + " (id bigint NOT NULL, t timestamptz NOT NULL, device int NOT NULL, v float8)");
    Sql("SELECT create_hypertable('" + table_ + "', 't', chunk_time_interval => interval '1 day')");
    Sql("ALTER TABLE " + table_ + " SET (timescaledb.compress, timescaledb.compress_segmentby = 'device')");
    // 4 days of 2,160 rows (about 130 KB each).
    Sql("INSERT INTO " + table_ + " SELECT g, '2024-03-01'::timestamptz + (g / 3) * interval '2 minutes', "
        "g % 3, random() FROM generate_series(0, 8639) g");
  }
  void TearDown() override {
    if (!schema_.empty()) Sql("DROP SCHEMA " + Q(schema_) + " CASCADE");
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
  // The chunks in time order.
  std::vector<std::string> Chunks() {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    auto r = conn.Exec("SELECT chunk_schema, chunk_name FROM timescaledb_information.chunks "
                       "WHERE hypertable_schema = " + pg::QuoteLiteral(schema_) +
                       " AND hypertable_name = 'm' ORDER BY range_start");
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out;  // as states name them
    for (int i = 0; r.ok() && i < r->rows(); ++i) {
      out.push_back(pg::QuoteQualified(r->GetString(i, 0), r->GetString(i, 1)));
    }
    return out;
  }
  v1::ReadRequest Request(int port) {
    v1::ReadRequest request;
    *request.mutable_config() = testing::ConfigFor(Server::kTimescale);
    request.mutable_config()->set_port(port);
    request.mutable_config()->add_schemas(schema_);
    request.mutable_config()->set_timescaledb_max_concurrent_chunks(GetParam());
    v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
    s->mutable_stream()->set_name("m");
    s->mutable_stream()->set_namespace_(schema_);
    s->set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
    request.mutable_options()->set_batch_max_rows(50);
    request.mutable_options()->set_chunk_slice_bytes(32768);  // 4 slices per chunk
    return request;
  }
  // Reads through a trickling proxy (so that the change lands while the chunk is being
  // read); `change` runs on its own thread once the first slice of chunk `target` is done.
  // Returns the keys read; *after_change counts slice checkpoints of the target chunk
  // that came after the change had committed (proof that it happened mid-chunk).
  std::multiset<int64_t> ReadWhile(const std::string& target, std::function<void()> change,
                                   int* after_change, int slow_pause_ms = 5) {
    TcpProxy proxy(testing::ConfigFor(Server::kTimescale).port());
    proxy.set_mode(TcpProxy::Mode::kSlow);
    proxy.set_slow_pause_ms(slow_pause_ms);
    Collector sink;
    std::thread changer;
    std::atomic<bool> changed{false};
    *after_change = 0;
    sink.on_event = [&](const v1::ReadResponse& r) {
      last_event_at_ = std::chrono::steady_clock::now();
      if (!r.has_checkpoint()) return;
      for (const v1::ChunkPosition& p : r.checkpoint().state().chunks().in_flight()) {
        if (p.chunk() != target) continue;
        if (!changer.joinable()) {
          changer = std::thread([&] {
            change();
            changed = true;
          });
        } else if (changed) {
          ++*after_change;
        }
      }
    };
    absl::Status status = RunRead(Request(proxy.port()), &sink);
    if (changer.joinable()) changer.join();
    EXPECT_TRUE(status.ok()) << status;
    return sink.keys;
  }
  std::string schema_, table_;
  std::chrono::steady_clock::time_point last_event_at_;  // of the last ReadWhile
};

TEST_P(HypertableConcurrency, RowsInsertedIntoTheChunkBeingReadLoseNoExistingRow) {
  const std::set<int64_t> before = KeysInDatabase();
  const std::vector<std::string> chunks = Chunks();
  ASSERT_EQ(chunks.size(), 4u);
  int after = 0;
  // New rows all over the second chunk's day: in slices already read and still to come.
  std::multiset<int64_t> keys = ReadWhile(chunks[1], [&] {
    Sql("INSERT INTO " + table_ + " SELECT 100000 + g, '2024-03-02'::timestamptz + g * interval '1 minute', "
        "7, 0 FROM generate_series(0, 1439) g");
  }, &after);
  EXPECT_GT(after, 0) << "the insert committed after the chunk was read";
  const std::set<int64_t> read(keys.begin(), keys.end());
  for (int64_t k : before) ASSERT_EQ(keys.count(k), 1u) << "existing row " << k << " read " << keys.count(k) << " times";
  EXPECT_EQ(keys.size(), read.size()) << "a row arrived twice";
  size_t inserted = 0;
  for (int64_t k : read) inserted += k >= 100000;
  EXPECT_GT(inserted, 0u) << "rows of the slices read after the insert arrive";
  EXPECT_LT(inserted, 1440u) << "rows inserted into slices already read are for the next sync";
}

TEST_P(HypertableConcurrency, ChunkCompressedWhileReadLosesNoRow) {
  const std::set<int64_t> expected = KeysInDatabase();
  const std::vector<std::string> chunks = Chunks();
  int after = 0;
  std::multiset<int64_t> keys = ReadWhile(chunks[1], [&] {
    Sql("SELECT compress_chunk(" + pg::QuoteLiteral(chunks[1]) + ")");
  }, &after);
  EXPECT_GT(after, 0) << "the compression committed after the chunk was read";
  EXPECT_EQ(std::set<int64_t>(keys.begin(), keys.end()), expected);
  EXPECT_EQ(keys.size(), expected.size()) << "a row arrived twice";
}

TEST_P(HypertableConcurrency, ChunkDecompressedWhileReadLosesNoRow) {
  const std::vector<std::string> chunks = Chunks();
  Sql("SELECT count(compress_chunk(c)) FROM show_chunks('" + table_ + "') c");
  const std::set<int64_t> expected = KeysInDatabase();
  int after = 0;
  std::multiset<int64_t> keys = ReadWhile(chunks[2], [&] {
    Sql("SELECT decompress_chunk(" + pg::QuoteLiteral(chunks[2]) + ")");
  }, &after);
  EXPECT_GT(after, 0) << "the decompression committed after the chunk was read";
  EXPECT_EQ(std::set<int64_t>(keys.begin(), keys.end()), expected);
  EXPECT_EQ(keys.size(), expected.size()) << "a row arrived twice";
}

TEST_P(HypertableConcurrency, ChunksCreatedAndDroppedDuringTheReadLoseNoOtherRow) {
  const std::set<int64_t> before = KeysInDatabase();
  const std::vector<std::string> chunks = Chunks();
  ASSERT_EQ(chunks.size(), 4u);
  std::set<int64_t> in_last;  // the chunk that is dropped
  {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    auto r = conn.Exec("SELECT id FROM " + chunks[3]);
    ASSERT_TRUE(r.ok()) << r.status();
    for (int i = 0; i < r->rows(); ++i) in_last.insert(std::stoll(r->GetString(i, 0)));
  }
  int after = 0;
  std::multiset<int64_t> keys = ReadWhile(chunks[1], [&] {
    Sql("INSERT INTO " + table_ + " VALUES (900000, '2024-03-20', 1, 0)");  // a new chunk
    Sql("DROP TABLE " + chunks[3]);
  }, &after);
  EXPECT_GT(after, 0) << "the changes committed while the read ran";
  for (int64_t k : before) {
    if (in_last.count(k) == 0) {
      ASSERT_EQ(keys.count(k), 1u) << "row " << k << " of a chunk that stayed";
    } else {
      ASSERT_LE(keys.count(k), 1u) << "row " << k << " of the dropped chunk";
    }
  }
  EXPECT_EQ(std::set<int64_t>(keys.begin(), keys.end()).size(), keys.size()) << "a row arrived twice";
  EXPECT_LE(keys.count(900000), 1u);
}

// A compression policy and a retention policy, run by the job scheduler while the read runs:
// the retention drops the first day's chunk, the compression compresses the others.
TEST_P(HypertableConcurrency, PoliciesRunByTheSchedulerDuringTheReadLoseNoRow) {
  ASSERT_NE(Value("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND application_name LIKE 'TimescaleDB Background Worker Scheduler%'"),
            "0")
      << "the job scheduler must run in the test database (timescaledb in shared_preload_libraries)";
  const std::set<int64_t> before = KeysInDatabase();
  const std::vector<std::string> chunks = Chunks();
  std::set<int64_t> in_first;
  {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    auto r = conn.Exec("SELECT id FROM " + chunks[0]);
    ASSERT_TRUE(r.ok()) << r.status();
    for (int i = 0; i < r->rows(); ++i) in_first.insert(std::stoll(r->GetString(i, 0)));
  }
  int after = 0;
  std::string compressed, dropped;
  std::chrono::steady_clock::time_point policies_done;
  std::multiset<int64_t> keys = ReadWhile(chunks[1], [&] {
    // drop_after: chunks ending before 2024-03-02 (the first day's) are dropped.
    const std::string retention = Value("SELECT add_retention_policy(" + pg::QuoteLiteral(table_) +
                                        ", drop_after => now() - '2024-03-02 00:00:01+00'::timestamptz)");
    const std::string compression = Value("SELECT add_compression_policy(" + pg::QuoteLiteral(table_) +
                                          ", compress_after => interval '1 day')");
    Sql("SELECT alter_job(" + retention + ", next_start => now())");
    Sql("SELECT alter_job(" + compression + ", next_start => now())");
    for (int i = 0; i < 600 && (compressed != "3" || dropped != "0"); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      compressed = Value("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = " +
                         pg::QuoteLiteral(schema_) + " AND is_compressed");
      dropped = Value("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_schema = " +
                      pg::QuoteLiteral(schema_) + " AND range_end <= '2024-03-02 00:00:00+00'");
    }
    policies_done = std::chrono::steady_clock::now();
  }, &after, /*slow_pause_ms=*/25 * GetParam());  // a read of about 15 s whatever the readers
  EXPECT_LT(policies_done, last_event_at_) << "the policies finished before the read did";
  ASSERT_EQ(compressed, "3") << "the compression policy did not run within 60 s";
  ASSERT_EQ(dropped, "0") << "the retention policy did not run within 60 s";
  for (int64_t k : before) {
    if (in_first.count(k) == 0) {
      ASSERT_EQ(keys.count(k), 1u) << "row " << k << " of a chunk that stayed";
    } else {
      ASSERT_LE(keys.count(k), 1u) << "row " << k << " of the dropped chunk";
    }
  }
  EXPECT_EQ(std::set<int64_t>(keys.begin(), keys.end()).size(), keys.size()) << "a row arrived twice";
}

// With the server's connections nearly all taken, the read goes on with the readers it can
// open (or the main connection alone) and says so.
class HypertableFewerReaders : public HypertableConcurrency {};

TEST_P(HypertableFewerReaders, WhenTheServerHasNoConnectionsLeft) {
  const std::set<int64_t> expected = KeysInDatabase();
  pg::ConnectOptions options = testing::ConnectOptionsFor(Server::kTimescale);
  options.connect_timeout_seconds = 3;
  std::vector<pg::Connection> held;
  for (int i = 0; i < 1000; ++i) {
    auto conn = pg::Connection::Open(options);
    if (!conn.ok()) break;
    held.push_back(*std::move(conn));
  }
  ASSERT_GE(held.size(), 3u);
  ASSERT_LT(held.size(), 1000u) << "the server never refused a connection";
  // Free the main connection and one extra: the read has 2 connections, so 1 reader.
  held.pop_back();
  held.pop_back();
  // A closed connection's slot is free once its backend has exited, a moment after.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  v1::ReadRequest request = Request(testing::ConfigFor(Server::kTimescale).port());
  Collector sink;
  std::vector<std::string> warnings;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_log() && r.log().level() == v1::LOG_LEVEL_WARN) warnings.push_back(r.log().message());
  };
  absl::Status status = RunRead(request, &sink);
  held.clear();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(std::set<int64_t>(sink.keys.begin(), sink.keys.end()), expected);
  EXPECT_EQ(sink.keys.size(), expected.size());
  bool said = false;
  for (const std::string& w : warnings) {
    said |= w.find("instead of " + std::to_string(GetParam())) != std::string::npos;
  }
  EXPECT_TRUE(said) << "the read says it used fewer readers";
}

std::string ReadersName(const ::testing::TestParamInfo<int>& info) {
  return std::to_string(info.param) + "Readers";
}
INSTANTIATE_TEST_SUITE_P(Readers, HypertableConcurrency, ::testing::Values(1, 2, 4), ReadersName);
INSTANTIATE_TEST_SUITE_P(Readers, HypertableFewerReaders, ::testing::Values(2, 4), ReadersName);

}  // namespace
}  // namespace tsdb_source
