// Text of the integer-encoded temporal kinds of tsdb_source.v1 (records.proto, catalog.proto
// ValueKind) in Airbyte's well-known formats (airbyte/well_known_types.yaml):
//
//   VALUE_KIND_DATE         days since 1970-01-01     -> "YYYY-MM-DD[ BC]"
//   VALUE_KIND_TIMESTAMP    µs since 1970-01-01 00:00 -> "YYYY-MM-DDTHH:MM:SS[.f][ BC]"
//   VALUE_KIND_TIMESTAMPTZ  µs since 1970-01-01 UTC   -> "YYYY-MM-DDTHH:MM:SS[.f]+00:00[ BC]"
//   VALUE_KIND_TIME         µs since midnight         -> "HH:MM:SS[.f]"
//
// Contract:
// - Calendar: proleptic Gregorian (as PostgreSQL), computed with Howard Hinnant's
//   days/civil algorithms; no gmtime, no time zone database, no locale.
// - Fraction ".f": present only when the microseconds are non-zero, 1 to 6 digits with
//   trailing zeros trimmed (".5", ".123", ".000001"), as PostgreSQL prints them.
// - Years: exactly 4 digits, zero-padded ("0042"), as the well-known patterns require.
//   Astronomical years <= 0 print as year (1 - y) with the suffix " BC", PostgreSQL's
//   convention: year 0 is "0001 ... BC", year -1 is "0002 ... BC". The suffix goes last,
//   after the offset ("0001-01-01T00:00:00+00:00 BC"), where the well-known patterns put it.
//   PostgreSQL's earliest year, 4713 BC, fits; so everything appended matches the patterns.
// - Not representable: each function returns false and appends nothing, so the caller can
//   emit null. That is infinity (timestamps INT64_MAX / INT64_MIN, dates INT32_MAX /
//   INT32_MIN, PostgreSQL's 'infinity' / '-infinity'), years past 9999 (PostgreSQL allows
//   dates up to 5874897 and timestamps up to 294276; more digits fail the well-known
//   patterns, which take exactly 4), years before 9999 BC and dates outside the int32
//   range (neither sent by PostgreSQL), and times outside [00:00:00, 24:00:00].
// - Text is appended without quotes; it contains only ASCII digits, '-', ':', '.', 'T',
//   '+', ' ', 'B', 'C', so it needs no JSON escaping.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <limits>
#include <string>

namespace tsdb_source::client {

inline constexpr int64_t kTimestampPlusInfinity = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kTimestampMinusInfinity = std::numeric_limits<int64_t>::min();
inline constexpr int64_t kDatePlusInfinity = std::numeric_limits<int32_t>::max();
inline constexpr int64_t kDateMinusInfinity = std::numeric_limits<int32_t>::min();
inline constexpr int64_t kMicrosPerDay = int64_t{86'400'000'000};
// The representable astronomical years: 9999 BC (-9998) to AD 9999.
inline constexpr int64_t kMinYear = -9998;
inline constexpr int64_t kMaxYear = 9999;

// A proleptic Gregorian date with astronomical year numbering (year 0 is 1 BC).
struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

// The date `days` after 1970-01-01 (negative: before). Exact for |days| < 2^50.
CivilDate CivilFromDays(int64_t days);

// Days from 1970-01-01 to the given date (inverse of CivilFromDays; month 1..12, day
// 1..31, |year| < 2^40).
int64_t DaysFromCivil(int64_t year, int month, int day);

// "YYYY-MM-DD[ BC]" for days since 1970-01-01; false for infinity and years outside
// [kMinYear, kMaxYear].
[[nodiscard]] bool AppendDate(int64_t days, std::string* out);

// "YYYY-MM-DDTHH:MM:SS[.f][ BC]" for microseconds since 1970-01-01 00:00:00; false for
// infinity and years outside [kMinYear, kMaxYear].
[[nodiscard]] bool AppendTimestamp(int64_t micros, std::string* out);

// "YYYY-MM-DDTHH:MM:SS[.f]+00:00[ BC]" for microseconds since 1970-01-01 00:00:00 UTC;
// false for infinity and years outside [kMinYear, kMaxYear].
[[nodiscard]] bool AppendTimestampTz(int64_t micros, std::string* out);

// "HH:MM:SS[.f]" for microseconds since midnight, 0 to 86'400'000'000 ("24:00:00",
// which PostgreSQL allows) inclusive.
[[nodiscard]] bool AppendTime(int64_t micros, std::string* out);

// True exactly when AppendDate(days) appends (and WriteDateText writes) a date: not
// infinity, year within [kMinYear, kMaxYear]. For formats that carry dates as numbers but
// null what the JSON text would null (the socket data channel's protobuf values).
bool IsRepresentableDate(int64_t days);

// True exactly when AppendTimestamp(micros) and AppendTimestampTz(micros) append a
// timestamp: not infinity, its (UTC) date's year within [kMinYear, kMaxYear].
bool IsRepresentableTimestamp(int64_t micros);

// Raw writers for a caller that made room for kMaxTimestampLength bytes: each writes at `p`
// what its Append twin appends (no quotes) and returns the end, or nullptr (nothing
// usable written) where the Append twin returns false.
inline constexpr size_t kMaxTimestampLength = 48;  // longest: 35, "YYYY-MM-DDTHH:MM:SS.ffffff+00:00 BC"
char* WriteDateText(int64_t days, char* p);
char* WriteTimestampText(int64_t micros, char* p);
char* WriteTimestampTzText(int64_t micros, char* p);
char* WriteTimeText(int64_t micros, char* p);

}  // namespace tsdb_source::client
