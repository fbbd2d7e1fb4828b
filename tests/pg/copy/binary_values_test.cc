#include "service/pg/copy/binary_values.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/pg/copy/fixture_util.h"
#include "tests/pg/copy/pg15_fixtures.h"

namespace tsdb_source::pg {
namespace {

using ::testing::HasSubstr;
using test_util::FromHex;
using test_util::ParsedFixture;

using StringDecoder = absl::Status (*)(absl::string_view, std::string*);
using Int64Decoder = absl::Status (*)(absl::string_view, int64_t*);
using DoubleDecoder = absl::Status (*)(absl::string_view, double*);

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();

std::string DecodeString(StringDecoder decode, const FieldView& field) {
  std::string out = "stale contents";
  absl::Status status = decode(field.bytes(), &out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

int64_t DecodeInt64(Int64Decoder decode, const FieldView& field) {
  int64_t out = -12345;
  absl::Status status = decode(field.bytes(), &out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

double DecodeDouble(DoubleDecoder decode, const FieldView& field) {
  double out = -12345;
  absl::Status status = decode(field.bytes(), &out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

// For fixtures of the form SELECT x, format('%s', x): decodes column 0 of every non-NULL
// row and compares it with PostgreSQL's own output in column 1.
void ExpectMatchesPostgresText(const char* hex, int columns, StringDecoder decode) {
  ParsedFixture fixture(hex, columns);
  ASSERT_GT(fixture.size(), 0u);
  for (size_t r = 0; r < fixture.size(); ++r) {
    if (fixture.field(r, 0).is_null()) continue;
    EXPECT_EQ(DecodeString(decode, fixture.field(r, 0)), fixture.text(r, 1).value())
        << "row " << r;
  }
}

// A big-endian int32 / int64 field as raw bytes.
std::string Be32(uint32_t v) {
  std::string s;
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<char>(v >> shift));
  return s;
}
std::string Be16(uint16_t v) {
  return std::string{static_cast<char>(v >> 8), static_cast<char>(v)};
}
std::string Be64(uint64_t v) {
  return Be32(static_cast<uint32_t>(v >> 32)) + Be32(static_cast<uint32_t>(v));
}

std::string Numeric(uint16_t ndigits, int16_t weight, uint16_t sign, uint16_t dscale,
                    const std::vector<uint16_t>& digits) {
  std::string s = Be16(ndigits) + Be16(static_cast<uint16_t>(weight)) + Be16(sign) + Be16(dscale);
  for (uint16_t d : digits) s += Be16(d);
  return s;
}

TEST(ValueKindTest, ScalarTypes) {
  struct Case {
    uint32_t oid;
    v1::ValueKind kind;
  };
  const Case cases[] = {
      {16, v1::VALUE_KIND_BOOL},        {21, v1::VALUE_KIND_INT64},
      {23, v1::VALUE_KIND_INT64},       {20, v1::VALUE_KIND_INT64},
      {26, v1::VALUE_KIND_INT64},       {700, v1::VALUE_KIND_DOUBLE},
      {701, v1::VALUE_KIND_DOUBLE},     {1700, v1::VALUE_KIND_NUMERIC},
      {1114, v1::VALUE_KIND_TIMESTAMP}, {1184, v1::VALUE_KIND_TIMESTAMPTZ},
      {1082, v1::VALUE_KIND_DATE},      {1083, v1::VALUE_KIND_TIME},
      {1266, v1::VALUE_KIND_TIMETZ},    {25, v1::VALUE_KIND_TEXT},
      {1043, v1::VALUE_KIND_TEXT},      {1042, v1::VALUE_KIND_TEXT},
      {19, v1::VALUE_KIND_TEXT},        {18, v1::VALUE_KIND_TEXT},
      {142, v1::VALUE_KIND_TEXT},       {2950, v1::VALUE_KIND_TEXT},
      {1186, v1::VALUE_KIND_TEXT},      {869, v1::VALUE_KIND_TEXT},
      {650, v1::VALUE_KIND_TEXT},       {829, v1::VALUE_KIND_TEXT},
      {774, v1::VALUE_KIND_TEXT},       {17, v1::VALUE_KIND_BYTES},
      {114, v1::VALUE_KIND_JSON},       {3802, v1::VALUE_KIND_JSON},
      // Unknown or unsupported: point, money, an enum's OID, a custom array.
      {600, v1::VALUE_KIND_TEXT},       {790, v1::VALUE_KIND_TEXT},
      {16385, v1::VALUE_KIND_TEXT},     {16390, v1::VALUE_KIND_TEXT},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ValueKindForType(c.oid), c.kind) << "OID " << c.oid;
    EXPECT_EQ(ElementTypeForArray(c.oid), 0u) << "OID " << c.oid;
  }
  EXPECT_TRUE(HasBinaryDecoder(1700));
  EXPECT_FALSE(HasBinaryDecoder(600));
  EXPECT_FALSE(HasBinaryDecoder(16385));
}

TEST(ValueKindTest, ArrayTypes) {
  const std::pair<uint32_t, uint32_t> arrays[] = {
      {1000, 16},   {1005, 21},   {1007, 23},   {1016, 20},   {1028, 26},   {1021, 700},
      {1022, 701},  {1231, 1700}, {1009, 25},   {1015, 1043}, {1014, 1042}, {1003, 19},
      {1002, 18},   {143, 142},   {1182, 1082}, {1115, 1114}, {1185, 1184}, {1183, 1083},
      {1270, 1266}, {1187, 1186}, {2951, 2950}, {199, 114},   {3807, 3802}, {1001, 17},
      {1041, 869},  {651, 650},   {1040, 829},  {775, 774},
  };
  for (const auto& [array, element] : arrays) {
    EXPECT_EQ(ValueKindForType(array), v1::VALUE_KIND_ARRAY) << "OID " << array;
    EXPECT_EQ(ElementTypeForArray(array), element) << "OID " << array;
    EXPECT_TRUE(HasBinaryDecoder(array));
    EXPECT_TRUE(HasBinaryDecoder(element));
    EXPECT_FALSE(ScalarDecoderForType(array).ok());
  }
}

TEST(ScalarDecoderTest, StorageMatchesKind) {
  for (uint32_t oid : {16u, 20u, 700u, 1700u, 1114u, 1082u, 1266u, 25u, 17u, 3802u, 600u}) {
    absl::StatusOr<ScalarDecoder> d = ScalarDecoderForType(oid);
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->kind, ValueKindForType(oid));
    EXPECT_EQ(d->storage, StorageForKind(d->kind));
    switch (d->storage) {
      case Storage::kBool: EXPECT_NE(d->to_bool, nullptr); break;
      case Storage::kInt64: EXPECT_NE(d->to_int64, nullptr); break;
      case Storage::kDouble: EXPECT_NE(d->to_double, nullptr); break;
      case Storage::kString: EXPECT_NE(d->to_string, nullptr); break;
      case Storage::kList: ADD_FAILURE(); break;
    }
  }
  EXPECT_EQ(ScalarDecoderForType(600)->to_string, &DecodeRaw);
}

TEST(BinaryValuesTest, BoolAndIntegers) {
  // SELECT b, i2, i4, i8, o FROM (VALUES (true, 0, 0, 0, 0),
  //   (false, 32767, 2147483647, 9223372036854775807, 4294967295),
  //   (NULL, -32768, -2147483648, -9223372036854775808, 1), (true, NULL...))
  ParsedFixture fx(fixtures::kIntegers, 5);
  ASSERT_EQ(fx.size(), 4u);
  bool b = false;
  ASSERT_TRUE(DecodeBool(fx.field(0, 0).bytes(), &b).ok());
  EXPECT_TRUE(b);
  ASSERT_TRUE(DecodeBool(fx.field(1, 0).bytes(), &b).ok());
  EXPECT_FALSE(b);
  EXPECT_TRUE(fx.field(2, 0).is_null());

  EXPECT_EQ(DecodeInt64(&DecodeInt2, fx.field(0, 1)), 0);
  EXPECT_EQ(DecodeInt64(&DecodeInt2, fx.field(1, 1)), 32767);
  EXPECT_EQ(DecodeInt64(&DecodeInt2, fx.field(2, 1)), -32768);
  EXPECT_EQ(DecodeInt64(&DecodeInt4, fx.field(1, 2)), kInt32Max);
  EXPECT_EQ(DecodeInt64(&DecodeInt4, fx.field(2, 2)), kInt32Min);
  EXPECT_EQ(DecodeInt64(&DecodeInt8, fx.field(1, 3)), kInt64Max);
  EXPECT_EQ(DecodeInt64(&DecodeInt8, fx.field(2, 3)), kInt64Min);
  EXPECT_EQ(DecodeInt64(&DecodeOid, fx.field(0, 4)), 0);
  EXPECT_EQ(DecodeInt64(&DecodeOid, fx.field(1, 4)), 4294967295);  // unsigned
  EXPECT_EQ(DecodeInt64(&DecodeOid, fx.field(2, 4)), 1);

  int64_t v;
  EXPECT_EQ(DecodeInt4(fx.field(0, 3).bytes(), &v).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeInt8(fx.field(0, 2).bytes(), &v).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeBool("", &b).code(), absl::StatusCode::kInvalidArgument);
  // boolrecv treats any non-zero byte as true.
  ASSERT_TRUE(DecodeBool("\x02", &b).ok());
  EXPECT_TRUE(b);
}

TEST(BinaryValuesTest, FloatsKeepNaNInfinityAndSignedZero) {
  // See kFloats: 1.5, -0, NaN, Infinity, -Infinity, denormal minimum, maximum, NULL.
  ParsedFixture fx(fixtures::kFloats, 2);
  ASSERT_EQ(fx.size(), 8u);
  for (int c = 0; c < 2; ++c) {
    DoubleDecoder decode = c == 0 ? &DecodeFloat4 : &DecodeFloat8;
    SCOPED_TRACE(c == 0 ? "float4" : "float8");
    EXPECT_EQ(DecodeDouble(decode, fx.field(0, c)), 1.5);
    const double negative_zero = DecodeDouble(decode, fx.field(1, c));
    EXPECT_EQ(negative_zero, 0.0);
    EXPECT_TRUE(std::signbit(negative_zero));
    EXPECT_TRUE(std::isnan(DecodeDouble(decode, fx.field(2, c))));
    EXPECT_EQ(DecodeDouble(decode, fx.field(3, c)), std::numeric_limits<double>::infinity());
    EXPECT_EQ(DecodeDouble(decode, fx.field(4, c)), -std::numeric_limits<double>::infinity());
    EXPECT_TRUE(fx.field(7, c).is_null());
  }
  EXPECT_EQ(DecodeDouble(&DecodeFloat4, fx.field(5, 0)),
            static_cast<double>(std::numeric_limits<float>::denorm_min()));
  EXPECT_EQ(DecodeDouble(&DecodeFloat8, fx.field(5, 1)),
            std::numeric_limits<double>::denorm_min());
  EXPECT_EQ(DecodeDouble(&DecodeFloat4, fx.field(6, 0)),
            static_cast<double>(std::numeric_limits<float>::max()));
  EXPECT_EQ(DecodeDouble(&DecodeFloat8, fx.field(6, 1)), std::numeric_limits<double>::max());
  double d;
  EXPECT_EQ(DecodeFloat8(fx.field(0, 0).bytes(), &d).code(), absl::StatusCode::kInvalidArgument);
}

TEST(NumericTest, MatchesPostgresOutput) {
  ExpectMatchesPostgresText(fixtures::kNumerics, 2, &DecodeNumeric);
}

TEST(NumericTest, SpecialValuesAndScale) {
  ParsedFixture fx(fixtures::kNumerics, 2);
  ASSERT_EQ(fx.size(), 22u);
  const std::pair<int, const char*> expected[] = {
      {0, "0"},        {1, "0.000"},     {2, "1.500"},
      {3, "-1.500"},   {6, "10000"},     {7, "99990000"},
      {9, "-0.0001"},  {10, "0.00000001234"},
      {12, "123456789012345678901234567890.123456789"},
      {13, "-98765432109876543210.00000000001"},
      {18, "NaN"},     {19, "Infinity"}, {20, "-Infinity"},
  };
  for (const auto& [row, text] : expected) {
    EXPECT_EQ(DecodeString(&DecodeNumeric, fx.field(row, 0)), text) << "row " << row;
  }
  EXPECT_EQ(DecodeString(&DecodeNumeric, fx.field(16, 0)), std::string(300, '9'));
  EXPECT_EQ(DecodeString(&DecodeNumeric, fx.field(14, 0)), "1" + std::string(100, '0'));
  EXPECT_TRUE(fx.field(21, 0).is_null());
}

TEST(NumericTest, ExtremeWeightsAndScales) {
  // '1e131071' (weight 32767), '-1e-16383' and '1e-16383' (dscale 16383, the maximum).
  ParsedFixture fx(fixtures::kNumericExtremes, 4);
  ASSERT_EQ(fx.size(), 3u);
  for (size_t r = 0; r < fx.size(); ++r) {
    const std::string text = DecodeString(&DecodeNumeric, fx.field(r, 0));
    int64_t length = DecodeInt64(&DecodeInt4, fx.field(r, 1));
    EXPECT_EQ(static_cast<int64_t>(text.size()), length) << "row " << r;
    EXPECT_EQ(text.substr(0, 12), fx.text(r, 2).value()) << "row " << r;
    EXPECT_EQ(text.substr(text.size() - 12), fx.text(r, 3).value()) << "row " << r;
  }
  EXPECT_EQ(DecodeString(&DecodeNumeric, fx.field(0, 0)), "1" + std::string(131071, '0'));
  EXPECT_EQ(DecodeString(&DecodeNumeric, fx.field(1, 0)),
            "-0." + std::string(16382, '0') + "1");
}

TEST(NumericTest, DigitCountAbove32767IsUnsigned) {
  // 36864 base-10000 digits: the most a numeric can hold (131072 integer digits, 16383
  // fractional). ndigits is sent as an int16 but must be read as uint16.
  std::vector<uint16_t> digits(36864, 0);
  digits.front() = 1;
  digits.back() = 1000;
  const std::string value = Numeric(36864, 32767, 0x0000, 16383, digits);
  std::string out;
  ASSERT_TRUE(DecodeNumeric(value, &out).ok());
  // The last group "1000" is cut to the display scale (truncation, as numeric_out).
  EXPECT_EQ(out, "1" + std::string(32767 * 4, '0') + "." + std::string(4095 * 4, '0') + "100");
}

TEST(NumericTest, FollowsGetStrFromVarForUnnormalisedInput) {
  std::string out;
  // Digits past dscale are truncated, not rounded.
  ASSERT_TRUE(DecodeNumeric(Numeric(1, -1, 0x0000, 2, {1299}), &out).ok());
  EXPECT_EQ(out, "0.12");
  // A weight beyond the digits pads with zeros; a negative zero keeps its sign.
  ASSERT_TRUE(DecodeNumeric(Numeric(1, 2, 0x0000, 1, {5}), &out).ok());
  EXPECT_EQ(out, "500000000.0");
  ASSERT_TRUE(DecodeNumeric(Numeric(0, 0, 0x4000, 0, {}), &out).ok());
  EXPECT_EQ(out, "-0");
  // NUMERIC_PINF / NUMERIC_NINF as PostgreSQL 14+ send them.
  ASSERT_TRUE(DecodeNumeric(Numeric(0, 0, 0xD000, 0, {}), &out).ok());
  EXPECT_EQ(out, "Infinity");
  ASSERT_TRUE(DecodeNumeric(Numeric(0, 0, 0xF000, 0, {}), &out).ok());
  EXPECT_EQ(out, "-Infinity");
}

TEST(NumericTest, MalformedValues) {
  std::string out;
  absl::Status s = DecodeNumeric(Numeric(1, 0, 0x8000, 0, {1}), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("invalid sign"));
  s = DecodeNumeric(Numeric(1, 0, 0x0000, 0, {10000}), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("not in 0..9999"));
  s = DecodeNumeric(Numeric(0, 0, 0x0000, 0x4000, {}), &out);
  EXPECT_THAT(s.message(), HasSubstr("display scale"));
  s = DecodeNumeric(Numeric(2, 0, 0x0000, 0, {1}), &out);
  EXPECT_THAT(s.message(), HasSubstr("2 digits need 4 bytes, got 2"));
  s = DecodeNumeric(Numeric(0, 0, 0x0000, 0, {1}), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeNumeric("\x00\x01\x00", &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(TimestampTest, MicrosecondsSince1970) {
  // See kTimestamps; columns 1 and 3 hold extract(epoch ...) * 1e6 as computed by the server.
  ParsedFixture fx(fixtures::kTimestamps, 4);
  ASSERT_EQ(fx.size(), 10u);
  for (size_t r = 0; r < fx.size(); ++r) {
    for (int c : {0, 2}) {
      if (fx.field(r, c + 1).is_null()) continue;
      EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(r, c)),
                DecodeInt64(&DecodeInt8, fx.field(r, c + 1)))
          << "row " << r << " column " << c;
    }
  }
  EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(0, 0)), 946684800000000);  // 2000-01-01
  EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(1, 0)), 0);                // 1970-01-01
  EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(2, 0)), -1);   // 1969-12-31 23:59:59.999999
  EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(3, 0)), 946684799500000);
  EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(3, 2)), 946684799500000 + 8 * 3600000000LL);
  EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(4, 0)), -2208943503211000);  // 1900
  EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(4, 2)), -2208943503211000 - 3600000000LL);
  // 4713-01-01 BC is Julian day 38, 1970-01-01 is day 2440588.
  EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(6, 0)), (38 - 2440588) * 86400000000LL);
  for (int c : {0, 2}) {
    EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(7, c)), kInt64Max);  // infinity
    EXPECT_EQ(DecodeInt64(&DecodeTimestamp, fx.field(8, c)), kInt64Min);  // -infinity
    EXPECT_TRUE(fx.field(9, c).is_null());
  }
}

