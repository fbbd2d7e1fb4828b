// SQL identifier quoting. Every schema, table and column name that reaches SQL goes
// through QuoteIdent; values are never quoted by hand but bound as parameters.
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tsdb_source::pg {

// "name" with embedded double quotes doubled; any byte sequence is safe.
std::string QuoteIdent(absl::string_view name);

// "schema"."name".
std::string QuoteQualified(absl::string_view schema, absl::string_view name);

}  // namespace tsdb_source::pg

namespace tsdb_source::pg {

// A PostgreSQL text[] literal ({"a","b\"c"}) for binding as a parameter value.
std::string TextArrayLiteral(const std::vector<std::string>& items);

}  // namespace tsdb_source::pg

namespace tsdb_source::pg {

// 'text' with embedded single quotes doubled. Valid SQL only with
// standard_conforming_strings = on, which every reading connection sets.
std::string QuoteLiteral(absl::string_view value);

}  // namespace tsdb_source::pg
