#include "client/json/record_json.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "client/json/value_format.h"
#include "gtest/gtest.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/records.pb.h"

namespace tsdb_source::client {
namespace {

using google::protobuf::RepeatedPtrField;
using tsdb_source::v1::Column;
using tsdb_source::v1::ColumnValues;
using tsdb_source::v1::RecordBatch;
using tsdb_source::v1::ValueKind;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

void AddColumn(RepeatedPtrField<Column>* columns, const std::string& name, ValueKind kind,
               ValueKind element_kind = tsdb_source::v1::VALUE_KIND_UNSPECIFIED) {
  Column* c = columns->Add();
  c->set_name(name);
  c->set_kind(kind);
  c->set_element_kind(element_kind);
}

void SetNulls(ColumnValues* values, std::initializer_list<int> null_rows) {
  int max_row = -1;
  for (int r : null_rows) max_row = std::max(max_row, r);
  std::string bitmap(max_row / 8 + 1, '\0');
  for (int r : null_rows) bitmap[r / 8] = static_cast<char>(bitmap[r / 8] | (1 << (r % 8)));
  values->set_null_bitmap(bitmap);
}

void Bools(ColumnValues* v, std::initializer_list<bool> values) {
  for (bool b : values) v->mutable_bools()->add_values(b);
}
void Int64s(ColumnValues* v, std::initializer_list<int64_t> values) {
  v->mutable_int64s();
  for (int64_t i : values) v->mutable_int64s()->add_values(i);
}
void Doubles(ColumnValues* v, std::initializer_list<double> values) {
  for (double d : values) v->mutable_doubles()->add_values(d);
}
void Strings(ColumnValues* v, std::initializer_list<std::string> values) {
  v->mutable_strings();
  for (const std::string& s : values) v->mutable_strings()->add_values(s);
}
// Sets the row lengths of a list level and returns its elements.
ColumnValues* Lists(ColumnValues* v, std::initializer_list<uint32_t> lengths) {
  for (uint32_t n : lengths) v->mutable_lists()->add_lengths(n);
  return v->mutable_lists()->mutable_elements();
}

std::string FormatRow(const RepeatedPtrField<Column>& columns, const RecordBatch& batch,
                      uint32_t row) {
  std::string out;
  const absl::Status status = AppendRecordData(columns, batch, row, &out);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

class EveryKindTest : public ::testing::Test {
 protected:
  void SetUp() override {
    batch_.mutable_stream()->set_name("metrics");
    batch_.mutable_stream()->set_namespace_("public");
    batch_.set_row_count(4);

    AddColumn(&columns_, "b", tsdb_source::v1::VALUE_KIND_BOOL);
    ColumnValues* v = batch_.add_columns();
    Bools(v, {true, false, false, true});
    SetNulls(v, {2});

    AddColumn(&columns_, "i", tsdb_source::v1::VALUE_KIND_INT64);
    v = batch_.add_columns();
    Int64s(v, {0, kI64Min, 9007199254740993, 0});
    SetNulls(v, {3});

    AddColumn(&columns_, "d", tsdb_source::v1::VALUE_KIND_DOUBLE);
    v = batch_.add_columns();
    Doubles(v, {0.1, kNaN, 0, -kInf});
    SetNulls(v, {2});

    AddColumn(&columns_, "n", tsdb_source::v1::VALUE_KIND_NUMERIC);
    Strings(batch_.add_columns(), {"12345678901234567890.000000000000000001", "NaN",
                                   "Infinity", "-Infinity"});

    AddColumn(&columns_, "t", tsdb_source::v1::VALUE_KIND_TEXT);
    Strings(batch_.add_columns(),
            {"plain", "q\" b\\ nl\n tab\t", "\xC3\xA9\xF0\x9F\x98\x80", "bad\xFF"});

    AddColumn(&columns_, "by", tsdb_source::v1::VALUE_KIND_BYTES);
    v = batch_.add_columns();
    Strings(v, {"", "foo", std::string("\0\xFF", 2), ""});
    SetNulls(v, {3});

    AddColumn(&columns_, "j", tsdb_source::v1::VALUE_KIND_JSON);
    Strings(batch_.add_columns(),
            {R"({"a": [1, 2]})", R"("s\n")", "{\n  \"x\": null\r\n}", "null"});

    AddColumn(&columns_, "ts", tsdb_source::v1::VALUE_KIND_TIMESTAMP);
    Int64s(batch_.add_columns(),
           {0, kI64Max, DaysFromCivil(1, 1, 1) * kMicrosPerDay - 1, kI64Min});

    AddColumn(&columns_, "tstz", tsdb_source::v1::VALUE_KIND_TIMESTAMPTZ);
    v = batch_.add_columns();
    Int64s(v, {1700000000123456, kI64Min, 1, 0});
    SetNulls(v, {3});

    AddColumn(&columns_, "date", tsdb_source::v1::VALUE_KIND_DATE);
    Int64s(batch_.add_columns(), {11016, kDatePlusInfinity, kDateMinusInfinity,
                                  DaysFromCivil(-4713, 11, 24)});

    AddColumn(&columns_, "time", tsdb_source::v1::VALUE_KIND_TIME);
    v = batch_.add_columns();
    Int64s(v, {0, kMicrosPerDay, 45296500000, 0});
    SetNulls(v, {3});

    AddColumn(&columns_, "timetz", tsdb_source::v1::VALUE_KIND_TIMETZ);
    v = batch_.add_columns();
    Strings(v, {"12:34:56+05:30", "00:00:00.5-11:30", "", "23:59:59.999999+00"});
    SetNulls(v, {2});

    // int8[]: [1,NULL,3], [], NULL, [42]
    AddColumn(&columns_, "arr_i", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_INT64);
    v = batch_.add_columns();
    ColumnValues* e = Lists(v, {3, 0, 0, 1});
    SetNulls(v, {2});
    Int64s(e, {1, 0, 3, 42});
    SetNulls(e, {1});

    // text[][]: [["a","b"],["c",NULL]], NULL, [], [["x\""]]
    AddColumn(&columns_, "arr_2d", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_TEXT);
    v = batch_.add_columns();
    ColumnValues* inner = Lists(v, {2, 0, 0, 1});
    SetNulls(v, {1});
    e = Lists(inner, {2, 2, 1});
    Strings(e, {"a", "b", "c", "", "x\""});
    SetNulls(e, {3});

    // timestamptz[], numeric[], bytea[], jsonb[], bool[], float8[], date[], time[], timetz[]
    AddColumn(&columns_, "arr_tstz", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_TIMESTAMPTZ);
    Int64s(Lists(batch_.add_columns(), {2, 0, 0, 0}), {0, kI64Max});
    AddColumn(&columns_, "arr_num", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_NUMERIC);
    Strings(Lists(batch_.add_columns(), {0, 3, 0, 0}), {"-0.5", "NaN", "10"});
    AddColumn(&columns_, "arr_misc", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_BYTES);
    Strings(Lists(batch_.add_columns(), {0, 0, 1, 0}), {"fo"});
    AddColumn(&columns_, "arr_json", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_JSON);
    Strings(Lists(batch_.add_columns(), {0, 0, 0, 2}), {"{}", "[1]"});
    AddColumn(&columns_, "arr_bool", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_BOOL);
    Bools(Lists(batch_.add_columns(), {1, 0, 0, 0}), {false});
    AddColumn(&columns_, "arr_f8", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_DOUBLE);
    Doubles(Lists(batch_.add_columns(), {0, 2, 0, 0}), {1.5, kNaN});
    AddColumn(&columns_, "arr_date", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_DATE);
    Int64s(Lists(batch_.add_columns(), {0, 0, 2, 0}), {0, kDateMinusInfinity});
    AddColumn(&columns_, "arr_time", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_TIME);
    Int64s(Lists(batch_.add_columns(), {0, 0, 0, 1}), {1});
    AddColumn(&columns_, "arr_timetz", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_TIMETZ);
    Strings(Lists(batch_.add_columns(), {1, 0, 0, 0}), {"01:02:03+00"});
    AddColumn(&columns_, "arr_ts", tsdb_source::v1::VALUE_KIND_ARRAY,
              tsdb_source::v1::VALUE_KIND_TIMESTAMP);
    Int64s(Lists(batch_.add_columns(), {0, 1, 0, 0}), {-1});

    AddColumn(&columns_, "we\"ird\\name \xC3\xA9\n", tsdb_source::v1::VALUE_KIND_TEXT);
    v = batch_.add_columns();
    Strings(v, {"", "", "", "last"});
    SetNulls(v, {0, 1, 2});
  }

  RepeatedPtrField<Column> columns_;
  RecordBatch batch_;
};

const char* const kExpectedRows[] = {
    // row 0
    R"({"b":true,"i":0,"d":0.1,"n":12345678901234567890.000000000000000001,"t":"plain",)"
    R"("by":"\\x","j":"{\"a\": [1, 2]}","ts":"1970-01-01T00:00:00",)"
    R"("tstz":"2023-11-14T22:13:20.123456+00:00","date":"2000-02-29","time":"00:00:00",)"
    R"("timetz":"12:34:56+05:30","arr_i":[1,null,3],"arr_2d":[["a","b"],["c",null]],)"
    R"("arr_tstz":["1970-01-01T00:00:00+00:00",null],"arr_num":[],"arr_misc":[],)"
    R"("arr_json":[],"arr_bool":[false],"arr_f8":[],"arr_date":[],"arr_time":[],)"
    R"("arr_timetz":["01:02:03+00"],"arr_ts":[],"we\"ird\\name é\n":null})",
    // row 1
    R"({"b":false,"i":-9223372036854775808,"d":null,"n":null,"t":"q\" b\\ nl\n tab\t",)"
    R"("by":"\\x666f6f","j":"\"s\\n\"","ts":null,"tstz":null,"date":null,"time":"24:00:00",)"
    R"("timetz":"00:00:00.5-11:30","arr_i":[],"arr_2d":null,"arr_tstz":[],)"
    R"("arr_num":[-0.5,null,10],"arr_misc":[],"arr_json":[],"arr_bool":[],)"
    R"("arr_f8":[1.5,null],"arr_date":[],"arr_time":[],"arr_timetz":[],)"
    R"("arr_ts":["1969-12-31T23:59:59.999999"],"we\"ird\\name é\n":null})",
    // row 2
    R"({"b":null,"i":9007199254740993,"d":null,"n":null,"t":"é😀",)"
    R"("by":"\\x00ff","j":"{\n  \"x\": null\r\n}","ts":"0001-12-31T23:59:59.999999 BC",)"
    R"("tstz":"1970-01-01T00:00:00.000001+00:00","date":null,"time":"12:34:56.5",)"
    R"("timetz":null,"arr_i":null,"arr_2d":[],"arr_tstz":[],"arr_num":[],)"
    R"("arr_misc":["Zm8="],"arr_json":[],"arr_bool":[],"arr_f8":[],)"
    R"("arr_date":["1970-01-01",null],"arr_time":[],"arr_timetz":[],"arr_ts":[],)"
    R"("we\"ird\\name é\n":null})",
    // row 3
    R"({"b":true,"i":null,"d":null,"n":null,"t":"bad�","by":null,"j":"null","ts":null,)"
    R"("tstz":null,"date":"4714-11-24 BC","time":null,"timetz":"23:59:59.999999+00",)"
    R"("arr_i":[42],"arr_2d":[["x\""]],"arr_tstz":[],"arr_num":[],"arr_misc":[],)"
    R"("arr_json":["{}","[1]"],"arr_bool":[],"arr_f8":[],"arr_date":[],)"
    R"("arr_time":["00:00:00.000001"],"arr_timetz":[],"arr_ts":[],)"
    R"("we\"ird\\name é\n":"last"})",
};

