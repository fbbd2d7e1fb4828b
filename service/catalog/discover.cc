#include "service/catalog/discover.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "service/catalog/schemas.h"
#include "service/catalog/type_mapping.h"
#include "service/common/status_macros.h"
#include "service/pg/quote.h"

namespace tsdb_source {
namespace {

using Key = std::pair<std::string, std::string>;  // schema, name

int64_t ToInt64(absl::string_view text) {
  double d = 0;
  int64_t i = 0;
  if (absl::SimpleAtoi(text, &i)) return i;
  if (absl::SimpleAtod(text, &d) && d > 0) return static_cast<int64_t>(d);
  return 0;
}

// Relations of the configured schemas that can be streams, with whether their rows have a
// usable replica identity, which change data capture needs (cdc/capturable.h): the whole
// row, the primary key or a replica identity index; of a partitioned table, every
// partition's. Partitions are excluded; chunks live in _timescaledb_internal, which is never
// listed.
constexpr char kRelationsSql[] = R"sql(
WITH identity AS NOT MATERIALIZED (
  SELECT r.oid,
         r.relreplident = 'f'
         OR (r.relreplident = 'd' AND EXISTS (
               SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = r.oid AND i.indisprimary))
         OR (r.relreplident = 'i' AND EXISTS (
               SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = r.oid AND i.indisreplident))
           AS usable
  FROM pg_catalog.pg_class r)
SELECT c.oid, n.nspname, c.relname, c.relkind,
       CASE WHEN c.reltuples < 0 THEN 0 ELSE c.reltuples END,
       c.relpages::bigint * current_setting('block_size')::bigint,
       CASE WHEN c.relkind = 'p'
            THEN NOT EXISTS (SELECT 1 FROM pg_catalog.pg_partition_tree(c.oid) t
                             JOIN identity l ON l.oid = t.relid
                             WHERE t.isleaf AND NOT l.usable)
            ELSE (SELECT usable FROM identity WHERE identity.oid = c.oid) END
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = ANY($1::text[])
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
  AND has_table_privilege(c.oid, 'SELECT')
  AND ($2::text[] IS NULL OR (n.nspname, c.relname) IN (SELECT * FROM unnest($2::text[], $3::text[])))
ORDER BY n.nspname, c.relname)sql";

// Columns of those relations with their base type (domains resolved up to three levels),
// array element type and type modifier (a domain's own when the column has none, as pgjdbc
// reports it).
constexpr char kColumnsSql[] = R"sql(
SELECT a.attrelid, a.attname, format_type(a.atttypid, a.atttypmod), NOT a.attnotnull,
       b.oid, CASE WHEN b.typcategory = 'A' THEN b.typelem ELSE 0 END,
       COALESCE(NULLIF(a.atttypmod, -1), NULLIF(t0.typtypmod, -1), NULLIF(t1.typtypmod, -1), -1)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_type t0 ON t0.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type t1 ON t1.oid = t0.typbasetype
LEFT JOIN pg_catalog.pg_type t2 ON t2.oid = t1.typbasetype
JOIN pg_catalog.pg_type b ON b.oid = CASE WHEN t0.typtype <> 'd' THEN t0.oid
                                          WHEN t1.typtype <> 'd' THEN t1.oid
                                          ELSE COALESCE(t2.oid, t0.oid) END
WHERE n.nspname = ANY($1::text[])
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND NOT c.relispartition
  AND a.attnum > 0 AND NOT a.attisdropped
  AND ($2::text[] IS NULL OR (n.nspname, c.relname) IN (SELECT * FROM unnest($2::text[], $3::text[])))
ORDER BY a.attrelid, a.attnum)sql";

// Primary keys, columns in key order.
constexpr char kPrimaryKeysSql[] = R"sql(
SELECT i.indrelid, a.attname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indisprimary AND n.nspname = ANY($1::text[])
  AND ($2::text[] IS NULL OR (n.nspname, c.relname) IN (SELECT * FROM unnest($2::text[], $3::text[])))
ORDER BY i.indrelid, k.position)sql";

