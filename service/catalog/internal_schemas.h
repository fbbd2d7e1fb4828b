// TimescaleDB's own schemas: never streams, even when a config lists them.
#pragma once

#include "absl/strings/string_view.h"

namespace tsdb_source {

// True for every schema whose name starts with _timescaledb_ (_timescaledb_internal,
// _timescaledb_catalog, _timescaledb_config, _timescaledb_functions, _timescaledb_cache,
// _timescaledb_debug, and whatever later releases add under that prefix), and for
// timescaledb_information and timescaledb_experimental.
bool IsTimescaleInternalSchema(absl::string_view schema);

}  // namespace tsdb_source
