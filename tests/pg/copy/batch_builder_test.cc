#include "service/pg/copy/batch_builder.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "service/pg/copy/copy_binary_parser.h"
#include "tests/pg/copy/fixture_util.h"
#include "tests/pg/copy/pg15_fixtures.h"

namespace tsdb_source::pg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test_util::FromHex;
using test_util::ParsedFixture;
using test_util::SplitLikeLibpq;

bool IsNull(const v1::ColumnValues& values, int i) {
  const std::string& bitmap = values.null_bitmap();
  const size_t byte = static_cast<size_t>(i) / 8;
  return byte < bitmap.size() && ((static_cast<uint8_t>(bitmap[byte]) >> (i % 8)) & 1);
}

int ValueCount(const v1::ColumnValues& values) {
  switch (values.values_case()) {
    case v1::ColumnValues::kBools: return values.bools().values_size();
    case v1::ColumnValues::kInt64S: return values.int64s().values_size();
    case v1::ColumnValues::kDoubles: return values.doubles().values_size();
    case v1::ColumnValues::kStrings: return values.strings().values_size();
    case v1::ColumnValues::kLists: return values.lists().lengths_size();
    default: return -1;
  }
}

// Scalar values as text, "NULL" where the bitmap says so (placeholders checked apart).
std::vector<std::string> Render(const v1::ColumnValues& values) {
  std::vector<std::string> out;
  for (int i = 0; i < ValueCount(values); ++i) {
    if (IsNull(values, i)) {
      out.push_back("NULL");
      continue;
    }
    switch (values.values_case()) {
      case v1::ColumnValues::kBools:
        out.push_back(values.bools().values(i) ? "true" : "false");
        break;
      case v1::ColumnValues::kInt64S: out.push_back(absl::StrCat(values.int64s().values(i))); break;
      case v1::ColumnValues::kDoubles:
        out.push_back(absl::StrCat(values.doubles().values(i)));
        break;
      case v1::ColumnValues::kStrings: out.push_back(values.strings().values(i)); break;
      case v1::ColumnValues::kLists:
        out.push_back(absl::StrCat("[", values.lists().lengths(i), "]"));
        break;
      default: out.push_back("?");
    }
  }
  return out;
}

// Every NULL entry holds the zero value of its array.
void ExpectZeroPlaceholders(const v1::ColumnValues& values) {
  for (int i = 0; i < ValueCount(values); ++i) {
    if (!IsNull(values, i)) continue;
    switch (values.values_case()) {
      case v1::ColumnValues::kBools: EXPECT_FALSE(values.bools().values(i)) << i; break;
      case v1::ColumnValues::kInt64S: EXPECT_EQ(values.int64s().values(i), 0) << i; break;
      case v1::ColumnValues::kDoubles: EXPECT_EQ(values.doubles().values(i), 0.0) << i; break;
      case v1::ColumnValues::kStrings: EXPECT_EQ(values.strings().values(i), "") << i; break;
      case v1::ColumnValues::kLists: EXPECT_EQ(values.lists().lengths(i), 0u) << i; break;
      default: ADD_FAILURE();
    }
  }
}

std::vector<ColumnSpec> MixedBatchColumns() {
  return {{"id", 20}, {"flag", 16}, {"ratio", 701}, {"amount", 1700},
          {"label", 25}, {"at", 1184}, {"tags", 1007}};
}

BatchBuilder MustCreate(std::vector<ColumnSpec> columns) {
  absl::StatusOr<BatchBuilder> builder = BatchBuilder::Create(std::move(columns));
  EXPECT_TRUE(builder.ok()) << builder.status();
  return std::move(builder).value();
}

void AppendAll(BatchBuilder& builder, const ParsedFixture& fixture) {
  for (size_t r = 0; r < fixture.size(); ++r) {
    absl::Status status = builder.AppendRow(fixture.row(r));
    ASSERT_TRUE(status.ok()) << "row " << r << ": " << status;
  }
}