// Sizes of partitioned tables and hypertables: the sum over their descendants (partitions
// or chunks, at any depth).
constexpr char kDescendantSizesSql[] = R"sql(
WITH RECURSIVE tree(root, child) AS (
  SELECT i.inhparent, i.inhrelid
  FROM pg_catalog.pg_inherits i
  JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
  JOIN pg_catalog.pg_namespace n ON n.oid = p.relnamespace
  WHERE n.nspname = ANY($1::text[])
    AND ($2::text[] IS NULL OR (n.nspname, p.relname) IN (SELECT * FROM unnest($2::text[], $3::text[])))
  UNION ALL
  SELECT t.root, i.inhrelid FROM tree t JOIN pg_catalog.pg_inherits i ON i.inhparent = t.child
)
SELECT t.root, sum(CASE WHEN c.reltuples < 0 THEN 0 ELSE c.reltuples END)::bigint,
       sum(c.relpages::bigint) * current_setting('block_size')::bigint, count(*)
FROM tree t JOIN pg_catalog.pg_class c ON c.oid = t.child
GROUP BY t.root)sql";

constexpr char kHypertablesSql[] = R"sql(
SELECT h.hypertable_schema, h.hypertable_name, h.compression_enabled,
       COALESCE(ch.chunks, 0), COALESCE(ch.compressed, 0)
FROM timescaledb_information.hypertables h
LEFT JOIN (SELECT hypertable_schema, hypertable_name, count(*) AS chunks,
                  count(*) FILTER (WHERE is_compressed) AS compressed
           FROM timescaledb_information.chunks
           WHERE hypertable_schema = ANY($1::text[])
           GROUP BY hypertable_schema, hypertable_name) ch
  ON ch.hypertable_schema = h.hypertable_schema AND ch.hypertable_name = h.hypertable_name
WHERE h.hypertable_schema = ANY($1::text[]))sql";

// All dimensions (also of continuous aggregates' materialized hypertables).
constexpr char kDimensionsSql[] = R"sql(
SELECT d.hypertable_schema, d.hypertable_name, d.column_name, d.column_type::text,
       d.dimension_type,
       (extract(epoch FROM d.time_interval) * 1000000)::bigint,
       d.integer_interval, d.num_partitions
FROM timescaledb_information.dimensions d
ORDER BY d.hypertable_schema, d.hypertable_name, d.dimension_number)sql";

// With whether the materialized hypertable's rows have a usable replica identity.
constexpr char kContinuousAggregatesSql[] = R"sql(
SELECT a.view_schema, a.view_name, a.materialization_hypertable_schema,
       a.materialization_hypertable_name, NOT a.materialized_only,
       a.hypertable_schema, a.hypertable_name,
       COALESCE((SELECT (m.relreplident = 'f'
                         OR (m.relreplident = 'd' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                               WHERE i.indrelid = m.oid AND i.indisprimary))
                         OR (m.relreplident = 'i' AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                               WHERE i.indrelid = m.oid AND i.indisreplident)))
                 FROM pg_catalog.pg_class m
                 JOIN pg_catalog.pg_namespace mn ON mn.oid = m.relnamespace
                 WHERE mn.nspname = a.materialization_hypertable_schema
                   AND m.relname = a.materialization_hypertable_name), false)
FROM timescaledb_information.continuous_aggregates a
WHERE a.view_schema = ANY($1::text[]))sql";

// Hypertables, only named (to tell them apart when timescaledb_support is off).
constexpr char kHypertableNamesSql[] = R"sql(
SELECT hypertable_schema, hypertable_name FROM timescaledb_information.hypertables
WHERE hypertable_schema = ANY($1::text[]))sql";

v1::RelationKind KindFor(absl::string_view relkind) {
  if (relkind == "r") return v1::RELATION_KIND_TABLE;
  if (relkind == "p") return v1::RELATION_KIND_PARTITIONED_TABLE;
  if (relkind == "v") return v1::RELATION_KIND_VIEW;
  if (relkind == "m") return v1::RELATION_KIND_MATERIALIZED_VIEW;
  return v1::RELATION_KIND_FOREIGN_TABLE;
}

v1::Dimension DimensionFrom(const pg::Result& r, int row) {
  v1::Dimension d;
  d.set_column_name(r.GetString(row, 2));
  d.set_column_type(r.GetString(row, 3));
  d.set_kind(r.Get(row, 4) == "Space" ? v1::DIMENSION_KIND_SPACE : v1::DIMENSION_KIND_TIME);
  if (!r.IsNull(row, 5)) d.set_time_interval_micros(ToInt64(r.Get(row, 5)));
  if (!r.IsNull(row, 6)) d.set_integer_interval(ToInt64(r.Get(row, 6)));
  if (!r.IsNull(row, 7)) d.set_num_partitions(static_cast<int32_t>(ToInt64(r.Get(row, 7))));
  return d;
}

}  // namespace

