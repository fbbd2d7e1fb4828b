#include "service/session/check.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/catalog/internal_schemas.h"
#include "service/catalog/schemas.h"
#include "service/cdc/slot_info.h"
#include "service/common/errors.h"
#include "service/config/source_config.h"
#include "service/pg/connection.h"
#include "service/pg/quote.h"

namespace tsdb_source {
namespace {

v1::FailureType FailureTypeFor(const absl::Status& status) {
  return IsTransient(status) ? v1::FAILURE_TYPE_TRANSIENT_ERROR : v1::FAILURE_TYPE_CONFIG_ERROR;
}

v1::CheckResponse Failed(v1::CheckResponse response, const absl::Status& status) {
  response.set_succeeded(false);
  response.set_failure_type(FailureTypeFor(status));
  response.set_reason(ReasonOf(status));
  response.set_reason_code(ReasonCodeOf(status));
  response.set_message(std::string(status.message()));
  return response;
}

v1::CheckResponse FailedWith(v1::CheckResponse response, v1::FailureType type,
                             v1::ErrorReason reason, std::string message) {
  response.set_succeeded(false);
  response.set_failure_type(type);
  response.set_reason(ReasonName(reason));
  response.set_reason_code(reason);
  response.set_message(std::move(message));
  return response;
}

// What a CDC publication misses, as a sentence with the statements that fix it; empty when
// it covers every table of `schemas` and, where hypertables exist, the chunks' schema
// _timescaledb_internal (new chunks are not added to a publication by themselves).
absl::StatusOr<std::string> CheckPublicationCoverage(pg::Connection& conn,
                                                     const ResolvedConfig& config,
                                                     const std::vector<std::string>& schemas,
                                                     bool timescale) {
  auto all = conn.ExecParams("SELECT puballtables FROM pg_catalog.pg_publication WHERE pubname = $1",
                             {config.publication});
  if (!all.ok()) return all.status();
  if (all->rows() == 1 && all->Get(0, 0) == "t") return std::string();
  std::string hypertables_filter =
      timescale ? " AND NOT EXISTS (SELECT 1 FROM timescaledb_information.hypertables h "
                  "WHERE h.hypertable_schema = n.nspname AND h.hypertable_name = c.relname)"
                : "";
  auto missing = conn.ExecParams(
      "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_catalog.pg_class c "
      "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
      "WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND NOT c.relispartition "
      "AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_publication_tables t WHERE t.pubname = $2 "
      "  AND ((t.schemaname = n.nspname AND t.tablename = c.relname) OR EXISTS ("
      "    SELECT 1 FROM pg_catalog.pg_class p JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace "
      "    WHERE pn.nspname = t.schemaname AND p.relname = t.tablename AND p.relispartition "
      "      AND pg_catalog.pg_partition_root(p.oid) = c.oid)))" +
          hypertables_filter + " ORDER BY 1",
      {pg::TextArrayLiteral(schemas), config.publication});
  if (!missing.ok()) return missing.status();
  std::vector<std::string> problems;
  std::string publication = pg::QuoteIdent(config.publication);
  if (missing->rows() > 0) {
    std::vector<std::string> tables;
    for (int r = 0; r < missing->rows(); ++r) tables.push_back(missing->GetString(r, 0));
    problems.push_back(absl::StrCat("tables ", absl::StrJoin(tables, ", "),
                                    " are not published (ALTER PUBLICATION ", publication,
                                    " ADD TABLE ", absl::StrJoin(tables, ", "), ";)"));
  }
  if (timescale) {
    auto hypertables = conn.ExecParams(
        "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = ANY($1::text[])",
        {pg::TextArrayLiteral(schemas)});
    if (!hypertables.ok()) return hypertables.status();
    if (hypertables->Get(0, 0) != "0") {
      auto internal = conn.ExecParams(
          "SELECT 1 FROM pg_catalog.pg_publication_namespace pn "
          "JOIN pg_catalog.pg_publication p ON p.oid = pn.pnpubid "
          "JOIN pg_catalog.pg_namespace n ON n.oid = pn.pnnspid "
          "WHERE p.pubname = $1 AND n.nspname = '_timescaledb_internal'",
          {config.publication});
      if (!internal.ok()) return internal.status();
      if (internal->rows() == 0) {
        problems.push_back(absl::StrCat(
            "hypertable changes arrive under their chunks, which live in _timescaledb_internal "
            "(ALTER PUBLICATION ", publication, " ADD TABLES IN SCHEMA _timescaledb_internal;)"));
      }
    }
  }
  return absl::StrJoin(problems, "; ");
}

// Hypertables whose DELETE and UPDATE the publication breaks: PostgreSQL refuses a DELETE
// or UPDATE on a table it publishes deletes or updates of unless the table has a replica
// identity, and a publication of _timescaledb_internal (or of all tables) publishes the chunks
// of every hypertable whose chunks live there, synced or not. A hypertable without a primary
// key then rejects its DELETE and UPDATE, and a continuous aggregate (whose materialized
// hypertable never has one) fails every refresh. REPLICA IDENTITY FULL on the hypertable
// carries over to its chunks, present and future (seen on TimescaleDB 2.26.4). Returns a
// sentence naming them with the statements that fix it; empty when none is affected.
absl::StatusOr<std::string> CheckReplicaIdentities(pg::Connection& conn, const ResolvedConfig& config) {
  // Hypertables and materialized hypertables from TimescaleDB's views (which leave out its
  // internal compression tables in every version); of the catalog only the hypertable's
  // chunk schema, which TimescaleDB 2.26 to 2.29 keep in the same column.
  auto broken = conn.ExecParams(R"sql(
WITH candidates AS (
  SELECT hypertable_schema AS ht_schema, hypertable_name AS ht_name, '' AS view
  FROM timescaledb_information.hypertables
  UNION ALL
  SELECT materialization_hypertable_schema, materialization_hypertable_name,
         format('%I.%I', view_schema, view_name)
  FROM timescaledb_information.continuous_aggregates)
SELECT format('%I.%I', c.ht_schema, c.ht_name), c.view
FROM candidates c
JOIN _timescaledb_catalog.hypertable h ON h.schema_name = c.ht_schema AND h.table_name = c.ht_name
JOIN pg_catalog.pg_namespace n ON n.nspname = c.ht_schema
JOIN pg_catalog.pg_class r ON r.relnamespace = n.oid AND r.relname = c.ht_name
JOIN pg_catalog.pg_publication p ON p.pubname = $1 AND (p.pubdelete OR p.pubupdate)
WHERE (p.puballtables OR EXISTS (
        SELECT 1 FROM pg_catalog.pg_publication_namespace pn
        JOIN pg_catalog.pg_namespace cn ON cn.oid = pn.pnnspid
        WHERE pn.pnpubid = p.oid AND cn.nspname = h.associated_schema_name))
  AND NOT (r.relreplident = 'f'
        OR (r.relreplident = 'd' AND EXISTS (
              SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = r.oid AND i.indisprimary))
        OR (r.relreplident = 'i' AND EXISTS (
              SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = r.oid AND i.indisreplident)))
ORDER BY 1)sql",
                                {config.publication});
  if (!broken.ok()) return broken.status();
  if (broken->rows() == 0) return std::string();
  std::vector<std::string> names, fixes;
  for (int r = 0; r < broken->rows(); ++r) {
    const std::string table = broken->GetString(r, 0);
    const std::string view = broken->GetString(r, 1);
    names.push_back(view.empty() ? table
                                 : absl::StrCat("continuous aggregate ", view, " (materialized as ", table, ")"));
    fixes.push_back(absl::StrCat("ALTER TABLE ", table, " REPLICA IDENTITY FULL;"));
  }
  return absl::StrCat("it publishes the chunks of hypertables without a replica identity, so PostgreSQL "
                      "now refuses their DELETE and UPDATE and continuous aggregate refreshes fail: ",
                      absl::StrJoin(names, ", "), " (", absl::StrJoin(fixes, " "), ")");
}

}  // namespace

