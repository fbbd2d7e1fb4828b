// The config file Airbyte hands a connector -> SourceConfig. Errors name the file and the
// problem, never a secret from it (inputs.h).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "tsdb_source/v1/config.pb.h"

namespace tsdb_source::client {

// Airbyte config JSON -> SourceConfig (protobuf JSON mapping, unknown keys ignored). Values
// must have the spec's JSON types ("5432" is not an integer, "public" not a list), as
// Airbyte's connectors reject a config that does not validate against their spec.
// "schemas": [] sets all_schemas (every readable schema); a missing key stays ["public"].
absl::StatusOr<v1::SourceConfig> ParseConfig(const std::string& json, const std::string& path);

}  // namespace tsdb_source::client
