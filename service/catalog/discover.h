// Discover: the streams of the configured schemas, with columns, types, primary keys and
// TimescaleDB metadata. A fixed number of catalog queries whatever the number of tables
// and chunks; TimescaleDB facts come from the stable timescaledb_information views.
// Chunks, partitions and TimescaleDB's own schemas never become streams.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "service/catalog/relation_facts.h"
#include "service/config/source_config.h"
#include "service/pg/connection.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source {

// Lists the streams visible to the connection's user in the config's schemas (every
// readable one with all_schemas: schemas.h); with `only`, just those relations (a read
// describes the streams it reads, whatever else the schemas hold). `facts` (optional)
// receives what the replication methods need to know of each. The streams as a replication
// method offers them (CDC columns, sync modes) are the session's: session/discover_streams.h.
absl::StatusOr<v1::Catalog> DiscoverCatalog(
    pg::Connection& conn, const ResolvedConfig& config,
    const std::vector<v1::StreamDescriptor>* only = nullptr, RelationFactsMap* facts = nullptr);

// True when the timescaledb extension is installed in the connection's database.
absl::StatusOr<bool> TimescaleInstalled(pg::Connection& conn);

}  // namespace tsdb_source
