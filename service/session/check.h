// Check: validates a config, connects and reports what the source would work with
// (server and TimescaleDB versions, schemas, CDC prerequisites) as one result. Failures
// are results, not errors: they carry a reason and a failure type (config or transient).
#pragma once

#include "service/read/read_control.h"
#include "tsdb_source/v1/config.pb.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

// Runs every check; never returns an RPC-level error. `control` (optional) can cancel the
// check's queries from another thread (the call was cancelled or its deadline passed).
v1::CheckResponse RunCheck(const v1::SourceConfig& config, ReadControl* control = nullptr);

}  // namespace tsdb_source
