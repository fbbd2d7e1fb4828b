#include "service/airbyte/json_schema.h"

#include "absl/strings/str_cat.h"

namespace tsdb_source::airbyte {
namespace {

// The JSON schema of a scalar kind, with `extra_types` (e.g. `"array",`) added to its type
// list and `tail` (e.g. `,"items":{...}`) appended inside the object. Kinds whose values can
// be unrepresentable in JSON (NaN and infinities of floats and numerics, infinite dates and
// timestamps, years past 9999, emitted as null) are always nullable. `integral` is a
// numeric(p,0) column: source-postgres's integer.
std::string ScalarSchema(v1::ValueKind kind, bool nullable, const std::string& extra_types = "",
                         const std::string& tail = "", bool integral = false) {
  auto type = [&](const char* t, bool always_nullable = false) {
    return (nullable || always_nullable || !extra_types.empty())
               ? absl::StrCat("[\"", t, "\",", extra_types, "\"null\"]")
               : absl::StrCat("\"", t, "\"");
  };
  switch (kind) {
    case v1::VALUE_KIND_BOOL:
      return absl::StrCat("{\"type\":", type("boolean"), tail, "}");
    case v1::VALUE_KIND_INT64:
      return absl::StrCat("{\"type\":", type("integer"), tail, "}");
    case v1::VALUE_KIND_DOUBLE:
      return absl::StrCat("{\"type\":", type("number", true), tail, "}");
    case v1::VALUE_KIND_NUMERIC:
      return absl::StrCat("{\"type\":", type(integral ? "integer" : "number", true), tail, "}");
    case v1::VALUE_KIND_DATE:
      return absl::StrCat("{\"type\":", type("string", true), ",\"format\":\"date\"", tail, "}");
    case v1::VALUE_KIND_TIMESTAMP:
      return absl::StrCat("{\"type\":", type("string", true),
                          ",\"format\":\"date-time\",\"airbyte_type\":\"timestamp_without_timezone\"",
                          tail, "}");
    case v1::VALUE_KIND_TIMESTAMPTZ:
      return absl::StrCat("{\"type\":", type("string", true),
                          ",\"format\":\"date-time\",\"airbyte_type\":\"timestamp_with_timezone\"",
                          tail, "}");
    case v1::VALUE_KIND_TIME:
      return absl::StrCat("{\"type\":", type("string"),
                          ",\"format\":\"time\",\"airbyte_type\":\"time_without_timezone\"", tail,
                          "}");
    case v1::VALUE_KIND_TIMETZ:
      return absl::StrCat("{\"type\":", type("string"),
                          ",\"format\":\"time\",\"airbyte_type\":\"time_with_timezone\"", tail, "}");
    default:
      // TEXT; BYTES (the shim writes bytea as "\x..." hex, elements of bytea[] as base64)
      // and JSON (json/jsonb as their text), both plain strings as in source-postgres.
      return absl::StrCat("{\"type\":", type("string"), tail, "}");
  }
}

// PostgreSQL's MAXDIM: an array value has at most 6 dimensions.
constexpr int kMaxArrayDimensions = 6;

// The schema of the elements of an array whose values may still nest `levels` more array
// levels: at the last level the element itself, above it "the element or an array of
// the next level". PostgreSQL does not enforce a column's declared dimensions (an int[]
// column holds '{{1,2},{3,4}}' too), so every array column admits all of them.
std::string ArrayItemsSchema(v1::ValueKind element_kind, int levels) {
  if (levels == 0) return ScalarSchema(element_kind, /*nullable=*/true);
  return ScalarSchema(element_kind, /*nullable=*/true, "\"array\",",
                      absl::StrCat(",\"items\":", ArrayItemsSchema(element_kind, levels - 1)));
}

}  // namespace

std::string JsonSchemaFor(const v1::Column& column) {
  if (column.kind() == v1::VALUE_KIND_ARRAY) {
    return absl::StrCat("{\"type\":", column.nullable() ? "[\"array\",\"null\"]" : "\"array\"",
                        ",\"items\":",
                        ArrayItemsSchema(column.element_kind(), kMaxArrayDimensions - 1), "}");
  }
  // numeric(p,0) with a precision: pgjdbc reports precision p and scale 0 for it, and
  // source-postgres maps exactly that to an integer. Unconstrained numeric (precision 0)
  // stays a number, and so does a negative scale (PostgreSQL 15+).
  const bool integral = column.kind() == v1::VALUE_KIND_NUMERIC &&
                        column.numeric_precision() != 0 && column.numeric_scale() == 0;
  return ScalarSchema(column.kind(), column.nullable(), "", "", integral);
}

}  // namespace tsdb_source::airbyte
