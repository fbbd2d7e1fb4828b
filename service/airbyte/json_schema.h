// The JSON schema of a column as Airbyte's Postgres source (source-postgres) types it, type
// by type, except where docs/types.md says why not: json/jsonb and bytea are strings, money
// a number, numeric(p,0) an integer. Made from the column's typed description (kind,
// element kind, nullability, numeric precision and scale: catalog/type_mapping.h), so the
// core carries no Airbyte convention; Discover fills Column.json_schema with it, which the
// contract offers. Pure functions, thread-safe.
#pragma once

#include <string>

#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source::airbyte {

// The JSON schema of `column`, as JSON text.
std::string JsonSchemaFor(const v1::Column& column);

}  // namespace tsdb_source::airbyte
