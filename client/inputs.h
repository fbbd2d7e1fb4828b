// Reading the files Airbyte hands a connector: config, configured catalog and state.
// Each parser names the file and the problem on failure (INVALID_ARGUMENT: "invalid state
// file 's.json': line 1, column 9: unexpected end of the file (truncated JSON?)"), and never
// echoes a secret from the file. Every file first passes a strict JSON syntax check
// (json/json_syntax.h): nesting deeper than 64 levels, numbers beyond a double, invalid
// UTF-8 and trailing data are rejected before any parser sees them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/config.pb.h"
#include "tsdb_source/v1/state.pb.h"

namespace tsdb_source::client {

// Inputs larger than this are rejected before parsing.
inline constexpr size_t kMaxInputBytes = 64 << 20;

// Reads a whole file (bounded by kMaxInputBytes). `kind` ("config", ...) names the file in
// errors: "cannot open the config file 'c.json': No such file or directory".
absl::StatusOr<std::string> ReadInputFile(const std::string& path, absl::string_view kind = "");

// Airbyte config JSON -> SourceConfig (protobuf JSON mapping, unknown keys ignored). Values
// must have the spec's JSON types ("5432" is not an integer, "public" not a list), as
// Airbyte's connectors reject a config that does not validate against their spec.
// "schemas": [] sets all_schemas (every readable schema); a missing key stays ["public"].
absl::StatusOr<v1::SourceConfig> ParseConfig(const std::string& json, const std::string& path);

// Airbyte ConfiguredAirbyteCatalog JSON -> ConfiguredCatalog.
absl::StatusOr<v1::ConfiguredCatalog> ParseConfiguredCatalog(const std::string& json,
                                                             const std::string& path);

// Airbyte state JSON -> one StreamState per stream. Accepts an array of
// AirbyteStateMessage, a single message, or a bare legacy blob; [], {}, null mean a fresh
// sync. STREAM states hold a tsdb-source StreamState under "tsdb_source" beside
// source-postgres's fields (state_json.h; ours wins over its text cursor), a StreamState
// as proto JSON (earlier releases: typed `cursor` at the top level), or a per-stream state
// of Airbyte's Postgres source (state_type cursor_based / ctid / xmin); LEGACY `data` holds
// {"streams": [...]} of either kind (the DbState of Airbyte's Postgres source has
// stream_name, stream_namespace, cursor_field, cursor). Airbyte Postgres states become
// StreamState.airbyte_postgres for the reader to migrate. A GLOBAL state (written by CDC
// reads) holds the shared position in shared_state and each stream's snapshot progress in
// stream_states; it becomes `global`.
struct ParsedState {
  std::vector<v1::StreamState> streams;
  std::optional<v1::GlobalState> global;
};
absl::StatusOr<ParsedState> ParseState(const std::string& json, const std::string& path);

}  // namespace tsdb_source::client
