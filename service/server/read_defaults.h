// Read options a config sets: checkpoint_target_interval_seconds (a key of Airbyte's
// Postgres source) is the default of ReadOptions.checkpoint_every_seconds. Applied by the
// service to every Read, from the network or in process. Pure function, thread-safe.
#pragma once

#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

// `request`, or a copy in `storage` whose options take the config's defaults where they
// leave a value unset (0); returns the one to use.
const v1::ReadRequest& WithConfigReadDefaults(const v1::ReadRequest& request,
                                              v1::ReadRequest* storage);

}  // namespace tsdb_source
