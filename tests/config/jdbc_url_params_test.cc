// jdbc_url_params as Airbyte's Postgres source takes them: parsing and URL decoding, the
// mapping of libpq's and pgjdbc's parameters onto libpq, and the refusal of everything else,
// always naming the parameter and never showing a value. No database needed.
#include "service/config/jdbc_url_params.h"

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "service/common/errors.h"
#include "service/config/source_config.h"

namespace tsdb_source {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

constexpr char kKeyPassword[] = "jdbc-Key-Pass-77";

v1::SourceConfig WithParams(const std::string& params) {
  v1::SourceConfig config;
  config.set_host("localhost");
  config.set_database("db");
  config.set_username("u");
  config.set_jdbc_url_params(params);
  return config;
}

pg::ConnectOptions Applied(const v1::SourceConfig& config) {
  auto resolved = ResolveConfig(config);
  EXPECT_TRUE(resolved.ok()) << resolved.status();
  return resolved.ok() ? resolved->connect : pg::ConnectOptions();
}

pg::ConnectOptions Applied(const std::string& params) { return Applied(WithParams(params)); }

// The config is refused (INVALID_CONFIG) with a message naming jdbc_url_params and
// containing each of `mentions`; returns the message.
std::string Refused(const v1::SourceConfig& config, const std::vector<std::string>& mentions) {
  auto resolved = ResolveConfig(config);
  EXPECT_FALSE(resolved.ok()) << config.jdbc_url_params();
  if (resolved.ok()) return "";
  const std::string message(resolved.status().message());
  EXPECT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument) << message;
  EXPECT_EQ(ReasonOf(resolved.status()), "INVALID_CONFIG") << message;
  EXPECT_NE(message.find("'jdbc_url_params'"), std::string::npos) << message;
  for (const std::string& m : mentions) {
    EXPECT_NE(message.find(m), std::string::npos) << "'" << m << "' not in: " << message;
  }
  return message;
}

std::string Refused(const std::string& params, const std::vector<std::string>& mentions) {
  return Refused(WithParams(params), mentions);
}

TEST(JdbcUrlParams, SplitsOnAmpersandsAndDecodesValuesAsPgjdbc) {
  auto parsed = ParseJdbcUrlParams("a=1&&b=x%26y%3Dz&c=two+words&d=&e=%C3%BC%2B");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 5u);
  EXPECT_EQ((*parsed)[0].key, "a");
  EXPECT_EQ((*parsed)[0].value, "1");
  EXPECT_EQ((*parsed)[1].value, "x&y=z");
  EXPECT_EQ((*parsed)[2].value, "two words");
  EXPECT_EQ((*parsed)[3].value, "");
  EXPECT_EQ((*parsed)[4].value, "\xC3\xBC+");
  // A value may hold '=' (source-postgres allows it for options).
  parsed = ParseJdbcUrlParams("options=-c statement_timeout=5000");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ((*parsed)[0].value, "-c statement_timeout=5000");
  EXPECT_TRUE(ParseJdbcUrlParams("").ok());
  EXPECT_TRUE(ParseJdbcUrlParams("&").ok());
}

TEST(JdbcUrlParams, MalformedTextIsRefusedWithoutShowingIt) {
  // A piece without '=' may be the rest of a secret: it is counted, never shown.
  std::string message = Refused("ApplicationName=a&s3cretRest", {"piece 2", "no '='"});
  EXPECT_EQ(message.find("s3cretRest"), std::string::npos) << message;
  Refused("=value", {"no key"});
  Refused("options=100%", {"'options'", "%-escape"});
  Refused("options=%zz", {"'options'", "%-escape"});
  Refused("options=a%00b", {"'options'", "NUL"});
  Refused("ApplicationName=a&ApplicationName=b", {"'ApplicationName'", "twice"});
}

