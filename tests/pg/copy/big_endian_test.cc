// Unit tests of the big-endian loads and stores (service/pg/copy/big_endian.h). No server
// needed.
#include "service/pg/copy/big_endian.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace tsdb_source::pg {
namespace {

TEST(BigEndianTest, LoadsNetworkOrder) {
  const char bytes[] = "\x01\x02\x03\x04\x05\x06\x07\x08";
  EXPECT_EQ(LoadBigEndian16(bytes), 0x0102u);
  EXPECT_EQ(LoadBigEndian32(bytes), 0x01020304u);
  EXPECT_EQ(LoadBigEndian64(bytes), 0x0102030405060708u);
  const char high[] = "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8";  // no sign extension of char
  EXPECT_EQ(LoadBigEndian16(high), 0xfffeu);
  EXPECT_EQ(LoadBigEndian32(high), 0xfffefdfcu);
  EXPECT_EQ(LoadBigEndian64(high), 0xfffefdfcfbfaf9f8u);
}

TEST(BigEndianTest, StoresNetworkOrder) {
  char out[8];
  StoreBigEndian16(out, 0x0102);
  EXPECT_EQ(std::string(out, 2), std::string("\x01\x02", 2));
  StoreBigEndian32(out, 0xfffefdfc);
  EXPECT_EQ(std::string(out, 4), std::string("\xff\xfe\xfd\xfc", 4));
  StoreBigEndian64(out, 0x0102030405060708);
  EXPECT_EQ(std::string(out, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  // A negative int64 (a timestamp before 2000-01-01) as its two's complement.
  StoreBigEndian64(out, static_cast<uint64_t>(int64_t{-2}));
  EXPECT_EQ(std::string(out, 8), std::string("\xff\xff\xff\xff\xff\xff\xff\xfe", 8));
}

TEST(BigEndianTest, StoresTouchOnlyTheirBytes) {
  std::string buffer(12, '.');
  StoreBigEndian64(&buffer[2], 0);
  EXPECT_EQ(buffer, std::string("..\0\0\0\0\0\0\0\0..", 12));
  StoreBigEndian32(&buffer[1], 0x41424344);
  EXPECT_EQ(buffer, std::string(".ABCD\0\0\0\0\0..", 12));
  StoreBigEndian16(&buffer[9], 0x4546);
  EXPECT_EQ(buffer, std::string(".ABCD\0\0\0\0EF.", 12));
}

TEST(BigEndianTest, RoundTripsAtEveryAlignment) {
  char buffer[16];
  for (int offset = 0; offset < 8; ++offset) {
    for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0x8000000000000000}, UINT64_MAX,
                       uint64_t{0x0123456789abcdef}}) {
      StoreBigEndian64(buffer + offset, v);
      EXPECT_EQ(LoadBigEndian64(buffer + offset), v) << "offset " << offset;
      StoreBigEndian32(buffer + offset, static_cast<uint32_t>(v >> 7));
      EXPECT_EQ(LoadBigEndian32(buffer + offset), static_cast<uint32_t>(v >> 7));
      StoreBigEndian16(buffer + offset, static_cast<uint16_t>(v >> 3));
      EXPECT_EQ(LoadBigEndian16(buffer + offset), static_cast<uint16_t>(v >> 3));
    }
  }
}

}  // namespace
}  // namespace tsdb_source::pg
