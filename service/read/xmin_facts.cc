#include "service/read/xmin_facts.h"

#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/common/errors.h"
#include "service/common/status_macros.h"
#include "service/pg/quote.h"

namespace tsdb_source {
namespace {

absl::StatusOr<uint64_t> U64(const pg::Result& r, int row, int column) {
  uint64_t v = 0;
  if (r.IsNull(row, column)) return 0;
  if (!absl::SimpleAtoi(r.Get(row, column), &v)) {
    return absl::InternalError(absl::StrCat("unexpected number from the server: ", r.Get(row, column)));
  }
  return v;
}

absl::StatusOr<uint64_t> CommitCount(pg::Connection& conn) {
  ASSIGN_OR_RETURN(pg::Result r,
                   conn.Exec("SELECT pg_catalog.pg_stat_get_db_xact_commit(d.oid) + "
                             "pg_catalog.pg_stat_get_db_xact_rollback(d.oid) FROM "
                             "pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()"));
  if (r.rows() != 1) return absl::InternalError("the current database is not in pg_database");
  return U64(r, 0, 0);
}

// A restart, a crash (which reinitialises the statistics without restarting the
// postmaster: the shared statistics' reset times move), pg_stat_reset() and the reset of
// one table's counters each change it.
absl::StatusOr<std::string> StatsEpoch(pg::Connection& conn) {
  ASSIGN_OR_RETURN(pg::Result r,
                   conn.Exec("SELECT pg_catalog.pg_postmaster_start_time()::text || ' | ' || "
                             "COALESCE(pg_catalog.pg_stat_get_bgwriter_stat_reset_time()::text, '') "
                             "|| ' | ' || "
                             "COALESCE(pg_catalog.pg_stat_get_db_stat_reset_time(d.oid)::text, '') "
                             "FROM pg_catalog.pg_database d "
                             "WHERE d.datname = pg_catalog.current_database()"));
  if (r.rows() != 1) return absl::InternalError("the current database is not in pg_database");
  return r.GetString(0, 0);
}

// Per relation: its file, its write counters, whether it is a foreign table.
constexpr char kWrites[] =
    "pg_catalog.pg_relation_filenode(c.oid), "
    "pg_catalog.pg_stat_get_tuples_inserted(c.oid) + pg_catalog.pg_stat_get_tuples_updated(c.oid), "
    "c.relkind = 'f'";

// The server the transaction IDs belong to: system identifier and timeline ("" when the
// server does not say).
std::string ServerIdentity(pg::Connection& conn) {
  auto r = conn.Exec("SELECT s.system_identifier::text || '/' || c.timeline_id::text "
                     "FROM pg_catalog.pg_control_system() s, pg_catalog.pg_control_checkpoint() c");
  if (!r.ok() || r->rows() != 1) return "";
  return r->GetString(0, 0);
}

}  // namespace

const char kHeapOnlySetup[] =
    "SELECT pg_catalog.set_config(name, 'off', true) FROM pg_catalog.pg_settings WHERE name IN "
    "('timescaledb.enable_columnarscan', 'timescaledb.enable_transparent_decompression')";

absl::StatusOr<XminStart> ReadXminStart(pg::Connection& conn, const v1::Stream& stream) {
  XminStart out;
  // 1. Do the counters flow? PostgreSQL 15's cumulative statistics flush at the end of a
  // statement when asked (pg_stat_force_next_flush); earlier releases send them to a
  // collector that may drop them under load. A server that never flushes them (the WASM
  // dev server) shows no commit of ours.
  const int version = PQserverVersion(conn.raw());
  bool live = false;
  if (version < 150000) {
    out.counters_note = "PostgreSQL before 15 may lose statistics counts";
  } else {
    // A standby counts no replayed write; a role or database with track_counts off writes
    // uncounted (a superuser session that turns it off for itself cannot be seen).
    ASSIGN_OR_RETURN(
        pg::Result tc,
        conn.Exec("SELECT pg_catalog.current_setting('track_counts'), pg_catalog.pg_is_in_recovery(), "
                  "EXISTS (SELECT 1 FROM pg_catalog.pg_db_role_setting s, "
                  "pg_catalog.unnest(s.setconfig) c(setting) WHERE s.setdatabase IN (0, "
                  "(SELECT oid FROM pg_catalog.pg_database WHERE datname = "
                  "pg_catalog.current_database())) AND c.setting ~* "
                  "'^track_counts=(off|false|no|0|of|f|n)$')"));
    if (tc.rows() != 1 || tc.Get(0, 0) != "on") {
      out.counters_note = "track_counts is off";
    } else if (tc.Get(0, 1) == "t") {
      out.counters_note = "a standby does not count the writes it replays";
    } else if (tc.Get(0, 2) == "t") {
      out.counters_note = "a role or database setting turns track_counts off";
    } else {
      ASSIGN_OR_RETURN(uint64_t before, CommitCount(conn));
      RETURN_IF_ERROR(conn.Exec("SELECT pg_catalog.pg_stat_force_next_flush()").status());
      ASSIGN_OR_RETURN(uint64_t after, CommitCount(conn));
      live = after > before;
      if (!live) out.counters_note = "the server does not flush its statistics counters";
    }
  }
  ASSIGN_OR_RETURN(std::string epoch_before, StatsEpoch(conn));

  // 2. The relations and their write counters.
  const v1::StreamDescriptor& d = stream.stream();
  const std::string self = pg::QuoteQualified(d.namespace_(), d.name());
  std::string sql;
  if (stream.kind() == v1::RELATION_KIND_HYPERTABLE) {
    // Chunks are the hypertable's inheritance children; a compressed chunk's data is in the
    // relation compression_settings names (2.23 to 2.29 alike).
    sql = absl::StrCat(
        "SELECT c.oid, n.nspname, c.relname, ", kWrites,
        ", COALESCE(s.compress_relid::oid, 0), "
        "COALESCE(pg_catalog.pg_stat_get_tuples_inserted(s.compress_relid) + "
        "pg_catalog.pg_stat_get_tuples_updated(s.compress_relid), 0) "
        "FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN _timescaledb_catalog.compression_settings s ON s.relid = c.oid "
        "WHERE i.inhparent = $1::regclass");
  } else if (stream.kind() == v1::RELATION_KIND_PARTITIONED_TABLE) {
    sql = absl::StrCat(
        "SELECT c.oid, n.nspname, c.relname, ", kWrites,
        " FROM pg_catalog.pg_partition_tree($1::regclass) t JOIN pg_catalog.pg_class c ON "
        "c.oid = t.relid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE t.isleaf");
  } else {
    // A plain table read without ONLY holds its inheritance children's rows, which its own
    // counters do not count.
    ASSIGN_OR_RETURN(pg::Result children,
                     conn.ExecParams("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits "
                                     "WHERE inhparent = $1::regclass)",
                                     {self}));
    if (children.rows() == 1 && children.Get(0, 0) == "t") {
      return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_UNSUPPORTED_SYNC_MODE,
                       absl::StrCat("stream ", d.namespace_(), ".", d.name(),
                                    " has inheritance children (tables that INHERIT it): "
                                    "replication_method Xmin cannot follow their writes; read "
                                    "it with Standard (a cursor column) or CDC"));
    }
    sql = absl::StrCat("SELECT c.oid, n.nspname, c.relname, ", kWrites,
                       " FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON "
                       "n.oid = c.relnamespace WHERE c.oid = $1::regclass");
  }
  ASSIGN_OR_RETURN(pg::Result rel, conn.ExecParams(sql, {self}));
  for (int r = 0; r < rel.rows(); ++r) {
    XminRelationNow now;
    ASSIGN_OR_RETURN(uint64_t oid, U64(rel, r, 0));
    now.oid = static_cast<uint32_t>(oid);
    now.relation = pg::QuoteQualified(rel.GetString(r, 1), rel.GetString(r, 2));
    now.writes_known = true;
    ASSIGN_OR_RETURN(uint64_t filenode, U64(rel, r, 3));
    now.filenode = static_cast<uint32_t>(filenode);
    ASSIGN_OR_RETURN(now.writes, U64(rel, r, 4));
    now.no_xmin = rel.Get(r, 5) == "t";
    if (rel.columns() > 7) {
      ASSIGN_OR_RETURN(uint64_t compressed, U64(rel, r, 6));
      now.compressed_oid = static_cast<uint32_t>(compressed);
      ASSIGN_OR_RETURN(now.compressed_writes, U64(rel, r, 7));
    }
    out.relations[now.relation] = std::move(now);
  }

