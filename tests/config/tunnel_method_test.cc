// tunnel_method: source-postgres's keys and variants become the connect options' tunnel;
// a missing key, a bad port, an unknown variant or a malformed fingerprint is rejected
// before any connection, naming the key, and no error ever holds the key or password.
#include "service/config/tunnel_method.h"

#include <string>

#include "gtest/gtest.h"
#include "service/common/errors.h"
#include "service/config/source_config.h"
#include "service/pg/known_host_keys.h"

namespace tsdb_source {
namespace {

constexpr char kKey[] = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n"
                        "-----END OPENSSH PRIVATE KEY-----\n";
constexpr char kPassword[] = "Tunnel-Pw-unit0test0secret0";
constexpr char kFingerprint[] = "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";

v1::SourceConfig WithTunnel(const std::string& method) {
  v1::SourceConfig config;
  config.set_host("db.internal");
  config.set_port(6543);
  config.set_database("db");
  config.set_username("u");
  v1::TunnelMethod* tm = config.mutable_tunnel_method();
  tm->set_tunnel_method(method);
  tm->set_tunnel_host("bastion.example.com");
  tm->set_tunnel_user("jump");
  if (method == "SSH_KEY_AUTH") tm->set_ssh_key(kKey);
  if (method == "SSH_PASSWORD_AUTH") tm->set_tunnel_user_password(kPassword);
  return config;
}

// Rejected by ResolveConfig as an invalid config naming `key`, with no secret in the text.
void ExpectRejected(const v1::SourceConfig& config, const std::string& key) {
  auto resolved = ResolveConfig(config);
  ASSERT_FALSE(resolved.ok()) << key;
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(resolved.status()), "INVALID_CONFIG");
  const std::string message(resolved.status().message());
  EXPECT_NE(message.find("'" + key + "'"), std::string::npos) << message;
  EXPECT_EQ(message.find("PRIVATE KEY"), std::string::npos) << message;
  EXPECT_EQ(message.find("not-a-real-key"), std::string::npos) << message;
  EXPECT_EQ(message.find(kPassword), std::string::npos) << message;
}

TEST(TunnelMethod, NoneWithoutTheKeyOrWithNoTunnel) {
  v1::SourceConfig config = WithTunnel("SSH_KEY_AUTH");
  config.clear_tunnel_method();
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_FALSE(resolved->connect.tunnel.has_value());

  // source-postgres's own test configs carry empty leftovers beside NO_TUNNEL.
  config = WithTunnel("NO_TUNNEL");
  config.mutable_tunnel_method()->set_ssh_key("");
  config.mutable_tunnel_method()->set_tunnel_user_password("");
  resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_FALSE(resolved->connect.tunnel.has_value());

  // An empty object is no tunnel too.
  config.mutable_tunnel_method()->Clear();
  resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  EXPECT_FALSE(resolved->connect.tunnel.has_value());
}

TEST(TunnelMethod, KeyAuthWithItsDefaults) {
  auto resolved = ResolveConfig(WithTunnel("SSH_KEY_AUTH"));
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_TRUE(resolved->connect.tunnel.has_value());
  const pg::TunnelSpec& spec = *resolved->connect.tunnel;
  EXPECT_EQ(spec.auth, pg::TunnelSpec::Auth::kKey);
  EXPECT_EQ(spec.host, "bastion.example.com");
  EXPECT_EQ(spec.port, 22);
  EXPECT_EQ(spec.user, "jump");
  EXPECT_EQ(spec.private_key, std::string(kKey).substr(0, sizeof(kKey) - 2));  // trimmed
  EXPECT_TRUE(spec.password.empty());
  EXPECT_TRUE(spec.host_key_fingerprint.empty());
  // The database stays where the bastion reaches it.
  EXPECT_EQ(resolved->connect.host, "db.internal");
  EXPECT_EQ(resolved->connect.port, 6543);
}

TEST(TunnelMethod, PasswordAuthWithPortAndPinnedKey) {
  v1::SourceConfig config = WithTunnel("SSH_PASSWORD_AUTH");
  config.mutable_tunnel_method()->set_tunnel_port(2222);
  config.mutable_tunnel_method()->set_tunnel_host_key_fingerprint(std::string(" ") + kFingerprint);
  // source-postgres trims every value; so does tsdb-source.
  config.mutable_tunnel_method()->set_tunnel_host("  bastion.example.com\n");
  config.mutable_tunnel_method()->set_tunnel_method(" SSH_PASSWORD_AUTH ");
  auto resolved = ResolveConfig(config);
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  ASSERT_TRUE(resolved->connect.tunnel.has_value());
  const pg::TunnelSpec& spec = *resolved->connect.tunnel;
  EXPECT_EQ(spec.auth, pg::TunnelSpec::Auth::kPassword);
  EXPECT_EQ(spec.host, "bastion.example.com");
  EXPECT_EQ(spec.port, 2222);
  EXPECT_EQ(spec.password, kPassword);
  EXPECT_TRUE(spec.private_key.empty());
  EXPECT_EQ(spec.host_key_fingerprint, kFingerprint);
}

TEST(TunnelMethod, MissingKeysAreNamed) {
  for (const char* method : {"SSH_KEY_AUTH", "SSH_PASSWORD_AUTH"}) {
    SCOPED_TRACE(method);
    v1::SourceConfig c = WithTunnel(method);
    c.mutable_tunnel_method()->clear_tunnel_host();
    ExpectRejected(c, "tunnel_method.tunnel_host");
    c = WithTunnel(method);
    c.mutable_tunnel_method()->set_tunnel_user("   ");
    ExpectRejected(c, "tunnel_method.tunnel_user");
  }
  v1::SourceConfig c = WithTunnel("SSH_KEY_AUTH");
  c.mutable_tunnel_method()->clear_ssh_key();
  c.mutable_tunnel_method()->set_tunnel_user_password(kPassword);  // the other variant's key
  ExpectRejected(c, "tunnel_method.ssh_key");
  c = WithTunnel("SSH_PASSWORD_AUTH");
  c.mutable_tunnel_method()->clear_tunnel_user_password();
  c.mutable_tunnel_method()->set_ssh_key(kKey);
  ExpectRejected(c, "tunnel_method.tunnel_user_password");
  // Settings without a method would be ignored: refused instead.
  c = WithTunnel("SSH_KEY_AUTH");
  c.mutable_tunnel_method()->clear_tunnel_method();
  ExpectRejected(c, "tunnel_method.tunnel_method");
}

TEST(TunnelMethod, BadPortsAreNamed) {
  for (int port : {0, -1, 65536, 70000}) {
    SCOPED_TRACE(port);
    v1::SourceConfig c = WithTunnel("SSH_KEY_AUTH");
    c.mutable_tunnel_method()->set_tunnel_port(port);
    ExpectRejected(c, "tunnel_method.tunnel_port");
  }
  v1::SourceConfig c = WithTunnel("SSH_KEY_AUTH");
  c.mutable_tunnel_method()->set_tunnel_port(65535);
  EXPECT_TRUE(ResolveConfig(c).ok());
}

TEST(TunnelMethod, UnknownVariantIsNamedWithTheValidOnes) {
  for (const char* method : {"SSH_AGENT", "ssh_key_auth", "Standard"}) {
    SCOPED_TRACE(method);
    v1::SourceConfig c = WithTunnel("SSH_KEY_AUTH");
    c.mutable_tunnel_method()->set_tunnel_method(method);
    ExpectRejected(c, "tunnel_method.tunnel_method");
    const std::string message(ResolveConfig(c).status().message());
    EXPECT_NE(message.find("'NO_TUNNEL', 'SSH_KEY_AUTH' or 'SSH_PASSWORD_AUTH'"), std::string::npos)
        << message;
    EXPECT_NE(message.find(method), std::string::npos) << message;
  }
}

TEST(TunnelMethod, OtherRules) {
  v1::SourceConfig c = WithTunnel("SSH_KEY_AUTH");
  c.mutable_tunnel_method()->set_tunnel_host("jump@bastion.example.com");
  ExpectRejected(c, "tunnel_method.tunnel_host");
  for (const char* pin : {"nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8", "SHA256:short",
                          "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48",
                          "SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8="}) {
    SCOPED_TRACE(pin);
    c = WithTunnel("SSH_KEY_AUTH");
    c.mutable_tunnel_method()->set_tunnel_host_key_fingerprint(pin);
    ExpectRejected(c, "tunnel_method.tunnel_host_key_fingerprint");
  }
  // Through a bastion the database is one host name or address.
  for (const char* host : {"/var/run/postgresql", "db1,db2"}) {
    SCOPED_TRACE(host);
    c = WithTunnel("SSH_PASSWORD_AUTH");
    c.set_host(host);
    ExpectRejected(c, "host");
  }
}

TEST(KnownHostKeys, FirstKeyIsKeptAndAChangeIsRefused) {
  pg::KnownHostKeys keys;
  const std::string a = "SHA256:AAAAg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";
  const std::string b = "SHA256:BBBBg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8";
  EXPECT_TRUE(keys.Check("bastion:22", a).ok());
  EXPECT_TRUE(keys.Check("bastion:22", a).ok());
  EXPECT_TRUE(keys.Check("bastion:2222", b).ok());  // another port, another server
  absl::Status changed = keys.Check("bastion:22", b);
  EXPECT_EQ(changed.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(changed), "TUNNEL_HOST_KEY_CHANGED");
  EXPECT_NE(changed.message().find(a), std::string::npos) << changed;
  EXPECT_NE(changed.message().find(b), std::string::npos) << changed;
  // The first key stays the known one.
  EXPECT_TRUE(keys.Check("bastion:22", a).ok());

  absl::Status pinned = pg::CheckPinnedHostKey("bastion:22", a, b);
  EXPECT_EQ(ReasonOf(pinned), "TUNNEL_HOST_KEY_MISMATCH");
  EXPECT_TRUE(pg::CheckPinnedHostKey("bastion:22", a, a).ok());
}

TEST(KnownHostKeys, Sha256FingerprintForm) {
  EXPECT_TRUE(pg::IsSha256Fingerprint(kFingerprint));
  EXPECT_TRUE(pg::IsSha256Fingerprint("SHA256:d0lFDxAWHKHSFG6u/sqJxamE08F/5HdqRJ0HbL3kVnM"));
  EXPECT_FALSE(pg::IsSha256Fingerprint(""));
  EXPECT_FALSE(pg::IsSha256Fingerprint("sha256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"));
  EXPECT_FALSE(pg::IsSha256Fingerprint("SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY"));
  EXPECT_FALSE(pg::IsSha256Fingerprint("SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5S-8"));
}

}  // namespace
}  // namespace tsdb_source
