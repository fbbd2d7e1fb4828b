// Reading the files Airbyte hands a connector: config, configured catalog and state.
// Each parser names the file and the problem on failure (INVALID_ARGUMENT), and never
// echoes a secret from the file.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/config.pb.h"
#include "tsdb_source/v1/state.pb.h"

namespace tsdb_source::client {

// Inputs larger than this are rejected before parsing.
inline constexpr size_t kMaxInputBytes = 64 << 20;

// Reads a whole file (bounded by kMaxInputBytes).
absl::StatusOr<std::string> ReadInputFile(const std::string& path);

// Airbyte config JSON -> SourceConfig (protobuf JSON mapping, unknown keys ignored).
absl::StatusOr<v1::SourceConfig> ParseConfig(const std::string& json, const std::string& path);

// Airbyte ConfiguredAirbyteCatalog JSON -> ConfiguredCatalog.
absl::StatusOr<v1::ConfiguredCatalog> ParseConfiguredCatalog(const std::string& json,
                                                             const std::string& path);

// Airbyte state JSON (an array of AirbyteStateMessage, a single message, or a legacy
// blob) -> one StreamState per stream.
absl::StatusOr<std::vector<v1::StreamState>> ParseState(const std::string& json,
                                                        const std::string& path);

}  // namespace tsdb_source::client
