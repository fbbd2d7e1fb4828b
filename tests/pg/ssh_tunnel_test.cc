// The SSH tunnel of the libpq edge against a real bastion (Debian's sshd, started through
// tests/testing/bastion.py) and the PostgreSQL 15 dev server: what the shim's tests cannot
// see from outside. Concurrent connections share one session and move megabytes both ways
// intact; a scope keeps the tunnel between an operation's connections; a query is
// cancelled through the tunnel; a host key that changes between two connections of this
// process is refused; a bastion that goes away fails the running query and the next
// connection, never falling back to a direct one; a tunnel destroyed under an open client
// connection stops at once.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/common/errors.h"
#include "service/pg/connection.h"
#include "service/pg/known_host_keys.h"
#include "service/pg/ssh_tunnel.h"
#include "service/pg/tunnels.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::ConnectOptionsFor;
using testing::Server;

std::string Runfile(const std::string& path) {
  const char* root = std::getenv("TEST_SRCDIR");
  return absl::StrCat(root != nullptr ? root : ".", "/tsdb_source/", path);
}

// Output of a command; fails the test when it does not exit 0.
std::string Run(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), &pclose);
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return "";
  }
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe.get())) > 0) out.append(buffer, n);
  const int rc = pclose(pipe.release());
  EXPECT_EQ(rc, 0) << command << " failed";
  return out;
}

// A private bastion in a temporary directory (see tests/testing/bastion.py).
class Bastion {
 public:
  Bastion() {
    char dir[] = "/tmp/tsdb-bastion-cc-XXXXXX";
    dir_ = mkdtemp(dir);
    Start("a");
  }
  ~Bastion() {
    Stop();
    Run(absl::StrCat("rm -rf '", dir_, "'"));
  }
  void Start(const std::string& host_key) {
    const std::string out = Run(absl::StrCat("python3 ", Runfile("tests/testing/bastion.py"),
                                             " start --dir '", dir_, "' --host-key ", host_key));
    std::map<std::string, std::string> settings;  // the name=value lines
    for (absl::string_view line : absl::StrSplit(out, '\n', absl::SkipEmpty())) {
      std::pair<std::string, std::string> pair = absl::StrSplit(line, absl::MaxSplits('=', 1));
      settings.insert(std::move(pair));
    }
    ASSERT_TRUE(absl::SimpleAtoi(settings["port"], &port_)) << "bastion.py printed no port";
    user_ = settings["user"];
    password_ = settings["password"];
    alias_ = settings["db_alias"];
    fingerprint_ = settings[absl::StrCat("fingerprint_", host_key)];
    std::ifstream key(absl::StrCat(dir_, "/id_ed25519"));
    std::stringstream text;
    text << key.rdbuf();
    key_ = text.str();
    ASSERT_FALSE(key_.empty());
  }
  void Stop() {
    Run(absl::StrCat("python3 ", Runfile("tests/testing/bastion.py"), " stop --dir '", dir_, "'"));
  }
  void Restart(const std::string& host_key) {
    Stop();
    Start(host_key);
  }

  // PostgreSQL's options through this bastion, the database by the name only it resolves.
  pg::ConnectOptions Options(pg::TunnelSpec::Auth auth = pg::TunnelSpec::Auth::kKey) const {
    pg::ConnectOptions options = ConnectOptionsFor(Server::kPostgres);
    options.host = alias_;
    pg::TunnelSpec spec;
    spec.auth = auth;
    spec.host = "127.0.0.1";
    spec.port = port_;
    spec.user = user_;
    if (auth == pg::TunnelSpec::Auth::kKey) spec.private_key = key_;
    if (auth == pg::TunnelSpec::Auth::kPassword) spec.password = password_;
    options.tunnel = spec;
    return options;
  }
  const std::string& fingerprint() const { return fingerprint_; }
  int port() const { return port_; }

 private:
  std::string dir_;
  int port_ = 0;
  std::string user_, password_, alias_, key_, fingerprint_;
};

// The connection's backend sees its client at 127.0.0.1 (sshd's side of the forward).
void ExpectThroughBastion(pg::Connection& conn) {
  auto r = conn.Exec("SELECT host(inet_client_addr())");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->GetString(0, 0), "127.0.0.1");
}

class SshTunnelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { bastion_ = new Bastion(); }
  static void TearDownTestSuite() {
    delete bastion_;
    bastion_ = nullptr;
  }
  static Bastion* bastion_;
};
Bastion* SshTunnelTest::bastion_ = nullptr;

