// Checks a read's events against the chunk coverage contract of source_service.proto
// (Checkpoint.chunks, ChunkEnd), the one a client that groups records into partitions relies
// on: no batch of a chunk after its ChunkEnd; a ChunkEnd once per chunk, with the records not
// yet covered; checkpoint entries naming their stream, each chunk once per checkpoint, never
// covering more records than were emitted, records 0 only with `ended`, `ended` once per
// chunk and only after its ChunkEnd, every record of the chunk covered by then; and, over a
// completed read, every record covered exactly once and every chunk with records ended and
// its end covered. Also measures the most chunks of one stream open at once (a batch sent,
// no ChunkEnd yet). Pure; no gtest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::testing {

struct ChunkRecordsCheck {
  std::vector<std::string> violations;  // empty: the events keep the contract
  size_t max_open = 0;                  // most chunks of one stream open at once
  size_t chunk_ends = 0;
  size_t entries = 0;                   // checkpoint entries in all
  size_t ended_entries = 0;
  // Per "namespace.name|chunk": rows of its batches, and records of its entries.
  std::map<std::string, uint64_t> emitted, covered;
};

// `completed`: the read completed, so every record must be covered and every chunk ended.
ChunkRecordsCheck CheckChunkRecords(const std::vector<v1::ReadResponse>& events, bool completed);

}  // namespace tsdb_source::testing
