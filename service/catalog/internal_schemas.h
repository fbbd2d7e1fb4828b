// TimescaleDB's own schemas: never streams, even when a config lists them.
#pragma once

#include "absl/strings/string_view.h"

namespace tsdb_source {

// True for _timescaledb_internal, _timescaledb_catalog, _timescaledb_config,
// _timescaledb_functions, _timescaledb_cache, timescaledb_information and
// timescaledb_experimental.
bool IsTimescaleInternalSchema(absl::string_view schema);

}  // namespace tsdb_source
