// Chunk discovery: the chunks of a hypertable (timescaledb_information.chunks) or the leaf
// partitions of a declaratively partitioned table, in read order (time range start, then
// name). A failed discovery is an error, never an empty list.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/pg/connection.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source {

struct ChunkInfo {
  std::string schema;
  std::string name;
  // "schema"."name", quoted: the chunk's identity in states.
  std::string qualified;
  // Primary dimension range in its integer encoding (microseconds since 1970 for time
  // types, the value for integer time); has_range is false for partitions.
  bool has_range = false;
  int64_t range_start = 0;
  int64_t range_end = 0;
  bool compressed = false;
  // Estimated bytes to read (hypertable chunks): heap size, plus a compressed chunk's size
  // before compression. Set by AddChunkSizes (then `sized`), not by ListChunks: measuring
  // opens each chunk, which costs more than listing them all, and an incremental read
  // prunes most chunks. 0 for partitions.
  int64_t size_bytes = 0;
  bool sized = false;
  // Partitions of a table range-partitioned on one time or integer column, directly under
  // it: that column and the partition's upper bound (exclusive) in the same encoding as
  // range_end, so an incremental read can skip partitions that end at or before its
  // cursor. has_upper_bound is false otherwise (and for MAXVALUE or infinite bounds).
  std::string bound_column;
  bool has_upper_bound = false;
  int64_t upper_bound = 0;
};

// Lists the chunks of `stream` (a hypertable or a partitioned table), without their sizes.
absl::StatusOr<std::vector<ChunkInfo>> ListChunks(pg::Connection& conn, const v1::Stream& stream);

// Sets size_bytes (and sized) of `chunks`, chunks of the hypertable `stream`: one query for
// all of them, one more when any is compressed. A chunk dropped since it was listed gets 0.
absl::Status AddChunkSizes(pg::Connection& conn, const v1::Stream& stream,
                           const std::vector<ChunkInfo*>& chunks);

}  // namespace tsdb_source