TEST_F(EveryKindTest, FreeFunctionFormatsEveryRow) {
  for (uint32_t row = 0; row < 4; ++row) {
    EXPECT_EQ(FormatRow(columns_, batch_, row), kExpectedRows[row]) << "row " << row;
  }
}

TEST_F(EveryKindTest, FormatterFormatsRowsInAnyOrderAndAppends) {
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns_);
  ASSERT_TRUE(formatter.ok()) << formatter.status();
  EXPECT_EQ(formatter->num_columns(), columns_.size());
  ASSERT_TRUE(formatter->StartBatch(batch_).ok());
  EXPECT_EQ(formatter->row_count(), 4u);
  std::string out = "prefix ";
  for (uint32_t row : {3u, 1u, 0u, 2u, 3u}) {
    ASSERT_TRUE(formatter->AppendRow(row, &out).ok());
    out += '\n';
  }
  EXPECT_EQ(out, std::string("prefix ") + kExpectedRows[3] + "\n" + kExpectedRows[1] + "\n" +
                     kExpectedRows[0] + "\n" + kExpectedRows[2] + "\n" + kExpectedRows[3] +
                     "\n");
}

// Columns with a value or element nulled because Airbyte cannot represent it (NaN,
// infinities, infinite dates), per row of EveryKindTest; SQL NULLs are not among them.
const std::vector<int> kExpectedNulled[] = {
    {14},                       // arr_tstz infinity
    {2, 3, 7, 8, 9, 15, 19},    // d NaN, n NaN, ts/tstz/date infinity, arr_num, arr_f8 NaN
    {3, 9, 20},                 // n Infinity, date -infinity, arr_date -infinity
    {2, 3, 7},                  // d -Infinity, n -Infinity, ts -infinity
};

