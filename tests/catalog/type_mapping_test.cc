// Unit tests of service/catalog/type_mapping and service/airbyte/json_schema: the wire kind
// and the JSON schema of each PostgreSQL type, compared with source-postgres's mapping (docs/types.md), and how the
// reader selects each column.
#include "service/catalog/type_mapping.h"

#include "service/airbyte/json_schema.h"

#include <string>

#include "gtest/gtest.h"

namespace tsdb_source {
namespace {

constexpr int32_t kNoTypmod = -1;

// The typmod of numeric(p,s): ((p << 16) | s) + VARHDRSZ, s as 16 bits.
int32_t NumericTypmod(int precision, int scale) {
  return static_cast<int32_t>((static_cast<uint32_t>(precision) << 16) |
                              (static_cast<uint32_t>(scale) & 0xffff)) +
         4;
}

v1::Column Describe(uint32_t oid, int32_t typmod = kNoTypmod, bool nullable = false,
                    uint32_t element = 0) {
  v1::Column column;
  DescribeColumnType(oid, element, typmod, nullable, &column);
  column.set_json_schema(airbyte::JsonSchemaFor(column));  // service/airbyte, from the description
  return column;
}

TEST(TypeMapping, ScalarSchemasFollowSourcePostgres) {
  EXPECT_EQ(Describe(16).json_schema(), R"({"type":"boolean"})");
  EXPECT_EQ(Describe(21).json_schema(), R"({"type":"integer"})");
  EXPECT_EQ(Describe(23, kNoTypmod, true).json_schema(), R"({"type":["integer","null"]})");
  EXPECT_EQ(Describe(20).json_schema(), R"({"type":"integer"})");
  EXPECT_EQ(Describe(701).json_schema(), R"({"type":["number","null"]})");
  EXPECT_EQ(Describe(25).json_schema(), R"({"type":"string"})");
  EXPECT_EQ(Describe(1082).json_schema(), R"({"type":["string","null"],"format":"date"})");
  EXPECT_EQ(Describe(1184).json_schema(),
            R"({"type":["string","null"],"format":"date-time","airbyte_type":"timestamp_with_timezone"})");
  EXPECT_EQ(Describe(1114).json_schema(),
            R"({"type":["string","null"],"format":"date-time","airbyte_type":"timestamp_without_timezone"})");
  EXPECT_EQ(Describe(1083).json_schema(),
            R"({"type":"string","format":"time","airbyte_type":"time_without_timezone"})");
  EXPECT_EQ(Describe(1266).json_schema(),
            R"({"type":"string","format":"time","airbyte_type":"time_with_timezone"})");
}

TEST(TypeMapping, JsonJsonbAndByteaAreStrings) {
  for (uint32_t oid : {114u, 3802u}) {
    v1::Column c = Describe(oid, kNoTypmod, true);
    EXPECT_EQ(c.kind(), v1::VALUE_KIND_JSON) << oid;
    EXPECT_EQ(c.json_schema(), R"({"type":["string","null"]})") << oid;
  }
  v1::Column bytea = Describe(17);
  EXPECT_EQ(bytea.kind(), v1::VALUE_KIND_BYTES);
  EXPECT_EQ(bytea.json_schema(), R"({"type":"string"})");
  // jsonb[] and bytea[]: arrays of strings.
  v1::Column jsonb_array = Describe(3807);
  EXPECT_EQ(jsonb_array.element_kind(), v1::VALUE_KIND_JSON);
  EXPECT_NE(jsonb_array.json_schema().find(R"("items":{"type":["string","array","null"])"),
            std::string::npos);
  EXPECT_EQ(jsonb_array.json_schema().find("object"), std::string::npos);
  EXPECT_EQ(Describe(1001).json_schema().find("contentEncoding"), std::string::npos);
}

TEST(TypeMapping, NumericWithPrecisionAndScaleZeroIsAnInteger) {
  EXPECT_EQ(Describe(1700, NumericTypmod(20, 0)).json_schema(), R"({"type":["integer","null"]})");
  EXPECT_EQ(Describe(1700, NumericTypmod(1, 0)).json_schema(), R"({"type":["integer","null"]})");
  EXPECT_EQ(Describe(1700, NumericTypmod(1000, 0)).json_schema(), R"({"type":["integer","null"]})");
  // Unconstrained, with a scale, with a negative scale (PostgreSQL 15+): numbers.
  EXPECT_EQ(Describe(1700).json_schema(), R"({"type":["number","null"]})");
  EXPECT_EQ(Describe(1700, NumericTypmod(10, 2)).json_schema(), R"({"type":["number","null"]})");
  EXPECT_EQ(Describe(1700, NumericTypmod(3, -1)).json_schema(), R"({"type":["number","null"]})");
  // Values still travel as exact decimal text.
  EXPECT_EQ(Describe(1700, NumericTypmod(20, 0)).kind(), v1::VALUE_KIND_NUMERIC);
  // numeric(p,0)[]: elements numbers, as source-postgres's arrays (it cannot see their typmod).
  EXPECT_EQ(Describe(1231, NumericTypmod(20, 0)).json_schema().find("integer"), std::string::npos);
}

TEST(TypeMapping, NumericPrecisionAndScaleAreDescribed) {
  v1::Column whole = Describe(1700, NumericTypmod(20, 0));
  EXPECT_EQ(whole.numeric_precision(), 20);
  EXPECT_EQ(whole.numeric_scale(), 0);
  v1::Column scaled = Describe(1700, NumericTypmod(10, 2));
  EXPECT_EQ(scaled.numeric_precision(), 10);
  EXPECT_EQ(scaled.numeric_scale(), 2);
  v1::Column negative = Describe(1700, NumericTypmod(3, -1));
  EXPECT_EQ(negative.numeric_precision(), 3);
  EXPECT_EQ(negative.numeric_scale(), -1);
  v1::Column any = Describe(1700);
  EXPECT_EQ(any.numeric_precision(), 0);
  EXPECT_EQ(any.numeric_scale(), 0);
  EXPECT_EQ(Describe(23, 4 + (20 << 16)).numeric_precision(), 0);  // only numeric has them
}

TEST(TypeMapping, MoneyIsANumberReadAsNumeric) {
  v1::Column money = Describe(kMoneyOid, kNoTypmod, true);
  EXPECT_EQ(money.kind(), v1::VALUE_KIND_NUMERIC);
  EXPECT_EQ(money.type_oid(), kMoneyOid);
  EXPECT_EQ(money.json_schema(), R"({"type":["number","null"]})");
  ReadCast cast = ReadCastFor(money);
  EXPECT_EQ(cast.sql, "::numeric");
  EXPECT_EQ(cast.type_oid, 1700u);
  EXPECT_TRUE(ReadAsText(money));

  v1::Column money_array = Describe(kMoneyArrayOid);
  EXPECT_EQ(money_array.kind(), v1::VALUE_KIND_ARRAY);
  EXPECT_EQ(money_array.element_kind(), v1::VALUE_KIND_NUMERIC);
  EXPECT_EQ(ReadCastFor(money_array).sql, "::numeric[]");
  EXPECT_EQ(ReadCastFor(money_array).type_oid, 1231u);
}

TEST(TypeMapping, ReadCasts) {
  // Decoded in binary: no cast.
  for (uint32_t oid : {16u, 20u, 1700u, 1186u, 3802u, 17u, 1007u}) {
    v1::Column c = Describe(oid);
    EXPECT_EQ(ReadCastFor(c).sql, "") << oid;
    EXPECT_EQ(ReadCastFor(c).type_oid, 0u) << oid;
    EXPECT_FALSE(ReadAsText(c)) << oid;
  }
  // An array of a type without a binary decoder (point[], its element given by discover):
  // an array of texts, read as text[].
  v1::Column points = Describe(1017, kNoTypmod, false, 600);
  EXPECT_EQ(points.kind(), v1::VALUE_KIND_ARRAY);
  EXPECT_EQ(points.element_kind(), v1::VALUE_KIND_TEXT);
  EXPECT_EQ(ReadCastFor(points).sql, "::text[]");
  EXPECT_EQ(ReadCastFor(points).type_oid, 1009u);
  // hstore (an extension type) by its name: JSON object text.
  v1::Column hstore = Describe(99998);
  hstore.set_pg_type("hstore");
  EXPECT_EQ(ReadCastFor(hstore).sql, "::json::text");
  hstore.set_pg_type("ext.hstore");
  EXPECT_EQ(ReadCastFor(hstore).sql, "::json::text");
  EXPECT_FALSE(TextReadsBack(hstore));  // a position in it cannot be cast back: no key
  hstore.set_pg_type("myhstore");
  EXPECT_EQ(ReadCastFor(hstore).sql, "::text");
  EXPECT_TRUE(TextReadsBack(hstore));
  EXPECT_TRUE(TextReadsBack(Describe(kMoneyOid)));  // numeric text is money input
  // No binary decoder (point, tsvector, an unknown type, an array of one): text.
  for (uint32_t oid : {600u, 3614u, 99999u, 1017u}) {
    v1::Column c = Describe(oid);
    EXPECT_EQ(c.kind(), v1::VALUE_KIND_TEXT) << oid;
    EXPECT_EQ(c.json_schema(), R"({"type":"string"})") << oid;
    EXPECT_EQ(ReadCastFor(c).sql, "::text") << oid;
    EXPECT_EQ(ReadCastFor(c).type_oid, 25u) << oid;
  }
}

}  // namespace
}  // namespace tsdb_source
