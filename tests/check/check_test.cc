// Check against the real servers: success on both, and each failure named and classified,
// never with the password in the message.
#include "service/session/check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "gtest/gtest.h"
#include "service/config/source_config.h"
#include "service/pg/connection.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::Server;

constexpr char kSecret[] = "Sup3r-Secret-Pa55word";

void ExpectNoSecret(const v1::CheckResponse& response) {
  EXPECT_EQ(response.DebugString().find(kSecret), std::string::npos) << response.DebugString();
}

TEST(Check, SucceedsOnPostgres) {
  v1::CheckResponse r = RunCheck(testing::ConfigFor(Server::kPostgres));
  ASSERT_TRUE(r.succeeded()) << r.DebugString();
  EXPECT_EQ(r.server_version().substr(0, 3), "15.");
  EXPECT_FALSE(r.timescaledb_installed());
  EXPECT_EQ(r.wal_level(), "logical");
  ASSERT_EQ(r.schemas_size(), 1);
  EXPECT_TRUE(r.schemas(0).exists());
  EXPECT_TRUE(r.schemas(0).readable());
  EXPECT_NE(r.message().find("without TimescaleDB"), std::string::npos) << r.message();
}

TEST(Check, SucceedsOnTimescale) {
  v1::CheckResponse r = RunCheck(testing::ConfigFor(Server::kTimescale));
  ASSERT_TRUE(r.succeeded()) << r.DebugString();
  EXPECT_TRUE(r.timescaledb_installed());
  EXPECT_FALSE(r.timescaledb_version().empty());
  EXPECT_NE(r.message().find("TimescaleDB " + r.timescaledb_version()), std::string::npos);
}

TEST(Check, WrongPasswordIsAConfigErrorWithoutThePassword) {
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_password(kSecret);
  v1::CheckResponse r = RunCheck(config);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "AUTHENTICATION_FAILED") << r.message();
  EXPECT_EQ(r.reason_code(), v1::ERROR_REASON_AUTHENTICATION_FAILED);
  EXPECT_EQ(r.failure_type(), v1::FAILURE_TYPE_CONFIG_ERROR);
  EXPECT_NE(r.message().find("password"), std::string::npos) << r.message();
  ExpectNoSecret(r);
}

TEST(Check, UnknownUser) {
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_username("nobody_here");
  v1::CheckResponse r = RunCheck(config);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "AUTHENTICATION_FAILED") << r.message();
}

TEST(Check, UnknownDatabase) {
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_database("no_such_database");
  v1::CheckResponse r = RunCheck(config);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "UNKNOWN_DATABASE") << r.message();
  EXPECT_EQ(r.failure_type(), v1::FAILURE_TYPE_CONFIG_ERROR);
}

TEST(Check, UnknownHost) {
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_host("no-such-host.invalid");
  v1::CheckResponse r = RunCheck(config);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "UNKNOWN_HOST") << r.message();
  EXPECT_EQ(r.failure_type(), v1::FAILURE_TYPE_CONFIG_ERROR);
}

// A port nothing listens on: bind an ephemeral port, then close it.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(Check, RefusedConnectionIsTransient) {
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_port(FreePort());
  v1::CheckResponse r = RunCheck(config);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "CONNECTION_REFUSED") << r.message();
  EXPECT_EQ(r.failure_type(), v1::FAILURE_TYPE_TRANSIENT_ERROR);
}

TEST(Check, SilentServerTimesOut) {
  // A listener that never accepts nor answers: the TCP handshake completes in the kernel,
  // then the server never speaks, like a black-holed proxy.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 8), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_port(ntohs(addr.sin_port));
  config.set_connect_timeout_seconds(2);
  auto start = std::chrono::steady_clock::now();
  v1::CheckResponse r = RunCheck(config);
  auto elapsed = std::chrono::steady_clock::now() - start;
  close(fd);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "CONNECT_TIMEOUT") << r.message();
  EXPECT_EQ(r.failure_type(), v1::FAILURE_TYPE_TRANSIENT_ERROR);
  // Bounded by the timeout, not by the test runner's (a correctness bound, not a benchmark).
  EXPECT_LT(elapsed, std::chrono::seconds(30));
}

