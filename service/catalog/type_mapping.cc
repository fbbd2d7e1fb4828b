#include "service/catalog/type_mapping.h"

#include "absl/strings/str_cat.h"
#include "service/pg/copy/binary_values.h"

namespace tsdb_source {
namespace {

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

// numeric(p,s) with a declared precision: typmod ((p << 16) | s) + 4, s in the low 11 bits
// as a signed number (PostgreSQL 15 allows a negative scale). Unconstrained numeric
// (typmod -1) has neither.
void SetNumericPrecision(uint32_t base_oid, int32_t typmod, v1::Column* column) {
  if (base_oid != pg::pg_oid::kNumeric || typmod < 4) return;
  const uint32_t bits = static_cast<uint32_t>(typmod - 4);
  column->set_numeric_precision(static_cast<int32_t>((bits >> 16) & 0xffff));
  column->set_numeric_scale(static_cast<int32_t>(((bits & 0x7ff) ^ 1024)) - 1024);
}

void SetArray(v1::ValueKind element_kind, v1::Column* column) {
  column->set_element_kind(element_kind);
  column->set_kind(v1::VALUE_KIND_ARRAY);
}

}  // namespace

void DescribeColumnType(uint32_t base_oid, uint32_t element_oid, int32_t typmod,
                        bool nullable, v1::Column* column) {
  column->set_type_oid(base_oid);
  column->set_nullable(nullable);
  if (base_oid == kMoneyOid) {
    column->set_kind(v1::VALUE_KIND_NUMERIC);
    return;
  }
  if (base_oid == kMoneyArrayOid) {
    SetArray(v1::VALUE_KIND_NUMERIC, column);
    return;
  }
  v1::ValueKind kind = pg::ValueKindForType(base_oid);
  if (kind == v1::VALUE_KIND_ARRAY) {
    uint32_t element = element_oid != 0 ? element_oid : pg::ElementTypeForArray(base_oid);
    v1::ValueKind element_kind = pg::ValueKindForType(element);
    if (element == 0 || element_kind == v1::VALUE_KIND_ARRAY || !pg::HasBinaryDecoder(element)) {
      kind = v1::VALUE_KIND_TEXT;
    } else {
      SetArray(element_kind, column);
      return;
    }
  } else if (element_oid != 0) {
    // An array of a type without a binary decoder (point[], bit[], tsvector[], an enum's or
    // an extension type's array): an array of its elements' texts, read as ::text[].
    // source-postgres makes every array an array; a string would retype the column.
    SetArray(v1::VALUE_KIND_TEXT, column);
    return;
  }
  if (!pg::HasBinaryDecoder(base_oid)) kind = v1::VALUE_KIND_TEXT;
  column->set_kind(kind);
  SetNumericPrecision(base_oid, typmod, column);
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
