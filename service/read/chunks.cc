#include "service/read/chunks.h"

#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
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

// The size to read of each chunk of $1 (quoted qualified names), in that order: the heap
// (rows not compressed); compressed chunks add their heap size before compression
// (kCompressionStatsSql).
constexpr char kChunkSizesSql[] = R"sql(
SELECT COALESCE(pg_catalog.pg_relation_size(pg_catalog.to_regclass(s.chunk)), 0)
FROM unnest($1::text[]) WITH ORDINALITY AS s(chunk, i)
ORDER BY s.i)sql";

// The schema TimescaleDB's functions live in (the extension's).
constexpr char kExtensionSchemaSql[] = R"sql(
SELECT n.nspname FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'timescaledb')sql";

// Compressed chunks' heap size before compression, through TimescaleDB's own function (its
// catalog tables change between releases: 2.29 replaced the chunk's name columns by its
// relid); "%s" is the quoted extension schema.
constexpr char kCompressionStatsSql[] = R"sql(
SELECT chunk_schema, chunk_name, COALESCE(before_compression_table_bytes, 0)
FROM %s.chunk_compression_stats($1::regclass)
WHERE compression_status = 'Compressed')sql";

// Leaf partitions; for those directly under the root, the upper bound of a range partition
// on one column, converted by $2 (the key's encoding: timestamptz, timestamp, date, int or
// none). Bounds print in the session's TimeZone, UTC on read connections. Only the branch
// of $2 is evaluated (the planner folds the others away).
constexpr char kPartitionsSql[] = R"sql(
WITH RECURSIVE tree(relid, direct) AS (
  SELECT inhrelid, true FROM pg_catalog.pg_inherits WHERE inhparent = $1::regclass
  UNION ALL
  SELECT i.inhrelid, false FROM tree t JOIN pg_catalog.pg_inherits i ON i.inhparent = t.relid
), leaves AS MATERIALIZED (
  SELECT n.nspname, c.relname, t.direct, pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound
  FROM tree t
  JOIN pg_catalog.pg_class c ON c.oid = t.relid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'f')
), bounds AS MATERIALIZED (
  SELECT *, CASE WHEN direct THEN pg_catalog.btrim(
              (pg_catalog.regexp_match(bound, '^FOR VALUES FROM \(.*\) TO \((.*)\)$'))[1], '''')
            END AS upper_text
  FROM leaves
)
SELECT nspname, relname,
       CASE WHEN upper_text IS NULL OR upper_text = 'MAXVALUE' THEN NULL
            WHEN $2 = 'timestamptz' THEN
              CASE WHEN pg_catalog.isfinite(upper_text::timestamptz)
                   THEN (extract(epoch FROM upper_text::timestamptz) * 1000000)::bigint END
            WHEN $2 = 'timestamp' THEN
              CASE WHEN pg_catalog.isfinite(upper_text::timestamp)
                   THEN (extract(epoch FROM upper_text::timestamp) * 1000000)::bigint END
            WHEN $2 = 'date' THEN
              CASE WHEN pg_catalog.isfinite(upper_text::date)
                   THEN (extract(epoch FROM upper_text::date::timestamp) * 1000000)::bigint END
            WHEN $2 = 'int' THEN upper_text::bigint
       END
FROM bounds
ORDER BY nspname, relname)sql";

// The key of a table range-partitioned on one plain column.
constexpr char kPartitionKeySql[] = R"sql(
SELECT a.attname
FROM pg_catalog.pg_partitioned_table p
JOIN pg_catalog.pg_attribute a ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0]
WHERE p.partrelid = $1::regclass AND p.partstrat = 'r' AND p.partnatts = 1)sql";

// How kPartitionsSql converts bounds of a key of this kind ("none": not at all).
const char* BoundEncoding(v1::ValueKind kind) {
  switch (kind) {
    case v1::VALUE_KIND_TIMESTAMPTZ: return "timestamptz";
    case v1::VALUE_KIND_TIMESTAMP: return "timestamp";
    case v1::VALUE_KIND_DATE: return "date";
    case v1::VALUE_KIND_INT64: return "int";
    default: return "none";
  }
}

// Adds to each compressed chunk of `chunks` (of the hypertable schema.name) its heap size
// before compression.
absl::Status AddSizesBeforeCompression(pg::Connection& conn, const std::string& schema,
                                       const std::string& name, const std::vector<ChunkInfo*>& chunks) {
  ASSIGN_OR_RETURN(pg::Result ext, conn.Exec(kExtensionSchemaSql));
  if (ext.rows() != 1) return absl::OkStatus();  // the extension went away: nothing to add
  ASSIGN_OR_RETURN(pg::Result r,
                   conn.ExecParams(absl::StrFormat(kCompressionStatsSql, pg::QuoteIdent(ext.GetString(0, 0))),
                                   {pg::QuoteQualified(schema, name)}));
  std::map<std::pair<std::string, std::string>, int64_t> before;
  for (int i = 0; i < r.rows(); ++i) {
    int64_t bytes = 0;
    (void)absl::SimpleAtoi(r.Get(i, 2), &bytes);
    before[{r.GetString(i, 0), r.GetString(i, 1)}] = bytes;
  }
  for (ChunkInfo* c : chunks) {
    if (!c->compressed) continue;
    auto it = before.find({c->schema, c->name});
    if (it != before.end()) c->size_bytes += it->second;
  }
  return absl::OkStatus();
}

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
    const std::string relation = pg::QuoteQualified(schema, name);
    std::string key_column;
    const char* encoding = "none";
    {
      ASSIGN_OR_RETURN(pg::Result key, conn.ExecParams(kPartitionKeySql, {relation}));
      if (key.rows() == 1) {
        for (const v1::Column& column : stream.columns()) {
          if (column.name() == key.GetString(0, 0)) {
            key_column = column.name();
            encoding = BoundEncoding(column.kind());
          }
        }
      }
    }
    ASSIGN_OR_RETURN(pg::Result r, conn.ExecParams(kPartitionsSql, {relation, encoding}));
    for (int i = 0; i < r.rows(); ++i) {
      ChunkInfo c;
      c.schema = r.GetString(i, 0);
      c.name = r.GetString(i, 1);
      c.qualified = pg::QuoteQualified(c.schema, c.name);
      if (!r.IsNull(i, 2) && absl::SimpleAtoi(r.Get(i, 2), &c.upper_bound)) {
        c.bound_column = key_column;
        c.has_upper_bound = true;
      }
      chunks.push_back(std::move(c));
    }
  }
  return chunks;
}

absl::Status AddChunkSizes(pg::Connection& conn, const v1::Stream& stream,
                           const std::vector<ChunkInfo*>& chunks) {
  if (chunks.empty()) return absl::OkStatus();
  std::vector<std::string> names;
  names.reserve(chunks.size());
  bool any_compressed = false;
  for (const ChunkInfo* c : chunks) {
    names.push_back(c->qualified);
    any_compressed |= c->compressed;
  }
  ASSIGN_OR_RETURN(pg::Result r, conn.ExecParams(kChunkSizesSql, {pg::TextArrayLiteral(names)}));
  if (r.rows() != static_cast<int>(chunks.size())) {
    return absl::InternalError(absl::StrCat("chunk sizes: ", r.rows(), " rows for ", chunks.size(), " chunks"));
  }
  for (size_t i = 0; i < chunks.size(); ++i) {
    chunks[i]->size_bytes = 0;
    (void)absl::SimpleAtoi(r.Get(static_cast<int>(i), 0), &chunks[i]->size_bytes);
    chunks[i]->sized = true;
  }
  if (!any_compressed) return absl::OkStatus();
  return AddSizesBeforeCompression(conn, stream.stream().namespace_(), stream.stream().name(), chunks);
}

}  // namespace tsdb_source
