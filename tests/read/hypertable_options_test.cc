// The read options that concern hypertables, on a native TimescaleDB (run by
// tools/test-native, tagged manual: the dev server serves one connection at a time and some
// cases read through a proxy while the test changes the database). Each case makes its own
// hypertable and compares the keys read with the database's:
//   - the chunk-list cache never hides a chunk: a chunk created after the list was cached, or
//     while a read served from the cache runs, is read (full refresh and incremental); a list
//     older than the discovery interval is listed again; caching off lists every read;
//   - timescaledb_support=false reads a hypertable, compressed chunks included, as a plain
//     table: no chunk logic, no chunk state, no pruning;
//   - incremental on a space-partitioned hypertable prunes every partition of old days and
//     loses no row;
//   - checkpoint_every_seconds checkpoints a key-ordered table read by time, and each such
//     checkpoint resumes without loss.
#include <set>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "service/pg/quote.h"
#include "service/read/chunk_cache.h"
#include "service/session/read_session.h"
#include "tests/testing/databases.h"
#include "tests/testing/tcp_proxy.h"

namespace tsdb_source {
namespace {

using testing::Server;
using testing::TcpProxy;

std::string Q(const std::string& ident) { return pg::QuoteIdent(ident); }
std::string L(const std::string& value) { return pg::QuoteLiteral(value); }

struct Collector : ReadSink {
  std::vector<v1::ReadResponse> events;
  std::function<void(const v1::ReadResponse&)> on_event;
  bool Emit(const v1::ReadResponse& r) override {
    events.push_back(r);
    if (on_event) on_event(r);
    return true;
  }
  // Keys (column 0) of the records in events [0, end).
  std::multiset<int64_t> Keys(size_t end = SIZE_MAX) const {
    std::multiset<int64_t> keys;
    for (size_t i = 0; i < events.size() && i < end; ++i) {
      if (!events[i].has_records()) continue;
      const auto& values = events[i].records().columns(0).int64s().values();
      keys.insert(values.begin(), values.end());
    }
    return keys;
  }
  const v1::StreamSummary* Summary() const {
    for (const auto& e : events) {
      if (e.has_summary()) return &e.summary();
    }
    return nullptr;
  }
  const v1::StreamState* LastState() const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->has_checkpoint() && it->checkpoint().has_state()) return &it->checkpoint().state();
    }
    return nullptr;
  }
  bool Logged(const std::string& text) const {
    for (const auto& e : events) {
      if (e.has_log() && e.log().message().find(text) != std::string::npos) return true;
    }
    return false;
  }
};

constexpr char kNewChunksLog[] = "new chunks appeared during the read";

class HypertableOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    pg::Connection first = testing::Connect(Server::kTimescale);
    pg::ConnectOptions options = testing::ConnectOptionsFor(Server::kTimescale);
    options.connect_timeout_seconds = 3;
    ASSERT_TRUE(pg::Connection::Open(options).ok())
        << "these tests need a TimescaleDB that takes several connections at once (a native "
           "one): run them through tools/test-native";
    ChunkCache::Global().Clear();
    schema_ = testing::UniqueName("Options ü");
    Sql("CREATE SCHEMA " + Q(schema_));
  }
  void TearDown() override {
    ChunkCache::Global().Clear();
    if (!schema_.empty()) Sql("DROP SCHEMA " + Q(schema_) + " CASCADE");
  }
  std::string T(const std::string& name) const { return Q(schema_) + "." + Q(name); }
  void Sql(const std::string& sql) {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    testing::Exec(conn, sql);
  }
  std::set<int64_t> KeysInDatabase(const std::string& name) {
    return testing::KeysIn(Server::kTimescale, "SELECT id FROM " + T(name));
  }
  // A hypertable of `days` daily chunks from 2024-03-01, 240 rows a day (ids 0..).
  void MakeHypertable(const std::string& name, int days) {
    Sql("CREATE TABLE " + T(name) + " (id bigint NOT NULL, t timestamptz NOT NULL, device int NOT NULL, v float8)");
    Sql("SELECT create_hypertable(" + L(T(name)) + ", 't', chunk_time_interval => interval '1 day')");
    Sql("INSERT INTO " + T(name) + " SELECT g, '2024-03-01'::timestamptz + g * interval '6 minutes', g % 4, "
        "random() FROM generate_series(0, " + std::to_string(days * 240 - 1) + ") g");
  }
  v1::ReadRequest Request(const std::string& name, v1::SyncMode mode) {
    v1::ReadRequest request;
    *request.mutable_config() = testing::ConfigFor(Server::kTimescale);
    request.mutable_config()->add_schemas(schema_);
    v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
    s->mutable_stream()->set_name(name);
    s->mutable_stream()->set_namespace_(schema_);
    s->set_sync_mode(mode);
    request.mutable_options()->set_batch_max_rows(100);
    return request;
  }
  Collector Read(const v1::ReadRequest& request) {
    Collector sink;
    absl::Status status = RunRead(request, &sink);
    EXPECT_TRUE(status.ok()) << status;
    return sink;
  }
  static std::set<int64_t> Distinct(const std::multiset<int64_t>& keys) { return {keys.begin(), keys.end()}; }
  std::string schema_;
};