TEST(JdbcUrlParams, LibpqParametersAreApplied) {
  pg::ConnectOptions c = Applied(
      "application_name=etl%20job&options=-c%20statement_timeout%3D5000&connect_timeout=7&"
      "target_session_attrs=read-write&keepalives=1&keepalives_idle=11&keepalives_interval=12&"
      "keepalives_count=4&tcp_user_timeout=9000&sslmode=require&sslrootcert=/etc/ca.pem&"
      "sslcert=/etc/c.pem&sslkey=/etc/c.key&sslcrl=/etc/crl.pem&sslsni=1&"
      "ssl_min_protocol_version=TLSv1.2&gssencmode=disable&channel_binding=prefer&"
      "krbsrvname=postgres");
  EXPECT_EQ(c.application_name, "etl job");
  EXPECT_EQ(c.connect_timeout_seconds, 7);
  EXPECT_EQ(c.sslmode, "require");
  EXPECT_EQ(c.extra_params,
            (Pairs{{"options", "-c statement_timeout=5000"},
                   {"target_session_attrs", "read-write"},
                   {"keepalives", "1"},
                   {"keepalives_idle", "11"},
                   {"keepalives_interval", "12"},
                   {"keepalives_count", "4"},
                   {"tcp_user_timeout", "9000"},
                   {"sslrootcert", "/etc/ca.pem"},
                   {"sslcert", "/etc/c.pem"},
                   {"sslkey", "/etc/c.key"},
                   {"sslcrl", "/etc/crl.pem"},
                   {"sslsni", "1"},
                   {"ssl_min_protocol_version", "TLSv1.2"},
                   {"gssencmode", "disable"},
                   {"channel_binding", "prefer"},
                   {"krbsrvname", "postgres"}}));
  // Nothing given: the defaults stay.
  c = Applied("");
  EXPECT_EQ(c.application_name, "tsdb-source");
  EXPECT_EQ(c.sslmode, "prefer");
  EXPECT_EQ(c.connect_timeout_seconds, 10);
  EXPECT_TRUE(c.extra_params.empty());
}

TEST(JdbcUrlParams, PgjdbcNamesMapOntoLibpq) {
  pg::ConnectOptions c = Applied(
      "ApplicationName=airbyte&connectTimeout=20&tcpKeepAlive=true&targetServerType=primary&"
      "gssEncMode=require&channelBinding=require&kerberosServerName=pg");
  EXPECT_EQ(c.application_name, "airbyte");
  EXPECT_EQ(c.connect_timeout_seconds, 20);
  EXPECT_EQ(c.extra_params, (Pairs{{"keepalives", "1"},
                                   {"target_session_attrs", "read-write"},
                                   {"gssencmode", "require"},
                                   {"channel_binding", "require"},
                                   {"krbsrvname", "pg"}}));
  EXPECT_EQ(Applied("tcpKeepAlive=FALSE").extra_params, (Pairs{{"keepalives", "0"}}));
  for (const auto& [type, attrs] : Pairs{{"any", "any"},
                                         {"master", "read-write"},
                                         {"secondary", "read-only"},
                                         {"slave", "read-only"},
                                         {"preferSecondary", "any"},
                                         {"preferSlave", "any"},
                                         {"preferPrimary", "any"}}) {
    EXPECT_EQ(Applied("targetServerType=" + type).extra_params,
              (Pairs{{"target_session_attrs", attrs}}))
        << type;
  }
  Refused("targetServerType=replica", {"'targetServerType'", "preferSecondary"});
  Refused("gssEncMode=allow", {"'gssEncMode'", "no 'allow'"});
  Refused("tcpKeepAlive=yes", {"'tcpKeepAlive'", "true, false"});
}

TEST(JdbcUrlParams, ConnectTimeoutsBoundTogether) {
  // loginTimeout bounds the whole login, connectTimeout the socket: libpq's connect_timeout
  // bounds both, and the smallest of every given timeout applies.
  EXPECT_EQ(Applied("loginTimeout=30").connect_timeout_seconds, 30);
  EXPECT_EQ(Applied("connectTimeout=30&loginTimeout=15").connect_timeout_seconds, 15);
  v1::SourceConfig config = WithParams("connectTimeout=30");
  config.set_connect_timeout_seconds(12);
  EXPECT_EQ(Applied(config).connect_timeout_seconds, 12);
  config.set_connect_timeout_seconds(60);
  EXPECT_EQ(Applied(config).connect_timeout_seconds, 30);
  EXPECT_EQ(Applied("connect_timeout=1").connect_timeout_seconds, 2);  // libpq's minimum
  Refused("connectTimeout=0", {"'connectTimeout'", "1 to 300"});
  Refused("loginTimeout=301", {"'loginTimeout'", "1 to 300"});
  Refused("connect_timeout=ten", {"'connect_timeout'"});

  EXPECT_EQ(JdbcUrlConnectTimeout("a=b&connectTimeout=30&loginTimeout=20"), 20);
  EXPECT_EQ(JdbcUrlConnectTimeout("connectTimeout=0&ApplicationName=x"), std::nullopt);
  EXPECT_EQ(JdbcUrlConnectTimeout(""), std::nullopt);
}