TEST(TimestampTest, ValidPostgresTimestampPastInt64IsOutOfRange) {
  // SELECT '294276-12-31 23:59:59.999999'::timestamp: valid in PostgreSQL, but its
  // microseconds since 1970 exceed INT64_MAX.
  ParsedFixture fx(fixtures::kTimestampAfterInt64, 1);
  ASSERT_EQ(fx.size(), 1u);
  int64_t out = 7;
  absl::Status s = DecodeTimestamp(fx.field(0, 0).bytes(), &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(out, 7);
  // The last value that fits; one more would read as INT64_MAX = infinity.
  ASSERT_TRUE(DecodeTimestamp(Be64(kInt64Max - 946684800000000 - 1), &out).ok());
  EXPECT_EQ(out, kInt64Max - 1);
  EXPECT_EQ(DecodeTimestamp(Be64(kInt64Max - 946684800000000), &out).code(),
            absl::StatusCode::kOutOfRange);
  // Outside PostgreSQL's own range.
  EXPECT_EQ(DecodeTimestamp(Be64(static_cast<uint64_t>(kInt64Min + 1)), &out).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(DateTest, DaysSince1970) {
  ParsedFixture fx(fixtures::kDates, 2);
  ASSERT_EQ(fx.size(), 10u);
  for (size_t r = 0; r < fx.size(); ++r) {
    if (fx.field(r, 1).is_null()) continue;
    EXPECT_EQ(DecodeInt64(&DecodeDate, fx.field(r, 0)), DecodeInt64(&DecodeInt4, fx.field(r, 1)))
        << "row " << r;
  }
  EXPECT_EQ(DecodeInt64(&DecodeDate, fx.field(0, 0)), 10957);
  EXPECT_EQ(DecodeInt64(&DecodeDate, fx.field(1, 0)), 0);
  EXPECT_EQ(DecodeInt64(&DecodeDate, fx.field(2, 0)), -1);
  // 5874897-12-31, the last date: Julian day 2147483493.
  EXPECT_EQ(DecodeInt64(&DecodeDate, fx.field(6, 0)), 2147483493 - 2440588);
  EXPECT_EQ(DecodeInt64(&DecodeDate, fx.field(7, 0)), kInt32Max);  // infinity, unchanged
  EXPECT_EQ(DecodeInt64(&DecodeDate, fx.field(8, 0)), kInt32Min);  // -infinity
  EXPECT_TRUE(fx.field(9, 0).is_null());
  int64_t out;
  EXPECT_EQ(DecodeDate(Be32(static_cast<uint32_t>(kInt32Max - 1)), &out).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TimeTest, MicrosecondsSinceMidnight) {
  ParsedFixture fx(fixtures::kTimes, 2);
  ASSERT_EQ(fx.size(), 5u);
  for (size_t r = 0; r + 1 < fx.size(); ++r) {
    EXPECT_EQ(DecodeInt64(&DecodeTime, fx.field(r, 0)), DecodeInt64(&DecodeInt8, fx.field(r, 1)));
  }
  EXPECT_EQ(DecodeInt64(&DecodeTime, fx.field(2, 0)), 86400000000);  // 24:00:00
  int64_t out;
  EXPECT_EQ(DecodeTime(Be64(86400000001), &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeTime(Be64(static_cast<uint64_t>(-1)), &out).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TimetzTest, IsoTextWithOffsetEastOfUtc) {
  ParsedFixture fx(fixtures::kTimetzs, 2);
  ASSERT_EQ(fx.size(), 8u);
  const char* expected[] = {
      "12:34:56+02:00",       "12:34:56-05:30",    "00:00:00.000001+00:00",
      "23:59:59.5-15:59",     "24:00:00+15:59",    "10:00:00+05:30:15",
      "08:15:00.25-00:00:15",
  };
  for (size_t r = 0; r < 7; ++r) {
    const std::string text = DecodeString(&DecodeTimetz, fx.field(r, 0));
    EXPECT_EQ(text, expected[r]) << "row " << r;
    // PostgreSQL prints a whole-hour offset as "+02"; otherwise the texts are identical.
    std::string pg = fx.text(r, 1).value();
    const size_t sign = pg.find_last_of("+-");
    if (pg.size() - sign == 3) pg += ":00";
    EXPECT_EQ(text, pg) << "row " << r;
  }
  EXPECT_TRUE(fx.field(7, 0).is_null());
  // The wire stores the zone in seconds WEST of UTC: +02 is -7200.
  const absl::string_view raw = fx.field(0, 0).bytes();
  EXPECT_EQ(raw.substr(8), Be32(static_cast<uint32_t>(-7200)));

  std::string out;
  EXPECT_EQ(DecodeTimetz(Be64(0) + Be32(16 * 3600), &out).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeTimetz(Be64(0), &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(IntervalTest, MatchesPostgresDefaultStyleOutput) {
  // The fixture's text column is IntervalStyle iso_8601; these are the same values as
  // PostgreSQL 15.20 prints them with IntervalStyle postgres (its default, and what
  // source-postgres emits), captured with psql.
  const char* const kPostgresStyle[] = {
      "1 year 2 mons 3 days 04:05:06.5",
      "00:00:00",
      "-1 years -2 mons",
      "-3 days -04:00:00",
      "1 mon -1 days",
      "-00:00:00.000001",
      "00:00:01.5",
      "100:00:00",
      "-10 mons -3 days +04:05:06.789",
      "-04:05:06.789",
      "1 year 2 mons",
      "-1 years -2 mons",
      "1 day 00:00:00.00001",
      "178956970 years 7 mons 2147483647 days 2562047788:00:54.775807",
      "-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808",
  };
  ParsedFixture fx(fixtures::kIntervals, 2);
  ASSERT_EQ(fx.size(), 16u);
  for (size_t r = 0; r < 15; ++r) {
    EXPECT_EQ(DecodeString(&DecodeIntervalBefore17, fx.field(r, 0)), kPostgresStyle[r]) << r;
    if (r < 13) {
      EXPECT_EQ(DecodeString(&DecodeInterval, fx.field(r, 0)), kPostgresStyle[r]) << r;
    }
  }
  EXPECT_TRUE(fx.field(15, 0).is_null());
}

TEST(IntervalTest, ExtremesAreInfinityFromPostgres17On) {
  // PostgreSQL 15's largest and smallest finite intervals have the bits PostgreSQL 17
  // gives to infinity and -infinity.
  ParsedFixture fx(fixtures::kIntervals, 2);
  EXPECT_EQ(DecodeString(&DecodeInterval, fx.field(13, 0)), "infinity");
  EXPECT_EQ(DecodeString(&DecodeInterval, fx.field(14, 0)), "-infinity");
  EXPECT_EQ(DecodeString(&DecodeIntervalBefore17, fx.field(13, 0)),
            "178956970 years 7 mons 2147483647 days 2562047788:00:54.775807");
  EXPECT_EQ(ScalarDecoderForType(1186)->to_string, &DecodeInterval);
  EXPECT_EQ(ScalarDecoderForType(1186, 170004)->to_string, &DecodeInterval);
  EXPECT_EQ(ScalarDecoderForType(1186, 150020)->to_string, &DecodeIntervalBefore17);
  std::string out;
  ASSERT_TRUE(DecodeInterval(Be64(static_cast<uint64_t>(kInt64Max)) +
                                 Be32(static_cast<uint32_t>(kInt32Max)) +
                                 Be32(static_cast<uint32_t>(kInt32Max)),
                             &out)
                  .ok());
  EXPECT_EQ(out, "infinity");
  ASSERT_TRUE(DecodeInterval(Be64(static_cast<uint64_t>(kInt64Min)) +
                                 Be32(static_cast<uint32_t>(kInt32Min)) +
                                 Be32(static_cast<uint32_t>(kInt32Min)),
                             &out)
                  .ok());
  EXPECT_EQ(out, "-infinity");
  EXPECT_EQ(DecodeInterval(Be64(0), &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(UuidTest, CanonicalLowercase) {
  ExpectMatchesPostgresText(fixtures::kUuids, 2, &DecodeUuid);
  ParsedFixture fx(fixtures::kUuids, 2);
  EXPECT_EQ(DecodeString(&DecodeUuid, fx.field(2, 0)), "ffffffff-ffff-ffff-ffff-ffffffffffff");
  std::string out;
  EXPECT_EQ(DecodeUuid("0123456789abcde", &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(NetworkTest, InetAsPostgresPrintsIt) {
  ExpectMatchesPostgresText(fixtures::kInets, 2, &DecodeInet);
  ParsedFixture fx(fixtures::kInets, 2);
  EXPECT_EQ(DecodeString(&DecodeInet, fx.field(0, 0)), "192.168.1.1");  // /32 omitted
  EXPECT_EQ(DecodeString(&DecodeInet, fx.field(1, 0)), "192.168.1.1/24");
  EXPECT_EQ(DecodeString(&DecodeInet, fx.field(5, 0)), "::1");  // /128 omitted
  EXPECT_EQ(DecodeString(&DecodeInet, fx.field(9, 0)), "::ffff:1.2.3.4");
  EXPECT_EQ(DecodeString(&DecodeInet, fx.field(12, 0)), "::102");  // '::0.0.1.2'
}

TEST(NetworkTest, CidrAlwaysShowsTheMask) {
  ExpectMatchesPostgresText(fixtures::kCidrs, 2, &DecodeCidr);
  ParsedFixture fx(fixtures::kCidrs, 2);
  EXPECT_EQ(DecodeString(&DecodeCidr, fx.field(1, 0)), "192.168.1.1/32");
  EXPECT_EQ(DecodeString(&DecodeCidr, fx.field(6, 0)), "::1/128");
}

TEST(NetworkTest, MalformedValues) {
  std::string out;
  // family, bits, is_cidr, address length, address
  EXPECT_TRUE(DecodeInet(FromHex("02200004" "01020304"), &out).ok());
  EXPECT_EQ(out, "1.2.3.4");
  EXPECT_EQ(DecodeInet(FromHex("04200004" "01020304"), &out).code(),
            absl::StatusCode::kInvalidArgument);  // family
  EXPECT_EQ(DecodeInet(FromHex("02210004" "01020304"), &out).code(),
            absl::StatusCode::kInvalidArgument);  // 33 bits
  EXPECT_EQ(DecodeInet(FromHex("02200010" "01020304"), &out).code(),
            absl::StatusCode::kInvalidArgument);  // length 16 for IPv4
  EXPECT_EQ(DecodeInet(FromHex("02200004" "010203"), &out).code(),
            absl::StatusCode::kInvalidArgument);  // truncated
  EXPECT_EQ(DecodeInet(FromHex("022000"), &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(MacaddrTest, ColonSeparatedLowercase) {
  ParsedFixture fx(fixtures::kMacaddrs, 4);
  ASSERT_EQ(fx.size(), 4u);
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(DecodeString(&DecodeMacaddr, fx.field(r, 0)), fx.text(r, 1).value());
    EXPECT_EQ(DecodeString(&DecodeMacaddr8, fx.field(r, 2)), fx.text(r, 3).value());
  }
  EXPECT_EQ(DecodeString(&DecodeMacaddr, fx.field(0, 0)), "08:00:2b:01:02:03");
  EXPECT_EQ(DecodeString(&DecodeMacaddr8, fx.field(1, 2)), "08:00:2b:ff:fe:01:02:03");
  std::string out;
  EXPECT_EQ(DecodeMacaddr8(fx.field(0, 0).bytes(), &out).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(TextTest, TextLikeBytesAreCopiedAsSent) {
  // Columns: text, varchar, bpchar(5), name, "char", xml, bytea, json, jsonb, jsonb text.
  ParsedFixture fx(fixtures::kTexts, 10);
  ASSERT_EQ(fx.size(), 4u);
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(0, 0)), "hello");
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(0, 1)), "varchar");
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(0, 2)), "ab   ");  // bpchar keeps its padding
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(0, 3)), "pg_class");
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(0, 4)), "x");
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(0, 5)), "<a>1</a>");
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(0, 6)), std::string("\x00\xff\x10", 3));
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(0, 7)), R"({"a": [1, 2],  "b":null})");
  EXPECT_EQ(DecodeString(&DecodeJsonb, fx.field(0, 8)), R"({"a": [1, 2, {"c": "ü"}], "b": 1})");
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(1, 0)), "");
  EXPECT_FALSE(fx.field(1, 0).is_null());
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(1, 6)), "");
  EXPECT_EQ(DecodeString(&DecodeRaw, fx.field(2, 0)), "ünïcødé ✓");
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(DecodeString(&DecodeJsonb, fx.field(r, 8)), fx.text(r, 9).value());
  }
  for (int c = 0; c < 9; ++c) EXPECT_TRUE(fx.field(3, c).is_null()) << c;

  std::string out;
  EXPECT_EQ(DecodeJsonb("\x02{}", &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeJsonb("", &out).code(), absl::StatusCode::kInvalidArgument);
}

