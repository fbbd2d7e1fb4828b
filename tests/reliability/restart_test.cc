// The database server itself restarts in the middle of a read (pg_ctl restart -m fast on
// the dev PostgreSQL): the read retries with backoff from its last checkpoint and completes
// with no row lost. Runs outside Bazel's sandbox (it drives the dev server's pg_ctl).
#include <cstdio>
#include <cstdlib>
#include <set>

#include "gtest/gtest.h"
#include "service/pg/quote.h"
#include "service/read/read_session.h"
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
  const char* data = std::getenv("TSDB_PG_DATA");
  ASSERT_TRUE(data != nullptr && *data) << "TSDB_PG_DATA is not set: run through tools/test";
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
  int restart_rc = -1;
  sink.on_event = [&](const v1::ReadResponse& r) {
    if (r.has_checkpoint() && ++checkpoints == 2) {
      // Fast shutdown (every connection is terminated), then start again; -w waits for it.
      std::string command = std::string("cd / && runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl "
                                        "restart -m fast -w -t 60 -D '") + data + "' >/dev/null 2>&1";
      restart_rc = std::system(command.c_str());
    }
  };
  absl::Status status = RunRead(request, &sink);
  EXPECT_EQ(restart_rc, 0) << "pg_ctl restart failed";
  ASSERT_TRUE(status.ok()) << status;
  std::set<int64_t> distinct(sink.keys.begin(), sink.keys.end());
  std::printf("fault=database_restart rows=51840 lost=%zu duplicated=%zu retries=%llu\n",
              51840 - distinct.size(), sink.keys.size() - distinct.size(),
              static_cast<unsigned long long>(sink.summary.retries()));
  EXPECT_EQ(distinct.size(), 51840u) << "rows lost";
  EXPECT_GE(sink.summary.retries(), 1u);

  pg::Connection admin = testing::Connect(Server::kPostgres);
  testing::Exec(admin, "DROP SCHEMA " + schema + " CASCADE");
}

}  // namespace
}  // namespace tsdb_source
