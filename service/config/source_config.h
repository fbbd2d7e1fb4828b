// Validation of a SourceConfig against the connection specification, with defaults
// applied. Rejects a bad config before any connection, naming the field and the rule.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/pg/connection.h"
#include "tsdb_source/v1/config.pb.h"

namespace tsdb_source {

// A validated config with every default applied.
struct ResolvedConfig {
  pg::ConnectOptions connect;
  // The configured schemas; never empty. With all_schemas it is {"public"}, which then only
  // names the namespace of a configured stream that gives none: the schemas to read are
  // found on the connection (catalog/schemas.h).
  std::vector<std::string> schemas;
  // Every schema the user has USAGE on, except system and TimescaleDB internal ones (the
  // config's "schemas": []).
  bool all_schemas = false;
  bool timescaledb_support = true;
  int chunk_discovery_interval_minutes = 5;
  int max_concurrent_chunks = 1;
  bool chunk_caching = true;
  bool cdc = false;
  // replication_method Xmin: incremental streams find inserted and updated rows by their
  // xmin (service/read/xmin_plan.h), without a cursor column.
  bool xmin = false;
  std::string replication_slot;
  std::string publication;
  int initial_waiting_seconds = 300;
  bool resync_on_invalid_cdc_position = false;
};

// Checks `config` against the spec; INVALID_ARGUMENT (reason INVALID_CONFIG) naming the
// field and the rule on the first violation.
absl::StatusOr<ResolvedConfig> ResolveConfig(const v1::SourceConfig& config);

}  // namespace tsdb_source
