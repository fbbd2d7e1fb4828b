// The data channel's environment: defaults when nothing is set, each variable's values, the
// socket paths' rules, the timeouts' rules, STDIO with PROTOBUF read as JSONL, and every
// refusal an InvalidArgument naming the variable and the value.
#include "client/data_channel/channel_config.h"

#include <map>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

using Env = std::map<std::string, std::string>;

absl::StatusOr<ChannelConfig> Parse(const Env& env) {
  return ParseChannelConfig([&env](absl::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

// A SOCKET environment with one path, plus `more`.
Env Socket(Env more = {}) {
  Env env = {{"DATA_CHANNEL_MEDIUM", "SOCKET"},
             {"DATA_CHANNEL_SOCKET_PATHS", "/var/run/sockets/airbyte_socket_1.sock"}};
  for (const auto& [name, value] : more) env[name] = value;
  return env;
}

// The refusal of `env`: InvalidArgument naming `variable` and `value`.
void ExpectRefused(const Env& env, const std::string& variable, const std::string& value) {
  absl::StatusOr<ChannelConfig> config = Parse(env);
  ASSERT_FALSE(config.ok()) << variable << "=" << value;
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(config.status().message().find(variable + "=\"" + value + "\""), std::string::npos)
      << config.status();
}

TEST(ChannelConfig, NothingSetIsStdioJsonlWithDefaultTimeouts) {
  absl::StatusOr<ChannelConfig> config = Parse({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->medium, ChannelMedium::kStdio);
  EXPECT_EQ(config->format, ChannelFormat::kJsonl);
  EXPECT_TRUE(config->socket_paths.empty());
  EXPECT_EQ(config->accept_timeout, absl::Seconds(600));
  EXPECT_EQ(config->write_timeout, absl::Seconds(600));
  EXPECT_FALSE(config->protobuf_on_stdio_ignored);
}

TEST(ChannelConfig, EmptyValuesAreDefaults) {
  absl::StatusOr<ChannelConfig> config = Parse({{"DATA_CHANNEL_MEDIUM", ""},
                                                {"DATA_CHANNEL_FORMAT", ""},
                                                {"TSDB_SOURCE_SOCKET_ACCEPT_TIMEOUT_SECONDS", ""}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->medium, ChannelMedium::kStdio);
  EXPECT_EQ(config->format, ChannelFormat::kJsonl);
  EXPECT_EQ(config->accept_timeout, absl::Seconds(600));
}

TEST(ChannelConfig, SocketProtobufWithTwoPaths) {
  absl::StatusOr<ChannelConfig> config =
      Parse({{"DATA_CHANNEL_MEDIUM", "SOCKET"},
             {"DATA_CHANNEL_FORMAT", "PROTOBUF"},
             {"DATA_CHANNEL_SOCKET_PATHS",
              "/var/run/sockets/airbyte_socket_1.sock,/var/run/sockets/airbyte_socket_2.sock"},
             {"TSDB_SOURCE_SOCKET_ACCEPT_TIMEOUT_SECONDS", "30"},
             {"TSDB_SOURCE_SOCKET_WRITE_TIMEOUT_SECONDS", "0045"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->medium, ChannelMedium::kSocket);
  EXPECT_EQ(config->format, ChannelFormat::kProtobuf);
  EXPECT_EQ(config->socket_paths,
            (std::vector<std::string>{"/var/run/sockets/airbyte_socket_1.sock",
                                      "/var/run/sockets/airbyte_socket_2.sock"}));
  EXPECT_EQ(config->accept_timeout, absl::Seconds(30));
  EXPECT_EQ(config->write_timeout, absl::Seconds(45));
}

TEST(ChannelConfig, NamesIgnoreCaseAndSurroundingBlanks) {
  absl::StatusOr<ChannelConfig> config =
      Parse(Socket({{"DATA_CHANNEL_MEDIUM", " socket\n"}, {"DATA_CHANNEL_FORMAT", "Jsonl "}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->medium, ChannelMedium::kSocket);
  EXPECT_EQ(config->format, ChannelFormat::kJsonl);
}

TEST(ChannelConfig, StdioWithProtobufIsStdioJsonl) {
  absl::StatusOr<ChannelConfig> config =
      Parse({{"DATA_CHANNEL_MEDIUM", "STDIO"}, {"DATA_CHANNEL_FORMAT", "PROTOBUF"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->medium, ChannelMedium::kStdio);
  EXPECT_EQ(config->format, ChannelFormat::kJsonl);
  EXPECT_TRUE(config->protobuf_on_stdio_ignored);
}

TEST(ChannelConfig, StdioIgnoresTheSocketPaths) {
  absl::StatusOr<ChannelConfig> config =
      Parse({{"DATA_CHANNEL_MEDIUM", "STDIO"}, {"DATA_CHANNEL_SOCKET_PATHS", "relative,,"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->socket_paths.empty());
}

TEST(ChannelConfig, UnknownMediumOrFormatIsRefused) {
  ExpectRefused({{"DATA_CHANNEL_MEDIUM", "PIPE"}}, "DATA_CHANNEL_MEDIUM", "PIPE");
  ExpectRefused({{"DATA_CHANNEL_FORMAT", "AVRO"}}, "DATA_CHANNEL_FORMAT", "AVRO");
  // Also under STDIO: a value the platform never sends is a config error, not a guess.
  ExpectRefused({{"DATA_CHANNEL_MEDIUM", "STDIO"}, {"DATA_CHANNEL_FORMAT", "CSV"}},
                "DATA_CHANNEL_FORMAT", "CSV");
}

TEST(ChannelConfig, SocketNeedsPaths) {
  ExpectRefused({{"DATA_CHANNEL_MEDIUM", "SOCKET"}}, "DATA_CHANNEL_SOCKET_PATHS", "");
  ExpectRefused(Socket({{"DATA_CHANNEL_SOCKET_PATHS", ""}}), "DATA_CHANNEL_SOCKET_PATHS", "");
}

TEST(ChannelConfig, BadSocketPathsAreRefused) {
  for (const std::string& paths :
       {std::string("/a.sock,"), std::string(",/a.sock"), std::string("/a.sock,,/b.sock"),
        std::string("/a.sock,/b.sock,/a.sock"), std::string("a.sock"),
        std::string("/a.sock, /b.sock"), std::string("/" + std::string(107, 'x'))}) {
    SCOPED_TRACE(paths);
    ExpectRefused(Socket({{"DATA_CHANNEL_SOCKET_PATHS", paths}}), "DATA_CHANNEL_SOCKET_PATHS",
                  paths);
  }
}

TEST(ChannelConfig, RefusalsSayWhy) {
  auto message = [](const std::string& paths) {
    return std::string(Parse(Socket({{"DATA_CHANNEL_SOCKET_PATHS", paths}})).status().message());
  };
  EXPECT_NE(message("/a,,/b").find("entry 2 is empty"), std::string::npos);
  EXPECT_NE(message("/a,/b,/a").find("entry 3 (/a) is a duplicate"), std::string::npos);
  EXPECT_NE(message("/a,b").find("entry 2 (b) is not absolute"), std::string::npos);
  EXPECT_NE(message("/" + std::string(107, 'x')).find("108 bytes long"), std::string::npos);
}

TEST(ChannelConfig, TheLongestSocketPathFits) {
  const std::string longest = "/" + std::string(106, 'x');  // 107 bytes and the NUL
  absl::StatusOr<ChannelConfig> config = Parse(Socket({{"DATA_CHANNEL_SOCKET_PATHS", longest}}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->socket_paths, std::vector<std::string>{longest});
}

TEST(ChannelConfig, TimeoutsArePositiveWholeSeconds) {
  for (const char* variable :
       {"TSDB_SOURCE_SOCKET_ACCEPT_TIMEOUT_SECONDS", "TSDB_SOURCE_SOCKET_WRITE_TIMEOUT_SECONDS"}) {
    for (const char* value :
         {"0", "-5", "+5", "1.5", " 5", "5s", "abc", "2147483648", "99999999999999999999999"}) {
      SCOPED_TRACE(std::string(variable) + "=" + value);
      ExpectRefused(Socket({{variable, value}}), variable, value);
    }
    absl::StatusOr<ChannelConfig> config = Parse(Socket({{variable, "2147483647"}}));
    ASSERT_TRUE(config.ok()) << config.status();
  }
}

TEST(ChannelConfig, ControlCharactersInRefusedValuesAreEscaped) {
  absl::StatusOr<ChannelConfig> config = Parse({{"DATA_CHANNEL_MEDIUM", "SOCK\nET"}});
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("DATA_CHANNEL_MEDIUM=\"SOCK\\nET\""), std::string::npos)
      << config.status();
}

TEST(ChannelConfig, IdleProbes) {
  EXPECT_EQ(IdleProbe(ChannelFormat::kProtobuf), std::string("\x02\x1A\x00", 3));
  EXPECT_EQ(IdleProbe(ChannelFormat::kJsonl), "\n");
}

}  // namespace
}  // namespace tsdb_source::client
