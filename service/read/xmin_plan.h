// Xmin reads (replication_method Xmin), the pure part: which relations (a table, or the
// chunks or partitions of a stream) a sync reads and from which transaction on, given the
// state the previous sync saved and what the server says now; the state each relation gets;
// and the transaction-ID arithmetic. No SQL runs here (xmin_facts.h gathers the facts).
//
// The guarantee: every row inserted or updated since the previous sync is emitted, by this
// sync or, when its statistics were not flushed yet, by a later one. Why it holds:
// - A sync reads every relation's write counters (rows inserted + updated, PostgreSQL's
//   cumulative statistics), then takes the horizon H (the oldest transaction still running),
//   then lists the relations, then reads. A write counted by the counters was committed
//   before they were read, so every read of this sync sees it; a transaction not committed
//   when H was taken has an ID >= H.
// - A relation read from `since` emits the rows whose xmin is >= since; afterwards its entry
//   says: every row written by a transaction below H was emitted (they were all visible to
//   the read). A relation whose counters did not move keeps its old entry (and horizon): a
//   write whose counts are flushed later moves them then, and is found from that horizon.
// - A relation the previous sync did not list is read whole: it may hold rows that were
//   never in the stream (a table attached as a partition, a chunk split off another).
//   Only a state carried over from source-postgres, which lists no relation, reads every
//   relation from its horizon instead.
// - A rewrite of a relation (VACUUM FULL, CLUSTER, a merge of chunks, compression) moves
//   rows, their xmin kept, without counting writes, possibly from another relation (a merge)
//   that a sync skipped while a write to it was not counted yet: a new file
//   (pg_relation_filenode) is read from the oldest horizon the state holds.
// - A compressed chunk counts the writes to its own rows and to its compressed data, and
//   the compressed data's relation: decompression drops it (with its counts), compression
//   makes another.
// - Another server (system identifier, timeline: a restore, a failover) may have given out
//   the same transaction IDs again: every relation is read whole. So is a foreign table
//   (no xmin), every sync.
// - Counters are only trusted when they are seen to flow (PostgreSQL 15 or later,
//   track_counts on, a flush observed) and within one statistics epoch (the server's start
//   time and the database's reset time, since a restart after a crash, pg_stat_reset() or
//   pg_stat_reset_single_table_counters() lose counts). Otherwise every relation is read,
//   each from its own horizon.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>

#include "tsdb_source/v1/state.pb.h"

namespace tsdb_source {

// What the server says at the start of an Xmin sync.
struct XminFacts {
  // The full ID (epoch << 32 | xid) of the oldest transaction running when the sync started
  // (txid_snapshot_xmin), and the next ID to be assigned then (txid_snapshot_xmax).
  uint64_t horizon = 0;
  uint64_t next_xid = 0;
  // See XminState.stats_epoch.
  std::string stats_epoch;
  // The write counters can be trusted to skip relations (see above).
  bool counters_live = false;
  // See XminState.server ("" when it cannot be read).
  std::string server;
};

// One relation of the stream as found now.
struct XminRelationNow {
  std::string relation;  // "schema"."name", quoted
  uint32_t oid = 0;
  bool writes_known = false;  // the counters were read for it (before the horizon)
  uint64_t writes = 0;
  uint32_t filenode = 0;      // pg_relation_filenode, read with the counters
  // A compressed chunk's compressed data (0: none) and its own write counters.
  uint32_t compressed_oid = 0;
  uint64_t compressed_writes = 0;
  // Rows without a meaningful xmin (a foreign table: a partition on another server, a
  // tiered chunk): read whole every sync.
  bool no_xmin = false;
};

enum class XminAction {
  kSkip,         // no write since its entry: not read
  kReadChanged,  // read the rows written by transactions >= since
  kReadAll,      // read every row (first sync, a relation whose horizon is too old, ...)
};

struct XminDecision {
  XminAction action = XminAction::kReadAll;
  uint64_t since = 0;  // kReadChanged
};

// Transactions within which a 32-bit xmin still tells "since" apart from older ones, with a
// margin for the transactions that start while the sync runs: 2^31 minus 100 million.
inline constexpr uint64_t kXminFilterWindow = (uint64_t{1} << 31) - 100000000;

// Decides how relation `now` is read. `saved` is the stream's saved state (default: none);
// `entry` the saved entry of the relation of the same name, or null.
XminDecision DecideXmin(const v1::XminState& saved, const v1::XminRelation* entry,
                        const XminRelationNow& now, const XminFacts& facts);

// The entry of a relation once this sync has read it.
v1::XminRelation EntryAfterRead(const XminRelationNow& now, const XminFacts& facts);

// True when the rows written by transactions >= `since` can be selected by their 32-bit
// xmin: fewer than kXminFilterWindow transactions separate `since` from `next_xid`.
bool XminFilterable(uint64_t since, uint64_t next_xid);

// A SQL condition, true for the rows whose xmin is a transaction >= `since` (full ID). Only
// meaningful when XminFilterable(since, next xid): it compares the rows' age (transactions
// between their xmin and the reading transaction's view of the next ID) with the age of
// since's 32-bit ID, both taken in the same transaction, so the epoch never enters.
std::string XminSinceCondition(uint64_t since);

// source-postgres's fields of a full ID: its epoch ("num_wraparound") and 32-bit ID
// ("xmin_xid_value").
inline uint64_t XminEpoch(uint64_t full) { return full >> 32; }
inline uint64_t XminXid32(uint64_t full) { return full & 0xffffffffu; }

}  // namespace tsdb_source
