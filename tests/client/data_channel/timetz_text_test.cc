#include "client/data_channel/timetz_text.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

struct Parsed {
  bool ok;
  uint64_t nanos = 0;
  int32_t offset = 0;
};

Parsed Parse(const char* text) {
  Parsed p;
  p.ok = ParseTimetzText(text, &p.nanos, &p.offset);
  return p;
}

TEST(TimetzTextTest, WhatTheServiceSends) {
  Parsed p = Parse("10:30:00+05:30");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.nanos, 37'800'000'000'000u);
  EXPECT_EQ(p.offset, 19'800);
  p = Parse("00:00:00.5-08:45:30");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.nanos, 500'000'000u);
  EXPECT_EQ(p.offset, -31'530);
  p = Parse("23:59:59.999999+15:59:59");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.nanos, 86'399'999'999'000u);
  EXPECT_EQ(p.offset, 57'599);
  p = Parse("24:00:00-00:00");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.nanos, 86'400'000'000'000u);
  EXPECT_EQ(p.offset, 0);
  p = Parse("01:02:03.123456789+01");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.nanos, 3'723'123'456'789u);
  EXPECT_EQ(p.offset, 3'600);
  p = Parse("12:00:00+18:00");
  ASSERT_TRUE(p.ok);
  EXPECT_EQ(p.offset, 64'800);
}

TEST(TimetzTextTest, RejectsAnythingElse) {
  for (const char* bad :
       {"", "10:30:00", "10:30+05:30", "10:30:00 +05:30", "24:00:00.000001+00", "25:00:00+00",
        "10:60:00+00", "10:00:60+00", "10:00:00.+00", "10:00:00.1234567890+00", "10:00:00+5",
        "10:00:00+05:3", "10:00:00+05:30:", "10:00:00+05:30:00x", "10:00:00+18:00:01",
        "10:00:00*05", "1a:00:00+00", "10:00:00+05:60"}) {
    EXPECT_FALSE(Parse(bad).ok) << bad;
  }
}

}  // namespace
}  // namespace tsdb_source::client
