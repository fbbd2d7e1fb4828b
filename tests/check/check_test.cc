// Check against the real servers: success on both, and each failure named and classified,
// never with the password in the message.
#include "service/check/check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "gtest/gtest.h"
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
  EXPECT_EQ(RunCheck(config).reason(), "SLOT_NOT_FOUND");
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

}  // namespace
}  // namespace tsdb_source
