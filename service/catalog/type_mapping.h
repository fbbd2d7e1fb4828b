// Column types: how a PostgreSQL type travels (ValueKind) and its Airbyte JSON schema.
// Domains are described by their base type, enums and unknown types as text.
#pragma once

#include <cstdint>
#include <string>

#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source {

// Fills kind, element_kind, type_oid and json_schema of `column` for a column of base
// type `base_oid` (`element_oid` for arrays, else 0), nullable or not. A type without a
// binary decoder (and arrays of such) becomes VALUE_KIND_TEXT and is read as ::text.
void DescribeColumnType(uint32_t base_oid, uint32_t element_oid, bool nullable,
                        v1::Column* column);

// True when the reader must select the column as ::text (no binary decoder for its type).
bool ReadAsText(const v1::Column& column);

}  // namespace tsdb_source