  // 3. The statistics epoch again: a reset while the counters were read voids them.
  ASSIGN_OR_RETURN(std::string epoch, StatsEpoch(conn));
  if (epoch != epoch_before) {
    live = false;
    out.counters_note = "the statistics were reset while they were read";
  }
  out.facts.stats_epoch = epoch;
  out.facts.counters_live = live;
  out.facts.server = ServerIdentity(conn);

  // 4. The horizon, after the counters.
  ASSIGN_OR_RETURN(pg::Result h, conn.Exec("SELECT pg_catalog.txid_snapshot_xmin(s), "
                                           "pg_catalog.txid_snapshot_xmax(s) FROM "
                                           "pg_catalog.txid_current_snapshot() s"));
  if (h.rows() != 1) return absl::InternalError("txid_current_snapshot() returned no row");
  ASSIGN_OR_RETURN(out.facts.horizon, U64(h, 0, 0));
  ASSIGN_OR_RETURN(out.facts.next_xid, U64(h, 0, 1));
  return out;
}

absl::Status VerifyXminReader(pg::Connection& conn, const XminFacts& facts) {
  // Later snapshots of the same server never have an older xmin than the horizon.
  ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT pg_catalog.txid_snapshot_xmin("
                                           "pg_catalog.txid_current_snapshot())"));
  ASSIGN_OR_RETURN(uint64_t xmin, U64(r, 0, 0));
  const std::string server = ServerIdentity(conn);
  if (xmin < facts.horizon || (!facts.server.empty() && !server.empty() && server != facts.server)) {
    return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_XMIN_READER_BEHIND,
                     "a reading connection reached a server that does not see every "
                     "transaction the sync started after (another server, or a replica "
                     "behind): the read is retried");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::string>> CompressedRelations(
    pg::Connection& conn, const std::vector<std::string>& chunks) {
  std::map<std::string, std::string> out;
  if (chunks.empty()) return out;
  ASSIGN_OR_RETURN(pg::Result has, conn.Exec("SELECT pg_catalog.to_regclass("
                                             "'_timescaledb_catalog.compression_settings') IS NOT NULL"));
  if (has.rows() != 1 || has.Get(0, 0) != "t") return out;
  // The array literal is bound, never spliced: each element is a quoted relation name.
  std::string array = "{";
  for (size_t i = 0; i < chunks.size(); ++i) {
    if (i > 0) array += ",";
    array += "\"";
    for (char ch : chunks[i]) {
      if (ch == '"' || ch == '\\') array += '\\';
      array += ch;
    }
    array += "\"";
  }
  array += "}";
  ASSIGN_OR_RETURN(
      pg::Result r,
      conn.ExecParams("SELECT x.name, n.nspname, k.relname FROM pg_catalog.unnest($1::text[]) "
                      "x(name) JOIN _timescaledb_catalog.compression_settings s ON s.relid = "
                      "pg_catalog.to_regclass(x.name) JOIN pg_catalog.pg_class k ON k.oid = "
                      "s.compress_relid JOIN pg_catalog.pg_namespace n ON n.oid = k.relnamespace",
                      {array}));
  for (int i = 0; i < r.rows(); ++i) {
    out[r.GetString(i, 0)] = pg::QuoteQualified(r.GetString(i, 1), r.GetString(i, 2));
  }
  return out;
}

absl::StatusOr<bool> WrittenSince(pg::Connection& conn, const std::string& relation,
                                  uint64_t since) {
  ASSIGN_OR_RETURN(pg::Result r,
                   conn.Exec(absl::StrCat("SELECT EXISTS (SELECT 1 FROM ", relation, " WHERE ",
                                          XminSinceCondition(since), ")")));
  return r.rows() == 1 && r.Get(0, 0) == "t";
}

}  // namespace tsdb_source
