// Column types: how a PostgreSQL type travels (ValueKind), and how the reader selects it.
// Domains are described by their base type, enums and unknown types as text. (A column's
// Airbyte JSON schema is made from this description by service/airbyte/json_schema.h.)
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source {

// PostgreSQL's money and money[] (pg_type.oid, stable across versions).
inline constexpr uint32_t kMoneyOid = 790;
inline constexpr uint32_t kMoneyArrayOid = 791;

// Fills kind, element_kind, type_oid, nullable and numeric precision and scale of `column` for a column of base
// type `base_oid` (`element_oid` for arrays, else 0) with type modifier `typmod` (the
// column's atttypmod, a domain's typtypmod; -1 for none), nullable or not. A type without
// a binary decoder (and arrays of such) becomes VALUE_KIND_TEXT and is read as ::text;
// money (money[]) becomes NUMERIC (an ARRAY of NUMERIC) and is read as ::numeric
// (::numeric[]), which keeps the locale's decimal places exactly; an array of a type
// without a binary decoder becomes an ARRAY of TEXT read as ::text[].
void DescribeColumnType(uint32_t base_oid, uint32_t element_oid, int32_t typmod,
                        bool nullable, v1::Column* column);

// How the reader selects a column described by DescribeColumnType.
struct ReadCast {
  // Appended to the quoted column name in the select list: "" (no cast), "::text",
  // "::text[]", "::numeric", "::numeric[]", or "::json::text" (hstore, as JSON object text;
  // ReadCastFor knows it by Column.pg_type).
  absl::string_view sql;
  // OID of the values the query then sends: 0 for the column's own type (no cast).
  uint32_t type_oid = 0;
};
ReadCast ReadCastFor(const v1::Column& column);

// True when the reader selects the column with a cast (ReadCastFor(...).type_oid != 0):
// its values are not in the column type's own binary form (change data capture, which
// receives that form, cannot use them).
bool ReadAsText(const v1::Column& column);

// True when the column's value text is input its type reads back (CAST('<text>' AS type)),
// so a saved position in it can resume a read: every column but hstore, whose values are
// JSON object text.
bool TextReadsBack(const v1::Column& column);

}  // namespace tsdb_source