TEST_F(EveryKindTest, NulledColumnsAreReported) {
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns_);
  ASSERT_TRUE(formatter.ok());
  ASSERT_TRUE(formatter->StartBatch(batch_).ok());
  std::vector<int> nulled = {-1};  // appended to, never cleared by AppendRow
  for (uint32_t row : {3u, 1u, 0u, 2u}) {
    nulled.resize(1);
    std::string out;
    ASSERT_TRUE(formatter->AppendRow(row, &out, &nulled).ok());
    EXPECT_EQ(out, kExpectedRows[row]) << "row " << row;
    std::vector<int> expected = {-1};
    expected.insert(expected.end(), kExpectedNulled[row].begin(), kExpectedNulled[row].end());
    EXPECT_EQ(nulled, expected) << "row " << row;
  }
  for (uint32_t row = 0; row < 4; ++row) {
    std::vector<int> free_function;
    std::string out;
    ASSERT_TRUE(AppendRecordData(columns_, batch_, row, &out, &free_function).ok());
    EXPECT_EQ(free_function, kExpectedNulled[row]) << "row " << row;
  }
}

TEST_F(EveryKindTest, FormatterIsReusedAcrossBatches) {
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns_);
  ASSERT_TRUE(formatter.ok());
  ASSERT_TRUE(formatter->StartBatch(batch_).ok());
  std::string out;
  ASSERT_TRUE(formatter->AppendRow(0, &out).ok());
  EXPECT_EQ(out, kExpectedRows[0]);

  // Same message object, new contents: only row 0 of the old batch, as row 0 of a
  // one-row batch built by dropping the others.
  RecordBatch second;
  second.set_row_count(1);
  for (int c = 0; c < columns_.size(); ++c) second.add_columns();
  Bools(second.mutable_columns(0), {false});
  Int64s(second.mutable_columns(1), {7});
  Doubles(second.mutable_columns(2), {2});
  Strings(second.mutable_columns(3), {"0"});
  Strings(second.mutable_columns(4), {"x"});
  Strings(second.mutable_columns(5), {"f"});
  Strings(second.mutable_columns(6), {"[]"});
  for (int c = 7; c <= 10; ++c) Int64s(second.mutable_columns(c), {0});
  Strings(second.mutable_columns(11), {"00:00:00+00"});
  for (int c = 12; c <= 23; ++c) Lists(second.mutable_columns(c), {0});
  Strings(second.mutable_columns(24), {"y"});
  batch_ = second;
  ASSERT_TRUE(formatter->StartBatch(batch_).ok());
  out.clear();
  ASSERT_TRUE(formatter->AppendRow(0, &out).ok());
  EXPECT_EQ(out,
            R"({"b":false,"i":7,"d":2,"n":0,"t":"x","by":"\\x66","j":"[]",)"
            R"("ts":"1970-01-01T00:00:00","tstz":"1970-01-01T00:00:00+00:00",)"
            R"("date":"1970-01-01","time":"00:00:00","timetz":"00:00:00+00","arr_i":[],)"
            R"("arr_2d":[],"arr_tstz":[],"arr_num":[],"arr_misc":[],"arr_json":[],)"
            R"("arr_bool":[],"arr_f8":[],"arr_date":[],"arr_time":[],"arr_timetz":[],)"
            R"("arr_ts":[],"we\"ird\\name é\n":"y"})");
  EXPECT_EQ(formatter->AppendRow(1, &out).code(), absl::StatusCode::kOutOfRange);
}

