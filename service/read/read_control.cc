#include "service/read/read_control.h"

#include <algorithm>

namespace tsdb_source {

void ReadControl::Cancel() {
  cancelled_.store(true);
  absl::MutexLock lock(&mu_);
  for (pg::Connection* conn : connections_) conn->Cancel();
}

void ReadControl::Attach(pg::Connection* conn) {
  absl::MutexLock lock(&mu_);
  connections_.push_back(conn);
  if (cancelled_.load()) conn->Cancel();
}

void ReadControl::Detach(pg::Connection* conn) {
  absl::MutexLock lock(&mu_);
  connections_.erase(std::remove(connections_.begin(), connections_.end(), conn),
                     connections_.end());
}

}  // namespace tsdb_source
