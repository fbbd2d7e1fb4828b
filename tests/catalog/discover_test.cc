// Discover against the real servers: hypertables as single streams with their TimescaleDB
// metadata, no chunks or internal schemas, every column type mapped, hostile names.
#include "service/catalog/discover.h"

#include <map>

#include "gtest/gtest.h"
#include "service/pg/quote.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::Server;

std::string Q(const std::string& ident) { return pg::QuoteIdent(ident); }

// A fresh schema for one test, dropped at the end.
class SchemaFixture {
 public:
  SchemaFixture(Server server, const std::string& prefix)
      : server_(server), conn_(testing::Connect(server)), schema_(testing::UniqueName(prefix)) {
    testing::Exec(conn_, "CREATE SCHEMA " + Q(schema_));
  }
  ~SchemaFixture() { testing::Exec(conn_, "DROP SCHEMA " + Q(schema_) + " CASCADE"); }
  pg::Connection& conn() { return conn_; }
  const std::string& schema() const { return schema_; }
  std::string Table(const std::string& name) const { return Q(schema_) + "." + Q(name); }
  ResolvedConfig Config(bool timescale = true) const {
    v1::SourceConfig config = testing::ConfigFor(server_);
    config.add_schemas(schema_);
    config.set_timescaledb_support(timescale);
    auto resolved = ResolveConfig(config);
    EXPECT_TRUE(resolved.ok()) << resolved.status();
    return *resolved;
  }
  std::map<std::string, v1::Stream> Discover(bool timescale = true) {
    auto catalog = DiscoverCatalog(conn_, Config(timescale));
    EXPECT_TRUE(catalog.ok()) << catalog.status();
    std::map<std::string, v1::Stream> streams;
    if (!catalog.ok()) return streams;
    for (const v1::Stream& s : catalog->streams()) {
      EXPECT_EQ(s.stream().namespace_(), schema_);
      EXPECT_TRUE(streams.emplace(s.stream().name(), s).second) << "duplicate " << s.stream().name();
    }
    return streams;
  }

 private:
  Server server_;
  pg::Connection conn_;
  std::string schema_;
};

