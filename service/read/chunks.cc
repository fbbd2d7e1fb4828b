#include "service/read/chunks.h"

#include "absl/strings/numbers.h"
#include "service/common/status_macros.h"
#include "service/pg/quote.h"

namespace tsdb_source {
namespace {

// Time ranges as microseconds since 1970 (TimeZone is UTC on read connections, so
// timestamp-without-time-zone ranges line up with their values), integer ranges as is.
constexpr char kHypertableChunksSql[] = R"sql(
SELECT chunk_schema, chunk_name,
       COALESCE(CASE WHEN isfinite(range_start)
                     THEN (extract(epoch FROM range_start) * 1000000)::bigint END,
                range_start_integer, -9223372036854775808),
       COALESCE(CASE WHEN isfinite(range_end)
                     THEN (extract(epoch FROM range_end) * 1000000)::bigint END,
                range_end_integer, 9223372036854775807),
       is_compressed
FROM timescaledb_information.chunks
WHERE hypertable_schema = $1 AND hypertable_name = $2
ORDER BY 3, 1, 2)sql";

constexpr char kPartitionsSql[] = R"sql(
WITH RECURSIVE tree(relid) AS (
  SELECT inhrelid FROM pg_catalog.pg_inherits WHERE inhparent = $1::regclass
  UNION ALL
  SELECT i.inhrelid FROM tree t JOIN pg_catalog.pg_inherits i ON i.inhparent = t.relid
)
SELECT n.nspname, c.relname
FROM tree t
JOIN pg_catalog.pg_class c ON c.oid = t.relid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'f')
ORDER BY pg_catalog.pg_get_expr(c.relpartbound, c.oid), n.nspname, c.relname)sql";

}  // namespace

absl::StatusOr<std::vector<ChunkInfo>> ListChunks(pg::Connection& conn, const v1::Stream& stream) {
  std::vector<ChunkInfo> chunks;
  const std::string& schema = stream.stream().namespace_();
  const std::string& name = stream.stream().name();
  if (stream.kind() == v1::RELATION_KIND_HYPERTABLE) {
    ASSIGN_OR_RETURN(pg::Result r, conn.ExecParams(kHypertableChunksSql, {schema, name}));
    for (int i = 0; i < r.rows(); ++i) {
      ChunkInfo c;
      c.schema = r.GetString(i, 0);
      c.name = r.GetString(i, 1);
      c.qualified = pg::QuoteQualified(c.schema, c.name);
      c.has_range = true;
      (void)absl::SimpleAtoi(r.Get(i, 2), &c.range_start);
      (void)absl::SimpleAtoi(r.Get(i, 3), &c.range_end);
      c.compressed = r.Get(i, 4) == "t";
      chunks.push_back(std::move(c));
    }
  } else {
    ASSIGN_OR_RETURN(pg::Result r,
                     conn.ExecParams(kPartitionsSql, {pg::QuoteQualified(schema, name)}));
    for (int i = 0; i < r.rows(); ++i) {
      ChunkInfo c;
      c.schema = r.GetString(i, 0);
      c.name = r.GetString(i, 1);
      c.qualified = pg::QuoteQualified(c.schema, c.name);
      chunks.push_back(std::move(c));
    }
  }
  return chunks;
}

}  // namespace tsdb_source
