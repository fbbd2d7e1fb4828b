// Replication slots: the one query of pg_catalog.pg_replication_slots, for the check
// (session/check.cc), the CDC read (cdc_read.cc) and the replication client
// (replication_stream.cc), each of which judges the slot with its own errors; the rule for
// slot names; the message for a missing slot. Needs PostgreSQL 13 or later (wal_status).
// Reads only; the connection is used by the calling thread for one query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/pg/connection.h"

namespace tsdb_source::cdc {

struct SlotInfo {
  std::string slot_type;                // "logical" or "physical"
  std::string plugin;                   // the output plugin; empty for a physical slot
  std::optional<std::string> database;  // the slot's database; none for a physical slot
  std::string current_database;         // the database of the connection that looked
  std::optional<int32_t> active_pid;    // the server process streaming from it, if one does
  std::optional<uint64_t> confirmed_flush_lsn;  // none for a physical slot
  std::string wal_status;               // reserved, extended, unreserved or lost

  // A slot of the connection's own database (never true for a physical slot).
  bool InCurrentDatabase() const { return database.has_value() && *database == current_database; }
};

// PostgreSQL's ReplicationSlotValidateName: [a-z0-9_], 1 to NAMEDATALEN-1 (63) bytes.
// InvalidArgument (reason SLOT_NAME_INVALID) saying which rule the name breaks.
absl::Status ValidateSlotName(absl::string_view name);

// "replication slot 'name' does not exist (SELECT pg_create_logical_replication_slot(...);)":
// what the check and the CDC read say when LookupSlot finds nothing.
std::string MissingSlotMessage(absl::string_view name);

// The slot named `name` (bound as a parameter), or std::nullopt when there is none. A failed
// query is the connection's error for "query failed".
absl::StatusOr<std::optional<SlotInfo>> LookupSlot(pg::Connection& conn, absl::string_view name);

// The same on a replication connection (replication=database), whose walsender speaks only
// the simple query protocol: the name goes into the query as a literal instead, and a name
// ValidateSlotName refuses finds nothing without a query. A failed query is the connection's error for "checking the replication slot failed".
absl::StatusOr<std::optional<SlotInfo>> LookupSlotOverReplication(pg::Connection& conn,
                                                                  absl::string_view name);

}  // namespace tsdb_source::cdc
