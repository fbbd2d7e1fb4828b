#include "tests/testing/databases.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tsdb_source::testing {
namespace {

std::string Env(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << name << " is not set: run the tests through tools/test, which starts "
                  << "the dev databases (tools/dev-db start; eval \"$(tools/dev-db env)\")";
    std::abort();
  }
  return value;
}

}  // namespace

v1::SourceConfig ConfigFor(Server server) {
  std::string prefix = server == Server::kPostgres ? "TSDB_PG_" : "TSDB_TS_";
  v1::SourceConfig config;
  config.set_host(Env(prefix + "HOST"));
  int port = 0;
  if (!absl::SimpleAtoi(Env(prefix + "PORT"), &port)) std::abort();
  config.set_port(port);
  config.set_database(Env(prefix + "DB"));
  config.set_username(Env(prefix + "USER"));
  config.set_password(Env(prefix + "PASSWORD"));
  config.mutable_ssl_mode()->set_mode("disable");
  return config;
}

pg::ConnectOptions ConnectOptionsFor(Server server) {
  v1::SourceConfig config = ConfigFor(server);
  pg::ConnectOptions options;
  options.host = config.host();
  options.port = config.port();
  options.database = config.database();
  options.user = config.username();
  options.password = config.password();
  options.sslmode = "disable";
  options.application_name = "tsdb-source-test";
  return options;
}

pg::Connection Connect(Server server) {
  auto conn = pg::Connection::Open(ConnectOptionsFor(server));
  if (!conn.ok()) {
    ADD_FAILURE() << "cannot connect to the dev database: " << conn.status();
    std::abort();
  }
  return *std::move(conn);
}

void Exec(pg::Connection& conn, const std::string& sql) {
  auto result = conn.Exec(sql);
  ASSERT_TRUE(result.ok()) << sql << "\n-> " << result.status();
}

std::set<int64_t> KeysIn(Server server, const std::string& query) {
  pg::Connection conn = Connect(server);
  auto r = conn.Exec(query);
  EXPECT_TRUE(r.ok()) << r.status() << " in " << query;
  std::set<int64_t> keys;
  for (int i = 0; r.ok() && i < r->rows(); ++i) keys.insert(std::stoll(r->GetString(i, 0)));
  return keys;
}

std::string UniqueName(const std::string& prefix) {
  // Bazel runs tests in pid namespaces (the pid repeats between runs), so a start time
  // tells runs apart: a name left behind by a crashed run never collides.
  static const int64_t run = absl::ToUnixMicros(absl::Now()) % 100000000;
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "_", run, "_", counter++);
}

}  // namespace tsdb_source::testing
