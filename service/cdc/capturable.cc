#include "service/cdc/capturable.h"

#include "absl/strings/str_cat.h"
#include "service/pg/quote.h"

namespace tsdb_source::cdc {

std::string WhyNotCapturable(const v1::Stream& stream, const CaptureFacts& facts) {
  constexpr absl::string_view kFullRefresh = "sync it with full_refresh";
  const std::string name = pg::QuoteQualified(stream.stream().namespace_(), stream.stream().name());
  switch (stream.kind()) {
    case v1::RELATION_KIND_VIEW:
      return absl::StrCat("it is a view, whose rows are not written to the WAL: ", kFullRefresh);
    case v1::RELATION_KIND_MATERIALIZED_VIEW:
      return absl::StrCat("it is a materialized view, whose refreshes logical replication does "
                          "not publish: ",
                          kFullRefresh);
    case v1::RELATION_KIND_FOREIGN_TABLE:
      return absl::StrCat("it is a foreign table, whose rows live on another server: ",
                          kFullRefresh);
    case v1::RELATION_KIND_CONTINUOUS_AGGREGATE: {
      const v1::ContinuousAggregateInfo& cagg = stream.continuous_aggregate();
      if (cagg.real_time()) {
        return absl::StrCat(
            "it is a real-time continuous aggregate, whose newest rows are computed when "
            "queried and never written: ",
            kFullRefresh, ", or make it materialized-only (ALTER MATERIALIZED VIEW ", name,
            " SET (timescaledb.materialized_only = true);)");
      }
      if (!facts.identity_usable) {
        const std::string materialized = pg::QuoteQualified(
            cagg.materialization_hypertable_schema(), cagg.materialization_hypertable_name());
        return absl::StrCat("its materialized hypertable ", materialized,
                            " has no replica identity, so its refreshes' deletes cannot be "
                            "captured (and PostgreSQL refuses them once it is published): ALTER "
                            "TABLE ",
                            materialized, " REPLICA IDENTITY FULL; or ", kFullRefresh);
      }
      return "";
    }
    case v1::RELATION_KIND_TABLE:
    case v1::RELATION_KIND_PARTITIONED_TABLE:
    case v1::RELATION_KIND_HYPERTABLE:
      if (facts.unmapped_hypertable) {
        return absl::StrCat("it is a hypertable and timescaledb_support is off, so the changes "
                            "of its chunks are not mapped to it: turn timescaledb_support on, "
                            "or ",
                            kFullRefresh);
      }
      if (!facts.identity_usable) {
        return absl::StrCat(
            stream.kind() == v1::RELATION_KIND_PARTITIONED_TABLE
                ? "it (or one of its partitions) has"
                : "it has",
            " no primary key or other replica identity, so its updates and deletes cannot be "
            "captured (and PostgreSQL refuses them once it is published): add a primary key "
            "or ALTER TABLE ",
            name, " REPLICA IDENTITY FULL; or ", kFullRefresh);
      }
      return "";
    default:
      return absl::StrCat("tsdb-source does not know how to capture it: ", kFullRefresh);
  }
}

}  // namespace tsdb_source::cdc
