#include "service/session/discover_streams.h"

#include <string>
#include <utility>

#include "service/airbyte/json_schema.h"
#include "service/catalog/discover.h"
#include "service/cdc/capturable.h"
#include "service/common/status_macros.h"

namespace tsdb_source {

absl::StatusOr<v1::Catalog> DiscoverStreams(pg::Connection& conn, const ResolvedConfig& config,
                                            const std::vector<v1::StreamDescriptor>* only) {
  RelationFactsMap facts;
  ASSIGN_OR_RETURN(v1::Catalog catalog, DiscoverCatalog(conn, config, only, &facts));
  // Each column's JSON schema, which the contract offers (Column.json_schema).
  for (v1::Stream& stream : *catalog.mutable_streams()) {
    for (v1::Column& column : *stream.mutable_columns()) {
      column.set_json_schema(airbyte::JsonSchemaFor(column));
    }
  }
  if (config.cdc) {
    for (v1::Stream& stream : *catalog.mutable_streams()) {
      std::string why = cdc::WhyNotCapturable(
          stream, facts[{stream.stream().namespace_(), stream.stream().name()}]);
      if (why.empty()) {
        // The source finds the changes: no cursor column (batches carry RecordBatch.changes).
        stream.set_captures_changes(true);
        stream.set_source_defined_cursor(true);
        stream.clear_default_cursor_field();
        continue;
      }
      // Full refresh only, as Airbyte's Postgres source offers such streams in CDC mode. A
      // catalog asking incremental anyway reaches the CDC read's refusal, which names the
      // stream and this reason.
      stream.clear_supported_sync_modes();
      stream.add_supported_sync_modes(v1::SYNC_MODE_FULL_REFRESH);
      stream.set_source_defined_cursor(false);
      stream.set_not_capturable_reason(std::move(why));
    }
  }
  if (config.xmin) {
    // Xmin: the source finds changed rows itself, in relations that store rows; the others
    // (views, continuous aggregates, foreign tables) are offered as full refresh only.
    for (v1::Stream& stream : *catalog.mutable_streams()) {
      const v1::RelationKind kind = stream.kind();
      if (kind == v1::RELATION_KIND_TABLE || kind == v1::RELATION_KIND_PARTITIONED_TABLE ||
          kind == v1::RELATION_KIND_HYPERTABLE) {
        stream.set_source_defined_cursor(true);
        continue;
      }
      stream.clear_supported_sync_modes();
      stream.add_supported_sync_modes(v1::SYNC_MODE_FULL_REFRESH);
      stream.set_source_defined_cursor(false);
    }
  }
  return catalog;
}

}  // namespace tsdb_source