absl::StatusOr<bool> TimescaleInstalled(pg::Connection& conn) {
  ASSIGN_OR_RETURN(pg::Result r, conn.Exec("SELECT 1 FROM pg_catalog.pg_extension "
                                           "WHERE extname = 'timescaledb'"));
  return r.rows() > 0;
}

namespace {

// The streams, and in `facts` what change data capture needs to know of each.
absl::StatusOr<v1::Catalog> DiscoverRelations(pg::Connection& conn, const ResolvedConfig& config,
                                              const std::vector<v1::StreamDescriptor>* only,
                                              RelationFactsMap* facts) {
  ASSIGN_OR_RETURN(std::vector<std::string> schemas, SchemasToRead(conn, config));
  const std::vector<std::optional<std::string>> params = {pg::TextArrayLiteral(schemas)};
  std::vector<std::optional<std::string>> filtered = {pg::TextArrayLiteral(schemas), std::nullopt,
                                                      std::nullopt};
  if (only != nullptr) {
    std::vector<std::string> namespaces, names;
    for (const v1::StreamDescriptor& d : *only) {
      namespaces.push_back(d.namespace_());
      names.push_back(d.name());
    }
    filtered[1] = pg::TextArrayLiteral(namespaces);
    filtered[2] = pg::TextArrayLiteral(names);
  }

  ASSIGN_OR_RETURN(pg::Result relations, conn.ExecParams(kRelationsSql, filtered));
  ASSIGN_OR_RETURN(pg::Result columns, conn.ExecParams(kColumnsSql, filtered));
  ASSIGN_OR_RETURN(pg::Result keys, conn.ExecParams(kPrimaryKeysSql, filtered));
  ASSIGN_OR_RETURN(pg::Result sizes, conn.ExecParams(kDescendantSizesSql, filtered));

  v1::Catalog catalog;
  std::map<std::string, v1::Stream*> by_oid;
  std::map<Key, v1::Stream*> by_name;
  for (int r = 0; r < relations.rows(); ++r) {
    v1::Stream* stream = catalog.add_streams();
    stream->mutable_stream()->set_namespace_(relations.GetString(r, 1));
    stream->mutable_stream()->set_name(relations.GetString(r, 2));
    stream->set_kind(KindFor(relations.Get(r, 3)));
    stream->set_row_estimate(ToInt64(relations.Get(r, 4)));
    stream->set_byte_estimate(ToInt64(relations.Get(r, 5)));
    stream->add_supported_sync_modes(v1::SYNC_MODE_FULL_REFRESH);
    stream->add_supported_sync_modes(v1::SYNC_MODE_INCREMENTAL);
    by_oid[relations.GetString(r, 0)] = stream;
    by_name[{relations.GetString(r, 1), relations.GetString(r, 2)}] = stream;
    (*facts)[{relations.GetString(r, 1), relations.GetString(r, 2)}].identity_usable =
        relations.Get(r, 6) == "t";
  }
  for (int r = 0; r < columns.rows(); ++r) {
    auto it = by_oid.find(columns.GetString(r, 0));
    if (it == by_oid.end()) continue;  // a relation the user may not read
    v1::Column* column = it->second->add_columns();
    column->set_name(columns.GetString(r, 1));
    column->set_pg_type(columns.GetString(r, 2));
    uint32_t base = 0, element = 0;
    (void)absl::SimpleAtoi(columns.Get(r, 4), &base);
    int32_t typmod = -1;
    (void)absl::SimpleAtoi(columns.Get(r, 5), &element);
    (void)absl::SimpleAtoi(columns.Get(r, 6), &typmod);
    DescribeColumnType(base, element, typmod, columns.Get(r, 3) == "t", column);
  }
  for (int r = 0; r < keys.rows(); ++r) {
    auto it = by_oid.find(keys.GetString(r, 0));
    if (it != by_oid.end()) it->second->add_primary_key(keys.GetString(r, 1));
  }
  for (int r = 0; r < sizes.rows(); ++r) {
    auto it = by_oid.find(sizes.GetString(r, 0));
    if (it == by_oid.end()) continue;
    it->second->set_row_estimate(it->second->row_estimate() + ToInt64(sizes.Get(r, 1)));
    it->second->set_byte_estimate(it->second->byte_estimate() + ToInt64(sizes.Get(r, 2)));
  }

  if (!config.timescaledb_support) {
    if (!config.cdc) return catalog;
    // Change data capture cannot map these hypertables' chunks to them.
    ASSIGN_OR_RETURN(bool timescale, TimescaleInstalled(conn));
    if (!timescale) return catalog;
    ASSIGN_OR_RETURN(pg::Result names, conn.ExecParams(kHypertableNamesSql, params));
    for (int r = 0; r < names.rows(); ++r) {
      auto it = facts->find({names.GetString(r, 0), names.GetString(r, 1)});
      if (it != facts->end()) it->second.unmapped_hypertable = true;
    }
    return catalog;
  }
  ASSIGN_OR_RETURN(bool timescale, TimescaleInstalled(conn));
  if (!timescale) return catalog;

  ASSIGN_OR_RETURN(pg::Result hypertables, conn.ExecParams(kHypertablesSql, params));
  ASSIGN_OR_RETURN(pg::Result dimensions, conn.Exec(kDimensionsSql));
  ASSIGN_OR_RETURN(pg::Result caggs, conn.ExecParams(kContinuousAggregatesSql, params));

  std::map<Key, std::vector<v1::Dimension>> dims;
  for (int r = 0; r < dimensions.rows(); ++r) {
    dims[{dimensions.GetString(r, 0), dimensions.GetString(r, 1)}].push_back(
        DimensionFrom(dimensions, r));
  }
  for (int r = 0; r < hypertables.rows(); ++r) {
    Key key{hypertables.GetString(r, 0), hypertables.GetString(r, 1)};
    auto it = by_name.find(key);
    if (it == by_name.end()) continue;
    v1::Stream* stream = it->second;
    stream->set_kind(v1::RELATION_KIND_HYPERTABLE);
    v1::HypertableInfo* info = stream->mutable_hypertable();
    info->set_compression_enabled(hypertables.Get(r, 2) == "t");
    info->set_num_chunks(ToInt64(hypertables.Get(r, 3)));
    info->set_num_compressed_chunks(ToInt64(hypertables.Get(r, 4)));
    bool have_time = false;
    for (const v1::Dimension& d : dims[key]) {
      if (d.kind() == v1::DIMENSION_KIND_TIME && !have_time) {
        *info->mutable_time_dimension() = d;
        have_time = true;
      } else {
        *info->add_space_dimensions() = d;
      }
    }
    if (have_time) stream->set_default_cursor_field(info->time_dimension().column_name());
  }
  for (int r = 0; r < caggs.rows(); ++r) {
    auto it = by_name.find({caggs.GetString(r, 0), caggs.GetString(r, 1)});
    if (it == by_name.end()) continue;
    v1::Stream* stream = it->second;
    stream->set_kind(v1::RELATION_KIND_CONTINUOUS_AGGREGATE);
    v1::ContinuousAggregateInfo* info = stream->mutable_continuous_aggregate();
    info->set_materialization_hypertable_schema(caggs.GetString(r, 2));
    info->set_materialization_hypertable_name(caggs.GetString(r, 3));
    info->set_real_time(caggs.Get(r, 4) == "t");
    info->mutable_source_hypertable()->set_namespace_(caggs.GetString(r, 5));
    info->mutable_source_hypertable()->set_name(caggs.GetString(r, 6));
    (*facts)[{caggs.GetString(r, 0), caggs.GetString(r, 1)}].identity_usable =
        caggs.Get(r, 7) == "t";
    // The aggregate's time bucket column is its materialized hypertable's time dimension.
    for (const v1::Dimension& d : dims[{info->materialization_hypertable_schema(),
                                        info->materialization_hypertable_name()}]) {
      if (d.kind() == v1::DIMENSION_KIND_TIME) {
        stream->set_default_cursor_field(d.column_name());
        break;
      }
    }
  }
  return catalog;
}

}  // namespace

absl::StatusOr<v1::Catalog> DiscoverCatalog(pg::Connection& conn, const ResolvedConfig& config,
                                            const std::vector<v1::StreamDescriptor>* only,
                                            RelationFactsMap* facts) {
  RelationFactsMap ignored;
  return DiscoverRelations(conn, config, only, facts != nullptr ? facts : &ignored);
}

}  // namespace tsdb_source