const v1::Column* FindColumn(const v1::Stream& s, const std::string& name) {
  for (const v1::Column& c : s.columns()) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

TEST(DiscoverTimescale, HypertablesAreSingleStreamsWithMetadata) {
  SchemaFixture f(Server::kTimescale, "Sensor Data ü");
  const std::string weird = "Weird \"Name\" ü";
  testing::Exec(f.conn(), "CREATE TABLE " + f.Table("metrics") +
                              " (time timestamptz NOT NULL, device int NOT NULL, value float8)");
  testing::Exec(f.conn(), "SELECT create_hypertable('" + f.Table("metrics") +
                              "', 'time', chunk_time_interval => interval '1 day')");
  testing::Exec(f.conn(), "INSERT INTO " + f.Table("metrics") +
                              " SELECT t, (extract(epoch FROM t)::int % 4), 1.5 FROM "
                              "generate_series('2024-01-01'::timestamptz, '2024-01-04', '1 hour') t");
  testing::Exec(f.conn(), "ALTER TABLE " + f.Table("metrics") + " SET (timescaledb.compress)");
  testing::Exec(f.conn(), "SELECT compress_chunk(c) FROM show_chunks('" + f.Table("metrics") +
                              "') c ORDER BY c LIMIT 2");
  testing::Exec(f.conn(), "CREATE TABLE " + f.Table(weird) +
                              " (ts timestamptz NOT NULL, \"Device Id\" int NOT NULL, v int)");
  testing::Exec(f.conn(), "SELECT create_hypertable('" + f.Table(weird) +
                              "', 'ts', 'Device Id', 4, chunk_time_interval => interval '7 days')");
  testing::Exec(f.conn(), "CREATE TABLE " + f.Table("ticks") + " (n bigint NOT NULL, v int)");
  testing::Exec(f.conn(), "SELECT create_hypertable('" + f.Table("ticks") +
                              "', 'n', chunk_time_interval => 1000)");
  testing::Exec(f.conn(), "INSERT INTO " + f.Table("ticks") +
                              " SELECT g, g FROM generate_series(1, 3500) g");
  testing::Exec(f.conn(), "CREATE TABLE " + f.Table("plain") + " (id int PRIMARY KEY, note text)");
  testing::Exec(f.conn(), "CREATE VIEW " + f.Table("recent") + " AS SELECT * FROM " +
                              f.Table("metrics"));
  testing::Exec(f.conn(), "CREATE MATERIALIZED VIEW " + f.Table("hourly") +
                              " WITH (timescaledb.continuous) AS SELECT time_bucket('1 hour', time) "
                              "AS bucket, device, avg(value) AS avg_value FROM " +
                              f.Table("metrics") + " GROUP BY 1, 2 WITH NO DATA");

  auto streams = f.Discover();
  ASSERT_EQ(streams.size(), 6u) << "expected metrics, weird, ticks, plain, recent, hourly";

  const v1::Stream& metrics = streams["metrics"];
  EXPECT_EQ(metrics.kind(), v1::RELATION_KIND_HYPERTABLE);
  EXPECT_EQ(metrics.default_cursor_field(), "time");
  EXPECT_EQ(metrics.hypertable().time_dimension().column_name(), "time");
  EXPECT_EQ(metrics.hypertable().time_dimension().time_interval_micros(), 86400000000LL);
  EXPECT_EQ(metrics.hypertable().num_chunks(), 4);
  EXPECT_EQ(metrics.hypertable().num_compressed_chunks(), 2);
  EXPECT_TRUE(metrics.hypertable().compression_enabled());
  EXPECT_EQ(metrics.supported_sync_modes_size(), 2);
  ASSERT_EQ(metrics.columns_size(), 3);
  EXPECT_EQ(metrics.columns(0).kind(), v1::VALUE_KIND_TIMESTAMPTZ);
  EXPECT_FALSE(metrics.columns(1).nullable());
  EXPECT_TRUE(metrics.columns(2).nullable());

  const v1::Stream& w = streams[weird];
  EXPECT_EQ(w.kind(), v1::RELATION_KIND_HYPERTABLE);
  ASSERT_EQ(w.hypertable().space_dimensions_size(), 1);
  EXPECT_EQ(w.hypertable().space_dimensions(0).column_name(), "Device Id");
  EXPECT_EQ(w.hypertable().space_dimensions(0).num_partitions(), 4);
  EXPECT_EQ(w.hypertable().space_dimensions(0).kind(), v1::DIMENSION_KIND_SPACE);

  const v1::Stream& ticks = streams["ticks"];
  EXPECT_EQ(ticks.hypertable().time_dimension().integer_interval(), 1000);
  EXPECT_EQ(ticks.hypertable().num_chunks(), 4);
  EXPECT_EQ(ticks.default_cursor_field(), "n");

  EXPECT_EQ(streams["plain"].kind(), v1::RELATION_KIND_TABLE);
  EXPECT_EQ(streams["plain"].primary_key_size(), 1);
  EXPECT_EQ(streams["recent"].kind(), v1::RELATION_KIND_VIEW);
  const v1::Stream& hourly = streams["hourly"];
  EXPECT_EQ(hourly.kind(), v1::RELATION_KIND_CONTINUOUS_AGGREGATE);
  EXPECT_EQ(hourly.continuous_aggregate().source_hypertable().name(), "metrics");
  EXPECT_EQ(hourly.default_cursor_field(), "bucket");

  // Without TimescaleDB support: plain PostgreSQL behaviour.
  auto plain = f.Discover(/*timescale=*/false);
  EXPECT_EQ(plain["metrics"].kind(), v1::RELATION_KIND_TABLE);
  EXPECT_FALSE(plain["metrics"].has_hypertable());
  EXPECT_TRUE(plain["metrics"].default_cursor_field().empty());
}

TEST(DiscoverTimescale, InternalSchemasAreNeverStreams) {
  pg::Connection conn = testing::Connect(Server::kTimescale);
  v1::SourceConfig config = testing::ConfigFor(Server::kTimescale);
  for (const char* s : {"_timescaledb_internal", "_timescaledb_catalog", "_timescaledb_config",
                        "timescaledb_information", "timescaledb_experimental",
                        "_timescaledb_functions", "_timescaledb_cache"}) {
    config.add_schemas(s);
  }
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok());
  auto catalog = DiscoverCatalog(conn, *resolved);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->streams_size(), 0) << catalog->DebugString().substr(0, 2000);
}