// The MixedBatch fixture (see pg15_fixtures.h) as the builder should lay it out.
void ExpectMixedBatch(const v1::RecordBatch& batch) {
  ASSERT_EQ(batch.row_count(), 10u);
  ASSERT_EQ(batch.columns_size(), 7);
  for (const v1::ColumnValues& column : batch.columns()) {
    EXPECT_EQ(ValueCount(column), 10);
    ExpectZeroPlaceholders(column);
  }
  const auto& c = batch.columns();
  EXPECT_EQ(c[0].null_bitmap(), "");  // no NULL id
  EXPECT_THAT(Render(c[0]), ElementsAre("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"));
  // NULL rows 0, 3, 6 (byte 0 bits 0, 3, 6) and 9 (byte 1 bit 1).
  EXPECT_EQ(c[1].null_bitmap(), "\x49\x02");
  EXPECT_THAT(Render(c[1]), ElementsAre("NULL", "false", "true", "NULL", "true", "false", "NULL",
                                        "false", "true", "NULL"));
  EXPECT_EQ(c[2].null_bitmap(), "\x22\x02");
  EXPECT_THAT(Render(c[2]),
              ElementsAre("0", "NULL", "3", "4.5", "6", "NULL", "9", "10.5", "12", "NULL"));
  EXPECT_EQ(c[3].null_bitmap(), std::string("\x00\x02", 2));
  EXPECT_THAT(Render(c[3]), ElementsAre("0.000", "1.250", "2.500", "3.750", "5.000", "6.250",
                                        "7.500", "8.750", "10.000", "NULL"));
  EXPECT_EQ(c[4].null_bitmap(), std::string("\x84\x00", 2));
  EXPECT_EQ(Render(c[4])[2], "NULL");
  EXPECT_EQ(Render(c[4])[9], "row 9");
  EXPECT_EQ(c[5].null_bitmap(), std::string("\x01\x00", 2));
  EXPECT_EQ(c[5].int64s().values(1), 1704067200000000 + 3600000000);  // 2024-01-01 01:00 UTC
  // tags: NULL for i % 3 == 0, [i, NULL] for i % 3 == 1, '{}' otherwise.
  ASSERT_EQ(c[6].values_case(), v1::ColumnValues::kLists);
  EXPECT_EQ(c[6].null_bitmap(), "\x49\x02");
  EXPECT_THAT(c[6].lists().lengths(), ElementsAre(0, 2, 0, 0, 2, 0, 0, 2, 0, 0));
  const v1::ColumnValues& elements = c[6].lists().elements();
  EXPECT_THAT(Render(elements), ElementsAre("1", "NULL", "4", "NULL", "7", "NULL"));
  EXPECT_EQ(elements.null_bitmap(), "\x2a");
  ExpectZeroPlaceholders(elements);
}

TEST(BatchBuilderTest, ColumnsBitmapsAndPlaceholders) {
  ParsedFixture fx(fixtures::kMixedBatch, 7);
  ASSERT_EQ(fx.size(), 10u);
  BatchBuilder builder = MustCreate(MixedBatchColumns());
  EXPECT_EQ(builder.kind(0), v1::VALUE_KIND_INT64);
  EXPECT_EQ(builder.kind(1), v1::VALUE_KIND_BOOL);
  EXPECT_EQ(builder.kind(3), v1::VALUE_KIND_NUMERIC);
  EXPECT_EQ(builder.kind(5), v1::VALUE_KIND_TIMESTAMPTZ);
  EXPECT_EQ(builder.kind(6), v1::VALUE_KIND_ARRAY);
  EXPECT_EQ(builder.element_kind(6), v1::VALUE_KIND_INT64);
  EXPECT_EQ(builder.element_kind(0), v1::VALUE_KIND_UNSPECIFIED);
  AppendAll(builder, fx);
  EXPECT_EQ(builder.row_count(), 10u);
  ExpectMixedBatch(builder.batch());
}

