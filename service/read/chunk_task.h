// What one chunk read is given and what it hands back: a ChunkTask (the relation, the time
// slices or resume key, an extra condition) and the ChunkEvents it produces, in order
// (batches, positions, one end), whose batch storage goes back to a BatchPool. Shared by the
// chunk reader that produces the events, the scheduler that runs tasks concurrently and the
// stream reader that emits them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "service/read/chunk_slices.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

// One unit of reading.
struct ChunkTask {
  size_t index = 0;              // the stream reader's chunk index
  std::string relation;          // quoted relation to read
  std::string label;             // chunk identity ("schema"."name"), empty for whole tables
  // Whole tables: continue strictly after this primary key.
  std::vector<v1::ScalarValue> resume_key;
  // Chunks: the time slices to read, in order (values of the plan's slice_column); empty:
  // the chunk in one COPY.
  std::vector<TimeSlice> slices;
  // One more condition on the rows (an Xmin read's), "" for none.
  std::string filter;
  // Read the chunk's own rows only, not its compressed data (xmin_facts.h, kHeapOnlySetup):
  // in a transaction of its own with TimescaleDB's columnar scan turned off.
  bool heap_only = false;
};

// Spare RecordBatch storage: a batch whose event is done with it comes back here, and the
// reader builds a later batch in it, so that a steady read allocates no value arrays or
// string objects per batch. Thread-safe. Concurrent readers of one stream share one pool:
// with a pool each, every reader would keep as many batches as it ever had in flight at
// once, and the process's memory would creep up the longer the read (a late peak of one
// reader's share of the queue); shared, the batches number at most what is in flight.
class BatchPool final {
 public:
  // Keeps at most `max_spare` batches.
  explicit BatchPool(size_t max_spare = 8) : max_spare_(max_spare) {}
  // Keeps `batch`'s storage when fewer than the limit are held (else it is freed).
  void Put(v1::RecordBatch&& batch);
  // Moves a spare batch into *out; false when there is none.
  bool Take(v1::RecordBatch* out);

 private:
  const size_t max_spare_;
  std::mutex mu_;  // not absl::Mutex: see bounded_queue.h
  std::vector<v1::RecordBatch> spare_ ABSL_GUARDED_BY(mu_);
};

// What a chunk read produces, in order: batches, positions, then one end event.
// An event's batch storage returns to the reader's pool when the event is destroyed: a
// consumer that wants to help may swap the storage back into `batch` after use (the
// contents do not matter, the capacity does).
struct ChunkEvent {
  enum class Kind { kBatch, kPosition, kDone, kDropped };
  Kind kind = Kind::kBatch;
  size_t index = 0;
  v1::RecordBatch batch;        // kBatch
  v1::ChunkPosition position;   // kPosition
  uint64_t bytes = 0;           // kDone: COPY bytes received
  double seconds = 0;           // kDone
  std::shared_ptr<BatchPool> pool;  // where `batch` goes back to (may be null)

  ChunkEvent() = default;
  ChunkEvent(ChunkEvent&& other) noexcept = default;
  ChunkEvent& operator=(ChunkEvent&& other) noexcept {
    Recycle();
    kind = other.kind;
    index = other.index;
    batch.Swap(&other.batch);
    position.Swap(&other.position);
    bytes = other.bytes;
    seconds = other.seconds;
    pool = std::move(other.pool);
    return *this;
  }
  ~ChunkEvent() { Recycle(); }

 private:
  void Recycle() {
    if (pool != nullptr && batch.columns_size() > 0) pool->Put(std::move(batch));
    pool.reset();
  }
};

}  // namespace tsdb_source
