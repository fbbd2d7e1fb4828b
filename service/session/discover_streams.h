// The streams as the configured replication method offers them: discover's relations
// (catalog/discover.h), plus, with change data capture, the CDC columns and full refresh
// only for what it cannot follow (cdc/capturable.h), and with Xmin a source-defined cursor
// for relations that store rows and full refresh only for the others. Used by the Discover
// RPC and by every read, so both see the same streams.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "service/config/source_config.h"
#include "service/pg/connection.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source {

// As DiscoverCatalog (`only`: just those relations), with the replication method's additions.
absl::StatusOr<v1::Catalog> DiscoverStreams(
    pg::Connection& conn, const ResolvedConfig& config,
    const std::vector<v1::StreamDescriptor>* only = nullptr);

}  // namespace tsdb_source
