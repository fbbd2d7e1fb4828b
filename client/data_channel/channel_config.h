// Which data channel Airbyte asks the shim for, read from the environment the platform
// sets (Airbyte's "speed mode", docs/design/speed-mode.md 1.5 and 2.2):
//   DATA_CHANNEL_MEDIUM        STDIO (also when unset or empty) | SOCKET
//   DATA_CHANNEL_FORMAT        JSONL (also when unset or empty) | PROTOBUF
//   DATA_CHANNEL_SOCKET_PATHS  comma-separated absolute paths; read for SOCKET only, where it
//                              must name at least one: no empty entry, no duplicate, each
//                              short enough for a Unix socket address (107 bytes)
// and two of our own, whole seconds, positive:
//   TSDB_SOURCE_SOCKET_ACCEPT_TIMEOUT_SECONDS  default 600: how long the destination may
//       take to connect to the first socket (the Bulk CDK waits forever)
//   TSDB_SOURCE_SOCKET_WRITE_TIMEOUT_SECONDS   default 600: how long a socket may take no
//       byte while data waits for it
// Medium and format names are matched without regard to case or surrounding blanks, as the
// platform reads its own (`valueOf(v.trim().uppercase())`). STDIO with PROTOBUF, which the
// platform sends when a destination takes PROTOBUF but not sockets, is read as STDIO with
// JSONL (speed-mode-findings.md 5; the Bulk CDK refuses it instead): stdout carries only
// JSON lines, and `protobuf_on_stdio_ignored` lets the caller log it.
// A bad value is InvalidArgument naming the variable and the value (a config error).
// Pure: the environment is given as a lookup function.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace tsdb_source::client {

enum class ChannelMedium { kStdio, kSocket };
enum class ChannelFormat { kJsonl, kProtobuf };

struct ChannelConfig {
  ChannelMedium medium = ChannelMedium::kStdio;
  ChannelFormat format = ChannelFormat::kJsonl;
  std::vector<std::string> socket_paths;  // SOCKET only, in the variable's order
  absl::Duration accept_timeout = absl::Seconds(600);
  absl::Duration write_timeout = absl::Seconds(600);
  bool protobuf_on_stdio_ignored = false;  // STDIO with PROTOBUF asked, JSONL used
};

// The value of an environment variable, nullopt when it is not set.
using EnvironmentLookup = std::function<std::optional<std::string>(absl::string_view name)>;

// The process environment (getenv).
EnvironmentLookup ProcessEnvironment();

absl::StatusOr<ChannelConfig> ParseChannelConfig(const EnvironmentLookup& environment);

// The bytes a connected socket gets when idle: an empty AirbyteProbeMessageProtobuf,
// length-delimited (length 2, field 3 with no bytes) for PROTOBUF, a lone newline for JSONL.
std::string IdleProbe(ChannelFormat format);

// "STDIO" | "SOCKET", "JSONL" | "PROTOBUF", for logs.
absl::string_view MediumName(ChannelMedium medium);
absl::string_view FormatName(ChannelFormat format);

}  // namespace tsdb_source::client