TEST_F(HypertableOptions, ACachedChunkListNeverHidesANewChunk) {
  MakeHypertable("m", 3);
  const v1::ReadRequest full = Request("m", v1::SYNC_MODE_FULL_REFRESH);
  Collector first = Read(full);  // lists the chunks and caches the list
  EXPECT_EQ(first.Keys().size(), 720u);
  EXPECT_FALSE(first.Logged(kNewChunksLog));

  // A chunk created after the list was cached: the read starts from the cached list, whose
  // check by a fresh listing at the end finds and reads the new chunk.
  Sql("INSERT INTO " + T("m") + " VALUES (10000, '2024-03-10 00:00', 1, 1)");
  Collector second = Read(full);
  EXPECT_TRUE(second.Logged(kNewChunksLog));
  EXPECT_EQ(second.Keys().size(), 721u);
  EXPECT_EQ(Distinct(second.Keys()), KeysInDatabase("m"));

  // Incremental: the same, below and above the cursor's chunk.
  const v1::ReadRequest incremental = Request("m", v1::SYNC_MODE_INCREMENTAL);
  Collector sync1 = Read(incremental);
  ASSERT_NE(sync1.LastState(), nullptr);
  ASSERT_TRUE(sync1.LastState()->completed());
  Sql("INSERT INTO " + T("m") + " VALUES (10001, '2024-03-20 00:00', 1, 1)");
  v1::ReadRequest next = incremental;
  *next.add_state() = *sync1.LastState();
  Collector sync2 = Read(next);
  EXPECT_TRUE(sync2.Logged(kNewChunksLog));
  EXPECT_EQ(sync2.Keys(), (std::multiset<int64_t>{10000, 10001}));  // the cursor's row again, and the new one
}

TEST_F(HypertableOptions, AChunkCreatedWhileAReadServedFromTheCacheRunsIsRead) {
  MakeHypertable("m", 3);
  const v1::ReadRequest full = Request("m", v1::SYNC_MODE_FULL_REFRESH);
  Read(full);  // caches the list
  Collector sink;
  bool inserted = false;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (!r.has_records() || inserted) return;
    inserted = true;  // while the first chunk is read
    Sql("INSERT INTO " + T("m") + " VALUES (20000, '2024-04-01 00:00', 1, 1)");
  };
  ASSERT_TRUE(RunRead(full, &sink).ok());
  ASSERT_TRUE(inserted);
  EXPECT_TRUE(sink.Logged(kNewChunksLog));
  EXPECT_EQ(sink.Keys().count(20000), 1u);
  EXPECT_EQ(Distinct(sink.Keys()), KeysInDatabase("m"));
  EXPECT_EQ(sink.Keys().size(), 721u);
}