TEST(ArrayReaderTest, OneDimensionalArrays) {
  // '{1,2,3}', '{}', NULL, '{1,NULL,3}', '[0:2]={7,8,9}', '{NULL}', '{min,max}'
  ParsedFixture fx(fixtures::kInt4Arrays, 2);
  ASSERT_EQ(fx.size(), 7u);
  auto elements = [&](size_t row) {
    absl::StatusOr<ArrayReader> reader = ArrayReader::Open(fx.field(row, 0).bytes(), 23);
    EXPECT_TRUE(reader.ok()) << reader.status();
    std::vector<std::string> out;
    FieldView e;
    for (int64_t i = 0; i < reader->element_count(); ++i) {
      EXPECT_TRUE(reader->Next(&e).ok());
      out.push_back(e.is_null() ? "NULL" : absl::StrCat(DecodeInt64(&DecodeInt4, e)));
    }
    EXPECT_TRUE(reader->Finish().ok());
    return out;
  };
  EXPECT_THAT(elements(0), ::testing::ElementsAre("1", "2", "3"));
  EXPECT_THAT(elements(1), ::testing::ElementsAre());
  EXPECT_THAT(elements(3), ::testing::ElementsAre("1", "NULL", "3"));
  EXPECT_THAT(elements(4), ::testing::ElementsAre("7", "8", "9"));
  EXPECT_THAT(elements(5), ::testing::ElementsAre("NULL"));
  EXPECT_THAT(elements(6), ::testing::ElementsAre("-2147483648", "2147483647"));

  absl::StatusOr<ArrayReader> empty = ArrayReader::Open(fx.field(1, 0).bytes(), 23);
  EXPECT_EQ(empty->dimensions(), 0);
  absl::StatusOr<ArrayReader> bounded = ArrayReader::Open(fx.field(4, 0).bytes(), 23);
  ASSERT_EQ(bounded->dimensions(), 1);
  EXPECT_EQ(bounded->size(0), 3);
  EXPECT_EQ(bounded->lower_bound(0), 0);
  EXPECT_EQ(bounded->element_type(), 23u);
}

