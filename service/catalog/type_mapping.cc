#include "service/catalog/type_mapping.h"

#include "absl/strings/str_cat.h"
#include "service/pg/copy/binary_values.h"

namespace tsdb_source {
namespace {

// The JSON schema of a scalar kind, with `extra_types` (e.g. `"array",`) added to its type
// list and `tail` (e.g. `,"items":{...}`) appended inside the object. Kinds whose values can
// be unrepresentable in JSON (NaN and infinities of floats and numerics, infinite dates and
// timestamps, years past 9999, emitted as null) are always nullable.
std::string ScalarSchema(v1::ValueKind kind, bool nullable, const std::string& extra_types = "",
                         const std::string& tail = "") {
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
    case v1::VALUE_KIND_NUMERIC:
      return absl::StrCat("{\"type\":", type("number", true), tail, "}");
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
    case v1::VALUE_KIND_BYTES:
      return absl::StrCat("{\"type\":", type("string"), ",\"contentEncoding\":\"base64\"", tail,
                          "}");
    case v1::VALUE_KIND_JSON:
      // Emitted as the JSON value itself, whatever its JSON type (nested arrays included).
      return "{\"type\":[\"object\",\"array\",\"string\",\"number\",\"boolean\",\"null\"]}";
    default:
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

void DescribeColumnType(uint32_t base_oid, uint32_t element_oid, bool nullable,
                        v1::Column* column) {
  column->set_type_oid(base_oid);
  column->set_nullable(nullable);
  v1::ValueKind kind = pg::ValueKindForType(base_oid);
  if (kind == v1::VALUE_KIND_ARRAY) {
    uint32_t element = element_oid != 0 ? element_oid : pg::ElementTypeForArray(base_oid);
    v1::ValueKind element_kind = pg::ValueKindForType(element);
    if (element == 0 || element_kind == v1::VALUE_KIND_ARRAY || !pg::HasBinaryDecoder(element)) {
      kind = v1::VALUE_KIND_TEXT;
    } else {
      column->set_element_kind(element_kind);
      column->set_kind(v1::VALUE_KIND_ARRAY);
      column->set_json_schema(absl::StrCat("{\"type\":", nullable ? "[\"array\",\"null\"]" : "\"array\"",
                                           ",\"items\":",
                                           ArrayItemsSchema(element_kind, kMaxArrayDimensions - 1),
                                           "}"));
      return;
    }
  }
  if (!pg::HasBinaryDecoder(base_oid)) kind = v1::VALUE_KIND_TEXT;
  column->set_kind(kind);
  column->set_json_schema(ScalarSchema(kind, nullable));
}

bool ReadAsText(const v1::Column& column) {
  return pg::ValueKindForType(column.type_oid()) != column.kind() ||
         !pg::HasBinaryDecoder(column.type_oid());
}

}  // namespace tsdb_source