TEST(DiscoverPostgres, EveryColumnTypeIsMapped) {
  SchemaFixture f(Server::kPostgres, "types");
  testing::Exec(f.conn(), "CREATE TYPE " + f.Table("mood") + " AS ENUM ('sad', 'ok')");
  testing::Exec(f.conn(), "CREATE DOMAIN " + f.Table("positive") + " AS int CHECK (VALUE > 0)");
  testing::Exec(f.conn(), "CREATE TABLE " + f.Table("all types") + " ("
      "c_int2 int2 NOT NULL, c_int4 int4, c_int8 int8, c_float4 float4, c_float8 float8, "
      "c_numeric numeric(10,2), c_bool bool, c_text text, c_varchar varchar(10), c_char char(3), "
      "c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_tstz timestamptz, "
      "c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb, c_bytea bytea, c_inet inet, "
      "c_cidr cidr, c_macaddr macaddr, c_enum " + f.Table("mood") + ", c_domain " +
      f.Table("positive") + ", c_int_array int4[], c_text_array text[], c_point point, "
      "PRIMARY KEY (c_int2))");
  auto streams = f.Discover();
  ASSERT_EQ(streams.size(), 1u);
  const v1::Stream& s = streams["all types"];
  std::map<std::string, v1::ValueKind> expected = {
      {"c_int2", v1::VALUE_KIND_INT64},      {"c_int4", v1::VALUE_KIND_INT64},
      {"c_int8", v1::VALUE_KIND_INT64},      {"c_float4", v1::VALUE_KIND_DOUBLE},
      {"c_float8", v1::VALUE_KIND_DOUBLE},   {"c_numeric", v1::VALUE_KIND_NUMERIC},
      {"c_bool", v1::VALUE_KIND_BOOL},       {"c_text", v1::VALUE_KIND_TEXT},
      {"c_varchar", v1::VALUE_KIND_TEXT},    {"c_char", v1::VALUE_KIND_TEXT},
      {"c_date", v1::VALUE_KIND_DATE},       {"c_time", v1::VALUE_KIND_TIME},
      {"c_timetz", v1::VALUE_KIND_TIMETZ},   {"c_ts", v1::VALUE_KIND_TIMESTAMP},
      {"c_tstz", v1::VALUE_KIND_TIMESTAMPTZ}, {"c_interval", v1::VALUE_KIND_TEXT},
      {"c_uuid", v1::VALUE_KIND_TEXT},       {"c_json", v1::VALUE_KIND_JSON},
      {"c_jsonb", v1::VALUE_KIND_JSON},      {"c_bytea", v1::VALUE_KIND_BYTES},
      {"c_inet", v1::VALUE_KIND_TEXT},       {"c_cidr", v1::VALUE_KIND_TEXT},
      {"c_macaddr", v1::VALUE_KIND_TEXT},    {"c_enum", v1::VALUE_KIND_TEXT},
      {"c_domain", v1::VALUE_KIND_INT64},    {"c_int_array", v1::VALUE_KIND_ARRAY},
      {"c_text_array", v1::VALUE_KIND_ARRAY}, {"c_point", v1::VALUE_KIND_TEXT},
  };
  ASSERT_EQ(s.columns_size(), static_cast<int>(expected.size()));
  for (const auto& [name, kind] : expected) {
    const v1::Column* c = FindColumn(s, name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_EQ(c->kind(), kind) << name << " " << c->pg_type();
    EXPECT_FALSE(c->json_schema().empty()) << name;
  }
  EXPECT_EQ(FindColumn(s, "c_int2")->json_schema(), R"({"type":"integer"})");
  EXPECT_EQ(FindColumn(s, "c_int4")->json_schema(), R"({"type":["integer","null"]})");
  EXPECT_EQ(FindColumn(s, "c_int_array")->element_kind(), v1::VALUE_KIND_INT64);
  // An int4[] column holds values of 1 to 6 dimensions whatever it declares: each level of
  // items is an element or a nested array, down to PostgreSQL's sixth dimension.
  std::string nested = R"({"type":["integer","null"]})";
  for (int level = 0; level < 5; ++level) {
    nested = R"({"type":["integer","array","null"],"items":)" + nested + "}";
  }
  EXPECT_EQ(FindColumn(s, "c_int_array")->json_schema(),
            R"({"type":["array","null"],"items":)" + nested + "}");
  EXPECT_NE(FindColumn(s, "c_tstz")->json_schema().find("timestamp_with_timezone"), std::string::npos);
  EXPECT_EQ(FindColumn(s, "c_domain")->type_oid(), 23u);  // the domain's base type
  EXPECT_EQ(s.primary_key_size(), 1);
  EXPECT_EQ(s.primary_key(0), "c_int2");
}

TEST(DiscoverPostgres, PartitionedTableIsOneStreamAndDatabaseWithoutExtension) {
  SchemaFixture f(Server::kPostgres, "parts");
  testing::Exec(f.conn(), "CREATE TABLE " + f.Table("events") +
                              " (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts)");
  for (int day = 1; day <= 3; ++day) {
    testing::Exec(f.conn(), "CREATE TABLE " + f.Table("events_" + std::to_string(day)) +
                                " PARTITION OF " + f.Table("events") + " FOR VALUES FROM ('2024-01-0" +
                                std::to_string(day) + "') TO ('2024-01-0" +
                                std::to_string(day + 1) + "')");
  }
  testing::Exec(f.conn(), "INSERT INTO " + f.Table("events") +
                              " SELECT '2024-01-01'::timestamptz + g * interval '1 minute', g "
                              "FROM generate_series(0, 2000) g");
  testing::Exec(f.conn(), "ANALYZE " + f.Table("events"));
  testing::Exec(f.conn(), "CREATE MATERIALIZED VIEW " + f.Table("mv") + " AS SELECT 1 AS one");
  auto streams = f.Discover();  // timescaledb_support on, extension absent: plain behaviour
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams["events"].kind(), v1::RELATION_KIND_PARTITIONED_TABLE);
  EXPECT_GT(streams["events"].row_estimate(), 1500);
  EXPECT_EQ(streams["mv"].kind(), v1::RELATION_KIND_MATERIALIZED_VIEW);
  // With CDC configured, every stream gets Airbyte's CDC columns and _ab_cdc_lsn as its
  // source-defined cursor.
  ResolvedConfig cdc = f.Config();
  cdc.cdc = true;
  auto with_cdc = DiscoverCatalog(f.conn(), cdc);
  ASSERT_TRUE(with_cdc.ok()) << with_cdc.status();
  for (const v1::Stream& s : with_cdc->streams()) {
    ASSERT_GE(s.columns_size(), 3);
    EXPECT_EQ(s.columns(s.columns_size() - 3).name(), "_ab_cdc_lsn");
    EXPECT_EQ(s.columns(s.columns_size() - 1).name(), "_ab_cdc_deleted_at");
    EXPECT_TRUE(s.source_defined_cursor());
    EXPECT_EQ(s.default_cursor_field(), "_ab_cdc_lsn");
  }
  auto installed = TimescaleInstalled(f.conn());
  ASSERT_TRUE(installed.ok());
  EXPECT_FALSE(*installed);
}

}  // namespace
}  // namespace tsdb_source