TEST(RecordFormatterTest, RealColumnsPrintTheShortestFloat) {
  // A real (float4) 3.14 travels as the double 3.140000104904175; it prints as PostgreSQL
  // and Airbyte print it. A double precision column keeps its double digits.
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "r", tsdb_source::v1::VALUE_KIND_DOUBLE);
  columns.Mutable(0)->set_type_oid(700);
  AddColumn(&columns, "ra", tsdb_source::v1::VALUE_KIND_ARRAY,
            tsdb_source::v1::VALUE_KIND_DOUBLE);
  columns.Mutable(1)->set_type_oid(1021);
  AddColumn(&columns, "d", tsdb_source::v1::VALUE_KIND_DOUBLE);
  columns.Mutable(2)->set_type_oid(701);
  RecordBatch batch;
  batch.set_row_count(2);
  Doubles(batch.add_columns(), {static_cast<double>(3.14f), kNaN});
  ColumnValues* e = Lists(batch.add_columns(), {3, 0});
  Doubles(e, {static_cast<double>(0.1f), static_cast<double>(1e-45f), -kInf});
  Doubles(batch.add_columns(), {static_cast<double>(3.14f), 0.1});
  EXPECT_EQ(FormatRow(columns, batch, 0),
            R"({"r":3.14,"ra":[0.1,1e-45,null],"d":3.140000104904175})");
  EXPECT_EQ(FormatRow(columns, batch, 1), R"({"r":null,"ra":[],"d":0.1})");
}

TEST(RecordFormatterTest, NulledValuesAreReportedOncePerColumn) {
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "id", tsdb_source::v1::VALUE_KIND_INT64);
  AddColumn(&columns, "far", tsdb_source::v1::VALUE_KIND_TIMESTAMPTZ);
  AddColumn(&columns, "d", tsdb_source::v1::VALUE_KIND_DATE);
  AddColumn(&columns, "tm", tsdb_source::v1::VALUE_KIND_TIME);
  AddColumn(&columns, "r", tsdb_source::v1::VALUE_KIND_DOUBLE);
  columns.Mutable(4)->set_type_oid(700);
  AddColumn(&columns, "grid", tsdb_source::v1::VALUE_KIND_ARRAY,
            tsdb_source::v1::VALUE_KIND_NUMERIC);
  RecordBatch batch;
  batch.set_row_count(3);
  Int64s(batch.add_columns(), {1, 2, 3});
  // 10000-01-01, 9999-12-31T23:59:59.999999, NULL
  ColumnValues* v = batch.add_columns();
  Int64s(v, {DaysFromCivil(10000, 1, 1) * kMicrosPerDay,
             DaysFromCivil(10000, 1, 1) * kMicrosPerDay - 1, 0});
  SetNulls(v, {2});
  Int64s(batch.add_columns(), {0, DaysFromCivil(5874897, 12, 31), 0});
  Int64s(batch.add_columns(), {-1, 0, kMicrosPerDay + 1});
  Doubles(batch.add_columns(), {1, kInf, kNaN});
  // [[NaN,1],[Infinity,NULL]], [], [[-Infinity]]
  v = batch.add_columns();
  ColumnValues* e = Lists(Lists(v, {2, 0, 1}), {2, 2, 1});
  Strings(e, {"NaN", "1", "Infinity", "", "-Infinity"});
  SetNulls(e, {3});
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns);
  ASSERT_TRUE(formatter.ok());
  ASSERT_TRUE(formatter->StartBatch(batch).ok());
  const char* const expected_rows[] = {
      R"({"id":1,"far":null,"d":"1970-01-01","tm":null,"r":1,"grid":[[null,1],[null,null]]})",
      R"({"id":2,"far":"9999-12-31T23:59:59.999999+00:00","d":null,"tm":"00:00:00",)"
      R"("r":null,"grid":[]})",
      R"({"id":3,"far":null,"d":"1970-01-01","tm":null,"r":null,"grid":[[null]]})",
  };
  const std::vector<int> expected_nulled[] = {{1, 3, 5}, {2, 4}, {3, 4, 5}};
  std::vector<int> nulled;
  for (uint32_t row = 0; row < 3; ++row) {
    nulled.clear();
    std::string out;
    ASSERT_TRUE(formatter->AppendRow(row, &out, &nulled).ok());
    EXPECT_EQ(out, expected_rows[row]) << "row " << row;
    EXPECT_EQ(nulled, expected_nulled[row]) << "row " << row;
  }
}

