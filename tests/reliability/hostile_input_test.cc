// Hostile identifiers and values: names with quotes, spaces, semicolons, capitals, reserved
// words, unicode and 63 bytes are discovered and read correctly, and nothing from a config,
// catalog or state ever runs as SQL.
#include <set>

#include "gtest/gtest.h"
#include "service/pg/quote.h"
#include "service/catalog/discover.h"
#include "service/session/discover_streams.h"
#include "service/session/read_session.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::Server;

std::string Q(const std::string& ident) { return pg::QuoteIdent(ident); }

struct Collector : ReadSink {
  std::vector<v1::ReadResponse> events;
  uint64_t rows = 0;
  bool Emit(const v1::ReadResponse& r) override {
    if (r.has_records()) rows += r.records().row_count();
    events.push_back(r);
    return true;
  }
};

// 63 bytes: PostgreSQL's identifier limit (NAMEDATALEN - 1), here with multi-byte characters.
std::string Name63() {
  std::string name = "Ω_long_";
  while (name.size() < 63) name += "x";
  return name.substr(0, 63);
}

void CheckServer(Server server, bool hypertable) {
  pg::Connection conn = testing::Connect(server);
  const std::string schema = testing::UniqueName("Sch\"ema; DROP TABLE x; --");
  const std::vector<std::string> columns = {"select", "Time Stamp", "co\"l;umn", "Ünïcødé 列", Name63()};
  const std::string table = "Tab le\"; DELETE FROM pg_class; --";
  testing::Exec(conn, "CREATE SCHEMA " + Q(schema));
  std::string ddl = "CREATE TABLE " + Q(schema) + "." + Q(table) + " (" + Q(columns[0]) + " bigint NOT NULL, " +
                    Q(columns[1]) + " timestamptz NOT NULL, " + Q(columns[2]) + " text, " + Q(columns[3]) +
                    " text, " + Q(columns[4]) + " int)";
  testing::Exec(conn, ddl);
  if (hypertable) {
    testing::Exec(conn, "SELECT create_hypertable(" + std::string("'") + [&] {
      std::string qualified = Q(schema) + "." + Q(table), escaped;
      for (char c : qualified) {
        if (c == '\'') escaped += '\'';
        escaped += c;
      }
      return escaped;
    }() + "', " + "'Time Stamp', chunk_time_interval => interval '1 day')");
  }
  testing::Exec(conn, "INSERT INTO " + Q(schema) + "." + Q(table) +
                      " SELECT g, '2024-01-01'::timestamptz + g * interval '1 hour', 'v''\"; --' || g, 'ü', g "
                      "FROM generate_series(1, 100) g");
  v1::SourceConfig config = testing::ConfigFor(server);
  config.add_schemas(schema);
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok());
  auto catalog = DiscoverStreams(conn, *resolved);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  ASSERT_EQ(catalog->streams_size(), 1);
  const v1::Stream& stream = catalog->streams(0);
  EXPECT_EQ(stream.stream().name(), table);
  EXPECT_EQ(stream.stream().namespace_(), schema);
  ASSERT_EQ(stream.columns_size(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(stream.columns(i).name(), columns[i]);
  if (hypertable) EXPECT_EQ(stream.kind(), v1::RELATION_KIND_HYPERTABLE);

  // Read it (the dev TimescaleDB takes one connection: close ours first).
  {
    pg::Connection closing = std::move(conn);
  }
  v1::ReadRequest request;
  *request.mutable_config() = config;
  v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
  s->mutable_stream()->set_name(table);
  s->mutable_stream()->set_namespace_(schema);
  s->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
  s->add_cursor_field(columns[1]);
  // A cursor value built to break out of a literal: it must stay a value (and be refused
  // as a timestamp), never run.
  v1::StreamState* state = request.add_state();
  state->set_version(1);
  *state->mutable_stream() = s->stream();
  state->set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
  state->add_cursor_field(columns[1]);
  state->mutable_cursor()->set_kind(v1::VALUE_KIND_TIMESTAMPTZ);
  state->mutable_cursor()->set_text_value("2024-01-01'); DROP SCHEMA \"" + schema + "\" CASCADE; --");
  Collector injected;
  absl::Status status = RunRead(request, &injected);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(injected.rows, 0u);

  request.clear_state();
  Collector sink;
  status = RunRead(request, &sink);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(sink.rows, 100u);

  // Still there: nothing ran.
  pg::Connection again = testing::Connect(server);
  auto count = again.Exec("SELECT count(*) FROM " + Q(schema) + "." + Q(table));
  ASSERT_TRUE(count.ok()) << count.status();
  EXPECT_EQ(count->GetString(0, 0), "100");
  testing::Exec(again, "DROP SCHEMA " + Q(schema) + " CASCADE");
}

TEST(HostileInput, NamesAndValuesOnPostgres) { CheckServer(Server::kPostgres, /*hypertable=*/false); }

TEST(HostileInput, NamesAndValuesOnTimescale) { CheckServer(Server::kTimescale, /*hypertable=*/true); }

TEST(HostileInput, SchemaNamesInConfigAreBoundNotSpliced) {
  pg::Connection conn = testing::Connect(Server::kPostgres);
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.add_schemas("public\"}'); SELECT pg_sleep(10); --");
  config.add_schemas("x\\\",\"y");
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok());
  auto catalog = DiscoverStreams(conn, *resolved);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->streams_size(), 0);
}

}  // namespace
}  // namespace tsdb_source
