// Unit tests of LSN text (service/pg/lsn.h): what pg_lsn_in accepts and pg_lsn_out prints.
// No server needed.
#include "service/pg/lsn.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"

namespace tsdb_source::pg {
namespace {

TEST(LsnTest, ParsesWhatPostgresPrints) {
  EXPECT_EQ(*ParseLsn("0/0"), 0u);
  EXPECT_EQ(*ParseLsn("16/B374D848"), 0x16B374D848u);
  EXPECT_EQ(*ParseLsn("16/b374d848"), 0x16B374D848u);
  EXPECT_EQ(*ParseLsn("0/2490C10"), 0x2490C10u);
  EXPECT_EQ(*ParseLsn("FFFFFFFF/FFFFFFFF"), UINT64_MAX);
  EXPECT_EQ(*ParseLsn("00000001/00000002"), 0x100000002u);
}

TEST(LsnTest, RejectsEverythingElseNamingTheInput) {
  for (const char* bad : {"", "/", "0/", "/0", "0", "123456789/0", "0/123456789", "g/0",
                          "0/0/0", " 0/0", "0/0 ", "-1/0", "0x1/0", "+1/0"}) {
    absl::StatusOr<uint64_t> lsn = ParseLsn(bad);
    ASSERT_FALSE(lsn.ok()) << "'" << bad << "'";
    EXPECT_EQ(lsn.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "'";
    EXPECT_EQ(lsn.status().message(),
              std::string("invalid LSN '") + bad +
                  "': expected two hexadecimal numbers of 1 to 8 digits separated by '/', "
                  "like 16/B374D848");
  }
}

TEST(LsnTest, FormatsLikePgLsnOut) {
  EXPECT_EQ(FormatLsn(0), "0/0");
  EXPECT_EQ(FormatLsn(0x16B374D848u), "16/B374D848");
  EXPECT_EQ(FormatLsn(0x100000000u), "1/0");
  EXPECT_EQ(FormatLsn(0xFFFFFFFFu), "0/FFFFFFFF");
  EXPECT_EQ(FormatLsn(UINT64_MAX), "FFFFFFFF/FFFFFFFF");
}

TEST(LsnTest, RoundTrips) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{0xABCDEF}, uint64_t{0xFFFFFFFF},
                     uint64_t{0x100000000}, uint64_t{0x123456789ABCDEF0}, UINT64_MAX}) {
    absl::StatusOr<uint64_t> parsed = ParseLsn(FormatLsn(v));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, v) << FormatLsn(v);
  }
  for (const char* text : {"0/0", "1/0", "0/1", "16/B374D848", "FFFFFFFF/FFFFFFFF"}) {
    EXPECT_EQ(FormatLsn(*ParseLsn(text)), text);
  }
}

}  // namespace
}  // namespace tsdb_source::pg
