// Which streams change data capture can follow, and why not the others.
//
// pgoutput sends the row changes of tables: a hypertable's through its chunks, a
// partitioned table's through its partitions, a continuous aggregate's refreshes through
// its materialized hypertable's chunks (the reader maps all of them to the stream:
// relation_map.h). An UPDATE or DELETE carries the old row's replica identity: the primary
// key (REPLICA IDENTITY DEFAULT), a unique index (USING INDEX) or the whole row (FULL);
// without one PostgreSQL refuses the UPDATE and DELETE of a published table, and a delete
// could not name its row. So a stream can be captured when it is a table, partitioned table,
// hypertable or materialized-only continuous aggregate whose rows have a usable replica
// identity. Views, materialized views and foreign tables write nothing to the WAL; a
// real-time continuous aggregate shows rows computed when queried that are never written;
// with timescaledb_support off a hypertable's chunks are not mapped to it. Discover offers
// those full refresh only in CDC mode, and a CDC read refuses incremental for them.
// Pure function, thread-safe.
#pragma once

#include <string>

#include "service/catalog/relation_facts.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source::cdc {

// What discover knows of a stream beyond the Stream message (catalog/relation_facts.h).
using CaptureFacts = RelationFacts;

// "" when change data capture can follow `stream`; otherwise why not and what to do, as
// a sentence that follows "cannot be captured: " (e.g. "it is a view, ...").
std::string WhyNotCapturable(const v1::Stream& stream, const CaptureFacts& facts);

}  // namespace tsdb_source::cdc
