// The schemas a discovery (or a check) covers. Configured schemas are taken as listed, less
// TimescaleDB's internal ones; with all_schemas (the config's "schemas": []) they are every
// schema the connection's user has USAGE on, except PostgreSQL's own (information_schema and
// every name starting with pg_, a prefix PostgreSQL reserves: pg_catalog, pg_toast*,
// pg_temp*) and TimescaleDB's internal ones, as Airbyte's Postgres source discovers every
// schema when none is listed. One catalog query, run on each call: a schema created or
// granted later is seen by the next discovery.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/config/source_config.h"
#include "service/pg/connection.h"

namespace tsdb_source {

// Every schema the user may use, except system and TimescaleDB internal ones, by name.
absl::StatusOr<std::vector<std::string>> ReadableSchemas(pg::Connection& conn);

// ReadableSchemas() with config.all_schemas, else config.schemas without internal ones.
absl::StatusOr<std::vector<std::string>> SchemasToRead(pg::Connection& conn,
                                                       const ResolvedConfig& config);

}  // namespace tsdb_source
