// The shared state of a CDC read: one replication position for all CDC streams and each
// stream's snapshot progress. Every checkpoint of a CDC read carries all of it (a GLOBAL
// state), so any checkpoint handed back resumes both the snapshots and the change stream.
// It also lists the chunks each checkpoint covers (Checkpoint.chunks): a snapshot's, as its
// stream reader listed them, and the change stream's, per stream and RecordBatch.chunk (every
// checkpoint of the change stream covers every change emitted before it). Used by one thread.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "service/read/chunk_coverage.h"
#include "service/read/read_sink.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::cdc {

class CdcCheckpoints final {
 public:
  CdcCheckpoints(ReadSink* sink, uint64_t lsn) : sink_(sink), lsn_(lsn) {}

  // A stream's snapshot state (from an earlier read or the running snapshot).
  void SetStream(const v1::StreamState& state);
  // The stream's snapshot state, nullptr when none.
  const v1::StreamState* Stream(const v1::StreamDescriptor& d) const;
  // The position every emitted change is covered up to.
  void set_lsn(uint64_t lsn) { lsn_ = lsn; }
  uint64_t lsn() const { return lsn_; }
  // Records emitted since the last checkpoint, counted by the readers.
  void AddRecords(uint64_t n) { since_last_ += n; total_ += n; }
  // A change batch of `records` records of `stream` with RecordBatch.chunk `chunk` was
  // emitted: counted (AddRecords), and covered by the next checkpoint.
  void AddChanges(const v1::StreamDescriptor& stream, const std::string& chunk, uint64_t records);
  // The chunks a snapshot's checkpoint covers (its Checkpoint.chunks), for the next checkpoint.
  void AddCovered(const google::protobuf::RepeatedPtrField<v1::ChunkRecords>& chunks);

  // The change stream ended (not a follow read): sends a ChunkEnd for each chunk string its
  // batches carried, once; the next checkpoint covers their ends. False when the consumer is
  // gone.
  bool EndChanges();

  // Emits a checkpoint with the whole global state and the chunks covered since the last one;
  // false when the consumer is gone.
  bool Emit();

 private:
  using Key = std::pair<std::string, std::string>;
  ReadSink* sink_;
  uint64_t lsn_;
  std::map<Key, v1::StreamState> streams_;
  std::map<Key, ChunkCoverage> changes_;  // per stream: the change batches' chunks
  google::protobuf::RepeatedPtrField<v1::ChunkRecords> snapshot_covered_;
  uint64_t since_last_ = 0;
  uint64_t total_ = 0;
};

}  // namespace tsdb_source::cdc
