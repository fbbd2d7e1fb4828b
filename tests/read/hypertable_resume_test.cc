// Hypertables read unordered, in time slices, survive a cut connection: with 1 and 4
// readers, on uncompressed, compressed, space-partitioned and integer-time hypertables, the
// set of keys read equals the set in the database and what is read twice is at most what
// was emitted after the last checkpoint (one slice per reader). Runs on the server that
// TSDB_TS_* points at: the TimescaleDB dev server in tools/test (one connection at a time,
// so 4 readers fall back to one), a native TimescaleDB in tools/test-native (4 readers on
// 4 connections).
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>

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

// Keys (column 0), checkpoints, and whenever a transient failure is retried, the rows of
// each chunk emitted after that chunk's last position (or end) was checkpointed: the most
// a retry may read again (one slice per reader).
struct Collector : ReadSink {
  std::function<void(const v1::ReadResponse&)> on_event;
  std::multiset<int64_t> keys;
  uint64_t rows = 0, rows_at_checkpoint = 0, repeat_allowance = 0;
  int in_chunk_checkpoints = 0;
  uint64_t retries = 0;
  std::map<std::string, uint64_t> rows_of, covered;  // per chunk: emitted, claimed by a checkpoint
  std::map<std::string, std::string> position_of;
  std::set<std::string> ended;  // chunks whose end was logged (their checkpoint follows)
  bool Emit(const v1::ReadResponse& r) override {
    if (r.has_records()) {
      const auto& v = r.records().columns(0).int64s().values();
      keys.insert(v.begin(), v.end());
      rows += r.records().row_count();
      rows_of[r.records().chunk()] += r.records().row_count();
    }
    if (r.has_log()) {
      for (const auto& [chunk, n] : rows_of) {
        if (r.log().message().rfind("chunk " + chunk, 0) == 0) ended.insert(chunk);
      }
    }
    if (r.has_checkpoint()) {
      rows_at_checkpoint = rows;
      if (r.checkpoint().state().chunks().in_flight_size() > 0) ++in_chunk_checkpoints;
      for (const v1::ChunkPosition& p : r.checkpoint().state().chunks().in_flight()) {
        std::string key = p.SerializeAsString();
        if (position_of[p.chunk()] != key) covered[p.chunk()] = rows_of[p.chunk()];
        position_of[p.chunk()] = key;
      }
      for (const std::string& chunk : ended) covered[chunk] = rows_of[chunk];
    }
    if (r.has_log() && r.log().message().find("transient failure") != std::string::npos) {
      for (auto& [chunk, n] : rows_of) {
        if (ended.count(chunk) == 0) repeat_allowance += n - covered[chunk];
        covered[chunk] = n;  // what the retry emits again is counted anew
      }
    }
    if (r.has_summary()) retries = r.summary().retries();
    if (on_event) on_event(r);
    return true;
  }
};

enum class Kind { kUncompressed, kCompressed, kSpacePartitioned, kIntegerTime };

struct Case {
  Kind kind;
  int readers;
};

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  const char* kinds[] = {"Uncompressed", "Compressed", "SpacePartitioned", "IntegerTime"};
  return std::string(kinds[static_cast<int>(info.param.kind)]) + "_" +
         std::to_string(info.param.readers) + "Readers";
}

