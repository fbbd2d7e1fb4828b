// Typed values (ScalarValue) to SQL: a literal expression of a column's type, for resume
// and cursor predicates inside COPY statements (which take no bind parameters). Integer-
// encoded times are rebuilt from their integer, text values are quoted literals cast to
// the column's type; nothing from a state reaches SQL unquoted.
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/records.pb.h"
#include "tsdb_source/v1/state.pb.h"

namespace tsdb_source {

// A SQL expression equal to `value` as a value of `column`'s type.
absl::StatusOr<std::string> SqlValue(const v1::Column& column, const v1::ScalarValue& value);

// True when rows can be positioned by this kind (an ordering key or a cursor).
bool IsPositionKind(v1::ValueKind kind);

// The value of row `row` of `values` (a column of a batch) as a ScalarValue of `kind`;
// nullopt for NULL or a kind that cannot position rows.
std::optional<v1::ScalarValue> ValueAt(const v1::ColumnValues& values, v1::ValueKind kind,
                                       uint32_t row);

// True when row `row` of `values` is NULL.
bool IsNullAt(const v1::ColumnValues& values, uint32_t row);

}  // namespace tsdb_source
