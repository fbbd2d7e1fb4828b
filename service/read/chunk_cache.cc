#include "service/read/chunk_cache.h"

#include "absl/strings/str_cat.h"

namespace tsdb_source {

ChunkCache& ChunkCache::Global() {
  static ChunkCache* cache = new ChunkCache();
  return *cache;
}

absl::StatusOr<std::vector<ChunkInfo>> ChunkCache::Get(pg::Connection& conn,
                                                       const std::string& server_key,
                                                       const v1::Stream& stream, bool use_cache,
                                                       std::chrono::milliseconds max_age,
                                                       bool* from_cache) {
  *from_cache = false;
  std::string key = absl::StrCat(server_key, "\x1f", stream.stream().namespace_(), "\x1f",
                                 stream.stream().name());
  auto now = std::chrono::steady_clock::now();
  if (use_cache) {
    absl::MutexLock lock(&mu_);
    auto it = entries_.find(key);
    if (it != entries_.end() && now - it->second.fetched < max_age) {
      *from_cache = true;
      return it->second.chunks;
    }
  }
  auto chunks = ListChunks(conn, stream);
  if (!chunks.ok()) return chunks.status();
  absl::MutexLock lock(&mu_);
  entries_[key] = Entry{*chunks, now};  // a fresh listing refreshes the cache either way
  return chunks;
}

void ChunkCache::Clear() {
  absl::MutexLock lock(&mu_);
  entries_.clear();
}

}  // namespace tsdb_source