TEST(BatchBuilderTest, BitmapStaysEmptyWithoutNulls) {
  BatchBuilder builder = MustCreate({{"n", 23}});
  const std::string one("\x00\x00\x00\x01", 4);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(builder.AppendRow({FieldView::Of(one)}).ok());
  EXPECT_EQ(builder.batch().columns(0).null_bitmap(), "");
  // The first NULL, at row 20, creates the bitmap with exactly ceil(21 / 8) bytes...
  ASSERT_TRUE(builder.AppendRow({FieldView::Null()}).ok());
  EXPECT_EQ(builder.batch().columns(0).null_bitmap(), std::string("\x00\x00\x10", 3));
  // ...and later rows keep it at ceil(rows / 8).
  for (int i = 21; i < 25; ++i) ASSERT_TRUE(builder.AppendRow({FieldView::Of(one)}).ok());
  EXPECT_EQ(builder.batch().columns(0).null_bitmap().size(), 4u);
  EXPECT_EQ(Render(builder.batch().columns(0))[20], "NULL");
}

TEST(BatchBuilderTest, LargeBatchSizeEstimateAndLastRowNull) {
  BatchBuilder builder = MustCreate({{"id", 20}, {"name", 25}});
  const std::string id(8, '\x01');
  const std::string name(40, 'n');
  size_t last = 0;
  for (int i = 0; i < 10000; ++i) {
    const bool null = i == 9999;
    ASSERT_TRUE(builder
                    .AppendRow({FieldView::Of(id),
                                null ? FieldView::Null() : FieldView::Of(name)})
                    .ok());
    EXPECT_GT(builder.approx_bytes(), last);
    last = builder.approx_bytes();
  }
  // 8 bytes per id, 40 + a few per name.
  EXPECT_GE(builder.approx_bytes(), 10000u * 48);
  EXPECT_LE(builder.approx_bytes(), 10000u * 56);
  const std::string& bitmap = builder.batch().columns(1).null_bitmap();
  ASSERT_EQ(bitmap.size(), 1250u);
  EXPECT_EQ(bitmap.back(), '\x80');
  EXPECT_EQ(bitmap.find_first_not_of('\0'), 1249u);
  EXPECT_EQ(builder.batch().columns(0).null_bitmap(), "");
}

TEST(BatchBuilderTest, ReleaseSwapsStorageAndResetKeepsCapacity) {
  ParsedFixture fx(fixtures::kMixedBatch, 7);
  BatchBuilder builder = MustCreate(MixedBatchColumns());
  v1::StreamDescriptor stream;
  stream.set_name("metrics");
  stream.set_namespace_("public");  // "namespace" is a C++ keyword
  builder.set_stream(stream);
  builder.set_chunk("_timescaledb_internal._hyper_1_1_chunk");

  AppendAll(builder, fx);
  v1::RecordBatch first;
  builder.Release(&first);
  ExpectMixedBatch(first);
  EXPECT_EQ(first.stream().name(), "metrics");
  EXPECT_EQ(first.chunk(), "_timescaledb_internal._hyper_1_1_chunk");
  EXPECT_EQ(builder.row_count(), 0u);
  EXPECT_EQ(builder.approx_bytes(), 0u);
  EXPECT_EQ(builder.batch().row_count(), 0u);
  EXPECT_EQ(builder.batch().stream().name(), "metrics");

  // Second batch; releasing into `first` hands its storage back to the builder.
  builder.set_chunk("_timescaledb_internal._hyper_1_2_chunk");
  AppendAll(builder, fx);
  builder.Release(&first);
  ExpectMixedBatch(first);
  EXPECT_EQ(first.chunk(), "_timescaledb_internal._hyper_1_2_chunk");
  const v1::RecordBatch& reused = builder.batch();
  EXPECT_EQ(reused.row_count(), 0u);
  for (const v1::ColumnValues& column : reused.columns()) {
    EXPECT_EQ(ValueCount(column), 0);
    EXPECT_EQ(column.null_bitmap(), "");
  }
  EXPECT_GE(reused.columns(0).int64s().values().Capacity(), 10);
  EXPECT_GE(reused.columns(4).strings().values().Capacity(), 10);
  EXPECT_EQ(reused.chunk(), "_timescaledb_internal._hyper_1_2_chunk");

  // Reset drops rows but keeps capacity; the next batch is built the same way.
  AppendAll(builder, fx);
  const int64_t* storage = builder.batch().columns(0).int64s().values().data();
  builder.Reset();
  EXPECT_EQ(builder.row_count(), 0u);
  EXPECT_EQ(builder.batch().columns(0).int64s().values_size(), 0);
  AppendAll(builder, fx);
  EXPECT_EQ(builder.batch().columns(0).int64s().values().data(), storage);
  ExpectMixedBatch(builder.batch());
  ExpectMixedBatch(builder.Release());
}

