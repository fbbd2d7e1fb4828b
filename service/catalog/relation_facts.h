// What discover learns of a relation beyond its Stream message, in the same catalog queries:
// facts the replication methods above need (change data capture: cdc/capturable.h).
#pragma once

#include <map>
#include <string>
#include <utility>

namespace tsdb_source {

struct RelationFacts {
  // The rows have a usable replica identity: the table's (a partitioned table: every
  // partition's; a continuous aggregate: its materialized hypertable's).
  bool identity_usable = false;
  // A hypertable that appears as a plain table because timescaledb_support is off.
  bool unmapped_hypertable = false;
};

// (schema, name) of a stream -> its facts.
using RelationFactsMap = std::map<std::pair<std::string, std::string>, RelationFacts>;

}  // namespace tsdb_source
