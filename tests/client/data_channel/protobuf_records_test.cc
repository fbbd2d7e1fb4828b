#include "client/data_channel/protobuf_records.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "airbyte_socket/v1/data_channel.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "gtest/gtest.h"
#include "service/airbyte/json_schema.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/records.pb.h"

namespace tsdb_source::client {
namespace {

namespace pb = tsdb_source::airbyte_socket::v1;
using google::protobuf::RepeatedPtrField;
using v1::Column;
using v1::ColumnValues;
using v1::RecordBatch;
using v1::ValueKind;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kMicrosPerDayTest = 86'400'000'000;

// "2a 02 08 01" for the bytes 2A 02 08 01.
std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

// A column as Discover describes it: its JSON schema from its kind (json_schema.h).
Column MakeColumn(const std::string& name, ValueKind kind,
                  ValueKind element_kind = v1::VALUE_KIND_UNSPECIFIED, uint32_t type_oid = 0,
                  int32_t precision = 0) {
  Column c;
  c.set_name(name);
  c.set_kind(kind);
  c.set_element_kind(element_kind);
  c.set_type_oid(type_oid);
  c.set_nullable(true);
  c.set_numeric_precision(precision);
  c.set_json_schema(airbyte::JsonSchemaFor(c));
  return c;
}

void SetNulls(ColumnValues* values, std::initializer_list<int> rows, int row_count) {
  std::string bitmap((row_count + 7) / 8, '\0');
  for (int r : rows) bitmap[r / 8] = static_cast<char>(bitmap[r / 8] | (1 << (r % 8)));
  values->set_null_bitmap(bitmap);
}
void Bools(ColumnValues* v, std::initializer_list<bool> values) {
  v->mutable_bools();
  for (bool b : values) v->mutable_bools()->add_values(b);
}
void Int64s(ColumnValues* v, std::initializer_list<int64_t> values) {
  v->mutable_int64s();
  for (int64_t i : values) v->mutable_int64s()->add_values(i);
}
void Doubles(ColumnValues* v, std::initializer_list<double> values) {
  v->mutable_doubles();
  for (double d : values) v->mutable_doubles()->add_values(d);
}
void Strings(ColumnValues* v, std::initializer_list<std::string> values) {
  v->mutable_strings();
  for (const std::string& s : values) v->mutable_strings()->add_values(s);
}
ColumnValues* Lists(ColumnValues* v, std::initializer_list<uint32_t> lengths) {
  v->mutable_lists();
  for (uint32_t n : lengths) v->mutable_lists()->add_lengths(n);
  return v->mutable_lists()->mutable_elements();
}

v1::StreamDescriptor Stream(const std::string& name, const std::string& ns = "") {
  v1::StreamDescriptor d;
  d.set_name(name);
  d.set_namespace_(ns);
  return d;
}

// Every frame of `batch` of stream "s" (no namespace, emitted_at_ms 0, no partition id).
std::string Encode(const RepeatedPtrField<Column>& columns, const RecordBatch& batch,
                   std::vector<int>* nulled = nullptr) {
  absl::StatusOr<ProtobufRecordEncoder> encoder =
      ProtobufRecordEncoder::Create(Stream("s"), columns, /*changes=*/false, 0);
  EXPECT_TRUE(encoder.ok()) << encoder.status();
  if (!encoder.ok()) return "";
  std::string out;
  const absl::Status status = encoder->AppendBatch(batch, "", &out, nulled);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

// Reads a varint at bytes[*at].
uint64_t ReadVarint(std::string_view bytes, size_t* at) {
  uint64_t v = 0;
  for (int shift = 0; *at < bytes.size(); shift += 7) {
    const unsigned char b = bytes[(*at)++];
    v |= uint64_t{b & 0x7Fu} << shift;
    if ((b & 0x80) == 0) break;
  }
  return v;
}

// The frame's record after stream_name "s" (12 01 73): its data and meta bytes, checking
// the lengths on the way.
std::string AfterName(std::string_view frame) {
  if (frame.size() < 6) {
    ADD_FAILURE() << "not a frame: " << Hex(frame);
    return "";
  }
  size_t at = 0;
  const uint64_t message = ReadVarint(frame, &at);
  EXPECT_EQ(message, frame.size() - at) << Hex(frame);
  EXPECT_EQ(frame.substr(at, 1), "\x0a") << Hex(frame);
  ++at;
  const uint64_t record = ReadVarint(frame, &at);
  EXPECT_EQ(record, frame.size() - at) << Hex(frame);
  EXPECT_EQ(frame.substr(at, 3), "\x12\x01s") << Hex(frame);
  return std::string(frame.substr(std::min(at + 3, frame.size())));
}

// The record bytes after the name for a one-row batch of one column, as hex.
std::string OneValue(const Column& column, const std::function<void(ColumnValues*)>& fill,
                     std::vector<int>* nulled = nullptr) {
  RepeatedPtrField<Column> columns;
  *columns.Add() = column;
  RecordBatch batch;
  batch.set_row_count(1);
  fill(batch.add_columns());
  return Hex(AfterName(Encode(columns, batch, nulled)));
}

// Parses every delimited frame of `bytes`.
std::vector<pb::AirbyteMessageProtobuf> Decode(const std::string& bytes) {
  google::protobuf::io::ArrayInputStream raw(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream input(&raw);
  std::vector<pb::AirbyteMessageProtobuf> messages;
  while (true) {
    pb::AirbyteMessageProtobuf message;
    bool clean_eof = false;
    if (!google::protobuf::util::ParseDelimitedFromCodedStream(&message, &input, &clean_eof)) {
      EXPECT_TRUE(clean_eof) << "a frame does not parse after " << messages.size();
      break;
    }
    messages.push_back(std::move(message));
  }
  return messages;
}

TEST(ProtobufRecordsTest, WholeFrameOfARecord) {
  RepeatedPtrField<Column> columns;
  *columns.Add() = MakeColumn("b", v1::VALUE_KIND_BOOL);
  RecordBatch batch;
  batch.set_row_count(1);
  Bools(batch.add_columns(), {true});
  absl::StatusOr<ProtobufRecordEncoder> encoder =
      ProtobufRecordEncoder::Create(Stream("s", "ns"), columns, false, 1000);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  std::string out = "kept";
  ASSERT_TRUE(encoder->AppendBatch(batch, "p1", &out).ok());
  // Length 20; record (1) of 18 bytes: namespace (1) "ns", name (2) "s", emitted_at_ms (3)
  // 1000, partition_id (4) "p1", data (5) {boolean (1) true}.
  EXPECT_EQ(Hex(out), Hex("kept") + " 14 0a 12 0a 02 6e 73 12 01 73 18 e8 07 22 02 70 31 "
                                    "2a 02 08 01");
}

TEST(ProtobufRecordsTest, NullIsIsNullWithoutAMember) {
  const Column column = MakeColumn("i", v1::VALUE_KIND_INT64);
  EXPECT_EQ(OneValue(column, [](ColumnValues* v) {
              Int64s(v, {5});
              SetNulls(v, {0}, 1);
            }),
            "2a 02 68 01");
}

TEST(ProtobufRecordsTest, BooleansAndIntegersZigzag) {
  const Column b = MakeColumn("b", v1::VALUE_KIND_BOOL);
  EXPECT_EQ(OneValue(b, [](ColumnValues* v) { Bools(v, {true}); }), "2a 02 08 01");
  EXPECT_EQ(OneValue(b, [](ColumnValues* v) { Bools(v, {false}); }), "2a 02 08 00");
  const Column i = MakeColumn("i", v1::VALUE_KIND_INT64);
  EXPECT_EQ(OneValue(i, [](ColumnValues* v) { Int64s(v, {0}); }), "2a 02 18 00");
  EXPECT_EQ(OneValue(i, [](ColumnValues* v) { Int64s(v, {-1}); }), "2a 02 18 01");
  EXPECT_EQ(OneValue(i, [](ColumnValues* v) { Int64s(v, {150}); }), "2a 03 18 ac 02");
  EXPECT_EQ(OneValue(i, [](ColumnValues* v) { Int64s(v, {kI64Min}); }),
            "2a 0b 18 ff ff ff ff ff ff ff ff ff 01");
  EXPECT_EQ(OneValue(i, [](ColumnValues* v) { Int64s(v, {kI64Max}); }),
            "2a 0b 18 fe ff ff ff ff ff ff ff ff 01");
}

TEST(ProtobufRecordsTest, Doubles) {
  const Column d = MakeColumn("d", v1::VALUE_KIND_DOUBLE, v1::VALUE_KIND_UNSPECIFIED, 701);
  EXPECT_EQ(OneValue(d, [](ColumnValues* v) { Doubles(v, {1.5}); }),
            "2a 09 29 00 00 00 00 00 00 f8 3f");
  EXPECT_EQ(OneValue(d, [](ColumnValues* v) { Doubles(v, {-0.0}); }),
            "2a 09 29 00 00 00 00 00 00 00 80");
  // A real: the double of its shortest text 3.14, not of 3.14f (3.140000104904175).
  const Column r = MakeColumn("d", v1::VALUE_KIND_DOUBLE, v1::VALUE_KIND_UNSPECIFIED, 700);
  EXPECT_EQ(OneValue(r, [](ColumnValues* v) { Doubles(v, {static_cast<double>(3.14f)}); }),
            "2a 09 29 1f 85 eb 51 b8 1e 09 40");
}

TEST(ProtobufRecordsTest, NumericsByTheirSchemaType) {
  // numeric: number, exact text in big_decimal.
  const Column n = MakeColumn("n", v1::VALUE_KIND_NUMERIC);
  EXPECT_EQ(OneValue(n, [](ColumnValues* v) { Strings(v, {"12.50"}); }),
            "2a 07 32 05 31 32 2e 35 30");
  // numeric(20,0): integer, big_integer past 64 bits.
  const Column i = MakeColumn("n", v1::VALUE_KIND_NUMERIC, v1::VALUE_KIND_UNSPECIFIED, 1700, 20);
  EXPECT_EQ(OneValue(i, [](ColumnValues* v) { Strings(v, {"-42"}); }), "2a 02 18 53");
  EXPECT_EQ(OneValue(i, [](ColumnValues* v) { Strings(v, {"9223372036854775807"}); }),
            "2a 0b 18 fe ff ff ff ff ff ff ff ff 01");
  EXPECT_EQ(OneValue(i, [](ColumnValues* v) { Strings(v, {"-99999999999999999999"}); }),
            "2a 17 22 15 2d 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39");
  // An INT64 typed number (as _ab_cdc_lsn is): its digits in big_decimal.
  Column lsn = MakeColumn("n", v1::VALUE_KIND_INT64);
  lsn.set_json_schema(R"({"type":["number","null"]})");
  EXPECT_EQ(OneValue(lsn, [](ColumnValues* v) { Int64s(v, {22817880}); }),
            "2a 0a 32 08 32 32 38 31 37 38 38 30");
}

TEST(ProtobufRecordsTest, TextJsonAndByteaAreStrings) {
  const Column t = MakeColumn("t", v1::VALUE_KIND_TEXT);
  EXPECT_EQ(OneValue(t, [](ColumnValues* v) { Strings(v, {"h\xC3\xA9"}); }),
            "2a 05 12 03 68 c3 a9");
  // Ill-formed UTF-8 replaced by U+FFFD, as the JSON mode does.
  EXPECT_EQ(OneValue(t, [](ColumnValues* v) { Strings(v, {"a\xFFz"}); }),
            "2a 07 12 05 61 ef bf bd 7a");
  EXPECT_EQ(OneValue(t, [](ColumnValues* v) { Strings(v, {""}); }), "2a 02 12 00");
  const Column j = MakeColumn("j", v1::VALUE_KIND_JSON);
  EXPECT_EQ(OneValue(j, [](ColumnValues* v) { Strings(v, {R"({"a": [1]})"}); }),
            "2a 0c 12 0a 7b 22 61 22 3a 20 5b 31 5d 7d");
  const Column by = MakeColumn("by", v1::VALUE_KIND_BYTES);
  EXPECT_EQ(OneValue(by, [](ColumnValues* v) { Strings(v, {std::string("\x00\xFF", 2)}); }),
            "2a 08 12 06 5c 78 30 30 66 66");
  EXPECT_EQ(OneValue(by, [](ColumnValues* v) { Strings(v, {""}); }), "2a 04 12 02 5c 78");
}

TEST(ProtobufRecordsTest, DatesAndTimes) {
  const Column d = MakeColumn("d", v1::VALUE_KIND_DATE);
  EXPECT_EQ(OneValue(d, [](ColumnValues* v) { Int64s(v, {-1}); }), "2a 02 38 01");
  EXPECT_EQ(OneValue(d, [](ColumnValues* v) { Int64s(v, {19000}); }), "2a 04 38 f0 a8 02");

  const Column t = MakeColumn("t", v1::VALUE_KIND_TIME);
  EXPECT_EQ(OneValue(t, [](ColumnValues* v) { Int64s(v, {0}); }), "2a 02 48 00");
  EXPECT_EQ(OneValue(t, [](ColumnValues* v) { Int64s(v, {43'200'000'001}); }),
            "2a 08 48 e8 87 9e c5 a4 e9 09");
  // 24:00:00 as java.time's last nanosecond of the day.
  EXPECT_EQ(OneValue(t, [](ColumnValues* v) { Int64s(v, {kMicrosPerDayTest}); }),
            "2a 08 48 ff ff bb 8a c9 d2 13");

  const Column tz = MakeColumn("tz", v1::VALUE_KIND_TIMETZ);
  EXPECT_EQ(OneValue(tz, [](ColumnValues* v) { Strings(v, {"10:30:00.123456+05:30"}); }),
            "2a 0e 42 0c 08 80 b4 b9 b7 90 cc 08 10 b0 b5 02");
  EXPECT_EQ(OneValue(tz, [](ColumnValues* v) { Strings(v, {"00:00:00-08:45:30"}); }),
            "2a 06 42 04 10 d3 ec 03");
  EXPECT_EQ(OneValue(tz, [](ColumnValues* v) { Strings(v, {"24:00:00-01:00"}); }),
            "2a 0d 42 0b 08 ff ff bb 8a c9 d2 13 10 9f 38");
  EXPECT_EQ(OneValue(tz, [](ColumnValues* v) { Strings(v, {"00:00:00+00:00"}); }),
            "2a 02 42 00");

  const Column ts = MakeColumn("ts", v1::VALUE_KIND_TIMESTAMP);
  EXPECT_EQ(OneValue(ts, [](ColumnValues* v) { Int64s(v, {0}); }), "2a 02 5a 00");
  EXPECT_EQ(OneValue(ts, [](ColumnValues* v) { Int64s(v, {-1}); }),
            "2a 0c 5a 0a 08 01 10 98 f8 bb 8a c9 d2 13");

  const Column tstz = MakeColumn("tstz", v1::VALUE_KIND_TIMESTAMPTZ);
  EXPECT_EQ(OneValue(tstz, [](ColumnValues* v) { Int64s(v, {1'700'000'000'123'456}); }),
            "2a 0d 52 0b 08 80 c4 9f d5 0c 10 80 94 ef 3a");
  EXPECT_EQ(OneValue(tstz, [](ColumnValues* v) { Int64s(v, {-1}); }),
            "2a 0a 52 08 08 01 10 98 8c eb dc 03");
}

TEST(ProtobufRecordsTest, ArraysAreTheJsonModesText) {
  const Column a = MakeColumn("a", v1::VALUE_KIND_ARRAY, v1::VALUE_KIND_INT64);
  EXPECT_EQ(OneValue(a, [](ColumnValues* v) {
              ColumnValues* e = Lists(v, {3});
              Int64s(e, {1, 0, 3});
              SetNulls(e, {1}, 3);
            }),
            "2a 0c 62 0a 5b 31 2c 6e 75 6c 6c 2c 33 5d");
}

// A value the JSON mode nulls: is_null, and meta.changes {field, NULLED (0: not written),
// SOURCE_SERIALIZATION_ERROR (6)}: 32 07 0a 05 0a 01 <name> 18 06.
TEST(ProtobufRecordsTest, NulledValuesAreNullWithAMetaChange) {
  std::vector<int> nulled;
  const std::string kNulled = "2a 02 68 01 32 07 0a 05 0a 01 63 18 06";
  const Column d = MakeColumn("c", v1::VALUE_KIND_DOUBLE);
  for (double bad : {kNaN, kInf, -kInf}) {
    EXPECT_EQ(OneValue(d, [bad](ColumnValues* v) { Doubles(v, {bad}); }, &nulled), kNulled);
    EXPECT_EQ(nulled, std::vector<int>{0});
  }
  const Column n = MakeColumn("c", v1::VALUE_KIND_NUMERIC);
  const Column ni = MakeColumn("c", v1::VALUE_KIND_NUMERIC, v1::VALUE_KIND_UNSPECIFIED, 0, 10);
  for (const char* bad : {"NaN", "Infinity", "-Infinity"}) {
    EXPECT_EQ(OneValue(n, [bad](ColumnValues* v) { Strings(v, {bad}); }), kNulled) << bad;
    EXPECT_EQ(OneValue(ni, [bad](ColumnValues* v) { Strings(v, {bad}); }), kNulled) << bad;
  }
  const Column date = MakeColumn("c", v1::VALUE_KIND_DATE);
  for (int64_t bad : {int64_t{2'147'483'647}, int64_t{-2'147'483'648}, int64_t{2'932'897}}) {
    EXPECT_EQ(OneValue(date, [bad](ColumnValues* v) { Int64s(v, {bad}); }), kNulled) << bad;
  }
  const Column ts = MakeColumn("c", v1::VALUE_KIND_TIMESTAMP);
  const Column tstz = MakeColumn("c", v1::VALUE_KIND_TIMESTAMPTZ);
  for (int64_t bad : {kI64Max, kI64Min, int64_t{2'932'897} * kMicrosPerDayTest}) {
    EXPECT_EQ(OneValue(ts, [bad](ColumnValues* v) { Int64s(v, {bad}); }), kNulled) << bad;
    EXPECT_EQ(OneValue(tstz, [bad](ColumnValues* v) { Int64s(v, {bad}); }), kNulled) << bad;
  }
  const Column time = MakeColumn("c", v1::VALUE_KIND_TIME);
  for (int64_t bad : {int64_t{-1}, kMicrosPerDayTest + 1}) {
    EXPECT_EQ(OneValue(time, [bad](ColumnValues* v) { Int64s(v, {bad}); }), kNulled) << bad;
  }
  const Column tz = MakeColumn("c", v1::VALUE_KIND_TIMETZ);
  EXPECT_EQ(OneValue(tz, [](ColumnValues* v) { Strings(v, {"25:00:00+00"}); }), kNulled);
  // An array with a nulled element keeps its value (null in its place) and gains the change.
  const Column a = MakeColumn("c", v1::VALUE_KIND_ARRAY, v1::VALUE_KIND_DOUBLE);
  EXPECT_EQ(OneValue(a, [](ColumnValues* v) { Doubles(Lists(v, {2}), {1.5, kNaN}); }, &nulled),
            "2a 0c 62 0a 5b 31 2e 35 2c 6e 75 6c 6c 5d 32 07 0a 05 0a 01 63 18 06");
  EXPECT_EQ(nulled, std::vector<int>{0});
  // A NULL is not nulled.
  EXPECT_EQ(OneValue(d, [](ColumnValues* v) {
              Doubles(v, {kNaN});
              SetNulls(v, {0}, 1);
            }, &nulled),
            "2a 02 68 01");
  EXPECT_TRUE(nulled.empty());
}

// Kotlin sorts by UTF-16 code units: U+1F600 (D83D DE00) before U+E000, unlike UTF-8 bytes
// (EE 80 80 before F0 9F 98 80).
TEST(ProtobufRecordsTest, FieldsInUtf16OrderOfTheirNames) {
  RepeatedPtrField<Column> columns;
  for (const char* name : {"\xEE\x80\x80", "b", "\xF0\x9F\x98\x80", "B", "a", "_x", "ab"}) {
    *columns.Add() = MakeColumn(name, v1::VALUE_KIND_INT64);
  }
  RecordBatch batch;
  batch.set_row_count(1);
  for (int i = 0; i < columns.size(); ++i) Int64s(batch.add_columns(), {i});
  absl::StatusOr<ProtobufRecordEncoder> encoder =
      ProtobufRecordEncoder::Create(Stream("s"), columns, false, 0);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  // B, _x, a, ab, b, U+1F600, U+E000.
  EXPECT_EQ(encoder->field_order(), (std::vector<int>{3, 5, 4, 6, 1, 2, 0}));
  std::string out;
  ASSERT_TRUE(encoder->AppendBatch(batch, "", &out).ok());
  const std::vector<pb::AirbyteMessageProtobuf> messages = Decode(out);
  ASSERT_EQ(messages.size(), 1u);
  std::vector<int64_t> values;
  for (const pb::AirbyteValueProtobuf& v : messages[0].record().data()) {
    values.push_back(v.integer());
  }
  EXPECT_EQ(values, (std::vector<int64_t>{3, 5, 4, 6, 1, 2, 0}));
}

// Airbyte's field selection: the configured catalog lists fewer fields; data holds exactly
// those, in their order, so the destination's positions match.
TEST(ProtobufRecordsTest, OnlyTheConfiguredFields) {
  RepeatedPtrField<Column> columns;
  for (const char* name : {"c", "a", "d", "b"}) {
    *columns.Add() = MakeColumn(name, v1::VALUE_KIND_INT64);
  }
  RecordBatch batch;
  batch.set_row_count(1);
  for (int i = 0; i < columns.size(); ++i) Int64s(batch.add_columns(), {i * 10});
  const std::vector<std::string> fields{"d", "a"};
  absl::StatusOr<ProtobufRecordEncoder> encoder =
      ProtobufRecordEncoder::Create(Stream("s"), columns, false, 0, &fields);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  EXPECT_EQ(encoder->field_order(), (std::vector<int>{1, 2}));  // a, d
  std::string out;
  ASSERT_TRUE(encoder->AppendBatch(batch, "", &out).ok());
  const std::vector<pb::AirbyteMessageProtobuf> messages = Decode(out);
  ASSERT_EQ(messages.size(), 1u);
  ASSERT_EQ(messages[0].record().data_size(), 2);
  EXPECT_EQ(messages[0].record().data(0).integer(), 10);
  EXPECT_EQ(messages[0].record().data(1).integer(), 20);

  // A field the table no longer has: NotFound naming it.
  const std::vector<std::string> stale{"a", "gone"};
  absl::StatusOr<ProtobufRecordEncoder> refused =
      ProtobufRecordEncoder::Create(Stream("s"), columns, false, 0, &stale);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(std::string(refused.status().message()).find("\"gone\""), std::string::npos)
      << refused.status();
}

// A batch of every kind over several rows with NULLs, decoded with the generated classes.
TEST(ProtobufRecordsTest, EveryKindDecodesWithTheGeneratedClasses) {
  RepeatedPtrField<Column> columns;
  RecordBatch batch;
  constexpr int kRows = 3;
  batch.set_row_count(kRows);
  auto add = [&](const Column& c) {
    *columns.Add() = c;
    return batch.add_columns();
  };
  ColumnValues* v = add(MakeColumn("k_bool", v1::VALUE_KIND_BOOL));
  Bools(v, {true, false, false});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_int", v1::VALUE_KIND_INT64));
  Int64s(v, {kI64Min, -7, 0});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_double", v1::VALUE_KIND_DOUBLE));
  Doubles(v, {0.1, kNaN, 0});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_numeric", v1::VALUE_KIND_NUMERIC));
  Strings(v, {"123456789012345678901234567890.000000001", "-0.5", ""});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_numeric_int", v1::VALUE_KIND_NUMERIC, v1::VALUE_KIND_UNSPECIFIED, 1700,
                     30));
  Strings(v, {"123456789012345678901234567890", "-5", "Infinity"});
  v = add(MakeColumn("k_text", v1::VALUE_KIND_TEXT));
  Strings(v, {"plain", "\xF0\x9F\x98\x80 \"q\"", ""});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_json", v1::VALUE_KIND_JSON));
  Strings(v, {R"({"a":1})", "null", ""});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_bytes", v1::VALUE_KIND_BYTES));
  Strings(v, {std::string("\x01\xAB", 2), "", ""});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_date", v1::VALUE_KIND_DATE));
  Int64s(v, {19'000, -719'528, 0});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_time", v1::VALUE_KIND_TIME));
  Int64s(v, {1, kMicrosPerDayTest, 0});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_timetz", v1::VALUE_KIND_TIMETZ));
  Strings(v, {"23:59:59.999999+15:59:59", "01:02:03-03:30", ""});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_ts", v1::VALUE_KIND_TIMESTAMP));
  Int64s(v, {1'700'000'000'000'001, -62'135'596'800'000'000, kI64Max});
  v = add(MakeColumn("k_tstz", v1::VALUE_KIND_TIMESTAMPTZ));
  Int64s(v, {1'700'000'000'000'001, -1'500'000, 0});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_array", v1::VALUE_KIND_ARRAY, v1::VALUE_KIND_TEXT));
  ColumnValues* e = Lists(v, {2, 0, 0});
  Strings(e, {"x", "y\"z"});
  SetNulls(v, {2}, kRows);
  v = add(MakeColumn("k_matrix", v1::VALUE_KIND_ARRAY, v1::VALUE_KIND_BYTES));
  ColumnValues* inner = Lists(Lists(v, {2, 0, 1}), {1, 1, 1});
  Strings(inner, {std::string("\xFF", 1), std::string("\x00", 1), std::string("\x00", 1)});

  absl::StatusOr<ProtobufRecordEncoder> encoder =
      ProtobufRecordEncoder::Create(Stream("metrics", "public"), columns, false, 1'733'190'000'000);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  std::string out;
  std::vector<int> nulled;
  ASSERT_TRUE(encoder->AppendBatch(batch, "Ab3x", &out, &nulled).ok());
  // k_double (2) in row 1, k_numeric_int (4) in row 2, k_ts (11) in row 2.
  EXPECT_EQ(nulled, (std::vector<int>{2, 4, 11}));

  const std::vector<pb::AirbyteMessageProtobuf> messages = Decode(out);
  ASSERT_EQ(messages.size(), static_cast<size_t>(kRows));
  // Names in order: k_array k_bool k_bytes k_date k_double k_int k_json k_matrix k_numeric
  // k_numeric_int k_text k_time k_timetz k_ts k_tstz.
  enum { kArray, kBool, kBytes, kDate, kDouble, kInt, kJson, kMatrix, kNumeric, kNumericInt,
         kText, kTime, kTimetz, kTs, kTstz, kFields };
  using Case = pb::AirbyteValueProtobuf::ValueCase;
  for (int row = 0; row < kRows; ++row) {
    SCOPED_TRACE(row);
    const pb::AirbyteMessageProtobuf& m = messages[static_cast<size_t>(row)];
    ASSERT_TRUE(m.has_record());
    const pb::AirbyteRecordMessageProtobuf& r = m.record();
    EXPECT_TRUE(r.has_stream_namespace());
    EXPECT_EQ(r.stream_namespace(), "public");
    EXPECT_EQ(r.stream_name(), "metrics");
    EXPECT_EQ(r.emitted_at_ms(), 1'733'190'000'000u);
    EXPECT_EQ(r.partition_id(), "Ab3x");
    ASSERT_EQ(r.data_size(), kFields);
    // Row 2 is NULL everywhere except the nulled k_numeric_int and k_ts and the array.
    if (row == 2) {
      for (int f = 0; f < kFields; ++f) {
        if (f == kMatrix) continue;
        EXPECT_TRUE(r.data(f).is_null()) << f;
        EXPECT_EQ(r.data(f).value_case(), Case::VALUE_NOT_SET) << f;
      }
      EXPECT_EQ(r.data(kMatrix).json(), R"([["AA=="]])");
      ASSERT_EQ(r.meta().changes_size(), 2);
      EXPECT_EQ(r.meta().changes(0).field(), "k_numeric_int");
      EXPECT_EQ(r.meta().changes(1).field(), "k_ts");
      for (const pb::AirbyteRecordMessageMetaChange& c : r.meta().changes()) {
        EXPECT_EQ(c.change(), pb::AIRBYTE_RECORD_CHANGE_TYPE_NULLED);
        EXPECT_EQ(c.reason(), pb::AIRBYTE_RECORD_CHANGE_REASON_TYPE_SOURCE_SERIALIZATION_ERROR);
      }
      continue;
    }
    for (int f = 0; f < kFields; ++f) {
      if (row == 1 && f == kDouble) continue;
      EXPECT_FALSE(r.data(f).is_null()) << f;
    }
    EXPECT_EQ(r.data(kBool).value_case(), Case::kBoolean);
    EXPECT_EQ(r.data(kBool).boolean(), row == 0);
    EXPECT_EQ(r.data(kInt).integer(), row == 0 ? kI64Min : -7);
    EXPECT_EQ(r.data(kNumeric).big_decimal(),
              row == 0 ? "123456789012345678901234567890.000000001" : "-0.5");
    EXPECT_EQ(r.data(kText).string(), row == 0 ? "plain" : "\xF0\x9F\x98\x80 \"q\"");
    EXPECT_EQ(r.data(kJson).string(), row == 0 ? R"({"a":1})" : "null");
    EXPECT_EQ(r.data(kBytes).string(), row == 0 ? "\\x01ab" : "\\x");
    EXPECT_EQ(r.data(kDate).value_case(), Case::kDate);
    EXPECT_EQ(r.data(kDate).date(), row == 0 ? 19'000 : -719'528);
    EXPECT_EQ(r.data(kTime).time_without_timezone(),
              row == 0 ? 1'000u : 86'399'999'999'999u);
    const pb::OffsetTime& tz = r.data(kTimetz).time_with_timezone();
    EXPECT_EQ(tz.nanos_of_day(), row == 0 ? 86'399'999'999'000u : 3'723'000'000'000u);
    EXPECT_EQ(tz.offset_seconds(), row == 0 ? 57'599 : -12'600);
    const pb::LocalDateTime& ts = r.data(kTs).timestamp_without_timezone();
    // 2023-11-14T22:13:20.000001 and 0001-01-01T00:00:00.
    EXPECT_EQ(ts.date_days_since_epoch(), row == 0 ? 19'675 : -719'162);
    EXPECT_EQ(ts.nanos_of_day(), row == 0 ? 80'000'000'001'000u : 0u);
    const pb::OffsetDateTime& tstz = r.data(kTstz).timestamp_with_timezone();
    EXPECT_EQ(r.data(kTstz).value_case(), Case::kTimestampWithTimezone);
    EXPECT_EQ(tstz.epoch_second(), row == 0 ? 1'700'000'000 : -2);
    EXPECT_EQ(tstz.nano(), row == 0 ? 1'000u : 500'000'000u);
    EXPECT_EQ(tstz.offset_seconds(), 0);
    EXPECT_EQ(r.data(kArray).value_case(), Case::kJson);
    EXPECT_EQ(r.data(kArray).json(), row == 0 ? R"(["x","y\"z"])" : "[]");
    EXPECT_EQ(r.data(kMatrix).json(), row == 0 ? R"([["/w=="],["AA=="]])" : "[]");
    if (row == 0) {
      EXPECT_EQ(r.data(kDouble).number(), 0.1);
      EXPECT_EQ(r.data(kNumericInt).big_integer(), "123456789012345678901234567890");
      EXPECT_FALSE(r.has_meta());
    } else {
      EXPECT_TRUE(r.data(kDouble).is_null());
      EXPECT_EQ(r.data(kNumericInt).value_case(), Case::kInteger);
      EXPECT_EQ(r.data(kNumericInt).integer(), -5);
      ASSERT_EQ(r.meta().changes_size(), 1);
      EXPECT_EQ(r.meta().changes(0).field(), "k_double");
    }
  }
  // What the generated code writes for the decoded messages is what the encoder wrote:
  // field order, lengths and defaults left out are canonical.
  std::string reserialized;
  {
    google::protobuf::io::StringOutputStream raw(&reserialized);
    for (const pb::AirbyteMessageProtobuf& m : messages) {
      ASSERT_TRUE(google::protobuf::util::SerializeDelimitedToZeroCopyStream(m, &raw));
    }
  }
  EXPECT_EQ(Hex(reserialized), Hex(out));
}

TEST(ProtobufRecordsTest, ChangeDataCaptureColumnsFromTheChanges) {
  RepeatedPtrField<Column> columns;
  *columns.Add() = MakeColumn("id", v1::VALUE_KIND_INT64);
  RecordBatch batch;
  batch.set_row_count(2);
  Int64s(batch.add_columns(), {1, 2});
  batch.mutable_changes()->add_lsn(23'866'968);
  batch.mutable_changes()->add_commit_time(1'700'000'000'000'000);
  batch.mutable_changes()->add_deleted(false);
  batch.mutable_changes()->add_deleted(true);
  absl::StatusOr<ProtobufRecordEncoder> encoder =
      ProtobufRecordEncoder::Create(Stream("s"), columns, /*changes=*/true, 0);
  ASSERT_TRUE(encoder.ok()) << encoder.status();
  ASSERT_EQ(encoder->columns().size(), 4);
  // _ab_cdc_deleted_at, _ab_cdc_lsn, _ab_cdc_updated_at, id.
  EXPECT_EQ(encoder->field_order(), (std::vector<int>{3, 1, 2, 0}));
  std::string out;
  ASSERT_TRUE(encoder->AppendBatch(batch, "p", &out).ok());
  const std::vector<pb::AirbyteMessageProtobuf> messages = Decode(out);
  ASSERT_EQ(messages.size(), 2u);
  for (int row = 0; row < 2; ++row) {
    const pb::AirbyteRecordMessageProtobuf& r = messages[static_cast<size_t>(row)].record();
    EXPECT_FALSE(r.has_stream_namespace());
    ASSERT_EQ(r.data_size(), 4);
    EXPECT_EQ(r.data(0).is_null(), row == 0);
    if (row == 1) {
      EXPECT_EQ(r.data(0).timestamp_with_timezone().epoch_second(), 1'700'000'000);
    }
    EXPECT_EQ(r.data(1).big_decimal(), "23866968");  // source-postgres types the LSN a number
    EXPECT_EQ(r.data(2).timestamp_with_timezone().epoch_second(), 1'700'000'000);
    EXPECT_EQ(r.data(3).integer(), row + 1);
  }
}

TEST(ProtobufRecordsTest, NulledColumnsAreReportedOncePerBatchAscending) {
  RepeatedPtrField<Column> columns;
  *columns.Add() = MakeColumn("z", v1::VALUE_KIND_DOUBLE);
  *columns.Add() = MakeColumn("a", v1::VALUE_KIND_NUMERIC);
  *columns.Add() = MakeColumn("m", v1::VALUE_KIND_DOUBLE);
  RecordBatch batch;
  batch.set_row_count(3);
  Doubles(batch.add_columns(), {kNaN, 1, kInf});
  Strings(batch.add_columns(), {"NaN", "1", "2"});
  Doubles(batch.add_columns(), {1, 2, 3});
  std::vector<int> nulled = {7};
  const std::string out = Encode(columns, batch, &nulled);
  EXPECT_EQ(nulled, (std::vector<int>{0, 1}));
  const std::vector<pb::AirbyteMessageProtobuf> messages = Decode(out);
  ASSERT_EQ(messages.size(), 3u);
  // Row 0: changes in column order (z before a), as the JSON mode lists them.
  ASSERT_EQ(messages[0].record().meta().changes_size(), 2);
  EXPECT_EQ(messages[0].record().meta().changes(0).field(), "z");
  EXPECT_EQ(messages[0].record().meta().changes(1).field(), "a");
  EXPECT_FALSE(messages[1].record().has_meta());
  ASSERT_EQ(messages[2].record().meta().changes_size(), 1);
}

TEST(ProtobufRecordsTest, CreateRejectsAKindItsTypeCannotCarry) {
  RepeatedPtrField<Column> columns;
  Column c = MakeColumn("flag", v1::VALUE_KIND_BOOL);
  c.set_json_schema(R"({"type":"integer"})");
  *columns.Add() = c;
  absl::StatusOr<ProtobufRecordEncoder> encoder =
      ProtobufRecordEncoder::Create(Stream("s"), columns, false, 0);
  ASSERT_EQ(encoder.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(encoder.status().message().find("\"flag\""), std::string_view::npos)
      << encoder.status();
  EXPECT_NE(encoder.status().message().find("integer"), std::string_view::npos);

  columns.Mutable(0)->set_json_schema("[1,");
  EXPECT_EQ(ProtobufRecordEncoder::Create(Stream("s"), columns, false, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
  columns.Mutable(0)->set_kind(v1::VALUE_KIND_UNSPECIFIED);
  columns.Mutable(0)->clear_json_schema();
  EXPECT_EQ(ProtobufRecordEncoder::Create(Stream("s"), columns, false, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A union or unknown type takes any kind as the JSON mode's JSON text.
TEST(ProtobufRecordsTest, UnionsTakeTheJsonText) {
  Column c = MakeColumn("c", v1::VALUE_KIND_TEXT);
  c.set_json_schema(R"({"type":["string","integer","null"]})");
  EXPECT_EQ(OneValue(c, [](ColumnValues* v) { Strings(v, {"a"}); }), "2a 05 62 03 22 61 22");
  c = MakeColumn("c", v1::VALUE_KIND_DOUBLE);
  c.set_json_schema("{}");
  EXPECT_EQ(OneValue(c, [](ColumnValues* v) { Doubles(v, {kNaN}); }),
            "2a 02 68 01 32 07 0a 05 0a 01 63 18 06");
}

TEST(ProtobufRecordsTest, MalformedBatchAppendsNothing) {
  RepeatedPtrField<Column> columns;
  *columns.Add() = MakeColumn("i", v1::VALUE_KIND_INT64);
  absl::StatusOr<ProtobufRecordEncoder> encoder =
      ProtobufRecordEncoder::Create(Stream("s"), columns, false, 0);
  ASSERT_TRUE(encoder.ok());
  RecordBatch batch;
  batch.set_row_count(2);
  Int64s(batch.add_columns(), {1});  // one value for two rows
  std::string out = "kept";
  EXPECT_EQ(encoder->AppendBatch(batch, "p", &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "kept");
  // CDC metadata that does not fit the batch.
  absl::StatusOr<ProtobufRecordEncoder> cdc =
      ProtobufRecordEncoder::Create(Stream("s"), columns, true, 0);
  ASSERT_TRUE(cdc.ok());
  batch.mutable_columns(0)->mutable_int64s()->add_values(2);
  EXPECT_EQ(cdc->AppendBatch(batch, "p", &out).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "kept");
}

TEST(ProtobufRecordsTest, EncoderIsReusableAcrossBatchesAndMoves) {
  RepeatedPtrField<Column> columns;
  *columns.Add() = MakeColumn("i", v1::VALUE_KIND_INT64);
  absl::StatusOr<ProtobufRecordEncoder> created =
      ProtobufRecordEncoder::Create(Stream("s"), columns, true, 0);
  ASSERT_TRUE(created.ok());
  ProtobufRecordEncoder encoder = *std::move(created);
  std::string out;
  for (int b = 0; b < 3; ++b) {
    RecordBatch batch;
    batch.set_row_count(1);
    Int64s(batch.add_columns(), {b});
    batch.mutable_changes()->add_lsn(static_cast<uint64_t>(100 + b));
    batch.mutable_changes()->add_commit_time(0);
    ASSERT_TRUE(encoder.AppendBatch(batch, "p", &out).ok());
  }
  const std::vector<pb::AirbyteMessageProtobuf> messages = Decode(out);
  ASSERT_EQ(messages.size(), 3u);
  for (int b = 0; b < 3; ++b) {
    EXPECT_EQ(messages[static_cast<size_t>(b)].record().data(3).integer(), b);
    EXPECT_EQ(messages[static_cast<size_t>(b)].record().data(1).big_decimal(),
              std::to_string(100 + b));
  }
}

}  // namespace
}  // namespace tsdb_source::client
