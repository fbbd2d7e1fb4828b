#include "client/json/value_format.h"

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

// The patterns of airbyte/well_known_types.yaml, verbatim (WellKnownPatternsMatchTheYaml
// checks them against the file when TSDB_AIRBYTE_DIR is set).
constexpr char kDatePattern[] = R"(^\d{4}-\d{2}-\d{2}( BC)?$)";
constexpr char kTimestampWithTimezonePattern[] =
    R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+\-]\d{1,2}:\d{2})( BC)?$)";
constexpr char kTimestampWithoutTimezonePattern[] =
    R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?( BC)?$)";
constexpr char kTimeWithoutTimezonePattern[] = R"(^\d{2}:\d{2}:\d{2}(\.\d+)?$)";

bool Matches(const std::string& text, const std::string& pattern) {
  return std::regex_search(text, std::regex(pattern, std::regex::ECMAScript));
}

std::string Date(int64_t days) {
  std::string out;
  EXPECT_TRUE(AppendDate(days, &out)) << days;
  EXPECT_TRUE(Matches(out, kDatePattern)) << out;
  return out;
}

std::string Timestamp(int64_t micros) {
  std::string out;
  EXPECT_TRUE(AppendTimestamp(micros, &out)) << micros;
  EXPECT_TRUE(Matches(out, kTimestampWithoutTimezonePattern)) << out;
  return out;
}

std::string TimestampTz(int64_t micros) {
  std::string out;
  EXPECT_TRUE(AppendTimestampTz(micros, &out)) << micros;
  EXPECT_TRUE(Matches(out, kTimestampWithTimezonePattern)) << out;
  return out;
}

std::string Time(int64_t micros) {
  std::string out;
  EXPECT_TRUE(AppendTime(micros, &out)) << micros;
  EXPECT_TRUE(Matches(out, kTimeWithoutTimezonePattern)) << out;
  return out;
}

constexpr int64_t kMicrosPerSecond = 1'000'000;

int64_t Micros(int64_t year, int month, int day, int hour, int minute, int second,
               int64_t micros) {
  return DaysFromCivil(year, month, day) * kMicrosPerDay +
         (hour * 3600 + minute * 60 + second) * kMicrosPerSecond + micros;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

TEST(CivilTest, Anchors) {
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(1969, 12, 31), -1);
  EXPECT_EQ(DaysFromCivil(2000, 1, 1), 10957);
  EXPECT_EQ(DaysFromCivil(1, 1, 1), -719162);
  EXPECT_EQ(DaysFromCivil(-4713, 11, 24), -2440588);  // Julian day 0, PostgreSQL's minimum
  const CivilDate d = CivilFromDays(-719163);
  EXPECT_EQ(d.year, 0);
  EXPECT_EQ(d.month, 12);
  EXPECT_EQ(d.day, 31);
}

// Walks day by day over ~15,000 years with an independent calendar: every day must be the
// successor of the previous one, and DaysFromCivil must invert CivilFromDays.
TEST(CivilTest, ConsecutiveDaysFollowTheGregorianCalendar) {
  constexpr int64_t kFirst = -2'500'000;  // 4876 BC
  constexpr int64_t kLast = 3'000'000;    // AD 10183
  CivilDate previous = CivilFromDays(kFirst);
  ASSERT_EQ(DaysFromCivil(previous.year, previous.month, previous.day), kFirst);
  for (int64_t days = kFirst + 1; days <= kLast; ++days) {
    const CivilDate d = CivilFromDays(days);
    CivilDate expected = previous;
    if (++expected.day > DaysInMonth(expected.year, expected.month)) {
      expected.day = 1;
      if (++expected.month > 12) {
        expected.month = 1;
        ++expected.year;
      }
    }
    ASSERT_TRUE(d.year == expected.year && d.month == expected.month && d.day == expected.day)
        << "days " << days;
    ASSERT_EQ(DaysFromCivil(d.year, d.month, d.day), days);
    previous = d;
  }
}

