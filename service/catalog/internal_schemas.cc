#include "service/catalog/internal_schemas.h"

#include "absl/strings/match.h"

namespace tsdb_source {

bool IsTimescaleInternalSchema(absl::string_view schema) {
  return absl::StartsWith(schema, "_timescaledb_") || schema == "timescaledb_information" ||
         schema == "timescaledb_experimental";
}

}  // namespace tsdb_source
