// Faults between the service and the database, through a TCP proxy on loopback: a cut
// connection, a stalled one, a slow one. Every case ends in success with every row, or in
// a clear error in bounded time; nothing is lost.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "gtest/gtest.h"
#include "service/session/read_session.h"
#include "tests/testing/databases.h"
#include "tests/testing/tcp_proxy.h"

namespace tsdb_source {
namespace {

using testing::Server;
using testing::TcpProxy;

// One line per case for docs/reliability.md: rows expected, distinct rows seen (lost =
// expected - distinct) and repeats.
void Report(const char* fault, size_t expected, const std::multiset<int64_t>& keys, uint64_t retries) {
  size_t distinct = std::set<int64_t>(keys.begin(), keys.end()).size();
  std::printf("fault=%s rows=%zu lost=%zu duplicated=%zu retries=%llu\n", fault, expected,
              expected - std::min(expected, distinct), keys.size() - distinct,
              static_cast<unsigned long long>(retries));
}

struct Collector : ReadSink {
  std::function<void(const v1::ReadResponse&)> on_event;
  std::multiset<int64_t> keys;
  std::vector<v1::ReadResponse> checkpoints;
  std::multiset<int64_t> keys_at_last_checkpoint;  // the rows a resume from it must not need
  const v1::StreamSummary* summary = nullptr;
  v1::StreamSummary summary_copy;
  bool Emit(const v1::ReadResponse& r) override {
    if (r.has_records()) {
      const auto& v = r.records().columns(0).int64s().values();
      keys.insert(v.begin(), v.end());
    }
    if (r.has_checkpoint()) {
      checkpoints.push_back(r);
      keys_at_last_checkpoint = keys;
    }
    if (r.has_summary()) summary_copy = r.summary();
    if (on_event) on_event(r);
    return true;
  }
};

class Faults : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = testing::UniqueName("faults");
    testing::Exec(admin_, "CREATE SCHEMA " + schema_);
    testing::Exec(admin_, "CREATE TABLE " + schema_ + ".events (id bigint NOT NULL, ts timestamptz NOT NULL, "
                          "payload text) PARTITION BY RANGE (ts)");
    for (int d = 0; d < 4; ++d) {
      testing::Exec(admin_, "CREATE TABLE " + schema_ + ".events_" + std::to_string(d) + " PARTITION OF " +
                            schema_ + ".events FOR VALUES FROM ('2024-01-01'::timestamptz + interval '" +
                            std::to_string(d) + " days') TO ('2024-01-01'::timestamptz + interval '" +
                            std::to_string(d + 1) + " days')");
    }
    testing::Exec(admin_, "INSERT INTO " + schema_ + ".events SELECT g, '2024-01-01'::timestamptz + "
                          "g * interval '10 seconds', repeat('p', 100) FROM generate_series(0, 34559) g");
    proxy_ = std::make_unique<TcpProxy>(testing::ConfigFor(Server::kPostgres).port());
  }
  void TearDown() override {
    proxy_.reset();
    testing::Exec(admin_, "DROP SCHEMA " + schema_ + " CASCADE");
  }
  v1::ReadRequest Request() {
    v1::ReadRequest request;
    *request.mutable_config() = testing::ConfigFor(Server::kPostgres);
    request.mutable_config()->set_port(proxy_->port());
    request.mutable_config()->set_connect_timeout_seconds(2);
    request.mutable_config()->add_schemas(schema_);
    v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
    s->mutable_stream()->set_name("events");
    s->mutable_stream()->set_namespace_(schema_);
    s->set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
    request.mutable_options()->set_retry_initial_backoff_ms(20);
    request.mutable_options()->set_idle_timeout_seconds(2);
    return request;
  }
  std::set<int64_t> KeysInDatabase() {
    return testing::KeysIn(Server::kPostgres, "SELECT id FROM " + schema_ + ".events");
  }
  static std::set<int64_t> Distinct(const std::multiset<int64_t>& keys) { return {keys.begin(), keys.end()}; }
  static constexpr size_t kRows = 34560;
  pg::Connection admin_ = testing::Connect(Server::kPostgres);
  std::string schema_;
  std::unique_ptr<TcpProxy> proxy_;
};

TEST_F(Faults, CutConnectionIsRetriedAndNothingIsLost) {
  Collector sink;
  int checkpoints = 0;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_checkpoint() && ++checkpoints == 2) proxy_->CutAll();
  };
  absl::Status status = RunRead(Request(), &sink);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(Distinct(sink.keys), KeysInDatabase()) << "the keys read differ from the database's";
  EXPECT_GE(sink.summary_copy.retries(), 1u);
  Report("cut", kRows, sink.keys, sink.summary_copy.retries());
}

TEST_F(Faults, StalledConnectionTimesOutAndIsRetried) {
  proxy_->StallAfterBytes(300000);  // the main connection stalls in the middle of a chunk
  Collector sink;
  auto start = std::chrono::steady_clock::now();
  absl::Status status = RunRead(Request(), &sink);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(Distinct(sink.keys), KeysInDatabase()) << "the keys read differ from the database's";
  EXPECT_GE(sink.summary_copy.retries(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  Report("stall", kRows, sink.keys, sink.summary_copy.retries());
}

TEST_F(Faults, SlowConnectionCompletes) {
  testing::Exec(admin_, "DELETE FROM " + schema_ + ".events WHERE id >= 3000");
  proxy_->set_mode(TcpProxy::Mode::kSlow);
  Collector sink;
  v1::ReadRequest request = Request();
  absl::Status status = RunRead(request, &sink);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(sink.keys.size(), 3000u);
  EXPECT_EQ(Distinct(sink.keys), KeysInDatabase()) << "the keys read differ from the database's";
  EXPECT_EQ(sink.summary_copy.retries(), 0u);
  Report("slow", 3000, sink.keys, sink.summary_copy.retries());
}

TEST_F(Faults, PermanentStallEndsWithAClearTransientErrorInBoundedTime) {
  Collector sink;
  int checkpoints = 0;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_checkpoint() && ++checkpoints == 1) proxy_->set_mode(TcpProxy::Mode::kStall);
  };
  v1::ReadRequest request = Request();
  request.mutable_options()->set_max_attempts(2);
  auto start = std::chrono::steady_clock::now();
  absl::Status status = RunRead(request, &sink);
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(status.code() == absl::StatusCode::kUnavailable ||
              status.code() == absl::StatusCode::kDeadlineExceeded) << status;
  EXPECT_NE(status.message().find("attempts"), std::string::npos) << status;
  EXPECT_LT(elapsed, std::chrono::seconds(60));
  ASSERT_FALSE(sink.checkpoints.empty());
  // A new read from the last checkpoint, once the network is back, completes the table.
  proxy_->set_mode(TcpProxy::Mode::kForward);
  v1::ReadRequest resume = Request();
  *resume.add_state() = sink.checkpoints.back().checkpoint().state();
  Collector second;
  ASSERT_TRUE(RunRead(resume, &second).ok());
  // The rows emitted before the last checkpoint and the resumed read's: the whole table.
  std::multiset<int64_t> resumed = sink.keys_at_last_checkpoint;
  resumed.insert(second.keys.begin(), second.keys.end());
  EXPECT_EQ(Distinct(resumed), KeysInDatabase()) << "rows lost resuming from the last checkpoint";
  std::multiset<int64_t> both = sink.keys;
  both.insert(second.keys.begin(), second.keys.end());
  Report("permanent_stall_then_resume", kRows, both, sink.summary_copy.retries());
}

}  // namespace
}  // namespace tsdb_source