TEST(ArrayReaderTest, MultiDimensionalArrays) {
  // '{{1,2},{3,4},{5,6}}', '{}', NULL, '{{7,NULL,9}}', '[2:3][-1:0]={{1,2},{3,4}}'
  ParsedFixture fx(fixtures::kMultiDimArrays, 2);
  absl::StatusOr<ArrayReader> a = ArrayReader::Open(fx.field(0, 0).bytes(), 23);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->dimensions(), 2);
  EXPECT_EQ(a->size(0), 3);
  EXPECT_EQ(a->size(1), 2);
  EXPECT_EQ(a->element_count(), 6);
  absl::StatusOr<ArrayReader> b = ArrayReader::Open(fx.field(4, 0).bytes(), 23);
  EXPECT_EQ(b->lower_bound(0), 2);
  EXPECT_EQ(b->lower_bound(1), -1);
  absl::StatusOr<ArrayReader> wrong_type = ArrayReader::Open(fx.field(0, 0).bytes(), 20);
  EXPECT_EQ(wrong_type.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(wrong_type.status().message(), HasSubstr("type OID 23, expected 20"));
}

TEST(ArrayReaderTest, MalformedArrays) {
  const std::string header = Be32(1) + Be32(0) + Be32(23);
  EXPECT_FALSE(ArrayReader::Open(Be32(7) + Be32(0) + Be32(23), 0).ok());  // 7 dimensions
  EXPECT_FALSE(ArrayReader::Open(Be32(1) + Be32(2) + Be32(23) + Be32(1) + Be32(1), 0).ok());
  EXPECT_FALSE(ArrayReader::Open(header + Be32(static_cast<uint32_t>(-1)) + Be32(1), 0).ok());
  EXPECT_FALSE(ArrayReader::Open(header + Be32(1000) + Be32(1), 0).ok());  // no room
  // lower bound + size must fit in int32 (ArrayCheckBounds).
  EXPECT_FALSE(ArrayReader::Open(header + Be32(1) + Be32(0x7fffffff) + Be32(4), 0).ok());
  EXPECT_TRUE(ArrayReader::Open(header + Be32(1) + Be32(0x7ffffffe) + Be32(0), 0).ok());
  EXPECT_FALSE(ArrayReader::Open(header, 0).ok());  // missing dimension
  EXPECT_FALSE(ArrayReader::Open("\x00\x00", 0).ok());
  // Six dimensions of 65536 each: the product is bounded before it can overflow.
  std::string huge = Be32(6) + Be32(0) + Be32(23);
  for (int i = 0; i < 6; ++i) huge += Be32(65536) + Be32(1);
  EXPECT_FALSE(ArrayReader::Open(huge, 0).ok());

  // Element length past the end, then bytes after the last element.
  // (The reader points into its input: keep each value alive while reading.)
  const std::string long_element = header + Be32(1) + Be32(1) + Be32(8) + Be32(1);
  absl::StatusOr<ArrayReader> r = ArrayReader::Open(long_element, 23);
  ASSERT_TRUE(r.ok());
  FieldView e;
  EXPECT_EQ(r->Next(&e).code(), absl::StatusCode::kInvalidArgument);
  const std::string trailing = header + Be32(1) + Be32(1) + Be32(4) + Be32(1) + "x";
  r = ArrayReader::Open(trailing, 23);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->Next(&e).ok());
  EXPECT_EQ(r->Finish().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r->Next(&e).code(), absl::StatusCode::kFailedPrecondition);
  // A dimension of size 0 makes an empty array, as array_recv does.
  const std::string zero_size =
      Be32(2) + Be32(0) + Be32(23) + Be32(2) + Be32(1) + Be32(0) + Be32(1);
  r = ArrayReader::Open(zero_size, 23);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->dimensions(), 0);
  EXPECT_EQ(r->element_count(), 0);
  EXPECT_TRUE(r->Finish().ok());
}

