#include "service/catalog/internal_schemas.h"

namespace tsdb_source {

bool IsTimescaleInternalSchema(absl::string_view schema) {
  static constexpr absl::string_view kInternal[] = {
      "_timescaledb_internal", "_timescaledb_catalog",    "_timescaledb_config",
      "_timescaledb_functions", "_timescaledb_cache",     "timescaledb_information",
      "timescaledb_experimental",
  };
  for (absl::string_view s : kInternal) {
    if (schema == s) return true;
  }
  return false;
}

}  // namespace tsdb_source
