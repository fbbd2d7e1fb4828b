// ReadOptions (the Read request's tunables) with every default applied, in one place: the
// chunk readers, the stream reader and change capture all take their values from here, so
// a default is stated once (and matches source_service.proto's comments).
#pragma once

#include <chrono>
#include <cstdint>

#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

struct ResolvedReadOptions {
  uint64_t checkpoint_every_records = 100000;
  std::chrono::seconds checkpoint_every{60};
  uint32_t batch_max_rows = 4096;
  uint32_t batch_max_bytes = 1 << 20;
  int max_attempts = 5;
  std::chrono::milliseconds retry_initial_backoff{1000};
  std::chrono::seconds idle_timeout{300};
  uint64_t chunk_slice_bytes = uint64_t{1} << 30;
  // 0: the config's timescaledb_chunk_discovery_interval_minutes applies.
  std::chrono::milliseconds chunk_discovery_interval{0};
};

// `options` with its unset (0) values replaced by the defaults.
ResolvedReadOptions ResolveReadOptions(const v1::ReadOptions& options);

}  // namespace tsdb_source