TEST(RecordFormatterTest, RowsWithoutNulledValuesLeaveTheListAlone) {
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "d", tsdb_source::v1::VALUE_KIND_DOUBLE);
  AddColumn(&columns, "a", tsdb_source::v1::VALUE_KIND_ARRAY,
            tsdb_source::v1::VALUE_KIND_DATE);
  RecordBatch batch;
  batch.set_row_count(2);
  ColumnValues* v = batch.add_columns();
  Doubles(v, {0.5, kNaN});
  SetNulls(v, {1});  // a NULL whose slot holds NaN: not nulled, NULL
  v = batch.add_columns();
  ColumnValues* e = Lists(v, {2, 0});
  Int64s(e, {0, kDatePlusInfinity});
  SetNulls(e, {1});
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns);
  ASSERT_TRUE(formatter.ok());
  ASSERT_TRUE(formatter->StartBatch(batch).ok());
  std::vector<int> nulled;
  for (uint32_t row = 0; row < 2; ++row) {
    std::string out;
    ASSERT_TRUE(formatter->AppendRow(row, &out, &nulled).ok());
  }
  EXPECT_TRUE(nulled.empty());
  EXPECT_EQ(nulled.capacity(), 0u);  // nothing allocated
  std::string out;
  ASSERT_TRUE(formatter->AppendRow(0, &out, nullptr).ok());
  EXPECT_EQ(out, R"({"d":0.5,"a":["1970-01-01",null]})");
}

TEST(RecordFormatterTest, JsonTextIsAStringOnOneLineWithLineSeparatorsEscaped) {
  // json and jsonb are strings, as source-postgres writes them (docs/types.md).
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "j", tsdb_source::v1::VALUE_KIND_JSON);
  RecordBatch batch;
  batch.set_row_count(1);
  Strings(batch.add_columns(),
          {"{\r\n \"a\": \"x\xE2\x80\xA8y\xE2\x80\xA9\",\n \"b\": \"\xE2\x80\xA0\"}"});
  EXPECT_EQ(FormatRow(columns, batch, 0),
            "{\"j\":\"{\\r\\n \\\"a\\\": \\\"x\\u2028y\\u2029\\\",\\n \\\"b\\\": \\\"\xE2\x80\xA0\\\"}\"}");
}

TEST(RecordFormatterTest, ByteaIsHexTextAndItsArrayElementsBase64) {
  // source-postgres writes bytea as PostgreSQL's hex text and the elements of bytea[] as
  // base64 (docs/types.md). Scalar columns only: the row writer; with an array: value by
  // value. Both give the same text.
  RepeatedPtrField<Column> scalars;
  AddColumn(&scalars, "by", tsdb_source::v1::VALUE_KIND_BYTES);
  AddColumn(&scalars, "j", tsdb_source::v1::VALUE_KIND_JSON);
  RecordBatch batch;
  batch.set_row_count(2);
  Strings(batch.add_columns(), {std::string("\x00\x01\xAB\xFF", 4), ""});
  Strings(batch.add_columns(), {"{\"a\": 1}", "\"\\u00e9\""});
  EXPECT_EQ(FormatRow(scalars, batch, 0), R"({"by":"\\x0001abff","j":"{\"a\": 1}"})");
  EXPECT_EQ(FormatRow(scalars, batch, 1), R"({"by":"\\x","j":"\"\\u00e9\""})");

  RepeatedPtrField<Column> with_array = scalars;
  AddColumn(&with_array, "ba", tsdb_source::v1::VALUE_KIND_ARRAY,
            tsdb_source::v1::VALUE_KIND_BYTES);
  ColumnValues* elements = Lists(batch.add_columns(), {2, 0});
  Strings(elements, {std::string("\x00\x01\xAB\xFF", 4), ""});
  SetNulls(elements, {1});
  EXPECT_EQ(FormatRow(with_array, batch, 0),
            R"({"by":"\\x0001abff","j":"{\"a\": 1}","ba":["AAGr/w==",null]})");
  EXPECT_EQ(FormatRow(with_array, batch, 1), R"({"by":"\\x","j":"\"\\u00e9\"","ba":[]})");
}

