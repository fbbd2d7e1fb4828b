// Check: validates a config, connects and reports what the source would work with
// (server and TimescaleDB versions, schemas, CDC prerequisites) as one result. Failures
// are results, not errors: they carry a reason and a failure type (config or transient).
#pragma once

#include "tsdb_source/v1/config.pb.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

// Runs every check; never returns an RPC-level error.
v1::CheckResponse RunCheck(const v1::SourceConfig& config);

}  // namespace tsdb_source