TEST_F(HypertableOptions, ACachedListExpiresAfterTheDiscoveryInterval) {
  MakeHypertable("m", 3);
  v1::ReadRequest full = Request("m", v1::SYNC_MODE_FULL_REFRESH);
  full.mutable_options()->set_chunk_discovery_interval_ms(2000);
  Read(full);
  // Within the interval the list comes from the cache (and a fresh listing at the end finds
  // the new chunk); after it, the read lists anew and has nothing to find at the end.
  Sql("INSERT INTO " + T("m") + " VALUES (30000, '2024-03-10 00:00', 1, 1)");
  Collector cached = Read(full);
  EXPECT_TRUE(cached.Logged(kNewChunksLog));
  EXPECT_EQ(cached.Keys().count(30000), 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  Sql("INSERT INTO " + T("m") + " VALUES (30001, '2024-03-11 00:00', 1, 1)");
  Collector expired = Read(full);
  EXPECT_FALSE(expired.Logged(kNewChunksLog)) << "an expired list is not served";
  EXPECT_EQ(expired.Keys().count(30001), 1u);
  EXPECT_EQ(Distinct(expired.Keys()), KeysInDatabase("m"));
}

TEST_F(HypertableOptions, WithCachingOffEveryReadListsTheChunks) {
  MakeHypertable("m", 3);
  v1::ReadRequest full = Request("m", v1::SYNC_MODE_FULL_REFRESH);
  full.mutable_config()->set_timescaledb_enable_chunk_caching(false);
  Read(full);
  Sql("INSERT INTO " + T("m") + " VALUES (40000, '2024-03-10 00:00', 1, 1)");
  Collector second = Read(full);
  EXPECT_FALSE(second.Logged(kNewChunksLog)) << "nothing was served from a cache";
  EXPECT_EQ(second.Keys().count(40000), 1u);
  EXPECT_EQ(Distinct(second.Keys()), KeysInDatabase("m"));
  // And the control: with caching on, the same sequence is served from the cache.
  full.mutable_config()->set_timescaledb_enable_chunk_caching(true);
  Read(full);
  Sql("INSERT INTO " + T("m") + " VALUES (40001, '2024-03-11 00:00', 1, 1)");
  EXPECT_TRUE(Read(full).Logged(kNewChunksLog));
}

TEST_F(HypertableOptions, WithoutTimescaleSupportAHypertableIsAPlainTable) {
  MakeHypertable("m", 4);
  Sql("ALTER TABLE " + T("m") + " SET (timescaledb.compress, timescaledb.compress_segmentby = 'device')");
  Sql("SELECT count(compress_chunk(c)) FROM (SELECT c FROM show_chunks(" + L(T("m")) + ") c ORDER BY 1 LIMIT 2) s");
  v1::ReadRequest full = Request("m", v1::SYNC_MODE_FULL_REFRESH);
  full.mutable_config()->set_timescaledb_support(false);
  Collector sink = Read(full);
  EXPECT_EQ(sink.Keys().size(), 960u);
  EXPECT_EQ(Distinct(sink.Keys()), KeysInDatabase("m"));
  for (const auto& e : sink.events) {
    if (e.has_records()) {
      EXPECT_EQ(e.records().chunk().find("_timescaledb_internal"), std::string::npos)
          << "no chunk logic: " << e.records().chunk();
    }
    if (e.has_checkpoint()) {
      EXPECT_EQ(e.checkpoint().state().chunks().done_size(), 0);
      EXPECT_EQ(e.checkpoint().state().chunks().in_flight_size(), 0);
    }
  }
  ASSERT_NE(sink.Summary(), nullptr);
  EXPECT_LE(sink.Summary()->chunks_read(), 1u) << "the table as one relation";

  // Incremental: a cursor over the whole table, no chunk pruned.
  v1::ReadRequest incremental = Request("m", v1::SYNC_MODE_INCREMENTAL);
  incremental.mutable_catalog()->mutable_streams(0)->add_cursor_field("t");
  incremental.mutable_config()->set_timescaledb_support(false);
  Collector sync1 = Read(incremental);
  EXPECT_EQ(sync1.Keys().size(), 960u);
  ASSERT_NE(sync1.LastState(), nullptr);
  Sql("INSERT INTO " + T("m") + " VALUES (50000, '2024-03-04 23:59', 1, 1), (50001, '2024-03-01 00:01', 1, 1)");
  v1::ReadRequest next = incremental;
  *next.add_state() = *sync1.LastState();
  Collector sync2 = Read(next);
  // The cursor's own row again (ties are read again), the new row above it; not the late one.
  EXPECT_EQ(sync2.Keys(), (std::multiset<int64_t>{959, 50000}));
  ASSERT_NE(sync2.Summary(), nullptr);
  EXPECT_EQ(sync2.Summary()->chunks_skipped(), 0u);
}

TEST_F(HypertableOptions, IncrementalOnASpacePartitionedHypertablePrunesOldDaysOfEveryPartition) {
  Sql("CREATE TABLE " + T("s") + " (id bigint NOT NULL, t timestamptz NOT NULL, device int NOT NULL, v float8)");
  Sql("SELECT create_hypertable(" + L(T("s")) + ", 't', chunk_time_interval => interval '1 day')");
  Sql("SELECT add_dimension(" + L(T("s")) + ", 'device', number_partitions => 4)");
  Sql("INSERT INTO " + T("s") + " SELECT g, '2024-03-01'::timestamptz + (g / 8) * interval '6 minutes', g % 8, "
      "random() FROM generate_series(0, 5759) g");  // 3 days x 240 times x 8 devices
  pg::Connection conn = testing::Connect(Server::kTimescale);
  auto chunks = conn.Exec("SELECT count(*) FROM show_chunks(" + L(T("s")) + ")");
  ASSERT_TRUE(chunks.ok());
  const int chunk_count = std::stoi(chunks->GetString(0, 0));
  ASSERT_GE(chunk_count, 9) << "3 days of several space partitions";
  const v1::ReadRequest incremental = Request("s", v1::SYNC_MODE_INCREMENTAL);
  Collector sync1 = Read(incremental);
  EXPECT_EQ(Distinct(sync1.Keys()), KeysInDatabase("s"));
  EXPECT_EQ(sync1.Keys().size(), 5760u);
  ASSERT_NE(sync1.LastState(), nullptr);
  // New rows on the last day and the next, for every device; a late row on the first day.
  Sql("INSERT INTO " + T("s") + " SELECT 100000 + g, '2024-03-03 23:58'::timestamptz + (g / 8) * interval '1 minute', "
      "g % 8, 0 FROM generate_series(0, 31) g");
  Sql("INSERT INTO " + T("s") + " VALUES (200000, '2024-03-01 00:00:30', 3, 0)");
  v1::ReadRequest next = incremental;
  *next.add_state() = *sync1.LastState();
  Collector sync2 = Read(next);
  std::multiset<int64_t> expected;
  for (int g = 5752; g < 5760; ++g) expected.insert(g);  // the cursor's timestamp, read again
  for (int g = 0; g < 32; ++g) expected.insert(100000 + g);
  EXPECT_EQ(sync2.Keys(), expected);
  ASSERT_NE(sync2.Summary(), nullptr);
  // Every partition of the first two days is pruned without a query.
  EXPECT_GE(sync2.Summary()->chunks_skipped(), static_cast<uint64_t>(chunk_count * 2 / 3))
      << "chunks read " << sync2.Summary()->chunks_read();
}

TEST_F(HypertableOptions, CheckpointEverySecondsCheckpointsAKeyOrderedReadByTime) {
  Sql("CREATE TABLE " + T("plain") + " (id bigint PRIMARY KEY, v float8)");
  Sql("INSERT INTO " + T("plain") + " SELECT g, random() FROM generate_series(1, 12000) g");
  // Through a trickling proxy (about 100 KB/s), so the read takes a few seconds.
  TcpProxy proxy(testing::ConfigFor(Server::kTimescale).port());
  proxy.set_mode(TcpProxy::Mode::kSlow);
  v1::ReadRequest request = Request("plain", v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_config()->set_port(proxy.port());
  request.mutable_options()->set_checkpoint_every_records(1000000000);  // never by count
  request.mutable_options()->set_checkpoint_every_seconds(1);
  Collector sink = Read(request);
  ASSERT_EQ(sink.Keys().size(), 12000u);
  std::vector<size_t> mid;
  for (size_t i = 0; i < sink.events.size(); ++i) {
    const auto& e = sink.events[i];
    if (e.has_checkpoint() && !e.checkpoint().state().completed() &&
        e.checkpoint().state().last_primary_key_size() > 0) {
      mid.push_back(i);
    }
  }
  ASSERT_GE(mid.size(), 2u) << "a read of several seconds checkpoints every second";
  // Each checkpoint resumes strictly after its key: nothing lost, nothing repeated.
  v1::ReadRequest direct = Request("plain", v1::SYNC_MODE_FULL_REFRESH);
  for (size_t k : {mid.front(), mid.back()}) {
    v1::ReadRequest resume = direct;
    *resume.add_state() = sink.events[k].checkpoint().state();
    Collector rest = Read(resume);
    std::multiset<int64_t> both = sink.Keys(k);
    for (int64_t key : rest.Keys()) both.insert(key);
    EXPECT_EQ(both.size(), 12000u) << "resuming from event " << k;
    EXPECT_EQ(Distinct(both).size(), 12000u) << "resuming from event " << k;
  }
  // With the default (60 s) the same read has no checkpoint before its end.
  request.mutable_options()->clear_checkpoint_every_seconds();
  Collector control = Read(request);
  for (const auto& e : control.events) {
    if (e.has_checkpoint()) EXPECT_TRUE(e.checkpoint().state().completed());
  }
}

}  // namespace
}  // namespace tsdb_source
