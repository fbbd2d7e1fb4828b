// The shared state of a CDC read: one replication position for all CDC streams and each
// stream's snapshot progress. Every checkpoint of a CDC read carries all of it (a GLOBAL
// state), so any checkpoint handed back resumes both the snapshots and the change stream.
#pragma once

#include <map>
#include <string>
#include <utility>

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

  // Emits a checkpoint with the whole global state; false when the consumer is gone.
  bool Emit();

 private:
  using Key = std::pair<std::string, std::string>;
  ReadSink* sink_;
  uint64_t lsn_;
  std::map<Key, v1::StreamState> streams_;
  uint64_t since_last_ = 0;
  uint64_t total_ = 0;
};

}  // namespace tsdb_source::cdc