TEST(RecordFormatterTest, AppendColumnValueWritesOneValueOfTheRow) {
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "i", tsdb_source::v1::VALUE_KIND_INT64);
  AddColumn(&columns, "a", tsdb_source::v1::VALUE_KIND_ARRAY, tsdb_source::v1::VALUE_KIND_DOUBLE);
  RecordBatch batch;
  batch.set_row_count(2);
  Int64s(batch.add_columns(), {7, 8});
  Doubles(Lists(batch.add_columns(), {2, 1}), {1.5, kNaN, 2});
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns);
  ASSERT_TRUE(formatter.ok()) << formatter.status();
  ASSERT_TRUE(formatter->StartBatch(batch).ok());
  std::string out = "kept";
  EXPECT_FALSE(formatter->AppendColumnValue(0, 1, &out));
  EXPECT_TRUE(formatter->AppendColumnValue(1, 0, &out));  // NaN nulled
  EXPECT_FALSE(formatter->AppendColumnValue(1, 1, &out));
  EXPECT_EQ(out, "kept8[1.5,null][2]");
}

TEST(RecordFormatterTest, NoColumns) {
  RepeatedPtrField<Column> columns;
  RecordBatch batch;
  batch.set_row_count(2);
  EXPECT_EQ(FormatRow(columns, batch, 1), "{}");
}

TEST(RecordFormatterTest, EmptyBatchWithUnsetOneofs) {
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "a", tsdb_source::v1::VALUE_KIND_INT64);
  AddColumn(&columns, "l", tsdb_source::v1::VALUE_KIND_ARRAY,
            tsdb_source::v1::VALUE_KIND_TEXT);
  RecordBatch batch;
  batch.add_columns();
  batch.add_columns();
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns);
  ASSERT_TRUE(formatter.ok());
  EXPECT_TRUE(formatter->StartBatch(batch).ok());
  std::string out;
  EXPECT_EQ(formatter->AppendRow(0, &out).code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(out, "");
}

TEST(RecordFormatterTest, AllNullArraysWithUnsetElements) {
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "l", tsdb_source::v1::VALUE_KIND_ARRAY,
            tsdb_source::v1::VALUE_KIND_TEXT);
  RecordBatch batch;
  batch.set_row_count(2);
  ColumnValues* v = batch.add_columns();
  Lists(v, {0, 0});
  SetNulls(v, {0});
  EXPECT_EQ(FormatRow(columns, batch, 0), R"({"l":null})");
  EXPECT_EQ(FormatRow(columns, batch, 1), R"({"l":[]})");
}

TEST(RecordFormatterTest, LargeBatchWithListsIsLinear) {
  // 200k rows of a list column: quadratic offset computation would time out here.
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "l", tsdb_source::v1::VALUE_KIND_ARRAY,
            tsdb_source::v1::VALUE_KIND_INT64);
  constexpr uint32_t kRows = 200000;
  RecordBatch batch;
  batch.set_row_count(kRows);
  ColumnValues* v = batch.add_columns();
  ColumnValues* elements = v->mutable_lists()->mutable_elements();
  for (uint32_t r = 0; r < kRows; ++r) {
    v->mutable_lists()->add_lengths(r % 3);
    for (uint32_t k = 0; k < r % 3; ++k) elements->mutable_int64s()->add_values(r);
  }
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns);
  ASSERT_TRUE(formatter.ok());
  ASSERT_TRUE(formatter->StartBatch(batch).ok());
  std::string out;
  for (uint32_t r = 0; r < kRows; ++r) {
    out.clear();
    ASSERT_TRUE(formatter->AppendRow(r, &out).ok());
  }
  EXPECT_EQ(out, R"({"l":[199999]})");
  out.clear();
  ASSERT_TRUE(formatter->AppendRow(kRows - 2, &out).ok());
  EXPECT_EQ(out, R"({"l":[]})");
  out.clear();
  ASSERT_TRUE(formatter->AppendRow(kRows - 3, &out).ok());
  EXPECT_EQ(out, R"({"l":[199997,199997]})");
}

TEST(RecordFormatterTest, CreateRejectsUnknownKinds) {
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "a", tsdb_source::v1::VALUE_KIND_UNSPECIFIED);
  EXPECT_EQ(RecordFormatter::Create(columns).status().code(),
            absl::StatusCode::kInvalidArgument);
  columns.Clear();
  AddColumn(&columns, "a", static_cast<ValueKind>(99));
  EXPECT_FALSE(RecordFormatter::Create(columns).ok());
  columns.Clear();
  AddColumn(&columns, "a", tsdb_source::v1::VALUE_KIND_ARRAY);
  EXPECT_FALSE(RecordFormatter::Create(columns).ok());
  columns.Clear();
  AddColumn(&columns, "a", tsdb_source::v1::VALUE_KIND_ARRAY,
            tsdb_source::v1::VALUE_KIND_ARRAY);
  EXPECT_FALSE(RecordFormatter::Create(columns).ok());
}