TEST(DateTest, Epoch) {
  EXPECT_EQ(Date(0), "1970-01-01");
  EXPECT_EQ(Date(-1), "1969-12-31");
  EXPECT_EQ(Date(1), "1970-01-02");
  EXPECT_EQ(Date(-365), "1969-01-01");
}

TEST(DateTest, LeapDays) {
  EXPECT_EQ(Date(DaysFromCivil(1972, 2, 28) + 1), "1972-02-29");
  EXPECT_EQ(Date(DaysFromCivil(2000, 2, 28) + 1), "2000-02-29");  // divisible by 400
  EXPECT_EQ(Date(DaysFromCivil(1900, 2, 28) + 1), "1900-03-01");  // century, not leap
  EXPECT_EQ(Date(DaysFromCivil(2100, 2, 28) + 1), "2100-03-01");
  EXPECT_EQ(Date(DaysFromCivil(2024, 2, 29)), "2024-02-29");
  EXPECT_EQ(Date(DaysFromCivil(1600, 2, 29)), "1600-02-29");
  EXPECT_EQ(Date(11016), "2000-02-29");
}

TEST(DateTest, EarlyYearsArePaddedToFourDigits) {
  EXPECT_EQ(Date(DaysFromCivil(1, 1, 1)), "0001-01-01");
  EXPECT_EQ(Date(DaysFromCivil(42, 7, 4)), "0042-07-04");
  EXPECT_EQ(Date(DaysFromCivil(999, 12, 31)), "0999-12-31");
}

TEST(DateTest, BcUsesPostgresNumbering) {
  // Astronomical year 0 is 1 BC, -1 is 2 BC (PostgreSQL prints "0001-12-31 BC").
  EXPECT_EQ(Date(DaysFromCivil(1, 1, 1) - 1), "0001-12-31 BC");
  EXPECT_EQ(Date(DaysFromCivil(0, 1, 1)), "0001-01-01 BC");
  EXPECT_EQ(Date(DaysFromCivil(0, 2, 29)), "0001-02-29 BC");  // 1 BC is a leap year
  EXPECT_EQ(Date(DaysFromCivil(-1, 6, 15)), "0002-06-15 BC");
  EXPECT_EQ(Date(DaysFromCivil(-4713, 11, 24)), "4714-11-24 BC");  // PostgreSQL's minimum
  EXPECT_EQ(Date(DaysFromCivil(kMinYear, 1, 1)), "9999-01-01 BC");
}

TEST(DateTest, YearsWithMoreThanFourDigitsAreNotRepresentable) {
  EXPECT_EQ(Date(DaysFromCivil(kMaxYear, 12, 31)), "9999-12-31");
  EXPECT_EQ(Date(2932896), "9999-12-31");
  std::string out = "x";
  EXPECT_FALSE(AppendDate(2932897, &out));                              // 10000-01-01
  EXPECT_FALSE(AppendDate(DaysFromCivil(5874897, 12, 31), &out));       // PostgreSQL's maximum
  EXPECT_FALSE(AppendDate(DaysFromCivil(kMinYear, 1, 1) - 1, &out));    // 10000-12-31 BC
  EXPECT_FALSE(AppendDate(kDatePlusInfinity - 1, &out));
  EXPECT_FALSE(AppendDate(kDateMinusInfinity + 1, &out));
  EXPECT_EQ(out, "x");
}

TEST(DateTest, InfinityIsNotRepresentable) {
  std::string out = "x";
  EXPECT_FALSE(AppendDate(kDatePlusInfinity, &out));
  EXPECT_FALSE(AppendDate(kDateMinusInfinity, &out));
  EXPECT_FALSE(AppendDate(std::numeric_limits<int64_t>::max(), &out));
  EXPECT_FALSE(AppendDate(std::numeric_limits<int64_t>::min(), &out));
  EXPECT_EQ(out, "x");
}

