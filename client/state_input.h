// The state file Airbyte hands a connector -> the streams' states and the CDC state, in
// every format a connection may carry (ours, earlier releases', Airbyte's Postgres
// source's). Errors name the file and the problem (inputs.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tsdb_source/v1/state.pb.h"

namespace tsdb_source::client {

// Airbyte state JSON -> one StreamState per stream. Accepts an array of
// AirbyteStateMessage, a single message, or a bare legacy blob; [], {}, null mean a fresh
// sync. STREAM states hold a tsdb-source StreamState under "tsdb_source" beside
// source-postgres's fields (state_json.h; ours wins over its text cursor), a StreamState
// as proto JSON (earlier releases: typed `cursor` at the top level), or a per-stream state
// of Airbyte's Postgres source (state_type cursor_based / ctid / xmin); LEGACY `data` holds
// {"streams": [...]} of either kind (the DbState of Airbyte's Postgres source has
// stream_name, stream_namespace, cursor_field, cursor). Airbyte Postgres states are taken
// over as states of ours where they can be (service/airbyte/postgres_state.h), each with a
// warning saying how. A GLOBAL state (written by CDC
// reads) holds the shared position in shared_state and each stream's snapshot progress in
// stream_states; it becomes `global`.
struct ParsedState {
  std::vector<v1::StreamState> streams;
  std::optional<v1::GlobalState> global;
  // For WARN logs: Airbyte Postgres states taken over, or why one could not be.
  std::vector<std::string> warnings;
};
absl::StatusOr<ParsedState> ParseState(const std::string& json, const std::string& path);

}  // namespace tsdb_source::client
