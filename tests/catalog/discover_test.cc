// Discover against the real servers: hypertables as single streams with their TimescaleDB
// metadata, no chunks or internal schemas, every column type mapped, hostile names.
#include "service/catalog/discover.h"
#include "service/session/discover_streams.h"

#include <algorithm>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "service/catalog/schemas.h"
#include "service/catalog/type_mapping.h"
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
    auto catalog = DiscoverStreams(conn_, Config(timescale));
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
  auto catalog = DiscoverStreams(conn, *resolved);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_EQ(catalog->streams_size(), 0) << catalog->DebugString().substr(0, 2000);
}

TEST(DiscoverPostgres, EveryColumnTypeIsMapped) {
  SchemaFixture f(Server::kPostgres, "types");
  testing::Exec(f.conn(), "CREATE TYPE " + f.Table("mood") + " AS ENUM ('sad', 'ok')");
  testing::Exec(f.conn(), "CREATE DOMAIN " + f.Table("positive") + " AS int CHECK (VALUE > 0)");
  testing::Exec(f.conn(), "CREATE DOMAIN " + f.Table("whole") + " AS numeric(12,0)");
  testing::Exec(f.conn(), "CREATE TABLE " + f.Table("all types") + " ("
      "c_int2 int2 NOT NULL, c_int4 int4, c_int8 int8, c_float4 float4, c_float8 float8, "
      "c_numeric numeric(10,2), c_bool bool, c_text text, c_varchar varchar(10), c_char char(3), "
      "c_date date, c_time time, c_timetz timetz, c_ts timestamp, c_tstz timestamptz, "
      "c_interval interval, c_uuid uuid, c_json json, c_jsonb jsonb, c_bytea bytea, c_inet inet, "
      "c_cidr cidr, c_macaddr macaddr, c_enum " + f.Table("mood") + ", c_domain " +
      f.Table("positive") + ", c_int_array int4[], c_text_array text[], c_point point, "
      "c_money money, c_money_array money[], c_numeric0 numeric(20,0), c_numeric_any numeric, "
      "c_numeric_neg numeric(3,-1), c_whole " + f.Table("whole") + ", c_jsonb_array jsonb[], "
      "c_bytea_array bytea[], c_point_array point[], c_enum_array " + f.Table("mood") + "[], "
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
      {"c_money", v1::VALUE_KIND_NUMERIC},   {"c_money_array", v1::VALUE_KIND_ARRAY},
      {"c_numeric0", v1::VALUE_KIND_NUMERIC}, {"c_numeric_any", v1::VALUE_KIND_NUMERIC},
      {"c_numeric_neg", v1::VALUE_KIND_NUMERIC}, {"c_whole", v1::VALUE_KIND_NUMERIC},
      {"c_jsonb_array", v1::VALUE_KIND_ARRAY}, {"c_bytea_array", v1::VALUE_KIND_ARRAY},
      {"c_point_array", v1::VALUE_KIND_ARRAY}, {"c_enum_array", v1::VALUE_KIND_ARRAY},
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
  // source-postgres's types (docs/types.md): json, jsonb and bytea strings, money a
  // number, numeric(p,0) an integer (also through a domain), other numerics numbers.
  EXPECT_EQ(FindColumn(s, "c_json")->json_schema(), R"({"type":["string","null"]})");
  EXPECT_EQ(FindColumn(s, "c_jsonb")->json_schema(), R"({"type":["string","null"]})");
  EXPECT_EQ(FindColumn(s, "c_bytea")->json_schema(), R"({"type":["string","null"]})");
  EXPECT_EQ(FindColumn(s, "c_interval")->json_schema(), R"({"type":["string","null"]})");
  EXPECT_EQ(FindColumn(s, "c_money")->json_schema(), R"({"type":["number","null"]})");
  EXPECT_EQ(FindColumn(s, "c_money_array")->element_kind(), v1::VALUE_KIND_NUMERIC);
  EXPECT_EQ(FindColumn(s, "c_numeric0")->json_schema(), R"({"type":["integer","null"]})");
  EXPECT_EQ(FindColumn(s, "c_whole")->json_schema(), R"({"type":["integer","null"]})");
  EXPECT_EQ(FindColumn(s, "c_numeric")->json_schema(), R"({"type":["number","null"]})");
  EXPECT_EQ(FindColumn(s, "c_numeric_any")->json_schema(), R"({"type":["number","null"]})");
  EXPECT_EQ(FindColumn(s, "c_numeric_neg")->json_schema(), R"({"type":["number","null"]})");
  EXPECT_EQ(FindColumn(s, "c_jsonb_array")->element_kind(), v1::VALUE_KIND_JSON);
  EXPECT_EQ(FindColumn(s, "c_jsonb_array")->json_schema().find("object"), std::string::npos);
  EXPECT_EQ(FindColumn(s, "c_bytea_array")->json_schema().find("contentEncoding"),
            std::string::npos);
  // Arrays of types without a binary decoder: arrays of texts, read as text[].
  EXPECT_EQ(FindColumn(s, "c_point_array")->element_kind(), v1::VALUE_KIND_TEXT);
  EXPECT_EQ(FindColumn(s, "c_enum_array")->element_kind(), v1::VALUE_KIND_TEXT);
  EXPECT_EQ(ReadCastFor(*FindColumn(s, "c_point_array")).sql, "::text[]");
  EXPECT_EQ(ReadCastFor(*FindColumn(s, "c_money")).sql, "::numeric");
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
  // With CDC configured, the streams keep their own columns (the change metadata travels
  // typed, RecordBatch.changes; Airbyte's _ab_cdc_* columns are the shim's); neither can be
  // captured (no primary key; a materialized view), so both offer full refresh only, no
  // source-defined cursor, and do not capture changes.
  ResolvedConfig cdc = f.Config();
  cdc.cdc = true;
  auto with_cdc = DiscoverStreams(f.conn(), cdc);
  ASSERT_TRUE(with_cdc.ok()) << with_cdc.status();
  ASSERT_EQ(with_cdc->streams_size(), 2);
  for (const v1::Stream& s : with_cdc->streams()) {
    EXPECT_EQ(s.columns_size(), streams[s.stream().name()].columns_size()) << s.stream().name();
    for (const v1::Column& c : s.columns()) EXPECT_NE(c.name().rfind("_ab_", 0), 0u) << c.name();
    EXPECT_FALSE(s.source_defined_cursor());
    EXPECT_FALSE(s.captures_changes());
    EXPECT_FALSE(s.not_capturable_reason().empty()) << s.stream().name();
  }
  auto installed = TimescaleInstalled(f.conn());
  ASSERT_TRUE(installed.ok());
  EXPECT_FALSE(*installed);
}

// The sync modes a stream offers, as Airbyte names them ("full_refresh", "incremental").
std::string Modes(const v1::Stream& s) {
  std::string out;
  for (int mode : s.supported_sync_modes()) {
    if (!out.empty()) out += ",";
    out += mode == v1::SYNC_MODE_FULL_REFRESH ? "full_refresh"
           : mode == v1::SYNC_MODE_INCREMENTAL ? "incremental"
                                               : "?";
  }
  return out;
}

std::map<std::string, v1::Stream> DiscoverWith(pg::Connection& conn, const ResolvedConfig& config) {
  auto catalog = DiscoverStreams(conn, config);
  EXPECT_TRUE(catalog.ok()) << catalog.status();
  std::map<std::string, v1::Stream> streams;
  if (catalog.ok()) {
    for (const v1::Stream& s : catalog->streams()) streams[s.stream().name()] = s;
  }
  return streams;
}

// In CDC mode a stream offers incremental only when change data capture can follow it: a
// table whose rows have a replica identity (primary key, FULL, or an index), a partitioned
// table whose partitions all have one. Views, materialized views and tables without one offer
// full refresh only, say why, and have no source-defined cursor.
TEST(DiscoverPostgres, CdcOffersIncrementalOnlyForStreamsItCanCapture) {
  SchemaFixture f(Server::kPostgres, "cdc modes");
  auto exec = [&](const std::string& sql) { testing::Exec(f.conn(), sql); };
  exec("CREATE TABLE " + f.Table("keyed") + " (id int PRIMARY KEY, v text)");
  exec("CREATE TABLE " + f.Table("keyless") + " (id int, v text)");
  exec("CREATE TABLE " + f.Table("keyless full") + " (id int, v text)");
  exec("ALTER TABLE " + f.Table("keyless full") + " REPLICA IDENTITY FULL");
  exec("CREATE TABLE " + f.Table("indexed") + " (id int NOT NULL, v text)");
  exec("CREATE UNIQUE INDEX ON " + f.Table("indexed") + " (id)");
  exec("ALTER TABLE " + f.Table("indexed") + " REPLICA IDENTITY USING INDEX " +
       Q("indexed_id_idx"));
  exec("CREATE TABLE " + f.Table("keyed nothing") + " (id int PRIMARY KEY)");
  exec("ALTER TABLE " + f.Table("keyed nothing") + " REPLICA IDENTITY NOTHING");
  exec("CREATE VIEW " + f.Table("a view") + " AS SELECT * FROM " + f.Table("keyed"));
  exec("CREATE MATERIALIZED VIEW " + f.Table("a matview") + " AS SELECT * FROM " + f.Table("keyed"));
  exec("CREATE TABLE " + f.Table("parted") +
       " (id int NOT NULL, ts date NOT NULL, PRIMARY KEY (id, ts)) PARTITION BY RANGE (ts)");
  exec("CREATE TABLE " + f.Table("parted_1") + " PARTITION OF " + f.Table("parted") +
       " FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')");
  exec("CREATE TABLE " + f.Table("parted keyless") +
       " (id int NOT NULL, ts date NOT NULL) PARTITION BY RANGE (ts)");
  exec("CREATE TABLE " + f.Table("parted keyless_1") + " PARTITION OF " +
       f.Table("parted keyless") + " FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')");
  // A FULL identity on every partition makes the partitioned table capturable; on the root
  // alone it does not (changes are published under the partitions).
  exec("ALTER TABLE " + f.Table("parted keyless") + " REPLICA IDENTITY FULL");

  ResolvedConfig config = f.Config();
  config.cdc = true;
  auto streams = DiscoverWith(f.conn(), config);
  ASSERT_EQ(streams.size(), 9u);
  for (const char* name : {"keyed", "keyless full", "indexed", "parted"}) {
    const v1::Stream& s = streams[name];
    EXPECT_EQ(Modes(s), "full_refresh,incremental") << name;
    EXPECT_TRUE(s.source_defined_cursor()) << name;
    EXPECT_TRUE(s.captures_changes()) << name;
    EXPECT_EQ(s.default_cursor_field(), "") << name;
    EXPECT_EQ(s.not_capturable_reason(), "") << name;
  }
  const std::map<std::string, std::string> reasons = {
      {"keyless", "no primary key or other replica identity"},
      {"keyed nothing", "no primary key or other replica identity"},
      {"parted keyless", "one of its partitions"},
      {"a view", "is a view"},
      {"a matview", "is a materialized view"},
  };
  for (const auto& [name, reason] : reasons) {
    const v1::Stream& s = streams[name];
    EXPECT_EQ(Modes(s), "full_refresh") << name;
    EXPECT_FALSE(s.source_defined_cursor()) << name;
    EXPECT_FALSE(s.captures_changes()) << name;
    EXPECT_NE(s.not_capturable_reason().find(reason), std::string::npos)
        << name << ": " << s.not_capturable_reason();
    EXPECT_NE(s.not_capturable_reason().find("full_refresh"), std::string::npos) << name;
  }
  EXPECT_NE(streams["keyless"].not_capturable_reason().find(
                "ALTER TABLE " + f.Table("keyless") + " REPLICA IDENTITY FULL"),
            std::string::npos)
      << streams["keyless"].not_capturable_reason();

  exec("ALTER TABLE " + f.Table("parted keyless_1") + " REPLICA IDENTITY FULL");
  EXPECT_EQ(Modes(DiscoverWith(f.conn(), config)["parted keyless"]), "full_refresh,incremental");

  // Without CDC every stream offers both, whatever its identity.
  config.cdc = false;
  for (const auto& [name, s] : DiscoverWith(f.conn(), config)) {
    EXPECT_EQ(Modes(s), "full_refresh,incremental") << name;
    EXPECT_EQ(s.not_capturable_reason(), "") << name;
  }
}

// Hypertables follow their identity (a FULL one carries over to the chunks); a continuous
// aggregate is captured through its materialized hypertable when that has an identity and
// the aggregate is materialized-only (a real-time one computes its newest rows when queried).
TEST(DiscoverTimescale, CdcOffersIncrementalForHypertablesAndAggregatesItCanCapture) {
  SchemaFixture f(Server::kTimescale, "cdc hyper");
  auto exec = [&](const std::string& sql) { testing::Exec(f.conn(), sql); };
  for (const char* name : {"keyed", "keyless", "keyless full"}) {
    std::string key = std::string(name) == "keyed" ? ", PRIMARY KEY (id, t)" : "";
    exec("CREATE TABLE " + f.Table(name) + " (id int NOT NULL, t timestamptz NOT NULL, v float8" +
         key + ")");
    exec("SELECT create_hypertable('" + f.Table(name) + "', 't')");
  }
  exec("ALTER TABLE " + f.Table("keyless full") + " REPLICA IDENTITY FULL");
  exec("CREATE MATERIALIZED VIEW " + f.Table("hourly") +
       " WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
       "SELECT time_bucket('1 hour', t) AS bucket, count(*) AS n FROM " + f.Table("keyed") +
       " GROUP BY 1 WITH NO DATA");
  exec("CREATE MATERIALIZED VIEW " + f.Table("live") +
       " WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS "
       "SELECT time_bucket('1 hour', t) AS bucket, count(*) AS n FROM " + f.Table("keyed") +
       " GROUP BY 1 WITH NO DATA");

  ResolvedConfig config = f.Config();
  config.cdc = true;
  auto streams = DiscoverWith(f.conn(), config);
  ASSERT_EQ(streams.size(), 5u);
  EXPECT_EQ(Modes(streams["keyed"]), "full_refresh,incremental");
  EXPECT_EQ(Modes(streams["keyless full"]), "full_refresh,incremental");
  EXPECT_EQ(Modes(streams["keyless"]), "full_refresh");
  EXPECT_NE(streams["keyless"].not_capturable_reason().find("no primary key"), std::string::npos);
  const v1::Stream& hourly = streams["hourly"];
  ASSERT_EQ(hourly.kind(), v1::RELATION_KIND_CONTINUOUS_AGGREGATE);
  EXPECT_EQ(Modes(hourly), "full_refresh");
  const std::string materialized =
      pg::QuoteQualified(hourly.continuous_aggregate().materialization_hypertable_schema(),
                         hourly.continuous_aggregate().materialization_hypertable_name());
  EXPECT_NE(hourly.not_capturable_reason().find("ALTER TABLE " + materialized +
                                                " REPLICA IDENTITY FULL"),
            std::string::npos)
      << hourly.not_capturable_reason();
  EXPECT_EQ(Modes(streams["live"]), "full_refresh");
  EXPECT_NE(streams["live"].not_capturable_reason().find("real-time"), std::string::npos)
      << streams["live"].not_capturable_reason();

  // With the materialized hypertable's identity, the aggregate's refreshes can be captured.
  exec("ALTER TABLE " + materialized + " REPLICA IDENTITY FULL");
  streams = DiscoverWith(f.conn(), config);
  EXPECT_EQ(Modes(streams["hourly"]), "full_refresh,incremental");
  EXPECT_TRUE(streams["hourly"].source_defined_cursor());

  // With timescaledb_support off the chunks' changes are not mapped to their hypertable.
  config.timescaledb_support = false;
  streams = DiscoverWith(f.conn(), config);
  EXPECT_EQ(Modes(streams["keyed"]), "full_refresh");
  EXPECT_NE(streams["keyed"].not_capturable_reason().find("timescaledb_support"),
            std::string::npos);
  EXPECT_EQ(Modes(streams["hourly"]), "full_refresh");  // a plain view then
}

// "schemas": [] discovers every schema the user may use, as Airbyte's Postgres source does,
// and never PostgreSQL's or TimescaleDB's own.
TEST(DiscoverTimescale, EmptySchemasDiscoversEverySchemaButSystemAndInternalOnes) {
  // One connection (the dev server takes one at a time) and two schemas of its own.
  SchemaFixture first(Server::kTimescale, "all one");
  const std::string second = testing::UniqueName("all two");
  auto exec = [&](const std::string& sql) { testing::Exec(first.conn(), sql); };
  exec("CREATE SCHEMA " + Q(second));
  const std::string b = Q(second) + "." + Q("b");
  exec("CREATE TABLE " + first.Table("a") + " (id int PRIMARY KEY)");
  exec("CREATE TABLE " + b + " (t timestamptz NOT NULL)");
  exec("SELECT create_hypertable('" + b + "', 't')");
  exec("INSERT INTO " + b + " VALUES ('2024-01-01')");

  v1::SourceConfig config = testing::ConfigFor(Server::kTimescale);
  config.set_all_schemas(true);
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  auto catalog = DiscoverStreams(first.conn(), *resolved);
  exec("DROP SCHEMA " + Q(second) + " CASCADE");
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  bool found_a = false, found_b = false;
  for (const v1::Stream& s : catalog->streams()) {
    const std::string& ns = s.stream().namespace_();
    found_a = found_a || (ns == first.schema() && s.stream().name() == "a");
    if (ns == second && s.stream().name() == "b") {
      found_b = true;
      EXPECT_EQ(s.kind(), v1::RELATION_KIND_HYPERTABLE);  // one stream, not its chunks
    }
    EXPECT_NE(ns.rfind("pg_", 0), 0u) << ns << "." << s.stream().name();
    EXPECT_NE(ns, "information_schema") << s.stream().name();
    EXPECT_NE(ns.rfind("_timescaledb", 0), 0u) << ns << "." << s.stream().name();
    EXPECT_NE(ns.rfind("timescaledb_", 0), 0u) << ns << "." << s.stream().name();
  }
  EXPECT_TRUE(found_a) << catalog->DebugString().substr(0, 2000);
  EXPECT_TRUE(found_b) << catalog->DebugString().substr(0, 2000);
}

// ... and only those the user has USAGE on.
TEST(DiscoverPostgres, EmptySchemasLeavesOutSchemasWithoutUsage) {
  SchemaFixture granted(Server::kPostgres, "usage granted");
  SchemaFixture hidden(Server::kPostgres, "usage hidden");
  const std::string role = testing::UniqueName("schema_reader");
  testing::Exec(granted.conn(), "CREATE ROLE " + role + " LOGIN PASSWORD 'reader-pw'");
  testing::Exec(granted.conn(), "CREATE TABLE " + granted.Table("visible") + " (id int)");
  testing::Exec(hidden.conn(), "CREATE TABLE " + hidden.Table("invisible") + " (id int)");
  testing::Exec(granted.conn(), "GRANT USAGE ON SCHEMA " + Q(granted.schema()) + " TO " + role);
  testing::Exec(granted.conn(), "GRANT SELECT ON " + granted.Table("visible") + " TO " + role);
  testing::Exec(hidden.conn(), "GRANT SELECT ON " + hidden.Table("invisible") + " TO " + role);

  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_username(role);
  config.set_password("reader-pw");
  config.set_all_schemas(true);
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  {
    auto conn = pg::Connection::Open(resolved->connect);
    ASSERT_TRUE(conn.ok()) << conn.status();
    auto schemas = ReadableSchemas(*conn);
    ASSERT_TRUE(schemas.ok()) << schemas.status();
    EXPECT_NE(std::find(schemas->begin(), schemas->end(), granted.schema()), schemas->end());
    EXPECT_EQ(std::find(schemas->begin(), schemas->end(), hidden.schema()), schemas->end());
    auto streams = DiscoverWith(*conn, *resolved);
    EXPECT_EQ(streams.count("visible"), 1u);
    EXPECT_EQ(streams.count("invisible"), 0u);
  }
  testing::Exec(granted.conn(), "DROP OWNED BY " + role);
  testing::Exec(granted.conn(), "DROP ROLE " + role);
}

}  // namespace
}  // namespace tsdb_source
