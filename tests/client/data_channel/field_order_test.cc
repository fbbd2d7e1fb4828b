#include "client/data_channel/field_order.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

constexpr char kPrivateUse[] = "\xEE\x80\x80";    // U+E000
constexpr char kReplacement[] = "\xEF\xBF\xBD";   // U+FFFD
constexpr char kEmoji[] = "\xF0\x9F\x98\x80";     // U+1F600, D83D DE00 in UTF-16
constexpr char kEAcute[] = "\xC3\xA9";            // U+00E9

TEST(FieldOrderTest, Utf16CodeUnits) {
  EXPECT_EQ(Utf16Of("a"), u"a");
  EXPECT_EQ(Utf16Of(kEAcute), u"\u00E9");
  EXPECT_EQ(Utf16Of(kPrivateUse), u"\uE000");
  EXPECT_EQ(Utf16Of(kEmoji), std::u16string({0xD83D, 0xDE00}));
  // Ill-formed bytes count as U+FFFD, one per maximal subpart.
  EXPECT_EQ(Utf16Of("a\xFF" "b"), u"a\uFFFDb");
  EXPECT_EQ(Utf16Of("\xE2\x82"), u"\uFFFD");
}

// UTF-8 bytes (code points) put U+E000..U+FFFF before the supplementary planes; UTF-16, and
// so Kotlin's sort, puts them after.
TEST(FieldOrderTest, SupplementaryCharactersSortBeforeTheEndOfTheBmp) {
  EXPECT_LT(std::string(kPrivateUse), std::string(kEmoji));  // UTF-8 bytes
  EXPECT_TRUE(Utf16Less(kEmoji, kPrivateUse));
  EXPECT_FALSE(Utf16Less(kPrivateUse, kEmoji));
  EXPECT_TRUE(Utf16Less(kEmoji, kReplacement));
  EXPECT_TRUE(Utf16Less(kEAcute, kEmoji));
  EXPECT_TRUE(Utf16Less(std::string("x") + kEmoji, std::string("x") + kPrivateUse));
  EXPECT_FALSE(Utf16Less("a", "a"));
}

TEST(FieldOrderTest, OrderOfNames) {
  const std::vector<std::string> names = {"b",  kPrivateUse, "B", kEmoji, "_ab_cdc_lsn",
                                          "a",  "",          "a", "Z",    kEAcute};
  // "", B, Z, _ab_cdc_lsn, a, a (kept in order), b, U+00E9, U+1F600, U+E000.
  EXPECT_EQ(OrderByUtf16(names), (std::vector<int>{6, 2, 8, 4, 5, 7, 0, 9, 3, 1}));
  EXPECT_TRUE(OrderByUtf16({}).empty());
}

}  // namespace
}  // namespace tsdb_source::client
