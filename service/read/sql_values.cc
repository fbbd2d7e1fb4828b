#include "service/read/sql_values.h"

#include "absl/strings/str_cat.h"
#include "service/pg/quote.h"

namespace tsdb_source {

bool IsPositionKind(v1::ValueKind kind) {
  switch (kind) {
    case v1::VALUE_KIND_INT64:
    case v1::VALUE_KIND_TIMESTAMP:
    case v1::VALUE_KIND_TIMESTAMPTZ:
    case v1::VALUE_KIND_DATE:
    case v1::VALUE_KIND_TIME:
    case v1::VALUE_KIND_NUMERIC:
    case v1::VALUE_KIND_TEXT:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<std::string> SqlValue(const v1::Column& column, const v1::ScalarValue& value) {
  if (value.value_case() == v1::ScalarValue::kTextValue) {
    if (value.text_value().find('\0') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("a saved value of column ", column.name(), " contains a NUL byte"));
    }
    return absl::StrCat("CAST(", pg::QuoteLiteral(value.text_value()), " AS ", column.pg_type(),
                        ")");
  }
  if (value.value_case() != v1::ScalarValue::kInt64Value) {
    return absl::InvalidArgumentError(
        absl::StrCat("a saved value of column ", column.name(), " is neither integer nor text"));
  }
  const int64_t v = value.int64_value();
  switch (column.kind()) {
    case v1::VALUE_KIND_TIMESTAMPTZ:
    case v1::VALUE_KIND_TIMESTAMP: {
      const bool tz = column.kind() == v1::VALUE_KIND_TIMESTAMPTZ;
      const char* type = tz ? "timestamptz" : "timestamp";
      if (v == INT64_MAX) return absl::StrCat("'infinity'::", type);
      if (v == INT64_MIN) return absl::StrCat("'-infinity'::", type);
      // Whole days, then the microseconds of the day: PostgreSQL multiplies an interval by
      // a double, exact only below 2^53, and far timestamps (year 9999) have more
      // microseconds than that. Timestamp arithmetic (no time zone), then read as UTC.
      constexpr int64_t kMicrosPerDay = int64_t{86'400'000'000};
      int64_t days = v / kMicrosPerDay;
      int64_t micros = v % kMicrosPerDay;
      if (micros < 0) {
        micros += kMicrosPerDay;
        --days;
      }
      std::string local = absl::StrCat("('1970-01-01 00:00:00'::timestamp + (", days,
                                       ")::integer * interval '1 day' + (", micros,
                                       ")::bigint * interval '1 microsecond')");
      return tz ? absl::StrCat("(", local, " AT TIME ZONE 'UTC')") : local;
    }
    case v1::VALUE_KIND_DATE:
      if (v >= INT32_MAX) return std::string("'infinity'::date");
      if (v <= INT32_MIN) return std::string("'-infinity'::date");
      return absl::StrCat("('1970-01-01'::date + (", v, ")::integer)");
    case v1::VALUE_KIND_TIME:
      return absl::StrCat("('00:00'::time + (", v, ")::bigint * interval '1 microsecond')");
    case v1::VALUE_KIND_INT64:
      // Compared as bigint (cross-type btree operators keep indexes usable), so a saved
      // value beyond a smaller column's range compares instead of failing the cast.
      return absl::StrCat("(", v, ")::bigint");
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "column ", column.name(), " of type ", column.pg_type(), " cannot hold an integer position"));
  }
}

bool IsNullAt(const v1::ColumnValues& values, uint32_t row) {
  const std::string& bitmap = values.null_bitmap();
  if (bitmap.empty() || row / 8 >= bitmap.size()) return false;
  return (static_cast<unsigned char>(bitmap[row / 8]) >> (row % 8)) & 1;
}

std::optional<v1::ScalarValue> ValueAt(const v1::ColumnValues& values, v1::ValueKind kind,
                                       uint32_t row) {
  if (IsNullAt(values, row) || !IsPositionKind(kind)) return std::nullopt;
  v1::ScalarValue out;
  out.set_kind(kind);
  if (kind == v1::VALUE_KIND_TEXT || kind == v1::VALUE_KIND_NUMERIC) {
    if (static_cast<int>(row) >= values.strings().values_size()) return std::nullopt;
    out.set_text_value(values.strings().values(row));
  } else {
    if (static_cast<int>(row) >= values.int64s().values_size()) return std::nullopt;
    out.set_int64_value(values.int64s().values(row));
  }
  return out;
}

}  // namespace tsdb_source
