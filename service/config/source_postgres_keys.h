// The keys of Airbyte's Postgres source (source-postgres) that tsdb-source has no setting
// of its own for: `ssl` (its legacy TLS switch), the Microsoft Entra keys, check_privileges,
// max_db_connections, checkpoint_target_interval_seconds, and the CDC variant's plugin,
// queue_size, lsn_commit_behaviour, heartbeat_action_query, initial_load_timeout_hours and
// debezium_shutdown_timeout_seconds. Each is accepted where its value asks for what
// tsdb-source does (or changes nothing it does), and otherwise refused with what to do, so
// that a config moved from source-postgres is never silently misread. The CDC keys are
// looked at only with method CDC, as source-postgres ignores the keys of the variants not
// chosen. Pure function, thread-safe.
#pragma once

#include "absl/status/status.h"
#include "tsdb_source/v1/config.pb.h"

namespace tsdb_source {

// OK, or INVALID_ARGUMENT (reason INVALID_CONFIG) naming the first refused key and what to
// do instead.
absl::Status CheckSourcePostgresKeys(const v1::SourceConfig& config);

}  // namespace tsdb_source