TEST_F(SshTunnelTest, ConcurrentConnectionsShareOneSessionAndMoveMegabytesIntact) {
  const pg::ConnectOptions options = bastion_->Options();
  pg::TunnelScope scope(options.tunnel, options.host, options.port);
  constexpr int kConnections = 4;
  std::vector<std::thread> threads;
  std::vector<std::string> failures(kConnections);
  for (int t = 0; t < kConnections; ++t) {
    threads.emplace_back([&, t] {
      auto conn = pg::Connection::Open(options);
      if (!conn.ok()) {
        failures[t] = conn.status().ToString();
        return;
      }
      // About 1.5 MB each way per round: more than the channel windows (1.28 MB).
      std::string payload;
      for (int i = 0; payload.size() < 1500000; ++i) absl::StrAppend(&payload, t, ":", i, ";");
      for (int round = 0; round < 3 && failures[t].empty(); ++round) {
        auto echo = conn->ExecParams("SELECT $1::text, length($1::text)", {payload});
        if (!echo.ok()) {
          failures[t] = echo.status().ToString();
        } else if (echo->Get(0, 0) != payload ||
                   echo->GetString(0, 1) != std::to_string(payload.size())) {
          failures[t] = absl::StrCat("round ", round, ": the echoed payload differs");
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kConnections; ++t) EXPECT_EQ(failures[t], "") << "connection " << t;
  // One tunnel for all: the registry hands out the same one while the scope lives.
  auto a = pg::AcquireTunnel(*options.tunnel, options.host, options.port, absl::Seconds(10));
  auto b = pg::AcquireTunnel(*options.tunnel, options.host, options.port, absl::Seconds(10));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ((*a)->host_key_fingerprint(), bastion_->fingerprint());
  EXPECT_EQ((*a)->failures(), 0u) << (*a)->last_failure();
}

TEST_F(SshTunnelTest, AScopeKeepsTheTunnelBetweenConnections) {
  const pg::ConnectOptions options = bastion_->Options(pg::TunnelSpec::Auth::kPassword);
  std::weak_ptr<pg::SshTunnel> first;
  {
    pg::TunnelScope scope(options.tunnel, options.host, options.port);
    {
      auto conn = pg::Connection::Open(options);
      ASSERT_TRUE(conn.ok()) << conn.status();
      ExpectThroughBastion(*conn);
      auto tunnel =
          pg::AcquireTunnel(*options.tunnel, options.host, options.port, absl::Seconds(10));
      ASSERT_TRUE(tunnel.ok());
      first = *tunnel;
    }
    EXPECT_FALSE(first.expired()) << "the scope keeps the tunnel after its connection closed";
    auto again = pg::Connection::Open(options);
    ASSERT_TRUE(again.ok()) << again.status();
    auto tunnel = pg::AcquireTunnel(*options.tunnel, options.host, options.port, absl::Seconds(10));
    ASSERT_TRUE(tunnel.ok());
    EXPECT_EQ(tunnel->get(), first.lock().get());
  }
  EXPECT_TRUE(first.expired()) << "the tunnel closes with the operation's scope";
}

TEST_F(SshTunnelTest, AQueryIsCancelledThroughTheTunnel) {
  auto conn = pg::Connection::Open(bastion_->Options());
  ASSERT_TRUE(conn.ok()) << conn.status();
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(500));
    conn->Cancel();
  });
  const absl::Time start = absl::Now();
  auto r = conn->Exec("SELECT pg_sleep(30)");
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled) << r.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(SshTunnelTest, ATunnelStopsAtOnceUnderAnOpenClientConnection) {
  const pg::ConnectOptions options = bastion_->Options();
  pg::KnownHostKeys keys;
  auto tunnel = pg::SshTunnel::Start(*options.tunnel, options.host, options.port,
                                     absl::Seconds(10), &keys);
  ASSERT_TRUE(tunnel.ok()) << tunnel.status();
  // A raw client: its channel opens, then nothing is sent either way.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>((*tunnel)->local_port()));
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  absl::SleepFor(absl::Milliseconds(300));
  const absl::Time start = absl::Now();
  tunnel->reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  // The client sees its connection closed.
  char byte;
  EXPECT_LE(recv(fd, &byte, 1, 0), 0);
  close(fd);
}

// Runs last among the tests of this bastion: it restarts and stops it.
TEST_F(SshTunnelTest, ZHostKeyChangeAndLostBastionFailClearlyAndNeverGoDirect) {
  const pg::ConnectOptions options = bastion_->Options();
  {
    auto conn = pg::Connection::Open(options);
    ASSERT_TRUE(conn.ok()) << conn.status();
  }
  // The same bastion with another host key, between two connections of this process.
  bastion_->Restart("b");
  auto changed = pg::Connection::Open(options);
  ASSERT_FALSE(changed.ok());
  EXPECT_EQ(ReasonOf(changed.status()), "TUNNEL_HOST_KEY_CHANGED") << changed.status();
  EXPECT_NE(changed.status().message().find(bastion_->fingerprint()), std::string::npos)
      << changed.status();
  // Pinned to the new key it is accepted.
  pg::ConnectOptions pinned = options;
  pinned.tunnel->host_key_fingerprint = bastion_->fingerprint();
  auto conn = pg::Connection::Open(pinned);
  ASSERT_TRUE(conn.ok()) << conn.status();
  ExpectThroughBastion(*conn);

  // The bastion goes away under an open connection: its query fails, and so does the next
  // connection (never a direct one: the database's name does not even resolve here).
  bastion_->Stop();
  auto r = conn->Exec("SELECT 1");
  EXPECT_FALSE(r.ok());
  auto next = pg::Connection::Open(pinned);
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(ReasonOf(next.status()), "TUNNEL_CONNECTION_REFUSED") << next.status();
  EXPECT_NE(next.status().message().find(absl::StrCat("127.0.0.1:", bastion_->port())),
            std::string::npos)
      << next.status();
  bastion_->Start("a");  // for the suite's end
}

}  // namespace
}  // namespace tsdb_source