TEST(Check, TlsRequiredButNotOffered) {
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);  // dev server: ssl off
  config.mutable_ssl_mode()->set_mode("require");
  v1::CheckResponse r = RunCheck(config);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "TLS_NOT_SUPPORTED") << r.message();
  EXPECT_EQ(r.failure_type(), v1::FAILURE_TYPE_CONFIG_ERROR);
}

TEST(Check, TlsRefusedByTheServer) {
  // tools/dev-db refuses the role tsdb_tls_required without TLS (pg_hba hostnossl reject).
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_username("tsdb_tls_required");
  config.set_password("tls");
  v1::CheckResponse r = RunCheck(config);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "TLS_REQUIRED") << r.message();
  EXPECT_EQ(r.failure_type(), v1::FAILURE_TYPE_CONFIG_ERROR);
  EXPECT_NE(r.message().find("ssl_mode"), std::string::npos) << r.message();
}

TEST(Check, MissingSchemaAndMissingPrivilege) {
  pg::Connection admin = testing::Connect(Server::kPostgres);
  std::string schema = testing::UniqueName("Private Schema");
  std::string role = testing::UniqueName("reader");
  testing::Exec(admin, "CREATE SCHEMA \"" + schema + "\"");
  testing::Exec(admin, "CREATE ROLE " + role + " LOGIN PASSWORD 'reader-pw'");

  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.add_schemas("public");
  config.add_schemas("no_such_schema");
  v1::CheckResponse missing = RunCheck(config);
  EXPECT_FALSE(missing.succeeded());
  EXPECT_EQ(missing.reason(), "SCHEMA_NOT_FOUND");
  EXPECT_EQ(missing.reason_code(), v1::ERROR_REASON_SCHEMA_NOT_FOUND);
  EXPECT_NE(missing.message().find("no_such_schema"), std::string::npos);

  config = testing::ConfigFor(Server::kPostgres);
  config.set_username(role);
  config.set_password("reader-pw");
  config.add_schemas(schema);
  v1::CheckResponse denied = RunCheck(config);
  EXPECT_FALSE(denied.succeeded());
  EXPECT_EQ(denied.reason(), "MISSING_PRIVILEGE") << denied.message();
  EXPECT_NE(denied.message().find(schema), std::string::npos);

  testing::Exec(admin, "DROP SCHEMA \"" + schema + "\"");
  testing::Exec(admin, "DROP ROLE " + role);
}

TEST(Check, InvalidConfigIsRejectedBeforeConnecting) {
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_timescaledb_max_concurrent_chunks(99);
  v1::CheckResponse r = RunCheck(config);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "INVALID_CONFIG");
  EXPECT_TRUE(r.server_version().empty());  // no connection was made
}