TEST(BatchBuilderTest, MalformedValueNamesColumnAndRowAndRollsBack) {
  ParsedFixture fx(fixtures::kMixedBatch, 7);
  BatchBuilder builder = MustCreate(MixedBatchColumns());
  // Rows 1, 2, 4: no NULL flag, one NULL ratio (row 1).
  for (size_t r : {1, 2, 4}) ASSERT_TRUE(builder.AppendRow(fx.row(r)).ok());
  const std::string ratio_bitmap = builder.batch().columns(2).null_bitmap();
  ASSERT_EQ(ratio_bitmap, "\x01");
  ASSERT_EQ(builder.batch().columns(1).null_bitmap(), "");
  // Row 0 has a NULL flag; break its numeric (amount, the next column but one) by
  // changing the sign word.
  std::vector<FieldView> row = fx.row(0);
  std::string amount(row[3].bytes());
  amount[4] = '\x12';
  row[3] = FieldView::Of(amount);
  absl::Status status = builder.AppendRow(row);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("column \"amount\" (type OID 1700), batch row 3"));
  EXPECT_THAT(status.message(), HasSubstr("numeric: invalid sign"));
  // Nothing of the failed row remains: the flag bitmap it created is gone again.
  EXPECT_EQ(builder.row_count(), 3u);
  for (const v1::ColumnValues& column : builder.batch().columns()) {
    EXPECT_EQ(ValueCount(column), 3);
  }
  EXPECT_EQ(builder.batch().columns(1).null_bitmap(), "");
  EXPECT_EQ(builder.batch().columns(2).null_bitmap(), ratio_bitmap);
  // The batch goes on.
  ASSERT_TRUE(builder.AppendRow(fx.row(5)).ok());
  EXPECT_EQ(builder.row_count(), 4u);
  EXPECT_THAT(Render(builder.batch().columns(0)), ElementsAre("1", "2", "4", "5"));

  // A malformed array element is reported with its index; the elements of the rows
  // before (rows 1 and 4: [1, NULL], [4, NULL]) stay.
  std::vector<FieldView> bad_tags = fx.row(7);
  std::string tags(bad_tags[6].bytes());
  tags[tags.size() - 9] = '\x05';  // first element's length 4 -> 5
  bad_tags[6] = FieldView::Of(tags);
  status = builder.AppendRow(bad_tags);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("column \"tags\""));
  EXPECT_THAT(status.message(),
              HasSubstr("batch row 4: array element 0: int4: expected 4 bytes, got 5"));
  const v1::ColumnValues& elements = builder.batch().columns(6).lists().elements();
  EXPECT_THAT(Render(elements), ElementsAre("1", "NULL", "4", "NULL"));
  EXPECT_EQ(elements.null_bitmap(), "\x0a");

  EXPECT_EQ(builder.AppendRow(absl::MakeConstSpan(fx.row(1)).subspan(1)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BatchBuilderTest, MultiDimensionalArraysNestOneListPerDimension) {
  // '{{1,2},{3,4},{5,6}}', '{}', NULL, '{{7,NULL,9}}', '[2:3][-1:0]={{1,2},{3,4}}'
  ParsedFixture fx(fixtures::kMultiDimArrays, 2);
  BatchBuilder builder = MustCreate({{"a", 1007}, {"text", 25}});
  AppendAll(builder, fx);
  const v1::ColumnValues& a = builder.batch().columns(0);
  ASSERT_EQ(a.values_case(), v1::ColumnValues::kLists);
  EXPECT_THAT(a.lists().lengths(), ElementsAre(3, 0, 0, 1, 2));
  EXPECT_EQ(a.null_bitmap(), "\x04");
  const v1::ColumnValues& inner = a.lists().elements();
  ASSERT_EQ(inner.values_case(), v1::ColumnValues::kLists);
  EXPECT_THAT(inner.lists().lengths(), ElementsAre(2, 2, 2, 3, 2, 2));
  EXPECT_EQ(inner.null_bitmap(), "");
  const v1::ColumnValues& leaf = inner.lists().elements();
  EXPECT_THAT(Render(leaf), ElementsAre("1", "2", "3", "4", "5", "6", "7", "NULL", "9", "1", "2",
                                        "3", "4"));
  EXPECT_EQ(leaf.null_bitmap(), std::string("\x80\x00", 2));
}

TEST(BatchBuilderTest, ThreeDimensions) {
  // SELECT '{{{a,b}},{{NULL,"c d"}}}'::text[]
  ParsedFixture fx(fixtures::kThreeDimTextArray, 1);
  BatchBuilder builder = MustCreate({{"a", 1009}});
  AppendAll(builder, fx);
  const v1::ColumnValues& a = builder.batch().columns(0);
  EXPECT_THAT(a.lists().lengths(), ElementsAre(2));
  EXPECT_THAT(a.lists().elements().lists().lengths(), ElementsAre(1, 1));
  EXPECT_THAT(a.lists().elements().lists().elements().lists().lengths(), ElementsAre(2, 2));
  EXPECT_THAT(Render(a.lists().elements().lists().elements().lists().elements()),
              ElementsAre("a", "b", "NULL", "c d"));
}

TEST(BatchBuilderTest, ArraysOfDifferentDimensionsNeedANewBatch) {
  // '{1,2}', '{{3,4},{5,6}}', '{7}'
  ParsedFixture fx(fixtures::kMixedDimArrays, 1);
  BatchBuilder builder = MustCreate({{"a", 1007}});
  ASSERT_TRUE(builder.AppendRow(fx.row(0)).ok());
  absl::Status status = builder.AppendRow(fx.row(1));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("2 dimension(s) in a batch whose arrays have 1"));
  EXPECT_EQ(builder.row_count(), 1u);
  v1::RecordBatch first = builder.Release();
  EXPECT_THAT(Render(first.columns(0).lists().elements()), ElementsAre("1", "2"));

  ASSERT_TRUE(builder.AppendRow(fx.row(1)).ok());
  EXPECT_EQ(builder.AppendRow(fx.row(2)).code(), absl::StatusCode::kFailedPrecondition);
  v1::RecordBatch second = builder.Release();
  EXPECT_THAT(second.columns(0).lists().elements().lists().lengths(), ElementsAre(2, 2));
  ASSERT_TRUE(builder.AppendRow(fx.row(2)).ok());
  v1::RecordBatch third = builder.Release();
  EXPECT_THAT(Render(third.columns(0).lists().elements()), ElementsAre("7"));
}

