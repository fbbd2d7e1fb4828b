#include "service/cdc/slot_info.h"

#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/common/errors.h"
#include "service/pg/lsn.h"
#include "service/pg/quote.h"

namespace tsdb_source::cdc {
namespace {

constexpr absl::string_view kSlotQuery =
    "SELECT slot_type, plugin, database, current_database(), active_pid, confirmed_flush_lsn, "
    "wal_status FROM pg_catalog.pg_replication_slots WHERE slot_name = ";

// The row of kSlotQuery's answer, if there is one.
absl::StatusOr<std::optional<SlotInfo>> FromResult(const pg::Result& result,
                                                   absl::string_view name) {
  if (result.rows() == 0) return std::optional<SlotInfo>();
  SlotInfo slot;
  slot.slot_type = result.GetString(0, 0);
  slot.plugin = result.GetString(0, 1);
  if (!result.IsNull(0, 2)) slot.database = result.GetString(0, 2);
  slot.current_database = result.GetString(0, 3);
  if (!result.IsNull(0, 4)) {
    int32_t pid = 0;
    if (!absl::SimpleAtoi(result.Get(0, 4), &pid)) {
      return absl::InternalError(absl::StrCat("replication slot \"", name,
                                              "\" has an unreadable active_pid '",
                                              result.Get(0, 4), "'"));
    }
    slot.active_pid = pid;
  }
  if (!result.IsNull(0, 5)) {
    absl::StatusOr<uint64_t> confirmed = pg::ParseLsn(result.Get(0, 5));
    if (!confirmed.ok()) return confirmed.status();
    slot.confirmed_flush_lsn = *confirmed;
  }
  slot.wal_status = result.GetString(0, 6);
  return std::optional<SlotInfo>(std::move(slot));
}

}  // namespace

absl::Status ValidateSlotName(absl::string_view slot) {
  if (slot.empty() || slot.size() > 63) {
    return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_SLOT_NAME_INVALID,
                     absl::StrCat("replication slot name must have 1 to 63 characters, got ",
                                  slot.size()));
  }
  for (char c : slot) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_SLOT_NAME_INVALID,
                       absl::StrCat("replication slot name '", slot,
                                    "' may contain only lower case letters, digits and "
                                    "underscores"));
    }
  }
  return absl::OkStatus();
}

std::string MissingSlotMessage(absl::string_view name) {
  return absl::StrCat("replication slot '", name,
                      "' does not exist (SELECT pg_create_logical_replication_slot('", name,
                      "', 'pgoutput');)");
}

absl::StatusOr<std::optional<SlotInfo>> LookupSlot(pg::Connection& conn, absl::string_view name) {
  absl::StatusOr<pg::Result> result =
      conn.ExecParams(absl::StrCat(kSlotQuery, "$1"), {std::string(name)});
  if (!result.ok()) return result.status();
  return FromResult(*result, name);
}

absl::StatusOr<std::optional<SlotInfo>> LookupSlotOverReplication(pg::Connection& conn,
                                                                  absl::string_view name) {
  if (!ValidateSlotName(name).ok()) return std::optional<SlotInfo>();
  // Only [a-z0-9_]: the literal is the same whatever standard_conforming_strings says.
  const std::string sql = absl::StrCat(kSlotQuery, pg::QuoteLiteral(name));
  pg::Result result(PQexec(conn.raw(), sql.c_str()));
  if (PQresultStatus(result.raw()) != PGRES_TUPLES_OK) {
    return conn.CommandError(result.raw(), "checking the replication slot failed");
  }
  return FromResult(result, name);
}

}  // namespace tsdb_source::cdc
