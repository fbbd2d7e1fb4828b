// The database server itself restarts in the middle of a read: the backend serving the read
// is killed with SIGKILL, so the postmaster terminates every connection, runs crash
// recovery and accepts connections again (a crash restart, done in place, so the server is
// not a child of the test). The read retries with backoff from its last checkpoint and
// completes with no row lost. Runs outside Bazel's sandbox (it signals the server's process).
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "gtest/gtest.h"
#include "service/pg/quote.h"
#include "service/session/read_session.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::Server;

struct Collector : ReadSink {
  std::function<void(const v1::ReadResponse&)> on_event;
  std::multiset<int64_t> keys;
  v1::StreamSummary summary;
  bool Emit(const v1::ReadResponse& r) override {
    if (r.has_records()) {
      const auto& v = r.records().columns(0).int64s().values();
      keys.insert(v.begin(), v.end());
    }
    if (r.has_summary()) summary = r.summary();
    if (on_event) on_event(r);
    return true;
  }
};

TEST(Restart, ReadSurvivesADatabaseRestart) {
  const std::string schema = testing::UniqueName("restart");
  const std::string table = pg::QuoteQualified(schema, "events");
  {
    pg::Connection admin = testing::Connect(Server::kPostgres);
    testing::Exec(admin, "CREATE SCHEMA " + schema);
    testing::Exec(admin, "CREATE TABLE " + table + " (id bigint NOT NULL, ts timestamptz NOT NULL) "
                         "PARTITION BY RANGE (ts)");
    for (int d = 0; d < 6; ++d) {
      testing::Exec(admin, "CREATE TABLE " + pg::QuoteQualified(schema, "events_" + std::to_string(d)) +
                           " PARTITION OF " + table + " FOR VALUES FROM ('2024-01-01'::timestamptz + interval '" +
                           std::to_string(d) + " days') TO ('2024-01-01'::timestamptz + interval '" +
                           std::to_string(d + 1) + " days')");
    }
    testing::Exec(admin, "INSERT INTO " + table + " SELECT g, '2024-01-01'::timestamptz + g * interval '10 seconds' "
                         "FROM generate_series(0, 51839) g");
  }
  v1::ReadRequest request;
  *request.mutable_config() = testing::ConfigFor(Server::kPostgres);
  request.mutable_config()->add_schemas(schema);
  v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
  s->mutable_stream()->set_name("events");
  s->mutable_stream()->set_namespace_(schema);
  s->set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
  request.mutable_options()->set_retry_initial_backoff_ms(500);
  request.mutable_options()->set_max_attempts(8);

  Collector sink;
  int checkpoints = 0;
  int killed = -1;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_checkpoint() && ++checkpoints == 2) {
      pg::Connection admin = testing::Connect(Server::kPostgres);
      auto pid = admin.Exec("SELECT pid FROM pg_stat_activity WHERE application_name = 'tsdb-source' "
                            "AND query LIKE '%" + schema + "%' LIMIT 1");
      ASSERT_TRUE(pid.ok() && pid->rows() == 1) << "no backend of the read found";
      killed = kill(std::stoi(pid->GetString(0, 0)), SIGKILL);
    }
  };
  absl::Status status = RunRead(request, &sink);
  EXPECT_EQ(killed, 0) << "the backend could not be killed";
  ASSERT_TRUE(status.ok()) << status;
  std::set<int64_t> distinct(sink.keys.begin(), sink.keys.end());
  std::printf("fault=database_restart rows=51840 lost=%zu duplicated=%zu retries=%llu\n",
              51840 - distinct.size(), sink.keys.size() - distinct.size(),
              static_cast<unsigned long long>(sink.summary.retries()));
  EXPECT_GE(sink.summary.retries(), 1u);

  const std::set<int64_t> in_database = testing::KeysIn(Server::kPostgres, "SELECT id FROM " + table);
  EXPECT_EQ(in_database.size(), 51840u) << "the database recovered every row";
  EXPECT_EQ(distinct, in_database) << "the keys read differ from the database's";
  pg::Connection admin = testing::Connect(Server::kPostgres);
  testing::Exec(admin, "DROP SCHEMA " + schema + " CASCADE");
}

}  // namespace
}  // namespace tsdb_source