class HypertableResume : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    schema_ = testing::UniqueName("Slices \"ü\"");
    table_ = Q(schema_) + "." + Q("m e");
    Sql("CREATE SCHEMA " + Q(schema_));
    const Kind kind = GetParam().kind;
    if (kind == Kind::kIntegerTime) {
      Sql("CREATE TABLE " + table_ + " (id bigint NOT NULL, t bigint NOT NULL, device int NOT NULL, v float8)");
      Sql("SELECT create_hypertable('" + table_ + "', 't', chunk_time_interval => 1000)");
      Sql("INSERT INTO " + table_ + " SELECT g, g, g % 3, random() FROM generate_series(0, 5999) g");
    } else {
      Sql("CREATE TABLE " + table_ + " (id bigint NOT NULL, t timestamptz NOT NULL, device int NOT NULL, v float8)");
      if (kind == Kind::kSpacePartitioned) {
        Sql("SELECT create_hypertable('" + table_ + "', 't', 'device', 2, chunk_time_interval => interval '1 day')");
      } else {
        Sql("SELECT create_hypertable('" + table_ + "', 't', chunk_time_interval => interval '1 day')");
      }
      Sql("INSERT INTO " + table_ + " SELECT g, '2024-03-01'::timestamptz + (g / 3) * interval '2 minutes', "
          "g % 3, random() FROM generate_series(0, 6479) g");
    }
    if (kind == Kind::kCompressed) {
      Sql("ALTER TABLE " + table_ + " SET (timescaledb.compress, timescaledb.compress_segmentby = 'device')");
      Sql("SELECT count(compress_chunk(c)) FROM show_chunks('" + table_ + "') c");
    }
  }
  void TearDown() override { Sql("DROP SCHEMA " + Q(schema_) + " CASCADE"); }
  void Sql(const std::string& sql) {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    testing::Exec(conn, sql);
  }
  std::set<int64_t> KeysInDatabase() {
    return testing::KeysIn(Server::kTimescale, "SELECT id FROM " + table_);
  }
  v1::ReadRequest Request(int port, uint64_t slice_bytes) {
    v1::ReadRequest request;
    *request.mutable_config() = testing::ConfigFor(Server::kTimescale);
    request.mutable_config()->set_port(port);
    request.mutable_config()->add_schemas(schema_);
    request.mutable_config()->set_timescaledb_max_concurrent_chunks(GetParam().readers);
    v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
    s->mutable_stream()->set_name("m e");
    s->mutable_stream()->set_namespace_(schema_);
    s->set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
    request.mutable_options()->set_batch_max_rows(50);
    request.mutable_options()->set_retry_initial_backoff_ms(20);
    request.mutable_options()->set_chunk_slice_bytes(slice_bytes);  // every chunk is sliced
    return request;
  }
  std::string schema_, table_;
};

TEST_P(HypertableResume, CutMidChunkLosesNoRowAndRepeatsAtMostTheSlicesInFlight) {
  const std::set<int64_t> expected = KeysInDatabase();
  ASSERT_GT(expected.size(), 2000u);
  TcpProxy proxy(testing::ConfigFor(Server::kTimescale).port());
  // Trickled (about 100 KB/s), so that a slice is still arriving when the cut comes.
  proxy.set_mode(TcpProxy::Mode::kSlow);
  Collector sink;
  int cuts = 0;
  sink.on_event = [&](const v1::ReadResponse& r) {
    // Cut twice, each time right after a checkpoint inside a chunk, once more rows followed.
    if (r.has_records() && cuts < 2 && sink.in_chunk_checkpoints >= 2 * cuts + 1 &&
        sink.rows > sink.rows_at_checkpoint) {
      ++cuts;
      proxy.CutAll();
    }
  };
  // Slices of about 500 rows (chunks of 2,160 rows, 130 KB, in 4 slices; integer time 1,000
  // rows in 2), so that a cut after a slice's first batch lands inside it.
  absl::Status status = RunRead(Request(proxy.port(), 32768), &sink);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(cuts, 2);
  EXPECT_GE(sink.retries, 1u);
  const std::set<int64_t> read(sink.keys.begin(), sink.keys.end());
  EXPECT_EQ(read, expected) << "the keys read differ from the database's";
  const uint64_t repeats = sink.keys.size() - read.size();
  EXPECT_GT(sink.repeat_allowance, 0u) << "the cuts came between slices, not inside one";
  EXPECT_LE(repeats, sink.repeat_allowance) << "more read again than was emitted after the last checkpoint";
  std::printf("case=%s rows=%zu duplicated=%llu allowance=%llu retries=%llu\n",
              ::testing::UnitTest::GetInstance()->current_test_info()->name(), expected.size(),
              static_cast<unsigned long long>(repeats),
              static_cast<unsigned long long>(sink.repeat_allowance),
              static_cast<unsigned long long>(sink.retries));
}