TEST(BatchBuilderTest, EmptyAndNullArraysDoNotFixTheDepth) {
  ParsedFixture multi(fixtures::kMultiDimArrays, 2);
  BatchBuilder builder = MustCreate({{"a", 1007}, {"text", 25}});
  ASSERT_TRUE(builder.AppendRow(multi.row(1)).ok());  // '{}'
  ASSERT_TRUE(builder.AppendRow(multi.row(2)).ok());  // NULL
  ASSERT_TRUE(builder.AppendRow(multi.row(0)).ok());  // 2-D
  EXPECT_THAT(builder.batch().columns(0).lists().lengths(), ElementsAre(0, 0, 3));
  EXPECT_EQ(builder.batch().columns(0).null_bitmap(), "\x02");
  builder.Release();
  // A batch of only NULL / empty arrays is laid out with one level, whatever came before.
  ASSERT_TRUE(builder.AppendRow(multi.row(1)).ok());
  ASSERT_TRUE(builder.AppendRow(multi.row(2)).ok());
  v1::RecordBatch batch = builder.Release();
  EXPECT_THAT(batch.columns(0).lists().lengths(), ElementsAre(0, 0));
  EXPECT_EQ(batch.columns(0).lists().elements().values_case(), v1::ColumnValues::kInt64S);
}