TEST(JdbcUrlParams, TlsModeComesFromOnePlace) {
  EXPECT_EQ(Applied("sslmode=verify-full").sslmode, "verify-full");
  EXPECT_EQ(Applied("ssl=true").sslmode, "verify-full");  // pgjdbc's ssl without sslmode
  EXPECT_EQ(Applied("ssl=").sslmode, "verify-full");
  EXPECT_EQ(Applied("ssl=false").sslmode, "prefer");
  EXPECT_EQ(Applied("ssl=true&sslmode=require").sslmode, "require");  // sslmode wins
  Refused("ssl=maybe", {"'ssl'", "true or false"});
  Refused("sslmode=required", {"'sslmode'", "verify-full"});

  v1::SourceConfig config = WithParams("sslmode=require&ssl=true");
  config.mutable_ssl_mode()->set_mode("require");
  EXPECT_EQ(Applied(config).sslmode, "require");
  config.mutable_ssl_mode()->set_mode("disable");
  Refused(config, {"'sslmode'", "ssl_mode.mode is disable", "one place"});
  // ssl_mode's mode wins over pgjdbc's ssl switch, as in pgjdbc.
  config = WithParams("ssl=true");
  config.mutable_ssl_mode()->set_mode("require");
  EXPECT_EQ(Applied(config).sslmode, "require");
}

TEST(JdbcUrlParams, TlsFilesAndKeyPassword) {
  v1::SourceConfig config = WithParams("sslpassword=" + std::string(kKeyPassword));
  EXPECT_EQ(Applied(config).ssl_key_password, kKeyPassword);
  EXPECT_TRUE(Applied(config).extra_params.empty());  // kept out of the plain parameters

  config = WithParams("sslrootcert=/etc/ca.pem&sslmode=verify-ca");
  config.mutable_ssl_mode()->set_mode("verify-ca");
  config.mutable_ssl_mode()->set_ca_certificate("-----BEGIN CERTIFICATE-----");
  Refused(config, {"'sslrootcert'", "ssl_mode.ca_certificate", "keep one"});
  config = WithParams("sslpassword=" + std::string(kKeyPassword));
  config.mutable_ssl_mode()->set_mode("require");
  config.mutable_ssl_mode()->set_client_key_password("other");
  std::string message = Refused(config, {"'sslpassword'", "client_key_password"});
  EXPECT_EQ(message.find(kKeyPassword), std::string::npos) << message;

  Refused("sslkey=/home/airbyte/.postgresql/postgresql.pk8", {"'sslkey'", "PEM", "openssl"});
  Refused("sslkey=/keys/client.P12", {"'sslkey'", "PKCS-12"});
}

TEST(JdbcUrlParams, SslFactories) {
  EXPECT_EQ(Applied("sslfactory=org.postgresql.ssl.LibPQFactory&sslmode=verify-full").sslmode,
            "verify-full");
  EXPECT_EQ(Applied("sslfactory=org.postgresql.ssl.NonValidatingFactory&sslmode=require").sslmode,
            "require");
  Refused("sslfactory=org.postgresql.ssl.NonValidatingFactory&sslmode=verify-ca",
          {"'sslfactory'", "verify-ca", "mode require"});
  Refused("sslfactory=org.postgresql.ssl.NonValidatingFactory&ssl=true",
          {"'sslfactory'", "verify-full"});
  Refused("sslfactory=org.postgresql.ssl.DefaultJavaSSLFactory", {"'sslfactory'", "Java"});
  Refused("sslfactoryarg=x", {"'sslfactoryarg'", "Java TLS"});
  Refused("sslhostnameverifier=x", {"'sslhostnameverifier'", "Java TLS"});
}

TEST(JdbcUrlParams, ValuesThatAskForWhatTsdbSourceDoesAreAccepted) {
  pg::ConnectOptions c =
      Applied("prepareThreshold=0&socketTimeout=0&tcpNoDelay=true&readOnly=true");
  EXPECT_TRUE(c.extra_params.empty());
  EXPECT_TRUE(Applied("readOnly=false").extra_params.empty());
  Refused("prepareThreshold=5", {"'prepareThreshold'", "prepared statements"});
  Refused("socketTimeout=30", {"'socketTimeout'", "keepalives_idle", "statement_timeout"});
  Refused("tcpNoDelay=false", {"'tcpNoDelay'", "TCP_NODELAY"});
  Refused("readOnly=sometimes", {"'readOnly'", "true or false"});
}

TEST(JdbcUrlParams, EverythingElseIsRefusedNamingItAndWhatToDo) {
  Refused("defaultRowFetchSize=1000", {"'defaultRowFetchSize'", "remove it", "README"});
  Refused("stringtype=unspecified", {"'stringtype'", "remove it"});
  Refused("binaryTransfer=false", {"'binaryTransfer'"});
  Refused("applicationname=x", {"'applicationname'", "did you mean 'ApplicationName'"});
  Refused("user=other", {"'user'", "username"});
  Refused("host=elsewhere", {"'host'", "host, port, database"});
  Refused("port=5433", {"'port'"});
  Refused("dbname=other", {"'dbname'"});
  Refused("replication=database", {"'replication'", "CDC"});
  Refused("client_encoding=LATIN1", {"'client_encoding'", "UTF8"});
  Refused("currentSchema=sales", {"'currentSchema'", "schemas"});
  Refused("service=prod", {"'service'", "config"});
  Refused("passfile=/tmp/p", {"'passfile'", "password"});
  Refused("keepalives=2", {"'keepalives'", "0, 1"});
  Refused("keepalives_idle=-1", {"'keepalives_idle'", "whole number"});
  Refused("target_session_attrs=primary-only", {"'target_session_attrs'", "prefer-standby"});
  Refused("ApplicationName=a&application_name=b",
          {"'ApplicationName'", "'application_name'", "keep one"});
  Refused("keepalives=1&tcpKeepAlive=false", {"'keepalives'", "'tcpKeepAlive'"});
}