v1::CheckResponse RunCheck(const v1::SourceConfig& config, ReadControl* control) {
  v1::CheckResponse response;
  auto resolved = ResolveConfig(config);
  if (!resolved.ok()) return Failed(response, resolved.status());

  auto conn = pg::Connection::Open(resolved->connect);
  if (!conn.ok()) return Failed(response, conn.status());
  AttachedConnection attached(control, &*conn);
  response.set_server_version(conn->ServerVersion());

  auto info = conn->Exec(
      "SELECT (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'timescaledb'), "
      "current_setting('wal_level')");
  if (!info.ok()) return Failed(response, info.status());
  response.set_timescaledb_installed(!info->IsNull(0, 0));
  response.set_timescaledb_version(info->GetString(0, 0));
  response.set_wal_level(info->GetString(0, 1));

  // The schemas to read: each configured one must exist and be usable; with all_schemas,
  // every usable one is read (catalog/schemas.h), and there must be one.
  std::vector<std::string> readable, missing, unreadable, internal;
  if (resolved->all_schemas) {
    auto all = ReadableSchemas(*conn);
    if (!all.ok()) return Failed(response, all.status());
    readable = *std::move(all);
    for (const std::string& name : readable) {
      v1::SchemaCheck* check = response.add_schemas();
      check->set_name(name);
      check->set_exists(true);
      check->set_readable(true);
    }
    if (readable.empty()) {
      return FailedWith(response, v1::FAILURE_TYPE_CONFIG_ERROR, v1::ERROR_REASON_MISSING_PRIVILEGE,
                        absl::StrCat("user '", resolved->connect.user,
                                     "' has USAGE on no schema besides PostgreSQL's and "
                                     "TimescaleDB's own, so an empty schemas list reads nothing "
                                     "(GRANT USAGE ON SCHEMA ... TO ...)"));
    }
  }
  auto schemas = conn->ExecParams(
      "SELECT s.name, n.oid IS NOT NULL, "
      "  CASE WHEN n.oid IS NULL THEN false ELSE has_schema_privilege(n.oid, 'USAGE') END "
      "FROM unnest($1::text[]) WITH ORDINALITY AS s(name, i) "
      "LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = s.name ORDER BY s.i",
      {pg::TextArrayLiteral(resolved->all_schemas ? std::vector<std::string>{}
                                                  : resolved->schemas)});
  if (!schemas.ok()) return Failed(response, schemas.status());
  for (int r = 0; r < schemas->rows(); ++r) {
    v1::SchemaCheck* check = response.add_schemas();
    check->set_name(schemas->GetString(r, 0));
    check->set_exists(schemas->Get(r, 1) == "t");
    check->set_readable(schemas->Get(r, 2) == "t");
    if (IsTimescaleInternalSchema(check->name())) {
      internal.push_back(check->name());
    } else {
      readable.push_back(check->name());
    }
    if (!check->exists()) {
      missing.push_back(check->name());
    } else if (!check->readable()) {
      unreadable.push_back(check->name());
    }
  }
  if (!missing.empty()) {
    return FailedWith(response, v1::FAILURE_TYPE_CONFIG_ERROR, v1::ERROR_REASON_SCHEMA_NOT_FOUND,
                      absl::StrCat("schema(s) not found in database '", resolved->connect.database,
                                   "': ", absl::StrJoin(missing, ", ")));
  }
  if (!unreadable.empty()) {
    return FailedWith(response, v1::FAILURE_TYPE_CONFIG_ERROR, v1::ERROR_REASON_MISSING_PRIVILEGE,
                      absl::StrCat("user '", resolved->connect.user,
                                   "' lacks USAGE on schema(s): ", absl::StrJoin(unreadable, ", "),
                                   " (GRANT USAGE ON SCHEMA ... TO ...)"));
  }

  if (resolved->cdc) {
    if (response.wal_level() != "logical") {
      return FailedWith(response, v1::FAILURE_TYPE_CONFIG_ERROR, v1::ERROR_REASON_WAL_LEVEL_NOT_LOGICAL,
                        absl::StrCat("CDC needs wal_level = logical, the server has '",
                                     response.wal_level(),
                                     "' (ALTER SYSTEM SET wal_level = logical; then restart)"));
    }
    auto slot = cdc::LookupSlot(*conn, resolved->replication_slot);
    if (!slot.ok()) return Failed(response, slot.status());
    if (!slot->has_value()) {
      return FailedWith(response, v1::FAILURE_TYPE_CONFIG_ERROR, v1::ERROR_REASON_SLOT_NOT_FOUND,
                        cdc::MissingSlotMessage(resolved->replication_slot));
    }
    if ((*slot)->plugin != "pgoutput" || !(*slot)->InCurrentDatabase()) {
      return FailedWith(response, v1::FAILURE_TYPE_CONFIG_ERROR, v1::ERROR_REASON_SLOT_UNUSABLE,
                        absl::StrCat("replication slot '", resolved->replication_slot,
                                     "' must use the pgoutput plugin in database '",
                                     resolved->connect.database, "'"));
    }
    auto publication = conn->ExecParams(
        "SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1", {resolved->publication});
    if (!publication.ok()) return Failed(response, publication.status());
    if (publication->rows() == 0) {
      return FailedWith(response, v1::FAILURE_TYPE_CONFIG_ERROR, v1::ERROR_REASON_PUBLICATION_NOT_FOUND,
                        absl::StrCat("publication '", resolved->publication,
                                     "' does not exist (CREATE PUBLICATION ", 
                                     pg::QuoteIdent(resolved->publication),
                                     " FOR TABLES IN SCHEMA ... , _timescaledb_internal;)"));
    }
    auto coverage =
        CheckPublicationCoverage(*conn, *resolved, readable, response.timescaledb_installed());
    if (!coverage.ok()) return Failed(response, coverage.status());
    if (!coverage->empty()) {
      return FailedWith(response, v1::FAILURE_TYPE_CONFIG_ERROR, v1::ERROR_REASON_PUBLICATION_INCOMPLETE,
                        absl::StrCat("publication '", resolved->publication,
                                     "' does not cover everything CDC needs: ", *coverage));
    }
    if (response.timescaledb_installed()) {
      auto identities = CheckReplicaIdentities(*conn, *resolved);
      if (!identities.ok()) return Failed(response, identities.status());
      if (!identities->empty()) {
        return FailedWith(response, v1::FAILURE_TYPE_CONFIG_ERROR, v1::ERROR_REASON_REPLICA_IDENTITY_MISSING,
                          absl::StrCat("publication '", resolved->publication, "' breaks writes: ",
                                       *identities));
      }
    }
  }

  response.set_succeeded(true);
  std::string message = absl::StrCat("connected to PostgreSQL ", response.server_version());
  if (response.timescaledb_installed()) {
    absl::StrAppend(&message, " with TimescaleDB ", response.timescaledb_version());
    if (!resolved->timescaledb_support) {
      absl::StrAppend(&message, " (timescaledb_support is off: plain PostgreSQL mode)");
    }
  } else {
    absl::StrAppend(&message, " without TimescaleDB (plain PostgreSQL mode)");
  }
  absl::StrAppend(&message, "; schemas readable: ", absl::StrJoin(readable, ", "));
  if (!internal.empty()) {
    absl::StrAppend(&message, "; TimescaleDB internal schemas are never synced: ",
                    absl::StrJoin(internal, ", "));
  }
  response.set_message(message);
  return response;
}

}  // namespace tsdb_source
