#include "client/data_channel/airbyte_type.h"

#include "gtest/gtest.h"
#include "service/airbyte/cdc_columns.h"
#include "service/airbyte/json_schema.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source::client {
namespace {

AirbyteType Of(const char* schema) {
  absl::StatusOr<AirbyteType> type = AirbyteTypeOfSchema(schema);
  EXPECT_TRUE(type.ok()) << schema << ": " << type.status();
  return type.ok() ? *type : AirbyteType::kUnknown;
}

AirbyteType OfColumn(v1::ValueKind kind, bool nullable, int32_t precision = 0) {
  v1::Column c;
  c.set_kind(kind);
  c.set_element_kind(v1::VALUE_KIND_INT64);
  c.set_nullable(nullable);
  c.set_numeric_precision(precision);
  return Of(airbyte::JsonSchemaFor(c).c_str());
}

TEST(AirbyteTypeTest, SchemasOfEveryKind) {
  for (bool nullable : {false, true}) {
    SCOPED_TRACE(nullable);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_BOOL, nullable), AirbyteType::kBoolean);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_INT64, nullable), AirbyteType::kInteger);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_DOUBLE, nullable), AirbyteType::kNumber);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_NUMERIC, nullable), AirbyteType::kNumber);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_NUMERIC, nullable, 10), AirbyteType::kInteger);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_TEXT, nullable), AirbyteType::kString);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_BYTES, nullable), AirbyteType::kString);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_JSON, nullable), AirbyteType::kString);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_DATE, nullable), AirbyteType::kDate);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_TIME, nullable), AirbyteType::kTimeWithoutTimezone);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_TIMETZ, nullable), AirbyteType::kTimeWithTimezone);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_TIMESTAMP, nullable),
              AirbyteType::kTimestampWithoutTimezone);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_TIMESTAMPTZ, nullable), AirbyteType::kTimestampWithTimezone);
    EXPECT_EQ(OfColumn(v1::VALUE_KIND_ARRAY, nullable), AirbyteType::kArray);
  }
  const auto& cdc = airbyte::CdcColumns();
  EXPECT_EQ(Of(cdc.Get(0).json_schema().c_str()), AirbyteType::kNumber);  // _ab_cdc_lsn
  EXPECT_EQ(Of(cdc.Get(1).json_schema().c_str()), AirbyteType::kTimestampWithTimezone);
}

TEST(AirbyteTypeTest, AirbyteReadingRules) {
  EXPECT_EQ(Of(R"({"type":"number","airbyte_type":"integer"})"), AirbyteType::kInteger);
  EXPECT_EQ(Of(R"({"type":"string","format":"date-time"})"), AirbyteType::kTimestampWithTimezone);
  EXPECT_EQ(Of(R"({"type":"string","format":"time"})"), AirbyteType::kTimeWithTimezone);
  EXPECT_EQ(Of(R"({"type":"string","format":"email"})"), AirbyteType::kString);
  EXPECT_EQ(Of(R"({"type":"object","properties":{}})"), AirbyteType::kObject);
  EXPECT_EQ(Of(R"({"type":["null","string","integer"]})"), AirbyteType::kUnion);
  EXPECT_EQ(Of(R"({"oneOf":[{"type":"string"},{"type":"integer"}]})"), AirbyteType::kUnion);
  EXPECT_EQ(Of(R"({"type":["null"]})"), AirbyteType::kUnknown);
  EXPECT_EQ(Of(R"({"type":"decimal"})"), AirbyteType::kUnknown);
  EXPECT_EQ(Of("{}"), AirbyteType::kUnknown);
}

TEST(AirbyteTypeTest, RejectsWhatIsNotAnObject) {
  for (const char* bad : {"", "[", "\"string\"", "[1]", "{\"type\":}"}) {
    EXPECT_EQ(AirbyteTypeOfSchema(bad).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_STREQ(AirbyteTypeName(AirbyteType::kTimeWithTimezone), "time_with_timezone");
  EXPECT_STREQ(AirbyteTypeName(AirbyteType::kUnknown), "unknown");
}

}  // namespace
}  // namespace tsdb_source::client
