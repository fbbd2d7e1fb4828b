// Xmin reads, the SQL part: the facts a sync starts from (xmin_plan.h says why in this
// order): whether the statistics counters flow, each relation's write counters, the
// statistics epoch, then the transaction horizon; and, for hypertable chunks, where their
// compressed data lives and whether it was written since a transaction.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/pg/connection.h"
#include "service/read/xmin_plan.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source {

struct XminStart {
  XminFacts facts;
  // The stream's relations whose counters were read, by quoted name: a hypertable's chunks,
  // a partitioned table's leaf partitions, or the table itself.
  std::map<std::string, XminRelationNow> relations;
  // Why the counters cannot be trusted (empty when they can), for the read's log.
  std::string counters_note;
};

// Reads the facts for `stream` on `conn`, in the order the guarantee needs.
absl::StatusOr<XminStart> ReadXminStart(pg::Connection& conn, const v1::Stream& stream);

// The compressed relations ("schema"."name", quoted) of the given chunks (quoted names), for
// the chunks that have one.
absl::StatusOr<std::map<std::string, std::string>> CompressedRelations(
    pg::Connection& conn, const std::vector<std::string>& chunks);

// True when `relation` holds a row written by a transaction >= `since` (full ID).
absl::StatusOr<bool> WrittenSince(pg::Connection& conn, const std::string& relation,
                                  uint64_t since);

// Fails (UNAVAILABLE, so the read retries) when `conn` cannot see every transaction
// committed before the sync's horizon was taken, or reaches another server: a reader
// connection that a multi-host setting or a load balancer sent to a lagging replica.
absl::Status VerifyXminReader(pg::Connection& conn, const XminFacts& facts);

// The statement run before reading a chunk's own rows without its compressed data (inside a
// transaction): TimescaleDB's settings that turn the columnar scan off for the transaction
// (timescaledb.enable_columnarscan from 2.25, enable_transparent_decompression before).
// Only settings the server has are set.
extern const char kHeapOnlySetup[];

}  // namespace tsdb_source