// Each malformed batch must be rejected by StartBatch with InvalidArgument.
TEST(RecordFormatterTest, StartBatchRejectsMalformedBatches) {
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "i", tsdb_source::v1::VALUE_KIND_INT64);
  AddColumn(&columns, "l", tsdb_source::v1::VALUE_KIND_ARRAY,
            tsdb_source::v1::VALUE_KIND_NUMERIC);
  AddColumn(&columns, "j", tsdb_source::v1::VALUE_KIND_JSON);
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns);
  ASSERT_TRUE(formatter.ok());

  auto valid = [] {
    RecordBatch b;
    b.set_row_count(2);
    Int64s(b.add_columns(), {1, 2});
    Strings(Lists(b.add_columns(), {1, 1}), {"1", "2"});
    Strings(b.add_columns(), {"1", "{}"});
    return b;
  };
  {
    RecordBatch b = valid();
    ASSERT_TRUE(formatter->StartBatch(b).ok());
  }
  struct Case {
    const char* name;
    void (*mutate)(RecordBatch*);
  };
  const Case cases[] = {
      {"too few columns", [](RecordBatch* b) { b->mutable_columns()->RemoveLast(); }},
      {"too many rows", [](RecordBatch* b) { b->set_row_count(3); }},
      {"wrong oneof", [](RecordBatch* b) { Doubles(b->mutable_columns(0), {1, 2}); }},
      {"too few values", [](RecordBatch* b) {
         b->mutable_columns(0)->mutable_int64s()->mutable_values()->RemoveLast();
       }},
      {"unset oneof with rows", [](RecordBatch* b) { b->mutable_columns(0)->Clear(); }},
      {"short bitmap", [](RecordBatch* b) {
         b->set_row_count(9);
         for (int k = 0; k < 7; ++k) b->mutable_columns(0)->mutable_int64s()->add_values(0);
         b->mutable_columns(0)->set_null_bitmap(std::string(1, '\1'));
       }},
      {"lengths too long", [](RecordBatch* b) {
         b->mutable_columns(1)->mutable_lists()->set_lengths(1, 5);
       }},
      {"lengths too short", [](RecordBatch* b) {
         b->mutable_columns(1)->mutable_lists()->set_lengths(1, 0);
       }},
      {"lengths count", [](RecordBatch* b) {
         b->mutable_columns(1)->mutable_lists()->add_lengths(0);
       }},
      {"bad numeric", [](RecordBatch* b) {
         b->mutable_columns(1)->mutable_lists()->mutable_elements()->mutable_strings()
             ->set_values(1, "1e");
       }},
      {"numeric with spaces", [](RecordBatch* b) {
         b->mutable_columns(1)->mutable_lists()->mutable_elements()->mutable_strings()
             ->set_values(0, " 1");
       }},
      {"numeric inf spelling", [](RecordBatch* b) {
         b->mutable_columns(1)->mutable_lists()->mutable_elements()->mutable_strings()
             ->set_values(0, "inf");
       }},
      {"empty json", [](RecordBatch* b) {
         b->mutable_columns(2)->mutable_strings()->set_values(0, "");
       }},
      {"element oneof mismatch", [](RecordBatch* b) {
         Int64s(b->mutable_columns(1)->mutable_lists()->mutable_elements(), {1, 2});
       }},
  };
  for (const Case& c : cases) {
    RecordBatch b = valid();
    c.mutate(&b);
    const absl::Status status = formatter->StartBatch(b);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name << ": " << status;
    std::string out;
    EXPECT_EQ(formatter->AppendRow(0, &out).code(), absl::StatusCode::kFailedPrecondition)
        << c.name;
    EXPECT_EQ(out, "");
  }
  {
    // A NULL row may hold an empty or invalid text: it is never read.
    RecordBatch b = valid();
    b.mutable_columns(2)->mutable_strings()->set_values(0, "");
    SetNulls(b.mutable_columns(2), {0});
    b.mutable_columns(1)->mutable_lists()->mutable_elements()->mutable_strings()->set_values(
        0, "garbage");
    SetNulls(b.mutable_columns(1)->mutable_lists()->mutable_elements(), {0});
    ASSERT_TRUE(formatter->StartBatch(b).ok());
    std::string out;
    ASSERT_TRUE(formatter->AppendRow(0, &out).ok());
    EXPECT_EQ(out, R"({"i":1,"l":[null],"j":null})");
  }
}

TEST(RecordFormatterTest, AppendRowBeforeStartBatch) {
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "i", tsdb_source::v1::VALUE_KIND_INT64);
  absl::StatusOr<RecordFormatter> formatter = RecordFormatter::Create(columns);
  ASSERT_TRUE(formatter.ok());
  std::string out;
  EXPECT_EQ(formatter->AppendRow(0, &out).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RecordFormatterTest, ErrorNamesTheColumn) {
  RepeatedPtrField<Column> columns;
  AddColumn(&columns, "price", tsdb_source::v1::VALUE_KIND_NUMERIC);
  RecordBatch batch;
  batch.set_row_count(1);
  Strings(batch.add_columns(), {"12,5"});
  std::string out;
  const absl::Status status = AppendRecordData(columns, batch, 0, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("\"price\""), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("12,5"), absl::string_view::npos) << status;
}

}  // namespace
}  // namespace tsdb_source::client

