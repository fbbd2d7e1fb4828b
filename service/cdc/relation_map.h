// Maps the relation a change arrives under to the stream it belongs to: a chunk of a
// hypertable to the hypertable, a chunk of a continuous aggregate's materialized hypertable
// to the aggregate, a partition to its partitioned root, a table to itself. The map comes
// from the timescaledb_information views and pg_partition_root (a fixed number of queries),
// is cached, and is refreshed when a relation it does not know appears (a new chunk).
// Relations that map to no configured stream are remembered as such and skipped.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "service/pg/connection.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source::cdc {

class RelationMap final {
 public:
  // `streams`: the streams changes are emitted for; `timescale`: query TimescaleDB's views.
  RelationMap(std::vector<v1::StreamDescriptor> streams, bool timescale);

  // The index in `streams` of the stream (schema, name) belongs to, or nullopt when it
  // belongs to none. Refreshes the map once when the relation is unknown.
  absl::StatusOr<std::optional<size_t>> Resolve(pg::Connection& conn, const std::string& schema,
                                                const std::string& name);

  // Reloads the mapping of chunks, aggregates and partitions.
  absl::Status Refresh(pg::Connection& conn);

  // How many times the map was loaded (for tests and logs).
  int refreshes() const { return refreshes_; }

 private:
  using Key = std::pair<std::string, std::string>;
  std::vector<v1::StreamDescriptor> streams_;
  bool timescale_;
  std::map<Key, size_t> by_stream_;     // the configured streams themselves
  std::map<Key, size_t> map_;           // chunks and partitions -> stream index
  std::set<Key> unrelated_;             // relations seen after a refresh that map to nothing
  int refreshes_ = 0;
};

}  // namespace tsdb_source::cdc
