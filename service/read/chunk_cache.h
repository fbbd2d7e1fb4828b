// A process-wide cache of chunk lists, keyed by server, database and relation, shared by
// every read of one server process. An entry is fresh for the configured discovery interval;
// caching can be turned off per read (timescaledb_enable_chunk_caching).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "service/read/chunks.h"

namespace tsdb_source {

class ChunkCache final {
 public:
  // The one cache of this process.
  static ChunkCache& Global();

  // The chunks of `stream`: from the cache when `use_cache` and the entry is younger than
  // `max_age` (then *from_cache is set), otherwise listed on `conn` (and stored). A failed
  // listing is an error.
  absl::StatusOr<std::vector<ChunkInfo>> Get(pg::Connection& conn, const std::string& server_key,
                                             const v1::Stream& stream, bool use_cache,
                                             std::chrono::milliseconds max_age, bool* from_cache);

  // Drops every entry (tests).
  void Clear();

 private:
  struct Entry {
    std::vector<ChunkInfo> chunks;
    std::chrono::steady_clock::time_point fetched;
  };
  absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace tsdb_source
