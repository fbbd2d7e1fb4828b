#include "service/config/read_options.h"

namespace tsdb_source {

ResolvedReadOptions ResolveReadOptions(const v1::ReadOptions& o) {
  ResolvedReadOptions r;
  if (o.checkpoint_every_records() > 0) r.checkpoint_every_records = o.checkpoint_every_records();
  if (o.checkpoint_every_seconds() > 0) r.checkpoint_every = std::chrono::seconds(o.checkpoint_every_seconds());
  if (o.batch_max_rows() > 0) r.batch_max_rows = o.batch_max_rows();
  if (o.batch_max_bytes() > 0) r.batch_max_bytes = o.batch_max_bytes();
  if (o.max_attempts() > 0) r.max_attempts = static_cast<int>(o.max_attempts());
  if (o.retry_initial_backoff_ms() > 0) {
    r.retry_initial_backoff = std::chrono::milliseconds(o.retry_initial_backoff_ms());
  }
  if (o.idle_timeout_seconds() > 0) r.idle_timeout = std::chrono::seconds(o.idle_timeout_seconds());
  if (o.chunk_slice_bytes() > 0) r.chunk_slice_bytes = o.chunk_slice_bytes();
  if (o.chunk_discovery_interval_ms() > 0) {
    r.chunk_discovery_interval = std::chrono::milliseconds(o.chunk_discovery_interval_ms());
  }
  return r;
}

}  // namespace tsdb_source
