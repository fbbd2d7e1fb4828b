#include "client/json/value_format.h"

#include <cstring>

namespace tsdb_source::client {
namespace {

constexpr char kDigitPairs[] =
    "00010203040506070809"
    "10111213141516171819"
    "20212223242526272829"
    "30313233343536373839"
    "40414243444546474849"
    "50515253545556575859"
    "60616263646566676869"
    "70717273747576777879"
    "80818283848586878889"
    "90919293949596979899";

// Writes 0 <= v < 100 as two digits.
inline char* Write2(char* p, int v) {
  p[0] = kDigitPairs[2 * v];
  p[1] = kDigitPairs[2 * v + 1];
  return p + 2;
}

// Writes 1 <= year <= 9999 as 4 digits.
inline char* WriteYear(char* p, int year) {
  p = Write2(p, year / 100);
  return Write2(p, year % 100);
}

// Writes "YYYY-MM-DD" and whether the year is BC; nullptr (nothing written) when the year
// is outside [kMinYear, kMaxYear].
inline char* WriteDate(char* p, int64_t days, bool* bc) {
  const CivilDate date = CivilFromDays(days);
  if (date.year > kMaxYear || date.year < kMinYear) return nullptr;
  *bc = date.year <= 0;
  p = WriteYear(p, static_cast<int>(*bc ? 1 - date.year : date.year));
  *p++ = '-';
  p = Write2(p, date.month);
  *p++ = '-';
  return Write2(p, date.day);
}

// Writes "HH:MM:SS[.f]" for 0 <= micros <= kMicrosPerDay.
inline char* WriteTimeOfDay(char* p, int64_t micros) {
  int64_t seconds = micros / 1'000'000;
  int fraction = static_cast<int>(micros % 1'000'000);
  p = Write2(p, static_cast<int>(seconds / 3600));
  *p++ = ':';
  p = Write2(p, static_cast<int>(seconds / 60 % 60));
  *p++ = ':';
  p = Write2(p, static_cast<int>(seconds % 60));
  if (fraction != 0) {
    *p++ = '.';
    int digits = 6;
    while (fraction % 10 == 0) {
      fraction /= 10;
      --digits;
    }
    for (int i = digits - 1; i >= 0; --i) {
      p[i] = static_cast<char>('0' + fraction % 10);
      fraction /= 10;
    }
    p += digits;
  }
  return p;
}

// Floor division into (days, micros of day), without the overflow of days * kMicrosPerDay
// near INT64_MIN.
inline void SplitMicros(int64_t micros, int64_t* days, int64_t* time_of_day) {
  *days = micros / kMicrosPerDay;
  *time_of_day = micros % kMicrosPerDay;
  if (*time_of_day < 0) {
    *time_of_day += kMicrosPerDay;
    *days -= 1;
  }
}

// The date part of the last timestamp written on this thread: time series arrive a day at
// a time (a chunk holds a few days at most), so the civil-date computation runs about once
// per day instead of once per value.
struct DateCache {
  bool valid = false;
  int64_t days = 0;
  bool bc = false;
  uint8_t length = 0;
  char text[16];
};

// Writes at `buffer` (room for kMaxTimestampLength); nullptr for what AppendTimestamp rejects.
char* WriteTimestampImpl(int64_t micros, bool with_offset, char* buffer) {
  if (micros == kTimestampPlusInfinity || micros == kTimestampMinusInfinity) return nullptr;
  int64_t days;
  int64_t time_of_day;
  SplitMicros(micros, &days, &time_of_day);
  bool bc;
  thread_local DateCache cache;
  char* p;
  if (cache.valid && cache.days == days) {
    std::memcpy(buffer, cache.text, cache.length);
    p = buffer + cache.length;
    bc = cache.bc;
  } else {
    p = WriteDate(buffer, days, &bc);
    if (p == nullptr) return nullptr;
    cache.valid = true;
    cache.days = days;
    cache.bc = bc;
    cache.length = static_cast<uint8_t>(p - buffer);
    std::memcpy(cache.text, buffer, cache.length);
  }
  *p++ = 'T';
  p = WriteTimeOfDay(p, time_of_day);
  if (with_offset) {
    std::memcpy(p, "+00:00", 6);
    p += 6;
  }
  if (bc) {
    *p++ = ' ';
    *p++ = 'B';
    *p++ = 'C';
  }
  return p;
}

bool AppendTimestampImpl(int64_t micros, bool with_offset, std::string* out) {
  char buffer[kMaxTimestampLength];
  char* end = WriteTimestampImpl(micros, with_offset, buffer);
  if (end == nullptr) return false;
  out->append(buffer, end - buffer);
  return true;
}

}  // namespace

CivilDate CivilFromDays(int64_t days) {
  // http://howardhinnant.github.io/date_algorithms.html#civil_from_days
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;                                   // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                   // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);          // [1, 31]
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);           // [1, 12]
  return CivilDate{yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

int64_t DaysFromCivil(int64_t year, int month, int day) {
  // http://howardhinnant.github.io/date_algorithms.html#days_from_civil
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t yoe = year - era * 400;                                        // [0, 399]
  const int64_t doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                   // [0, 146096]
  return era * 146097 + doe - 719468;
}

namespace {

// The first and last day of the representable years, as days since 1970-01-01:
// DaysFromCivil(kMinYear, 1, 1) and DaysFromCivil(kMaxYear, 12, 31) (value_format_test).
constexpr int64_t kFirstRepresentableDay = -4'371'222;
constexpr int64_t kLastRepresentableDay = 2'932'896;

}  // namespace

bool IsRepresentableDate(int64_t days) {
  // Infinity (INT32_MAX / INT32_MIN) lies far outside the representable years.
  return days >= kFirstRepresentableDay && days <= kLastRepresentableDay;
}

bool IsRepresentableTimestamp(int64_t micros) {
  if (micros == kTimestampPlusInfinity || micros == kTimestampMinusInfinity) return false;
  int64_t days;
  int64_t time_of_day;
  SplitMicros(micros, &days, &time_of_day);
  return IsRepresentableDate(days);
}

char* WriteDateText(int64_t days, char* buffer) {
  if (days >= kDatePlusInfinity || days <= kDateMinusInfinity) return nullptr;
  bool bc;
  char* p = WriteDate(buffer, days, &bc);
  if (p == nullptr) return nullptr;
  if (bc) {
    *p++ = ' ';
    *p++ = 'B';
    *p++ = 'C';
  }
  return p;
}

bool AppendDate(int64_t days, std::string* out) {
  char buffer[kMaxTimestampLength];
  char* end = WriteDateText(days, buffer);
  if (end == nullptr) return false;
  out->append(buffer, end - buffer);
  return true;
}

char* WriteTimestampText(int64_t micros, char* p) { return WriteTimestampImpl(micros, false, p); }
char* WriteTimestampTzText(int64_t micros, char* p) { return WriteTimestampImpl(micros, true, p); }

char* WriteTimeText(int64_t micros, char* p) {
  if (micros < 0 || micros > kMicrosPerDay) return nullptr;
  return WriteTimeOfDay(p, micros);
}

bool AppendTimestamp(int64_t micros, std::string* out) {
  return AppendTimestampImpl(micros, /*with_offset=*/false, out);
}

bool AppendTimestampTz(int64_t micros, std::string* out) {
  return AppendTimestampImpl(micros, /*with_offset=*/true, out);
}

bool AppendTime(int64_t micros, std::string* out) {
  if (micros < 0 || micros > kMicrosPerDay) return false;
  char buffer[24];
  char* p = WriteTimeOfDay(buffer, micros);
  out->append(buffer, p - buffer);
  return true;
}

}  // namespace tsdb_source::client
