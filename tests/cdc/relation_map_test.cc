// Chunk, aggregate and partition mapping against the real catalogs.
#include "service/cdc/relation_map.h"

#include "gtest/gtest.h"
#include "tests/testing/databases.h"

namespace tsdb_source::cdc {
namespace {

using testing::Server;

v1::StreamDescriptor Stream(const std::string& ns, const std::string& name) {
  v1::StreamDescriptor d;
  d.set_namespace_(ns);
  d.set_name(name);
  return d;
}

TEST(RelationMap, ChunksMapToHypertablesAndAggregates) {
  pg::Connection conn = testing::Connect(Server::kTimescale);
  std::string schema = testing::UniqueName("cdcmap");
  testing::Exec(conn, "CREATE SCHEMA " + schema);
  testing::Exec(conn, "CREATE TABLE " + schema + ".m (time timestamptz NOT NULL, v int)");
  testing::Exec(conn, "SELECT create_hypertable('" + schema + ".m', 'time', chunk_time_interval => interval '1 day')");
  testing::Exec(conn, "INSERT INTO " + schema + ".m SELECT '2024-01-01'::timestamptz + g * interval '1 hour', g "
                      "FROM generate_series(0, 47) g");
  testing::Exec(conn, "CREATE MATERIALIZED VIEW " + schema + ".hourly WITH (timescaledb.continuous) AS "
                      "SELECT time_bucket('1 hour', time) AS bucket, sum(v) FROM " + schema + ".m GROUP BY 1 WITH NO DATA");
  testing::Exec(conn, "CALL refresh_continuous_aggregate('" + schema + ".hourly', NULL, NULL)");
  testing::Exec(conn, "CREATE TABLE " + schema + ".other (time timestamptz NOT NULL)");
  testing::Exec(conn, "SELECT create_hypertable('" + schema + ".other', 'time')");
  testing::Exec(conn, "INSERT INTO " + schema + ".other VALUES (now())");

  RelationMap map({Stream(schema, "m"), Stream(schema, "hourly")}, /*timescale=*/true);
  auto chunks = conn.Exec("SELECT chunk_schema, chunk_name, hypertable_name FROM timescaledb_information.chunks "
                          "WHERE hypertable_schema = '" + schema + "' OR hypertable_name IN ("
                          "SELECT materialization_hypertable_name FROM timescaledb_information.continuous_aggregates "
                          "WHERE view_schema = '" + schema + "')");
  ASSERT_TRUE(chunks.ok()) << chunks.status();
  int m_chunks = 0, agg_chunks = 0, other_chunks = 0;
  for (int r = 0; r < chunks->rows(); ++r) {
    auto index = map.Resolve(conn, chunks->GetString(r, 0), chunks->GetString(r, 1));
    ASSERT_TRUE(index.ok()) << index.status();
    if (chunks->GetString(r, 2) == "m") {
      ++m_chunks;
      ASSERT_TRUE(index->has_value());
      EXPECT_EQ(**index, 0u);
    } else if (chunks->GetString(r, 2) == "other") {
      ++other_chunks;
      EXPECT_FALSE(index->has_value());
    } else {
      ++agg_chunks;
      ASSERT_TRUE(index->has_value()) << chunks->GetString(r, 1);
      EXPECT_EQ(**index, 1u);
    }
  }
  EXPECT_EQ(m_chunks, 2);
  EXPECT_GE(agg_chunks, 1);
  EXPECT_EQ(other_chunks, 1);
  // Loaded on first use, and once more for the first relation it did not know (the
  // unrelated chunk), which is then remembered: asking again costs no query.
  int refreshes = map.refreshes();
  EXPECT_EQ(refreshes, 2);
  for (int r = 0; r < chunks->rows(); ++r) {
    ASSERT_TRUE(map.Resolve(conn, chunks->GetString(r, 0), chunks->GetString(r, 1)).ok());
  }
  EXPECT_EQ(map.refreshes(), refreshes);

  // A chunk created later is unknown: the map refreshes once and finds it.
  testing::Exec(conn, "INSERT INTO " + schema + ".m VALUES ('2024-02-01', 1)");
  auto fresh = conn.Exec("SELECT chunk_schema, chunk_name FROM timescaledb_information.chunks "
                         "WHERE hypertable_schema = '" + schema + "' AND hypertable_name = 'm' "
                         "ORDER BY range_start DESC LIMIT 1");
  ASSERT_TRUE(fresh.ok());
  auto index = map.Resolve(conn, fresh->GetString(0, 0), fresh->GetString(0, 1));
  ASSERT_TRUE(index.ok());
  ASSERT_TRUE(index->has_value());
  EXPECT_EQ(**index, 0u);
  EXPECT_EQ(map.refreshes(), refreshes + 1);
  // The hypertable itself maps to its stream without a query.
  index = map.Resolve(conn, schema, "m");
  ASSERT_TRUE(index.ok() && index->has_value());
  testing::Exec(conn, "DROP SCHEMA " + schema + " CASCADE");
}

TEST(RelationMap, PartitionsMapToTheirRoot) {
  pg::Connection conn = testing::Connect(Server::kPostgres);
  std::string schema = testing::UniqueName("cdcparts");
  testing::Exec(conn, "CREATE SCHEMA " + schema);
  testing::Exec(conn, "CREATE TABLE " + schema + ".e (ts timestamptz NOT NULL) PARTITION BY RANGE (ts)");
  testing::Exec(conn, "CREATE TABLE " + schema + ".e_1 PARTITION OF " + schema + ".e FOR VALUES FROM "
                      "('2024-01-01') TO ('2024-02-01') PARTITION BY RANGE (ts)");
  testing::Exec(conn, "CREATE TABLE " + schema + ".e_1a PARTITION OF " + schema + ".e_1 FOR VALUES FROM "
                      "('2024-01-01') TO ('2024-01-15')");
  RelationMap map({Stream(schema, "e")}, /*timescale=*/false);
  for (const char* part : {"e_1", "e_1a"}) {
    auto index = map.Resolve(conn, schema, part);
    ASSERT_TRUE(index.ok()) << index.status();
    ASSERT_TRUE(index->has_value()) << part;
    EXPECT_EQ(**index, 0u);
  }
  auto none = map.Resolve(conn, schema, "not_there");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  testing::Exec(conn, "DROP SCHEMA " + schema + " CASCADE");
}

}  // namespace
}  // namespace tsdb_source::cdc