TEST(JdbcUrlParams, PasswordsNeverAppearInErrors) {
  // A password is refused (it belongs in the config's password), without showing it.
  std::string message = Refused("password=" + std::string(kKeyPassword), {"'password'"});
  EXPECT_EQ(message.find(kKeyPassword), std::string::npos) << message;
  // An unencoded '&' splits a secret: what follows is not named.
  message = Refused("sslpassword=jdbc-Key&Pass=77", {"after 'sslpassword'", "%26"});
  EXPECT_EQ(message.find("Pass"), std::string::npos) << message;
  EXPECT_EQ(message.find("jdbc-Key"), std::string::npos) << message;
  message = Refused("sslpassword=" + std::string(kKeyPassword) + "&sslmode=sometimes",
                    {"'sslmode'"});
  EXPECT_EQ(message.find(kKeyPassword), std::string::npos) << message;
  // Only the piece right after a secret may be part of it: later ones are named.
  message = Refused("sslpassword=" + std::string(kKeyPassword) +
                        "&ApplicationName=a&defaultRowFetchSize=1",
                    {"'defaultRowFetchSize'"});
  EXPECT_EQ(message.find(kKeyPassword), std::string::npos) << message;
}

// Random texts of known and broken pieces: resolving never crashes, every failure is an
// INVALID_CONFIG, and a password (even split by an unencoded '&' or '=') never shows.
TEST(JdbcUrlParams, RandomTextNeverCrashesOrShowsAPassword) {
  const std::vector<std::string> pieces = {
      "ApplicationName=x", "options=-c+a%3Db", "ssl=true", "ssl=", "sslmode=verify-full",
      "sslmode=require", "connectTimeout=0", "loginTimeout=30", "targetServerType=primary",
      "sslfactory=org.postgresql.ssl.NonValidatingFactory", "tcpKeepAlive=true", "keepalives=1",
      "sslkey=k.pk8", "prepareThreshold=0", "defaultRowFetchSize=1", "=", "&", "%", "%2", "+",
      "x", "", "sslrootcert=/ca.pem", "user=u"};
  const std::vector<std::string> separators = {"", "&", "=", "&y=", "%26", "&&", "%"};
  std::mt19937 random(15);
  auto pick = [&](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(random)];
  };
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int n = std::uniform_int_distribution<int>(0, 5)(random);
    for (int j = 0; j < n; ++j) {
      if (!text.empty()) text += "&";
      if (std::uniform_int_distribution<int>(0, 3)(random) == 0) {
        text += pick({"password=", "sslpassword="}) + "Zq9Q" + pick(separators) + "Xk7Y" +
                pick({"", "=1", "%3D1"});
      } else {
        text += pick(pieces);
      }
    }
    v1::SourceConfig config = WithParams(text);
    if (std::uniform_int_distribution<int>(0, 1)(random) == 0) {
      config.mutable_ssl_mode()->set_mode(pick({"prefer", "verify-ca", "disable"}));
      config.mutable_ssl_mode()->set_ca_certificate("pem");
    }
    auto resolved = ResolveConfig(config);
    if (resolved.ok()) continue;
    const std::string message(resolved.status().message());
    ASSERT_EQ(resolved.status().code(), absl::StatusCode::kInvalidArgument) << message;
    ASSERT_EQ(ReasonOf(resolved.status()), "INVALID_CONFIG") << message;
    ASSERT_EQ(message.find("Zq9Q"), std::string::npos) << message;
    ASSERT_EQ(message.find("Xk7Y"), std::string::npos) << message;
  }
}

TEST(JdbcUrlParams, SecretsForRedaction) {
  std::vector<std::string> secrets = JdbcUrlSecrets(
      "ApplicationName=app&sslpassword=jdbc%2DKey-Pass-77&password=pw%26x&Pass=77&sslmode=require");
  EXPECT_EQ(secrets, (std::vector<std::string>{"jdbc%2DKey-Pass-77", kKeyPassword, "pw%26x",
                                               "pw&x", "Pass=77", "Pass", "77"}));
  EXPECT_TRUE(JdbcUrlSecrets("ApplicationName=app&sslmode=require").empty());
  EXPECT_EQ(JdbcUrlSecrets("a=b&loose"), (std::vector<std::string>{"loose"}));
}

}  // namespace
}  // namespace tsdb_source
