// Config validation rejects what the spec forbids, naming the field and the rule.
#include "service/config/source_config.h"

#include "gtest/gtest.h"

namespace tsdb_source {
namespace {

v1::SourceConfig Valid() {
  v1::SourceConfig config;
  config.set_host("localhost");
  config.set_database("db");
  config.set_username("u");
  config.set_password("pw");
  return config;
}

void ExpectRejected(const v1::SourceConfig& config, const std::string& field) {
  auto resolved = ResolveConfig(config);
  ASSERT_FALSE(resolved.ok()) << field;
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(resolved.status().message().find("'" + field + "'"), std::string::npos)
      << resolved.status();
}

TEST(SourceConfig, DefaultsApply) {
  auto resolved = ResolveConfig(Valid());
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_EQ(resolved->connect.port, 5432);
  EXPECT_EQ(resolved->schemas, std::vector<std::string>{"public"});
  EXPECT_EQ(resolved->connect.sslmode, "prefer");
  EXPECT_TRUE(resolved->timescaledb_support);
  EXPECT_EQ(resolved->chunk_discovery_interval_minutes, 5);
  EXPECT_EQ(resolved->max_concurrent_chunks, 1);
  EXPECT_TRUE(resolved->chunk_caching);
  EXPECT_FALSE(resolved->cdc);
}

TEST(SourceConfig, MissingRequiredFields) {
  v1::SourceConfig c = Valid();
  c.clear_host();
  ExpectRejected(c, "host");
  c = Valid();
  c.clear_database();
  ExpectRejected(c, "database");
  c = Valid();
  c.clear_username();
  ExpectRejected(c, "username");
}

TEST(SourceConfig, RangesAreEnforced) {
  v1::SourceConfig c = Valid();
  c.set_port(70000);
  ExpectRejected(c, "port");
  c = Valid();
  c.set_timescaledb_chunk_discovery_interval_minutes(0);
  ExpectRejected(c, "timescaledb_chunk_discovery_interval_minutes");
  c = Valid();
  c.set_timescaledb_chunk_discovery_interval_minutes(61);
  ExpectRejected(c, "timescaledb_chunk_discovery_interval_minutes");
  c = Valid();
  c.set_timescaledb_max_concurrent_chunks(11);
  ExpectRejected(c, "timescaledb_max_concurrent_chunks");
}

TEST(SourceConfig, SslAndReplicationRules) {
  v1::SourceConfig c = Valid();
  c.mutable_ssl_mode()->set_mode("sometimes");
  ExpectRejected(c, "ssl_mode.mode");
  c = Valid();
  c.mutable_ssl_mode()->set_mode("verify-full");
  ExpectRejected(c, "ssl_mode.ca_certificate");
  c = Valid();
  c.mutable_replication_method()->set_method("CDC");
  ExpectRejected(c, "replication_method.replication_slot");
  c.mutable_replication_method()->set_replication_slot("s");
  ExpectRejected(c, "replication_method.publication");
  c = Valid();
  c.mutable_replication_method()->set_method("xmin");
  ExpectRejected(c, "replication_method.method");
  c = Valid();
  c.add_schemas("a");
  c.add_schemas("a");
  ExpectRejected(c, "schemas");
}

}  // namespace
}  // namespace tsdb_source
