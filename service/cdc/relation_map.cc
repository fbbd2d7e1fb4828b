#include "service/cdc/relation_map.h"

#include "service/common/status_macros.h"

namespace tsdb_source::cdc {
namespace {

// Chunks of hypertables, and chunks of continuous aggregates' materialized hypertables
// mapped to the aggregate's view.
constexpr char kChunksSql[] = R"sql(
SELECT c.chunk_schema, c.chunk_name,
       COALESCE(a.view_schema, c.hypertable_schema), COALESCE(a.view_name, c.hypertable_name)
FROM timescaledb_information.chunks c
LEFT JOIN timescaledb_information.continuous_aggregates a
  ON a.materialization_hypertable_schema = c.hypertable_schema
 AND a.materialization_hypertable_name = c.hypertable_name)sql";

// Leaf partitions of declaratively partitioned tables, mapped to their root.
constexpr char kPartitionsSql[] = R"sql(
SELECT n.nspname, c.relname, rn.nspname, r.relname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class r ON r.oid = pg_catalog.pg_partition_root(c.oid)
JOIN pg_catalog.pg_namespace rn ON rn.oid = r.relnamespace
WHERE c.relispartition)sql";

}  // namespace

RelationMap::RelationMap(std::vector<v1::StreamDescriptor> streams, bool timescale)
    : streams_(std::move(streams)), timescale_(timescale) {
  for (size_t i = 0; i < streams_.size(); ++i) {
    by_stream_[{streams_[i].namespace_(), streams_[i].name()}] = i;
  }
}

absl::Status RelationMap::Refresh(pg::Connection& conn) {
  std::map<Key, size_t> map;
  auto add = [&](const pg::Result& r) {
    for (int i = 0; i < r.rows(); ++i) {
      auto it = by_stream_.find({r.GetString(i, 2), r.GetString(i, 3)});
      if (it != by_stream_.end()) map[{r.GetString(i, 0), r.GetString(i, 1)}] = it->second;
    }
  };
  if (timescale_) {
    ASSIGN_OR_RETURN(pg::Result chunks, conn.Exec(kChunksSql));
    add(chunks);
  }
  ASSIGN_OR_RETURN(pg::Result partitions, conn.Exec(kPartitionsSql));
  add(partitions);
  map_ = std::move(map);
  unrelated_.clear();
  ++refreshes_;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<size_t>> RelationMap::Resolve(pg::Connection& conn,
                                                           const std::string& schema,
                                                           const std::string& name) {
  Key key{schema, name};
  if (auto it = by_stream_.find(key); it != by_stream_.end()) return it->second;
  if (auto it = map_.find(key); it != map_.end()) return it->second;
  if (unrelated_.count(key) > 0) return std::nullopt;
  RETURN_IF_ERROR(Refresh(conn));
  if (auto it = map_.find(key); it != map_.end()) return it->second;
  unrelated_.insert(key);
  return std::nullopt;
}

}  // namespace tsdb_source::cdc