namespace tsdb_source::client {
namespace {

// The row writer (scalar columns) and the value-by-value path give the same text and the
// same nulled columns, for random rows of every scalar kind: NULLs, NaN and infinities,
// numeric specials, infinite and out-of-range dates, text with escapes, invalid UTF-8,
// U+2028 and long runs.
TEST(RecordFormatterTest, RowWriterMatchesValueByValue) {
  std::mt19937_64 random(20261201);
  const ValueKind kinds[] = {tsdb_source::v1::VALUE_KIND_BOOL,      tsdb_source::v1::VALUE_KIND_INT64,
                             tsdb_source::v1::VALUE_KIND_DOUBLE,    tsdb_source::v1::VALUE_KIND_NUMERIC,
                             tsdb_source::v1::VALUE_KIND_TEXT,      tsdb_source::v1::VALUE_KIND_TIMETZ,
                             tsdb_source::v1::VALUE_KIND_TIMESTAMP, tsdb_source::v1::VALUE_KIND_TIMESTAMPTZ,
                             tsdb_source::v1::VALUE_KIND_DATE,      tsdb_source::v1::VALUE_KIND_TIME};
  const std::string texts[] = {"", "plain", "quote \" backslash \\ tab \t nl \n", std::string("nul\0x", 5),
                               "\xe2\x80\xa8 sep", "bad \xff\xfe utf8 \xc3", "caf\xc3\xa9 \xf0\x9f\x98\x80",
                               std::string(300, '\x01'), std::string(1000, 'x')};
  const std::string numerics[] = {"0", "-1.5", "123456789012345678901234567890.000001", "NaN",
                                  "Infinity", "-Infinity", "1e5"};
  const int64_t times[] = {0, -1, 1700000000123456, kI64Max, kI64Min, 86400000000LL,
                           253402300800000000LL, -62135596800000001LL, 12345};
  const int64_t days[] = {0, -1, 19000, 2147483647, -2147483648LL, 2932897, -719529};
  for (int round = 0; round < 200; ++round) {
    RepeatedPtrField<Column> columns;
    const int n = 1 + static_cast<int>(random() % 8);
    std::vector<ValueKind> chosen;
    for (int c = 0; c < n; ++c) {
      chosen.push_back(kinds[random() % (sizeof(kinds) / sizeof(kinds[0]))]);
      AddColumn(&columns, "c\"" + std::to_string(c), chosen.back());
      if (chosen.back() == tsdb_source::v1::VALUE_KIND_DOUBLE && random() % 3 == 0) {
        columns.Mutable(c)->set_type_oid(700);  // real
      }
    }
    const int rows = 1 + static_cast<int>(random() % 20);
    RecordBatch batch;
    batch.set_row_count(rows);
    for (int c = 0; c < n; ++c) {
      ColumnValues* v = batch.add_columns();
      std::string bitmap((rows + 7) / 8, '\0');
      bool any_null = false;
      for (int r = 0; r < rows; ++r) {
        const bool null = random() % 5 == 0;
        if (null) {
          bitmap[r / 8] = static_cast<char>(bitmap[r / 8] | (1 << (r % 8)));
          any_null = true;
        }
        switch (chosen[c]) {
          case tsdb_source::v1::VALUE_KIND_BOOL: v->mutable_bools()->add_values(random() % 2); break;
          case tsdb_source::v1::VALUE_KIND_INT64: {
            const int64_t picks[] = {0, -1, kI64Min, kI64Max, static_cast<int64_t>(random())};
            v->mutable_int64s()->add_values(picks[random() % 5]);
            break;
          }
          case tsdb_source::v1::VALUE_KIND_DOUBLE: {
            const double picks[] = {0.0, -0.0, 21.375, kNaN, kInf, -kInf, 1e300, 5e-324,
                                    20 + static_cast<double>(random()) / 1e19, 1e9, 0.001};
            v->mutable_doubles()->add_values(picks[random() % 11]);
            break;
          }
          case tsdb_source::v1::VALUE_KIND_NUMERIC:
            v->mutable_strings()->add_values(null ? "" : numerics[random() % 7]);
            break;
          case tsdb_source::v1::VALUE_KIND_TEXT:
          case tsdb_source::v1::VALUE_KIND_TIMETZ:
            v->mutable_strings()->add_values(texts[random() % (sizeof(texts) / sizeof(texts[0]))]);
            break;
          case tsdb_source::v1::VALUE_KIND_DATE:
            v->mutable_int64s()->add_values(days[random() % 7]);
            break;
          case tsdb_source::v1::VALUE_KIND_TIME:
            v->mutable_int64s()->add_values(times[random() % 9] % (86400000000LL + 2));
            break;
          default:
            v->mutable_int64s()->add_values(times[random() % 9]);
            break;
        }
      }
      if (any_null) v->set_null_bitmap(bitmap);
    }
    auto fast = RecordFormatter::Create(columns);
    auto slow = RecordFormatter::Create(columns);
    ASSERT_TRUE(fast.ok() && slow.ok());
    slow->set_row_writer_for_testing(false);
    ASSERT_TRUE(fast->StartBatch(batch).ok()) << "round " << round;
    ASSERT_TRUE(slow->StartBatch(batch).ok());
    for (int r = 0; r < rows; ++r) {
      std::string a = "prefix", b = "prefix";
      std::vector<int> nulled_a, nulled_b;
      ASSERT_TRUE(fast->AppendRow(r, &a, &nulled_a).ok());
      ASSERT_TRUE(slow->AppendRow(r, &b, &nulled_b).ok());
      ASSERT_EQ(a, b) << "round " << round << " row " << r;
      ASSERT_EQ(nulled_a, nulled_b) << "round " << round << " row " << r;
    }
  }
}

}  // namespace
}  // namespace tsdb_source::client
