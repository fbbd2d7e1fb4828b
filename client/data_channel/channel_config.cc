#include "client/data_channel/channel_config.h"

#include <sys/un.h>

#include <cstdint>
#include <cstdlib>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "client/data_channel/protobuf_frames.h"

namespace tsdb_source::client {
namespace {

constexpr absl::string_view kMedium = "DATA_CHANNEL_MEDIUM";
constexpr absl::string_view kFormat = "DATA_CHANNEL_FORMAT";
constexpr absl::string_view kSocketPaths = "DATA_CHANNEL_SOCKET_PATHS";
constexpr absl::string_view kAcceptTimeout = "TSDB_SOURCE_SOCKET_ACCEPT_TIMEOUT_SECONDS";
constexpr absl::string_view kWriteTimeout = "TSDB_SOURCE_SOCKET_WRITE_TIMEOUT_SECONDS";

// sun_path holds the path and its terminating NUL.
constexpr size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;
constexpr int64_t kMaxSeconds = INT32_MAX;

absl::Status Bad(absl::string_view name, absl::string_view value, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(name, "=\"", absl::CEscape(value), "\": ", why));
}

// The variable's value, or "" when it is not set.
std::string Get(const EnvironmentLookup& environment, absl::string_view name) {
  std::optional<std::string> value = environment(name);
  return value ? *value : std::string();
}

absl::StatusOr<ChannelMedium> ParseMedium(const std::string& value) {
  const std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(value));
  if (name.empty() || name == "STDIO") return ChannelMedium::kStdio;
  if (name == "SOCKET") return ChannelMedium::kSocket;
  return Bad(kMedium, value, "expected STDIO or SOCKET");
}

absl::StatusOr<ChannelFormat> ParseFormat(const std::string& value) {
  const std::string name = absl::AsciiStrToUpper(absl::StripAsciiWhitespace(value));
  if (name.empty() || name == "JSONL") return ChannelFormat::kJsonl;
  if (name == "PROTOBUF") return ChannelFormat::kProtobuf;
  return Bad(kFormat, value, "expected JSONL or PROTOBUF");
}

// Digits only (no sign, blank or exponent), 1 to kMaxSeconds; `fallback` when unset or empty.
absl::StatusOr<absl::Duration> ParseSeconds(const EnvironmentLookup& environment,
                                            absl::string_view name, int64_t fallback) {
  const std::string value = Get(environment, name);
  if (value.empty()) return absl::Seconds(fallback);
  int64_t seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return Bad(name, value, "expected a positive whole number of seconds");
    seconds = seconds * 10 + (c - '0');
    if (seconds > kMaxSeconds) {
      return Bad(name, value, absl::StrCat("more than ", kMaxSeconds, " seconds"));
    }
  }
  if (seconds == 0) return Bad(name, value, "expected a positive whole number of seconds");
  return absl::Seconds(seconds);
}

absl::StatusOr<std::vector<std::string>> ParseSocketPaths(const std::string& value) {
  if (value.empty()) return Bad(kSocketPaths, value, "SOCKET needs at least one socket path");
  std::vector<std::string> paths = absl::StrSplit(value, ',');
  std::set<std::string> seen;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    const std::string entry = absl::StrCat("entry ", i + 1);
    if (path.empty()) return Bad(kSocketPaths, value, absl::StrCat(entry, " is empty"));
    if (path[0] != '/') {
      return Bad(kSocketPaths, value, absl::StrCat(entry, " (", path, ") is not absolute"));
    }
    if (path.size() > kMaxSocketPath) {
      return Bad(kSocketPaths, value,
                 absl::StrCat(entry, " is ", path.size(), " bytes long, a Unix socket path ",
                              "holds at most ", kMaxSocketPath));
    }
    if (!seen.insert(path).second) {
      return Bad(kSocketPaths, value, absl::StrCat(entry, " (", path, ") is a duplicate"));
    }
  }
  return paths;
}

}  // namespace

EnvironmentLookup ProcessEnvironment() {
  return [](absl::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

absl::StatusOr<ChannelConfig> ParseChannelConfig(const EnvironmentLookup& environment) {
  ChannelConfig config;
  absl::StatusOr<ChannelMedium> medium = ParseMedium(Get(environment, kMedium));
  if (!medium.ok()) return medium.status();
  absl::StatusOr<ChannelFormat> format = ParseFormat(Get(environment, kFormat));
  if (!format.ok()) return format.status();
  absl::StatusOr<absl::Duration> accept = ParseSeconds(environment, kAcceptTimeout, 600);
  if (!accept.ok()) return accept.status();
  absl::StatusOr<absl::Duration> write = ParseSeconds(environment, kWriteTimeout, 600);
  if (!write.ok()) return write.status();

  config.medium = *medium;
  config.format = *format;
  config.accept_timeout = *accept;
  config.write_timeout = *write;
  if (config.medium == ChannelMedium::kStdio) {
    if (config.format == ChannelFormat::kProtobuf) {
      config.format = ChannelFormat::kJsonl;
      config.protobuf_on_stdio_ignored = true;
    }
    return config;
  }
  absl::StatusOr<std::vector<std::string>> paths = ParseSocketPaths(Get(environment, kSocketPaths));
  if (!paths.ok()) return paths.status();
  config.socket_paths = *std::move(paths);
  return config;
}

std::string IdleProbe(ChannelFormat format) {
  if (format == ChannelFormat::kProtobuf) return std::string(kProbeFrame);
  return "\n";
}

absl::string_view MediumName(ChannelMedium medium) {
  return medium == ChannelMedium::kSocket ? "SOCKET" : "STDIO";
}

absl::string_view FormatName(ChannelFormat format) {
  return format == ChannelFormat::kProtobuf ? "PROTOBUF" : "JSONL";
}

}  // namespace tsdb_source::client
