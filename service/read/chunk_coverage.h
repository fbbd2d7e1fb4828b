// Which records of a stream's chunks each checkpoint covers (Checkpoint.chunks, ChunkEnd):
// the pure ledger behind them. Records are counted per chunk string (RecordBatch.chunk) as
// they are emitted; the reader says when the state it is about to checkpoint includes a
// chunk's progress (Cover: every record of the chunk emitted so far, and its end if it ended)
// and when a chunk's read is over (End); the next checkpoint takes the covered entries.
// Every record emitted is covered exactly once (records sent again after a retry are new
// records and are covered again), and each ended chunk's end is covered once. The entries of
// a checkpoint are in the order their chunks were covered. No I/O; used by one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

class ChunkCoverage final {
 public:
  // For the chunks of `stream` (the stream of every entry and end).
  explicit ChunkCoverage(v1::StreamDescriptor stream) : stream_(std::move(stream)) {}

  // `records` records of `chunk` were emitted.
  void Emitted(const std::string& chunk, uint64_t records);

  // The read of `chunk` is over: its ChunkEnd, with the records not yet covered by a
  // checkpoint (covered by Cover or not). A chunk ends once; ending it again gives its
  // ChunkEnd again and changes nothing.
  v1::ChunkEnd End(const std::string& chunk);

  // The next checkpoint's state includes `chunk`'s progress: it covers every record of the
  // chunk emitted so far, and its end if it ended. Nothing new to cover: no entry.
  void Cover(const std::string& chunk);

  // The same for every chunk (a state that completes the stream covers everything).
  void CoverAll();

  // Ends every chunk met so far (by Emitted, End or Cover) that did not end yet (a change
  // stream that ends): their ChunkEnds, in the order the chunks were first met.
  std::vector<v1::ChunkEnd> EndAll();

  // Moves the entries covered since the last call into `out` (appended), for the checkpoint
  // about to be sent: one per chunk with records newly covered or its end newly covered.
  void TakeCovered(google::protobuf::RepeatedPtrField<v1::ChunkRecords>* out);

  // Records of `chunk` emitted and not yet taken into a checkpoint's entry.
  uint64_t Uncovered(const std::string& chunk) const;

 private:
  struct Chunk {
    uint64_t emitted = 0;   // emitted since the last Cover
    uint64_t covered = 0;   // covered by Cover, not yet taken into an entry
    bool ended = false;
    bool end_covered = false;   // covered by Cover, not yet taken
    bool end_taken = false;     // an entry with `ended` was taken
    bool pending = false;       // in cover_order_
  };
  Chunk& At(const std::string& chunk);
  void CoverChunk(const std::string& chunk, Chunk& c);

  const v1::StreamDescriptor stream_;
  std::map<std::string, Chunk> chunks_;
  std::vector<std::string> first_seen_;   // chunks in the order they were first met
  std::vector<std::string> cover_order_;  // chunks covered since the last TakeCovered
};

}  // namespace tsdb_source
