#include "client/data_channel/wire_format.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

using google::protobuf::internal::WireFormatLite;

// The protobuf library's varint of `v`.
std::string LibraryVarint(uint64_t v) {
  std::string out;
  {
    google::protobuf::io::StringOutputStream raw(&out);
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.WriteVarint64(v);
  }
  return out;
}

std::vector<uint64_t> Samples() {
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 300, 16'383, 16'384,
                                  std::numeric_limits<uint32_t>::max(),
                                  std::numeric_limits<uint64_t>::max()};
  for (int bits = 1; bits < 64; ++bits) {
    values.push_back((uint64_t{1} << bits) - 1);
    values.push_back(uint64_t{1} << bits);
  }
  std::mt19937_64 rng(99);
  for (int i = 0; i < 1000; ++i) values.push_back(rng() >> (rng() % 64));
  return values;
}

TEST(WireFormatTest, VarintsAreTheLibrarys) {
  EXPECT_EQ(VarintSize(0), 1u);
  EXPECT_EQ(VarintSize(127), 1u);
  EXPECT_EQ(VarintSize(128), 2u);
  EXPECT_EQ(VarintSize(std::numeric_limits<uint64_t>::max()), kMaxVarintSize);
  std::string small;
  AppendVarint(300, &small);
  EXPECT_EQ(small, "\xAC\x02");
  for (uint64_t v : Samples()) {
    std::string out = "x";
    AppendVarint(v, &out);
    EXPECT_EQ(out, "x" + LibraryVarint(v)) << v;
    EXPECT_EQ(VarintSize(v), out.size() - 1) << v;
  }
}

TEST(WireFormatTest, ZigZagIsTheLibrarys) {
  EXPECT_EQ(ZigZag64(0), 0u);
  EXPECT_EQ(ZigZag64(-1), 1u);
  EXPECT_EQ(ZigZag64(1), 2u);
  EXPECT_EQ(ZigZag64(-2), 3u);
  EXPECT_EQ(ZigZag64(std::numeric_limits<int64_t>::max()),
            std::numeric_limits<uint64_t>::max() - 1);
  EXPECT_EQ(ZigZag64(std::numeric_limits<int64_t>::min()), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(ZigZag32(-1), 1u);
  EXPECT_EQ(ZigZag32(std::numeric_limits<int32_t>::min()), std::numeric_limits<uint32_t>::max());
  for (uint64_t v : Samples()) {
    const int64_t s = static_cast<int64_t>(v);
    EXPECT_EQ(ZigZag64(s), WireFormatLite::ZigZagEncode64(s)) << s;
    const int32_t s32 = static_cast<int32_t>(v);
    EXPECT_EQ(ZigZag32(s32), WireFormatLite::ZigZagEncode32(s32)) << s32;
  }
}

TEST(WireFormatTest, Fields) {
  EXPECT_EQ(Tag(5, kWireLengthDelimited), 0x2A);
  EXPECT_EQ(Tag(13, kWireVarint), 0x68);
  EXPECT_EQ(Tag(5, kWireFixed64), 0x29);
  std::string out;
  AppendVarintField(Tag(3, kWireVarint), 150, &out);
  EXPECT_EQ(out, "\x18\x96\x01");
  out.clear();
  AppendLengthDelimited(Tag(2, kWireLengthDelimited), "testing", &out);
  EXPECT_EQ(out, "\x12\x07testing");
  EXPECT_EQ(LengthDelimitedSize(7), out.size());
  EXPECT_EQ(LengthDelimitedSize(128), 1u + 2u + 128u);
  EXPECT_EQ(VarintFieldSize(150), 3u);
  out.clear();
  AppendFixed64Field(Tag(5, kWireFixed64), DoubleBits(1.0), &out);
  EXPECT_EQ(out, std::string("\x29\x00\x00\x00\x00\x00\x00\xF0\x3F", 9));
}

}  // namespace
}  // namespace tsdb_source::client