TEST(Check, CdcPrerequisites) {
  pg::Connection admin = testing::Connect(Server::kPostgres);
  std::string slot = testing::UniqueName("slot");
  std::string publication = testing::UniqueName("pub");
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.mutable_replication_method()->set_method("CDC");
  config.mutable_replication_method()->set_replication_slot(slot);
  config.mutable_replication_method()->set_publication(publication);
  v1::CheckResponse missing = RunCheck(config);
  EXPECT_EQ(missing.reason(), "SLOT_NOT_FOUND");
  EXPECT_EQ(missing.failure_type(), v1::FAILURE_TYPE_CONFIG_ERROR);
  EXPECT_EQ(missing.message(), "replication slot '" + slot +
                                   "' does not exist (SELECT pg_create_logical_replication_slot('" +
                                   slot + "', 'pgoutput');)");
  testing::Exec(admin, "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
  EXPECT_EQ(RunCheck(config).reason(), "PUBLICATION_NOT_FOUND");
  // A publication that misses a table of the configured schema names it and the fix.
  std::string schema = testing::UniqueName("cdccheck");
  testing::Exec(admin, "CREATE SCHEMA " + schema);
  testing::Exec(admin, "CREATE TABLE " + schema + ".published (id int PRIMARY KEY)");
  testing::Exec(admin, "CREATE TABLE " + schema + ".forgotten (id int PRIMARY KEY)");
  testing::Exec(admin, "CREATE PUBLICATION " + publication + " FOR TABLE " + schema + ".published");
  config.add_schemas(schema);
  v1::CheckResponse incomplete = RunCheck(config);
  EXPECT_FALSE(incomplete.succeeded());
  EXPECT_EQ(incomplete.reason(), "PUBLICATION_INCOMPLETE") << incomplete.message();
  EXPECT_NE(incomplete.message().find(schema + ".forgotten"), std::string::npos) << incomplete.message();
  EXPECT_NE(incomplete.message().find("ALTER PUBLICATION"), std::string::npos);
  EXPECT_EQ(incomplete.message().find(schema + ".published"), std::string::npos) << incomplete.message();
  testing::Exec(admin, "ALTER PUBLICATION " + publication + " ADD TABLE " + schema + ".forgotten");
  v1::CheckResponse ok = RunCheck(config);
  EXPECT_TRUE(ok.succeeded()) << ok.message();
  testing::Exec(admin, "DROP PUBLICATION " + publication);
  testing::Exec(admin, "DROP SCHEMA " + schema + " CASCADE");
  testing::Exec(admin, "SELECT pg_drop_replication_slot('" + slot + "')");
}

// A slot of another plugin, a physical slot and a slot of another database are each refused
// with the same message.
TEST(Check, CdcSlotOfAnotherPluginKindOrDatabase) {
  pg::Connection admin = testing::Connect(Server::kPostgres);
  pg::ConnectOptions other_database = testing::ConnectOptionsFor(Server::kPostgres);
  other_database.database = "postgres";
  absl::StatusOr<pg::Connection> other = pg::Connection::Open(other_database);
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string decoding = testing::UniqueName("slot_decoding");
  const std::string physical = testing::UniqueName("slot_physical");
  const std::string elsewhere = testing::UniqueName("slot_elsewhere");
  testing::Exec(admin, "SELECT pg_create_logical_replication_slot('" + decoding +
                           "', 'test_decoding')");
  testing::Exec(admin, "SELECT pg_create_physical_replication_slot('" + physical + "')");
  testing::Exec(*other, "SELECT pg_create_logical_replication_slot('" + elsewhere +
                            "', 'pgoutput')");
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.mutable_replication_method()->set_method("CDC");
  config.mutable_replication_method()->set_publication(testing::UniqueName("pub"));
  for (const std::string& slot : {decoding, physical, elsewhere}) {
    config.mutable_replication_method()->set_replication_slot(slot);
    v1::CheckResponse r = RunCheck(config);
    EXPECT_FALSE(r.succeeded());
    EXPECT_EQ(r.reason(), "SLOT_UNUSABLE") << slot;
    EXPECT_EQ(r.failure_type(), v1::FAILURE_TYPE_CONFIG_ERROR);
    EXPECT_EQ(r.message(), "replication slot '" + slot +
                               "' must use the pgoutput plugin in database '" +
                               config.database() + "'");
  }
  testing::Exec(admin, "SELECT pg_drop_replication_slot('" + decoding + "')");
  testing::Exec(admin, "SELECT pg_drop_replication_slot('" + physical + "')");
  testing::Exec(admin, "SELECT pg_drop_replication_slot('" + elsewhere + "')");
}

// jdbc_url_params as Airbyte's Postgres source takes them: an unknown parameter fails the
// check before any connection, naming it; the key password it carries is never shown.
TEST(Check, BadJdbcUrlParamFailsNamingIt) {
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_jdbc_url_params("sslpassword=jdbc-Key-Pass-77&ApplicationName=etl&defaultRowFetchSize=500");
  v1::CheckResponse r = RunCheck(config);
  EXPECT_FALSE(r.succeeded());
  EXPECT_EQ(r.reason(), "INVALID_CONFIG");
  EXPECT_EQ(r.failure_type(), v1::FAILURE_TYPE_CONFIG_ERROR);
  EXPECT_NE(r.message().find("'defaultRowFetchSize'"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("jdbc_url_params"), std::string::npos) << r.message();
  EXPECT_TRUE(r.server_version().empty());  // no connection was made
  EXPECT_EQ(r.DebugString().find("jdbc-Key-Pass-77"), std::string::npos) << r.DebugString();
}

// The parameters reach the connection: the server sees the application name, the options
// and the session attributes asked for.
TEST(Check, JdbcUrlParamsReachTheConnection) {
  const std::string name = testing::UniqueName("jdbc app");
  v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
  config.set_jdbc_url_params("ApplicationName=" + name +
                             "&options=-c%20statement_timeout%3D4321&tcpKeepAlive=true&"
                             "connectTimeout=5&prepareThreshold=0");
  EXPECT_TRUE(RunCheck(config).succeeded());
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  auto conn = pg::Connection::Open(resolved->connect);
  ASSERT_TRUE(conn.ok()) << conn.status();
  pg::Connection admin = testing::Connect(Server::kPostgres);
  auto seen = admin.ExecParams(
      "SELECT count(*) FROM pg_catalog.pg_stat_activity WHERE application_name = $1", {name});
  ASSERT_TRUE(seen.ok()) << seen.status();
  EXPECT_EQ(seen->GetString(0, 0), "1");
  auto timeout = conn->Exec("SHOW statement_timeout");
  ASSERT_TRUE(timeout.ok()) << timeout.status();
  EXPECT_EQ(timeout->GetString(0, 0), "4321ms");

  // targetServerType=secondary asks for a read-only session, which the primary is not.
  config.set_jdbc_url_params("targetServerType=secondary");
  v1::CheckResponse standby = RunCheck(config);
  EXPECT_FALSE(standby.succeeded());
  EXPECT_NE(standby.message().find("read-only"), std::string::npos) << standby.message();
}

// "schemas": [] checks every schema the user may use (and so reads them all), never
// PostgreSQL's or TimescaleDB's own.
TEST(Check, EmptySchemasCoverEveryReadableSchema) {
  // The dev server takes one connection at a time: none is held while Check runs.
  const std::string schema = testing::UniqueName("checked all");
  {
    pg::Connection admin = testing::Connect(Server::kTimescale);
    testing::Exec(admin, "CREATE SCHEMA \"" + schema + "\"");
  }
  v1::SourceConfig config = testing::ConfigFor(Server::kTimescale);
  config.clear_schemas();
  config.set_all_schemas(true);
  v1::CheckResponse r = RunCheck(config);
  {
    pg::Connection admin = testing::Connect(Server::kTimescale);
    testing::Exec(admin, "DROP SCHEMA \"" + schema + "\"");
  }
  ASSERT_TRUE(r.succeeded()) << r.DebugString();
  bool found = false;
  for (const v1::SchemaCheck& s : r.schemas()) {
    found = found || s.name() == schema;
    EXPECT_TRUE(s.exists() && s.readable()) << s.name();
    EXPECT_NE(s.name().rfind("pg_", 0), 0u) << s.name();
    EXPECT_NE(s.name(), "information_schema");
    EXPECT_NE(s.name().rfind("_timescaledb", 0), 0u) << s.name();
    EXPECT_NE(s.name().rfind("timescaledb_", 0), 0u) << s.name();
  }
  EXPECT_TRUE(found) << r.DebugString();
  EXPECT_NE(r.message().find(schema), std::string::npos) << r.message();
}

}  // namespace
}  // namespace tsdb_source
