#include "service/catalog/type_mapping.h"

#include "absl/strings/str_cat.h"
#include "service/pg/copy/binary_values.h"

namespace tsdb_source {
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

// numeric[] (pg_type.oid).
constexpr uint32_t kNumericArrayOid = 1231;

// text[] (pg_type.oid).
constexpr uint32_t kTextArrayOid = 1009;

// hstore, an extension type (its OID differs between databases): format_type() names it
// "hstore", or "<schema>.hstore" outside the search path. source-postgres writes its values
// as JSON object text; hstore's own cast to json gives that ({"a": "1", "b": null}).
bool IsHstore(const v1::Column& column) {
  const std::string& t = column.pg_type();
  return column.kind() == v1::VALUE_KIND_TEXT &&
         (t == "hstore" || (t.size() > 7 && t.compare(t.size() - 7, 7, ".hstore") == 0));
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

// numeric(p,0) with a precision: pgjdbc reports precision p and scale 0 for it (typmod
// ((p << 16) | s) + 4, scale (typmod - 4) & 0xffff), and source-postgres maps exactly
// that to an integer. Unconstrained numeric (typmod -1, precision 0) stays a number, and
// so does a negative scale (PostgreSQL 15+), whose low 16 bits are not 0.
bool IsIntegralNumeric(uint32_t base_oid, int32_t typmod) {
  if (base_oid != pg::pg_oid::kNumeric || typmod < 4) return false;
  const uint32_t bits = static_cast<uint32_t>(typmod - 4);
  return (bits & 0xffff) == 0 && ((bits >> 16) & 0xffff) != 0;
}

void SetArray(v1::ValueKind element_kind, bool nullable, v1::Column* column) {
  column->set_element_kind(element_kind);
  column->set_kind(v1::VALUE_KIND_ARRAY);
  column->set_json_schema(absl::StrCat("{\"type\":", nullable ? "[\"array\",\"null\"]" : "\"array\"",
                                       ",\"items\":",
                                       ArrayItemsSchema(element_kind, kMaxArrayDimensions - 1),
                                       "}"));
}

}  // namespace

void DescribeColumnType(uint32_t base_oid, uint32_t element_oid, int32_t typmod,
                        bool nullable, v1::Column* column) {
  column->set_type_oid(base_oid);
  column->set_nullable(nullable);
  if (base_oid == kMoneyOid) {
    column->set_kind(v1::VALUE_KIND_NUMERIC);
    column->set_json_schema(ScalarSchema(v1::VALUE_KIND_NUMERIC, nullable));
    return;
  }
  if (base_oid == kMoneyArrayOid) {
    SetArray(v1::VALUE_KIND_NUMERIC, nullable, column);
    return;
  }
  v1::ValueKind kind = pg::ValueKindForType(base_oid);
  if (kind == v1::VALUE_KIND_ARRAY) {
    uint32_t element = element_oid != 0 ? element_oid : pg::ElementTypeForArray(base_oid);
    v1::ValueKind element_kind = pg::ValueKindForType(element);
    if (element == 0 || element_kind == v1::VALUE_KIND_ARRAY || !pg::HasBinaryDecoder(element)) {
      kind = v1::VALUE_KIND_TEXT;
    } else {
      SetArray(element_kind, nullable, column);
      return;
    }
  } else if (element_oid != 0) {
    // An array of a type without a binary decoder (point[], bit[], tsvector[], an enum's or
    // an extension type's array): an array of its elements' texts, read as ::text[].
    // source-postgres makes every array an array; a string would retype the column.
    SetArray(v1::VALUE_KIND_TEXT, nullable, column);
    return;
  }
  if (!pg::HasBinaryDecoder(base_oid)) kind = v1::VALUE_KIND_TEXT;
  column->set_kind(kind);
  column->set_json_schema(ScalarSchema(kind, nullable, "", "", IsIntegralNumeric(base_oid, typmod)));
}

ReadCast ReadCastFor(const v1::Column& column) {
  if (column.type_oid() == kMoneyOid && column.kind() == v1::VALUE_KIND_NUMERIC) {
    return {"::numeric", pg::pg_oid::kNumeric};
  }
  if (column.type_oid() == kMoneyArrayOid && column.kind() == v1::VALUE_KIND_ARRAY) {
    return {"::numeric[]", kNumericArrayOid};
  }
  if (column.kind() == v1::VALUE_KIND_ARRAY && column.element_kind() == v1::VALUE_KIND_TEXT &&
      pg::ElementTypeForArray(column.type_oid()) == 0) {
    return {"::text[]", kTextArrayOid};
  }
  if (IsHstore(column)) return {"::json::text", pg::pg_oid::kText};
  if (pg::ValueKindForType(column.type_oid()) != column.kind() ||
      !pg::HasBinaryDecoder(column.type_oid())) {
    return {"::text", pg::pg_oid::kText};
  }
  return {"", 0};
}

bool ReadAsText(const v1::Column& column) { return ReadCastFor(column).type_oid != 0; }

bool TextReadsBack(const v1::Column& column) { return !IsHstore(column); }

}  // namespace tsdb_source
