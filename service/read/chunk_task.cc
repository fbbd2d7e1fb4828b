#include "service/read/chunk_task.h"

#include <utility>

namespace tsdb_source {

void BatchPool::Put(v1::RecordBatch&& batch) {
  std::lock_guard<std::mutex> lock(mu_);
  if (spare_.size() >= max_spare_) return;
  spare_.emplace_back();
  spare_.back().Swap(&batch);
}

bool BatchPool::Take(v1::RecordBatch* out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (spare_.empty()) return false;
  out->Swap(&spare_.back());
  spare_.pop_back();
  return true;
}

}  // namespace tsdb_source
