#include "service/config/source_postgres_keys.h"

#include "absl/strings/str_cat.h"
#include "service/common/errors.h"

namespace tsdb_source {
namespace {

absl::Status Refused(absl::string_view field, absl::string_view why) {
  return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_INVALID_CONFIG,
                   absl::StrCat("config field '", field, "' ", why));
}

constexpr absl::string_view kAfterLoading = "After loading Data in the destination";
constexpr absl::string_view kWhileReading = "While reading Data";
constexpr int kDefaultInitialLoadTimeoutHours = 8;

absl::Status CheckCdcKeys(const v1::ReplicationMethod& rm) {
  if (!rm.plugin().empty() && rm.plugin() != "pgoutput") {
    return Refused("replication_method.plugin",
                   absl::StrCat("must be pgoutput, the only logical decoding output tsdb-source "
                                "reads: create a pgoutput slot (SELECT "
                                "pg_create_logical_replication_slot('",
                                rm.replication_slot(), "', 'pgoutput');) and set plugin to "
                                "pgoutput or remove it"));
  }
  if (rm.has_queue_size() && (rm.queue_size() < 1000 || rm.queue_size() > 10000)) {
    return Refused("replication_method.queue_size",
                   absl::StrCat("must be between 1000 and 10000 (source-postgres's range; the "
                                "value changes nothing in tsdb-source, whose memory is bounded "
                                "by its record batch queue), got ",
                                rm.queue_size()));
  }
  if (rm.lsn_commit_behaviour() == kWhileReading) {
    return Refused("replication_method.lsn_commit_behaviour",
                   absl::StrCat("'", kWhileReading,
                                "' is not supported: tsdb-source confirms the replication slot "
                                "only up to a position handed back in a later read's state, "
                                "so no change is lost when loading fails ('",
                                kAfterLoading, "'); choose that or remove the key"));
  }
  if (!rm.lsn_commit_behaviour().empty() && rm.lsn_commit_behaviour() != kAfterLoading) {
    return Refused("replication_method.lsn_commit_behaviour",
                   absl::StrCat("must be '", kAfterLoading, "' or '", kWhileReading, "'"));
  }
  if (!rm.heartbeat_action_query().empty()) {
    return Refused("replication_method.heartbeat_action_query",
                   "is not supported: tsdb-source runs no heartbeat query on the source "
                   "database; remove it (an idle database's slot advances with the position "
                   "a read hands back)");
  }
  if (rm.has_initial_load_timeout_hours() &&
      rm.initial_load_timeout_hours() != kDefaultInitialLoadTimeoutHours) {
    return Refused("replication_method.initial_load_timeout_hours",
                   absl::StrCat("is not supported: tsdb-source's initial snapshot has no time "
                                "limit (it checkpoints after every chunk and an interrupted one "
                                "resumes where it stopped); remove it (",
                                kDefaultInitialLoadTimeoutHours,
                                ", source-postgres's default, is accepted)"));
  }
  if (rm.has_debezium_shutdown_timeout_seconds() &&
      (rm.debezium_shutdown_timeout_seconds() < 1 ||
       rm.debezium_shutdown_timeout_seconds() > 3600)) {
    return Refused("replication_method.debezium_shutdown_timeout_seconds",
                   absl::StrCat("must be between 1 and 3600 (source-postgres's range; "
                                "tsdb-source has no Debezium engine, so the value changes "
                                "nothing), got ",
                                rm.debezium_shutdown_timeout_seconds()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckSourcePostgresKeys(const v1::SourceConfig& config) {
  if (config.has_ssl()) {
    const bool has_mode = !config.ssl_mode().mode().empty();
    if (config.ssl() && !has_mode) {
      return Refused("ssl",
                     "is source-postgres's legacy TLS switch and does not say which mode: "
                     "remove it and set ssl_mode, e.g. {\"mode\": \"require\"}");
    }
    if (!config.ssl() && has_mode) {
      return Refused("ssl",
                     "is false, which makes source-postgres ignore ssl_mode; tsdb-source "
                     "applies ssl_mode: remove 'ssl' (or ssl_mode, for the default prefer)");
    }
  }
  if (config.entra_service_principal_auth()) {
    return Refused("entra_service_principal_auth",
                   "is not supported (no Microsoft Entra service principal authentication): "
                   "connect with a database user and its password, and remove the entra_* "
                   "keys");
  }
  if (config.has_max_db_connections()) {
    return Refused("max_db_connections",
                   "is not supported: the connections tsdb-source opens follow "
                   "timescaledb_max_concurrent_chunks (chunks read at once, 1-10, each on "
                   "its own connection); remove it and set that instead");
  }
  if (config.has_checkpoint_target_interval_seconds() &&
      config.checkpoint_target_interval_seconds() < 1) {
    return Refused("checkpoint_target_interval_seconds",
                   absl::StrCat("must be at least 1, got ",
                                config.checkpoint_target_interval_seconds()));
  }
  if (config.replication_method().method() == "CDC") {
    return CheckCdcKeys(config.replication_method());
  }
  return absl::OkStatus();
}

}  // namespace tsdb_source