TEST(BatchBuilderTest, FailedRowLeavesTheArrayLayoutAsItWas) {
  // Found by tests/fuzz/copy_fuzz: a malformed 2-D array in a batch whose arrays were all
  // NULL or empty so far used to leave the column laid out with two levels.
  ParsedFixture multi(fixtures::kMultiDimArrays, 2);
  BatchBuilder builder = MustCreate({{"a", 1007}, {"text", 25}});
  ASSERT_TRUE(builder.AppendRow(multi.row(1)).ok());  // '{}'
  const std::string before = builder.batch().SerializeAsString();
  std::vector<FieldView> row = multi.row(0);  // '{{1,2},{3,4},{5,6}}'
  std::string array(row[0].bytes());
  array[31] = '\x05';  // first element's length 4 -> 5
  row[0] = FieldView::Of(array);
  EXPECT_EQ(builder.AppendRow(row).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(builder.batch().SerializeAsString(), before);
  ASSERT_TRUE(builder.AppendRow(multi.row(0)).ok());
  EXPECT_THAT(builder.batch().columns(0).lists().elements().lists().lengths(),
              ElementsAre(2, 2, 2));
}

TEST(BatchBuilderTest, ArraysOfEveryElementType) {
  ParsedFixture fx(fixtures::kArraysOfEveryType, 28);
  ASSERT_EQ(fx.size(), 2u);
  const uint32_t oids[28] = {1000, 1005, 1007, 1016, 1028, 1021, 1022, 1231, 1009, 1015,
                             1014, 1003, 1002, 143,  1182, 1115, 1185, 1183, 1270, 1187,
                             2951, 199,  3807, 1001, 1041, 651,  1040, 775};
  std::vector<ColumnSpec> columns;
  for (uint32_t oid : oids) columns.push_back({absl::StrCat("c", oid), oid});
  BatchBuilder builder = MustCreate(columns);
  AppendAll(builder, fx);
  const v1::RecordBatch& batch = builder.batch();
  const std::vector<std::vector<std::string>> expected = {
      {"true", "NULL", "false"},
      {"1", "NULL", "-2"},
      {"3", "NULL"},
      {"4", "NULL"},
      {"5", "NULL"},
      {"1.5", "NULL", "nan"},
      {"-2.5", "NULL", "-inf"},
      {"1.50", "NULL", "NaN", "-Infinity"},
      {"a", "NULL", "b c"},
      {"vc", "NULL"},
      {"ab ", "NULL"},
      {"nm", "NULL"},
      {"q", "NULL"},
      {"<x/>", "NULL"},
      {"10957", "NULL", "2147483647"},
      {"1000000", "NULL", "-9223372036854775808"},
      {"946684800000000", "NULL"},
      {"1000000", "NULL"},
      {"01:02:03+01:00", "NULL"},
      {"1 day", "NULL"},
      {"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "NULL"},
      {R"({"a":1})", "NULL"},
      {R"({"a": 1})", "NULL"},
      {"\x01\xff", "NULL"},
      {"10.0.0.1/8", "NULL", "::1"},
      {"10.0.0.0/8", "NULL"},
      {"08:00:2b:01:02:03", "NULL"},
      {"08:00:2b:01:02:03:04:05", "NULL"},
  };
  for (int c = 0; c < 28; ++c) {
    SCOPED_TRACE(absl::StrCat("array OID ", oids[c]));
    EXPECT_EQ(builder.kind(c), v1::VALUE_KIND_ARRAY);
    EXPECT_EQ(builder.element_kind(c), ValueKindForType(ElementTypeForArray(oids[c])));
    const v1::ColumnValues& column = batch.columns(c);
    ASSERT_EQ(column.values_case(), v1::ColumnValues::kLists);
    EXPECT_EQ(column.null_bitmap(), "\x02");  // row 1 is NULL
    EXPECT_THAT(column.lists().lengths(),
                ElementsAre(static_cast<uint32_t>(expected[c].size()), 0u));
    EXPECT_EQ(Render(column.lists().elements()), expected[c]);
    ExpectZeroPlaceholders(column.lists().elements());
  }
}

TEST(BatchBuilderTest, UnknownTypesAreTakenAsText) {
  // An enum column selected as ::text: its own OID, text bytes.
  BatchBuilder builder = MustCreate({{"mood", 16385}, {"p", 600}});
  EXPECT_EQ(builder.kind(0), v1::VALUE_KIND_TEXT);
  ASSERT_TRUE(builder.AppendRow({FieldView::Of("happy"), FieldView::Of("(1,2)")}).ok());
  EXPECT_THAT(Render(builder.batch().columns(0)), ElementsAre("happy"));
  EXPECT_THAT(Render(builder.batch().columns(1)), ElementsAre("(1,2)"));
}

TEST(BatchBuilderTest, CreateRejectsUndecodableColumns) {
  absl::StatusOr<BatchBuilder> no_oid = BatchBuilder::Create({{"x", 0}});
  EXPECT_EQ(no_oid.status().code(), absl::StatusCode::kInvalidArgument);
  absl::StatusOr<BatchBuilder> points = BatchBuilder::Create({{"ps", 1017, 600}});
  EXPECT_EQ(points.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(points.status().message(), HasSubstr("select the column as text"));
  // An array type the table does not know, with a known element type, is fine.
  absl::StatusOr<BatchBuilder> domain_array = BatchBuilder::Create({{"d", 99999, 23}});
  ASSERT_TRUE(domain_array.ok()) << domain_array.status();
  EXPECT_EQ(domain_array->kind(0), v1::VALUE_KIND_ARRAY);
}

TEST(BatchBuilderTest, IntervalsFollowTheServerVersion) {
  ParsedFixture fx(fixtures::kIntervals, 2);
  absl::StatusOr<BatchBuilder> pg15 = BatchBuilder::Create({{"i", 1186}, {"t", 25}}, 150020);
  absl::StatusOr<BatchBuilder> pg17 = BatchBuilder::Create({{"i", 1186}, {"t", 25}}, 170004);
  ASSERT_TRUE(pg15.ok() && pg17.ok());
  AppendAll(*pg15, fx);
  AppendAll(*pg17, fx);
  EXPECT_EQ(pg15->batch().columns(0).strings().values(14),
            "-178956970 years -8 mons -2147483648 days -2562047788:00:54.775808");
  EXPECT_EQ(pg17->batch().columns(0).strings().values(14), "-infinity");
}

// Mutated COPY streams through parser and builder: every outcome is a status, never a
// crash (run with --config=asan for a strict check). Not a fuzzer, a cheap guard.
TEST(BatchBuilderTest, MutatedStreamsNeverCrash) {
  const std::vector<std::string> buffers = SplitLikeLibpq(FromHex(fixtures::kMixedBatch));
  std::mt19937 random(7);
  int rows_appended = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    CopyBinaryParser parser(7);
    BatchBuilder builder = MustCreate(MixedBatchColumns());
    std::vector<FieldView> fields;
    const size_t target = random() % buffers.size();
    for (size_t b = 0; b < buffers.size(); ++b) {
      std::string buffer = buffers[b];
      if (b == target) {
        const int edits = 1 + random() % 3;
        for (int e = 0; e < edits; ++e) {
          if (random() % 4 == 0) {
            buffer.resize(random() % (buffer.size() + 1));
          } else if (!buffer.empty()) {
            buffer[random() % buffer.size()] = static_cast<char>(random());
          }
        }
      }
      absl::StatusOr<bool> row = parser.NextRow(buffer, &fields);
      if (!row.ok() || !*row) break;
      if (builder.AppendRow(fields).ok()) ++rows_appended;
      ASSERT_EQ(static_cast<int>(builder.row_count()), ValueCount(builder.batch().columns(0)));
    }
  }
  EXPECT_GT(rows_appended, 0);
}

}  // namespace
}  // namespace tsdb_source::pg
