#include "service/catalog/schemas.h"

#include "service/catalog/internal_schemas.h"
#include "service/common/status_macros.h"

namespace tsdb_source {

absl::StatusOr<std::vector<std::string>> ReadableSchemas(pg::Connection& conn) {
  ASSIGN_OR_RETURN(pg::Result r, conn.Exec(R"sql(
SELECT n.nspname FROM pg_catalog.pg_namespace n
WHERE left(n.nspname, 3) <> 'pg_' AND n.nspname <> 'information_schema'
  AND has_schema_privilege(n.oid, 'USAGE')
ORDER BY n.nspname)sql"));
  std::vector<std::string> schemas;
  for (int row = 0; row < r.rows(); ++row) {
    std::string name = r.GetString(row, 0);
    if (!IsTimescaleInternalSchema(name)) schemas.push_back(std::move(name));
  }
  return schemas;
}

absl::StatusOr<std::vector<std::string>> SchemasToRead(pg::Connection& conn,
                                                       const ResolvedConfig& config) {
  if (config.all_schemas) return ReadableSchemas(conn);
  std::vector<std::string> schemas;
  for (const std::string& s : config.schemas) {
    if (!IsTimescaleInternalSchema(s)) schemas.push_back(s);
  }
  return schemas;
}

}  // namespace tsdb_source
