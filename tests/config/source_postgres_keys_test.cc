// Every key of Airbyte's Postgres source (source-postgres) spec, its variants included, is
// applied or refused with what to do, never silently ignored: a config as source-postgres's
// UI writes it (every default filled in) is accepted, and each value tsdb-source cannot honour
// is refused naming its key. No database needed.
#include "service/config/source_postgres_keys.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/common/errors.h"
#include "service/config/source_config.h"

namespace tsdb_source {
namespace {

v1::SourceConfig Base() {
  v1::SourceConfig config;
  config.set_host("localhost");
  config.set_port(5432);
  config.set_database("db");
  config.set_username("u");
  config.set_password("pw");
  config.add_schemas("public");
  return config;
}

// A CDC config with every source-postgres CDC key at its default.
v1::SourceConfig CdcDefaults() {
  v1::SourceConfig config = Base();
  v1::ReplicationMethod* rm = config.mutable_replication_method();
  rm->set_method("CDC");
  rm->set_replication_slot("slot");
  rm->set_publication("pub");
  rm->set_plugin("pgoutput");
  rm->set_initial_waiting_seconds(1200);
  rm->set_queue_size(10000);
  rm->set_lsn_commit_behaviour("After loading Data in the destination");
  rm->set_heartbeat_action_query("");
  rm->set_invalid_cdc_cursor_position_behavior("Fail sync");
  rm->set_initial_load_timeout_hours(8);
  rm->set_debezium_shutdown_timeout_seconds(60);
  return config;
}

void ExpectAccepted(const v1::SourceConfig& config) {
  auto resolved = ResolveConfig(config);
  EXPECT_TRUE(resolved.ok()) << resolved.status();
}

// Refused with INVALID_CONFIG naming `field`, and the message holds each of `mentions`.
void ExpectRefused(const v1::SourceConfig& config, const std::string& field,
                   const std::vector<std::string>& mentions = {}) {
  auto resolved = ResolveConfig(config);
  ASSERT_FALSE(resolved.ok()) << field;
  const std::string message(resolved.status().message());
  EXPECT_EQ(ReasonOf(resolved.status()), "INVALID_CONFIG") << message;
  EXPECT_NE(message.find("'" + field + "'"), std::string::npos) << message;
  for (const std::string& m : mentions) {
    EXPECT_NE(message.find(m), std::string::npos) << "'" << m << "' not in: " << message;
  }
}

TEST(SourcePostgresKeys, AConfigWithEveryDefaultIsAccepted) {
  v1::SourceConfig config = CdcDefaults();
  config.set_jdbc_url_params("");
  config.set_ssl(true);
  config.mutable_ssl_mode()->set_mode("require");
  config.set_entra_service_principal_auth(false);
  config.set_check_privileges(true);
  config.set_checkpoint_target_interval_seconds(300);
  ExpectAccepted(config);
  EXPECT_TRUE(CheckSourcePostgresKeys(config).ok());
}

TEST(SourcePostgresKeys, LegacySslSwitchMustAgreeWithSslMode) {
  v1::SourceConfig config = Base();
  config.set_ssl(false);  // no ssl_mode: source-postgres leaves pgjdbc's default, prefer
  ExpectAccepted(config);
  EXPECT_EQ(ResolveConfig(config)->connect.sslmode, "prefer");
  config.mutable_ssl_mode()->set_mode("verify-full");
  config.mutable_ssl_mode()->set_ca_certificate("-----BEGIN CERTIFICATE-----");
  ExpectRefused(config, "ssl", {"ignore ssl_mode", "remove 'ssl'"});
  config = Base();
  config.set_ssl(true);
  ExpectRefused(config, "ssl", {"set ssl_mode"});
}

TEST(SourcePostgresKeys, EntraAuthenticationIsRefused) {
  v1::SourceConfig config = Base();
  config.set_entra_tenant_id("tenant");  // meaningless without the switch, as in source-postgres
  config.set_entra_client_id("client");
  ExpectAccepted(config);
  config.set_entra_service_principal_auth(true);
  ExpectRefused(config, "entra_service_principal_auth", {"not supported", "password"});
}

TEST(SourcePostgresKeys, PerformanceKeys) {
  v1::SourceConfig config = Base();
  config.set_check_privileges(false);  // discovery filters by privilege at no extra cost
  ExpectAccepted(config);
  config = Base();
  config.set_checkpoint_target_interval_seconds(0);
  ExpectRefused(config, "checkpoint_target_interval_seconds", {"at least 1"});
  config = Base();
  config.set_max_db_connections(4);
  ExpectRefused(config, "max_db_connections", {"timescaledb_max_concurrent_chunks"});
}

TEST(SourcePostgresKeys, CdcKeys) {
  v1::SourceConfig config = CdcDefaults();
  config.mutable_replication_method()->set_plugin("wal2json");
  ExpectRefused(config, "replication_method.plugin",
                {"pgoutput", "pg_create_logical_replication_slot('slot', 'pgoutput')"});

  config = CdcDefaults();
  config.mutable_replication_method()->set_queue_size(1000);
  ExpectAccepted(config);
  config.mutable_replication_method()->set_queue_size(999);
  ExpectRefused(config, "replication_method.queue_size", {"1000 and 10000"});

  config = CdcDefaults();
  config.mutable_replication_method()->set_lsn_commit_behaviour("While reading Data");
  ExpectRefused(config, "replication_method.lsn_commit_behaviour",
                {"not supported", "After loading Data in the destination"});
  config.mutable_replication_method()->set_lsn_commit_behaviour("Eventually");
  ExpectRefused(config, "replication_method.lsn_commit_behaviour");

  config = CdcDefaults();
  config.mutable_replication_method()->set_heartbeat_action_query(
      "INSERT INTO heartbeat VALUES (now())");
  ExpectRefused(config, "replication_method.heartbeat_action_query", {"remove it"});

  config = CdcDefaults();
  config.mutable_replication_method()->set_initial_load_timeout_hours(24);
  ExpectRefused(config, "replication_method.initial_load_timeout_hours",
                {"no time limit", "8"});

  config = CdcDefaults();
  config.mutable_replication_method()->set_debezium_shutdown_timeout_seconds(3600);
  ExpectAccepted(config);
  config.mutable_replication_method()->set_debezium_shutdown_timeout_seconds(0);
  ExpectRefused(config, "replication_method.debezium_shutdown_timeout_seconds", {"1 and 3600"});

  config = CdcDefaults();
  config.mutable_replication_method()->set_invalid_cdc_cursor_position_behavior("Re-sync data");
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_TRUE(resolved->resync_on_invalid_cdc_position);
}

TEST(SourcePostgresKeys, CdcKeysOfAnotherVariantAreNotLookedAt) {
  // As in source-postgres, the keys of the variant not chosen do not count.
  v1::SourceConfig config = Base();
  config.mutable_replication_method()->set_method("Standard");
  config.mutable_replication_method()->set_plugin("wal2json");
  config.mutable_replication_method()->set_heartbeat_action_query("SELECT 1");
  ExpectAccepted(config);
}

TEST(SourcePostgresKeys, XminIsAcceptedAndMisspellingsAreRefused) {
  v1::SourceConfig config = Base();
  config.mutable_replication_method()->set_method("Xmin");
  ExpectAccepted(config);
  EXPECT_TRUE(ResolveConfig(config)->xmin);
  config.mutable_replication_method()->set_method("XMIN");
  ExpectRefused(config, "replication_method.method", {"'Standard', 'CDC' or 'Xmin'", "'XMIN'"});
}

TEST(SourcePostgresKeys, EmptySchemasMeansEverySchema) {
  v1::SourceConfig config = Base();
  config.clear_schemas();
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok());
  EXPECT_FALSE(resolved->all_schemas);  // no schemas at all: ["public"], as before
  EXPECT_EQ(resolved->schemas, std::vector<std::string>{"public"});
  config.set_all_schemas(true);
  resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok());
  EXPECT_TRUE(resolved->all_schemas);
  EXPECT_EQ(resolved->schemas, std::vector<std::string>{"public"});  // a namespace-less stream's
  config.add_schemas("sales");
  ExpectRefused(config, "schemas", {"all_schemas"});
}

}  // namespace
}  // namespace tsdb_source