// Resuming a new read from each checkpoint of a first one: every row arrives, and with one
// reader a slice position repeats nothing (chunks and slices end exactly at checkpoints);
// with two, what is repeated is the other reader's slice in flight.
class HypertableResumeFromCheckpoints : public HypertableResume {};

TEST_P(HypertableResumeFromCheckpoints, ResumeFromEveryCheckpointLosesNoRow) {
  const std::set<int64_t> expected = KeysInDatabase();
  const int port = testing::ConfigFor(Server::kTimescale).port();
  std::vector<std::pair<uint64_t, v1::StreamState>> checkpoints;
  std::vector<int64_t> order;
  struct All : Collector {
    std::vector<std::pair<uint64_t, v1::StreamState>>* checkpoints;
    std::vector<int64_t>* order;
  } first;
  first.checkpoints = &checkpoints;
  first.order = &order;
  first.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_records()) {
      const auto& v = r.records().columns(0).int64s().values();
      order.insert(order.end(), v.begin(), v.end());
    }
    if (r.has_checkpoint() && !r.checkpoint().state().completed()) {
      checkpoints.emplace_back(order.size(), r.checkpoint().state());
    }
  };
  ASSERT_TRUE(RunRead(Request(port, 4096), &first).ok());
  ASSERT_EQ(std::set<int64_t>(order.begin(), order.end()), expected);
  ASSERT_GT(first.in_chunk_checkpoints, 3);
  // Every third checkpoint (each resume reads the rest of the table).
  for (size_t i = 0; i < checkpoints.size(); i += 3) {
    v1::ReadRequest resume = Request(port, 4096);
    *resume.add_state() = checkpoints[i].second;
    Collector second;
    absl::Status status = RunRead(resume, &second);
    ASSERT_TRUE(status.ok()) << status;
    std::multiset<int64_t> both(order.begin(), order.begin() + checkpoints[i].first);
    both.insert(second.keys.begin(), second.keys.end());
    EXPECT_EQ(std::set<int64_t>(both.begin(), both.end()), expected) << "rows lost resuming from checkpoint " << i;
    if (GetParam().readers == 1) {
      EXPECT_EQ(both.size(), expected.size()) << "rows repeated resuming from checkpoint " << i;
    } else {
      // Another reader's slice in flight at the checkpoint is read again: at most one slice
      // (4 KiB, about 70 rows here) per other reader, never a whole chunk (2,160 rows).
      EXPECT_LE(both.size() - expected.size(), 150u * (GetParam().readers - 1))
          << "rows repeated resuming from checkpoint " << i;
    }
  }
}

#ifndef TSDB_TWO_READERS
INSTANTIATE_TEST_SUITE_P(Kinds, HypertableResume,
                         ::testing::Values(Case{Kind::kUncompressed, 1}, Case{Kind::kUncompressed, 4},
                                           Case{Kind::kCompressed, 1}, Case{Kind::kCompressed, 4},
                                           Case{Kind::kSpacePartitioned, 1}, Case{Kind::kSpacePartitioned, 4},
                                           Case{Kind::kIntegerTime, 1}, Case{Kind::kIntegerTime, 4}),
                         Name);
#endif
#ifdef TSDB_TWO_READERS
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(HypertableResume);
// The native-only target (hypertable_resume_two_readers_test): on the dev server, which
// serves one connection at a time, every extra connection attempt waits for its timeout.
INSTANTIATE_TEST_SUITE_P(Kinds, HypertableResumeFromCheckpoints,
                         ::testing::Values(Case{Kind::kUncompressed, 2}, Case{Kind::kCompressed, 2},
                                           Case{Kind::kSpacePartitioned, 2}, Case{Kind::kIntegerTime, 2}),
                         Name);
#else
INSTANTIATE_TEST_SUITE_P(Kinds, HypertableResumeFromCheckpoints,
                         ::testing::Values(Case{Kind::kUncompressed, 1}, Case{Kind::kCompressed, 1},
                                           Case{Kind::kSpacePartitioned, 1}, Case{Kind::kIntegerTime, 1}),
                         Name);
#endif

}  // namespace
}  // namespace tsdb_source