TEST(TimestampTest, Epoch) {
  EXPECT_EQ(Timestamp(0), "1970-01-01T00:00:00");
  EXPECT_EQ(TimestampTz(0), "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(Timestamp(1), "1970-01-01T00:00:00.000001");
  EXPECT_EQ(Timestamp(-1), "1969-12-31T23:59:59.999999");
  EXPECT_EQ(TimestampTz(-1), "1969-12-31T23:59:59.999999+00:00");
  EXPECT_EQ(Timestamp(-kMicrosPerDay), "1969-12-31T00:00:00");
  EXPECT_EQ(Timestamp(-kMicrosPerDay - 1), "1969-12-30T23:59:59.999999");
}

TEST(TimestampTest, FractionsAreTrimmed) {
  const int64_t base = Micros(2023, 6, 15, 12, 34, 56, 0);
  EXPECT_EQ(Timestamp(base), "2023-06-15T12:34:56");
  EXPECT_EQ(Timestamp(base + 500000), "2023-06-15T12:34:56.5");
  EXPECT_EQ(Timestamp(base + 120000), "2023-06-15T12:34:56.12");
  EXPECT_EQ(Timestamp(base + 123000), "2023-06-15T12:34:56.123");
  EXPECT_EQ(Timestamp(base + 123456), "2023-06-15T12:34:56.123456");
  EXPECT_EQ(Timestamp(base + 10), "2023-06-15T12:34:56.00001");
  EXPECT_EQ(TimestampTz(base + 789000), "2023-06-15T12:34:56.789+00:00");
}

TEST(TimestampTest, LeapDay) {
  EXPECT_EQ(TimestampTz(Micros(2000, 2, 29, 23, 59, 59, 999999)),
            "2000-02-29T23:59:59.999999+00:00");
  EXPECT_EQ(Timestamp(Micros(2000, 2, 29, 23, 59, 59, 999999) + 1), "2000-03-01T00:00:00");
}

TEST(TimestampTest, Year1AndBc) {
  const int64_t year1 = Micros(1, 1, 1, 0, 0, 0, 0);
  EXPECT_EQ(Timestamp(year1), "0001-01-01T00:00:00");
  EXPECT_EQ(Timestamp(year1 - 1), "0001-12-31T23:59:59.999999 BC");
  EXPECT_EQ(TimestampTz(year1 - 1), "0001-12-31T23:59:59.999999+00:00 BC");
  // PostgreSQL's minimum, 4714-11-24 00:00:00 BC.
  EXPECT_EQ(TimestampTz(-210866803200000000), "4714-11-24T00:00:00+00:00 BC");
}

TEST(TimestampTest, YearsWithMoreThanFourDigitsAreNotRepresentable) {
  EXPECT_EQ(Timestamp(Micros(9999, 12, 31, 23, 59, 59, 999999)),
            "9999-12-31T23:59:59.999999");
  EXPECT_EQ(TimestampTz(Micros(9999, 12, 31, 23, 59, 59, 999999)),
            "9999-12-31T23:59:59.999999+00:00");
  EXPECT_EQ(TimestampTz(Micros(kMinYear, 1, 1, 0, 0, 0, 0)), "9999-01-01T00:00:00+00:00 BC");
  std::string out = "x";
  for (const int64_t micros : {Micros(10000, 1, 1, 0, 0, 0, 0),
                               Micros(200000, 2, 29, 23, 59, 59, 999999),
                               Micros(kMinYear, 1, 1, 0, 0, 0, 0) - 1,
                               // Next to the infinities (no overflow): 294247-01-10 and
                               // 290309-12-21 BC. PostgreSQL's maximum, 294276-12-31, is past
                               // what int64 microseconds since 1970 hold (it counts from 2000).
                               kTimestampPlusInfinity - 1, kTimestampMinusInfinity + 1}) {
    EXPECT_FALSE(AppendTimestamp(micros, &out)) << micros;
    EXPECT_FALSE(AppendTimestampTz(micros, &out)) << micros;
  }
  EXPECT_EQ(out, "x");
}

TEST(TimestampTest, InfinityIsNotRepresentable) {
  std::string out = "x";
  EXPECT_FALSE(AppendTimestamp(kTimestampPlusInfinity, &out));
  EXPECT_FALSE(AppendTimestamp(kTimestampMinusInfinity, &out));
  EXPECT_FALSE(AppendTimestampTz(kTimestampPlusInfinity, &out));
  EXPECT_FALSE(AppendTimestampTz(kTimestampMinusInfinity, &out));
  EXPECT_EQ(out, "x");
}

TEST(TimeTest, Values) {
  EXPECT_EQ(Time(0), "00:00:00");
  EXPECT_EQ(Time(1), "00:00:00.000001");
  EXPECT_EQ(Time((12 * 3600 + 34 * 60 + 56) * kMicrosPerSecond + 500000), "12:34:56.5");
  EXPECT_EQ(Time(kMicrosPerDay - 1), "23:59:59.999999");
  EXPECT_EQ(Time(kMicrosPerDay), "24:00:00");  // PostgreSQL accepts 24:00:00
}

TEST(TimeTest, OutOfRangeIsNotRepresentable) {
  std::string out;
  EXPECT_FALSE(AppendTime(-1, &out));
  EXPECT_FALSE(AppendTime(kMicrosPerDay + 1, &out));
  EXPECT_FALSE(AppendTime(std::numeric_limits<int64_t>::max(), &out));
  EXPECT_FALSE(AppendTime(std::numeric_limits<int64_t>::min(), &out));
  EXPECT_EQ(out, "");
}

// The predicates agree with the Append functions, value for value, around every boundary.
TEST(RepresentableTest, AgreesWithTheTextAtEveryBoundary) {
  const int64_t first_day = DaysFromCivil(kMinYear, 1, 1);
  const int64_t last_day = DaysFromCivil(kMaxYear, 12, 31);
  EXPECT_TRUE(IsRepresentableDate(first_day));
  EXPECT_FALSE(IsRepresentableDate(first_day - 1));
  EXPECT_TRUE(IsRepresentableDate(last_day));
  EXPECT_FALSE(IsRepresentableDate(last_day + 1));
  std::vector<int64_t> days = {0, -1, 1, kDatePlusInfinity, kDateMinusInfinity,
                               kDatePlusInfinity - 1, kDateMinusInfinity + 1,
                               std::numeric_limits<int64_t>::max() / kMicrosPerDay};
  for (int64_t d = -3; d <= 3; ++d) {
    days.push_back(first_day + d);
    days.push_back(last_day + d);
  }
  for (int64_t d : days) {
    std::string text;
    EXPECT_EQ(IsRepresentableDate(d), AppendDate(d, &text)) << "day " << d;
  }
  std::vector<int64_t> micros = {0, -1, 1, kTimestampPlusInfinity, kTimestampMinusInfinity,
                                 kTimestampPlusInfinity - 1, kTimestampMinusInfinity + 1};
  for (int64_t d : {first_day, last_day + 1}) {
    for (int64_t us : {int64_t{-1}, int64_t{0}, int64_t{1}}) {
      micros.push_back(d * kMicrosPerDay + us);
    }
  }
  for (int64_t us : micros) {
    std::string text;
    const bool representable = IsRepresentableTimestamp(us);
    EXPECT_EQ(representable, AppendTimestamp(us, &text)) << "micros " << us;
    EXPECT_EQ(representable, AppendTimestampTz(us, &text)) << "micros " << us;
  }
  EXPECT_TRUE(IsRepresentableTimestamp(first_day * kMicrosPerDay));
  EXPECT_FALSE(IsRepresentableTimestamp(first_day * kMicrosPerDay - 1));
  EXPECT_TRUE(IsRepresentableTimestamp((last_day + 1) * kMicrosPerDay - 1));
  EXPECT_FALSE(IsRepresentableTimestamp((last_day + 1) * kMicrosPerDay));
}

TEST(WellKnownTypesTest, FourDigitYearsMatchTheStrictPatterns) {
  const int64_t samples[] = {0,
                             -1,
                             Micros(1, 1, 1, 0, 0, 0, 0) - 1,
                             Micros(-4713, 11, 24, 0, 0, 0, 0),
                             Micros(9999, 12, 31, 23, 59, 59, 999999),
                             Micros(2024, 2, 29, 1, 2, 3, 4)};
  for (int64_t micros : samples) {
    std::string ts;
    ASSERT_TRUE(AppendTimestamp(micros, &ts));
    EXPECT_TRUE(Matches(ts, kTimestampWithoutTimezonePattern)) << ts;
    EXPECT_FALSE(Matches(ts, kTimestampWithTimezonePattern)) << ts;
    std::string tstz;
    ASSERT_TRUE(AppendTimestampTz(micros, &tstz));
    EXPECT_TRUE(Matches(tstz, kTimestampWithTimezonePattern)) << tstz;
    std::string date;
    ASSERT_TRUE(AppendDate(micros / kMicrosPerDay, &date));
    EXPECT_TRUE(Matches(date, kDatePattern)) << date;
  }
}

// Over the whole int32 range of dates (and the timestamps of their noons), a value is
// representable exactly when its year has 4 digits, and then matches the strict patterns.
TEST(WellKnownTypesTest, EverythingAppendedMatchesTheStrictPatterns) {
  const int64_t first = DaysFromCivil(kMinYear, 1, 1);
  const int64_t last = DaysFromCivil(kMaxYear, 12, 31);
  int representable = 0;
  auto check = [&](int64_t days) {
    const CivilDate civil = CivilFromDays(days);
    const bool inside = civil.year >= kMinYear && civil.year <= kMaxYear;
    EXPECT_EQ(inside, days >= first && days <= last) << days;
    std::string date;
    ASSERT_EQ(AppendDate(days, &date), inside) << days;
    std::string ts = "1970-01-01T00:00:00";
    std::string tstz = "1970-01-01T00:00:00+00:00";
    if (days > -100'000'000 && days < 100'000'000) {  // int64 microseconds hold ±106 M days
      const int64_t noon = days * kMicrosPerDay + kMicrosPerDay / 2;
      ts.clear();
      ASSERT_EQ(AppendTimestamp(noon, &ts), inside) << days;
      tstz.clear();
      ASSERT_EQ(AppendTimestampTz(noon, &tstz), inside) << days;
    }
    if (!inside) return;
    ++representable;
    EXPECT_TRUE(Matches(date, kDatePattern)) << date;
    EXPECT_TRUE(Matches(ts, kTimestampWithoutTimezonePattern)) << ts;
    EXPECT_TRUE(Matches(tstz, kTimestampWithTimezonePattern)) << tstz;
  };
  for (int64_t days = kDateMinusInfinity + 1; days < kDatePlusInfinity; days += 4099) {
    check(days);
  }
  for (int64_t edge : {first, last}) {
    for (int64_t days = edge - 3; days <= edge + 3; ++days) check(days);
  }
  EXPECT_GT(representable, 1000);
}

TEST(WellKnownTypesTest, PatternsMatchTheYaml) {
  const char* dir = std::getenv("TSDB_AIRBYTE_DIR");
  if (dir == nullptr || *dir == '\0') {
    GTEST_SKIP() << "TSDB_AIRBYTE_DIR is not set";
  }
  std::ifstream file(std::string(dir) + "/well_known_types.yaml");
  ASSERT_TRUE(file.good()) << dir << "/well_known_types.yaml";
  std::stringstream text;
  text << file.rdbuf();
  for (const char* pattern : {kDatePattern, kTimestampWithTimezonePattern,
                              kTimestampWithoutTimezonePattern, kTimeWithoutTimezonePattern}) {
    EXPECT_NE(text.str().find(std::string("pattern: ") + pattern), std::string::npos)
        << pattern;
  }
}

}  // namespace
}  // namespace tsdb_source::client