// Every decoder on every prefix of a real value and on random bytes: statuses, no UB
// (run under --config=asan to make that check strict).
TEST(RobustnessTest, DecodersRejectTruncatedAndRandomInput) {
  struct Sample {
    uint32_t oid;
    const char* hex;
    int columns;
    size_t row, column;
  };
  const Sample samples[] = {
      {16, fixtures::kIntegers, 5, 0, 0},   {21, fixtures::kIntegers, 5, 1, 1},
      {23, fixtures::kIntegers, 5, 1, 2},   {20, fixtures::kIntegers, 5, 1, 3},
      {26, fixtures::kIntegers, 5, 1, 4},   {700, fixtures::kFloats, 2, 0, 0},
      {701, fixtures::kFloats, 2, 0, 1},    {1700, fixtures::kNumerics, 2, 12, 0},
      {1114, fixtures::kTimestamps, 4, 4, 0}, {1184, fixtures::kTimestamps, 4, 4, 2},
      {1082, fixtures::kDates, 2, 3, 0},    {1083, fixtures::kTimes, 2, 3, 0},
      {1266, fixtures::kTimetzs, 2, 3, 0},  {1186, fixtures::kIntervals, 2, 0, 0},
      {2950, fixtures::kUuids, 2, 0, 0},    {869, fixtures::kInets, 2, 8, 0},
      {650, fixtures::kCidrs, 2, 4, 0},     {829, fixtures::kMacaddrs, 4, 0, 0},
      {774, fixtures::kMacaddrs, 4, 0, 2},  {3802, fixtures::kTexts, 10, 0, 8},
  };
  std::mt19937 random(20240229);
  for (const Sample& sample : samples) {
    SCOPED_TRACE(absl::StrCat("OID ", sample.oid));
    ParsedFixture fx(sample.hex, sample.columns);
    const std::string value(fx.field(sample.row, sample.column).bytes());
    absl::StatusOr<ScalarDecoder> decoder = ScalarDecoderForType(sample.oid);
    ASSERT_TRUE(decoder.ok());
    auto run = [&](absl::string_view input) -> absl::Status {
      bool b;
      int64_t i;
      double d;
      std::string s;
      switch (decoder->storage) {
        case Storage::kBool: return decoder->to_bool(input, &b);
        case Storage::kInt64: return decoder->to_int64(input, &i);
        case Storage::kDouble: return decoder->to_double(input, &d);
        default: return decoder->to_string(input, &s);
      }
    };
    ASSERT_TRUE(run(value).ok()) << run(value);
    for (size_t n = 0; n < value.size(); ++n) {
      absl::Status status = run(absl::string_view(value).substr(0, n));
      // A jsonb prefix past the version byte is still (truncated) text.
      if (sample.oid == 3802 && n > 0) continue;
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << n << ": " << status;
    }
    for (int trial = 0; trial < 2000; ++trial) {
      std::string noise(random() % 24, '\0');
      for (char& c : noise) c = static_cast<char>(random());
      if (trial % 2 == 0 && !value.empty()) {  // mutate the real value instead
        noise = value;
        noise[random() % noise.size()] = static_cast<char>(random());
      }
      absl::Status status = run(noise);
      EXPECT_TRUE(status.ok() || status.code() == absl::StatusCode::kInvalidArgument ||
                  status.code() == absl::StatusCode::kOutOfRange)
          << status;
    }
  }
}

}  // namespace
}  // namespace tsdb_source::pg
