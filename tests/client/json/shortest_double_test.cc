#include "client/json/shortest_double.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

double FromBits(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof(v));
  return v;
}

uint64_t ToBits(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return bits;
}

std::string Shortest(double v) {
  char buffer[kMaxShortestDoubleLength];
  return std::string(buffer, WriteShortestDouble(v, buffer));
}

// Compares WriteShortestDouble with std::to_chars (no format argument) for many doubles
// without allocating, and checks that nothing is written past the returned end. Reports
// the first few differences; ok() is false once there was one.
class ToCharsComparison {
 public:
  void Check(double v) {
    if (!std::isfinite(v)) return;
    ++checked_;
    char expected[64];
    const char* const expected_end =
        std::to_chars(expected, expected + sizeof(expected), v).ptr;
    char actual[kMaxShortestDoubleLength + 8];
    std::memset(actual, '#', sizeof(actual));
    const char* actual_end = WriteShortestDouble(v, actual);
    const size_t length = actual_end - actual;
    bool same = length == static_cast<size_t>(expected_end - expected) &&
                length <= kMaxShortestDoubleLength &&
                std::memcmp(actual, expected, length) == 0;
    for (size_t i = length; i < sizeof(actual); ++i) same = same && actual[i] == '#';
    if (same) return;
    if (++differences_ <= 10) {
      ADD_FAILURE() << "bits 0x" << std::hex << ToBits(v) << ": to_chars "
                    << std::string(expected, expected_end - expected)
                    << ", WriteShortestDouble " << std::string(actual, sizeof(actual));
    }
  }
  // v and -v.
  void CheckBoth(double v) {
    Check(v);
    Check(-v);
  }
  // v and its `n` neighbours on each side, both signs.
  void CheckAround(double v, int n) {
    CheckBoth(v);
    double below = v, above = v;
    for (int i = 0; i < n; ++i) {
      below = std::nextafter(below, 0.0);
      above = std::nextafter(above, std::numeric_limits<double>::infinity());
      CheckBoth(below);
      CheckBoth(above);
    }
  }
  bool ok() const { return differences_ == 0; }
  uint64_t checked() const { return checked_; }

 private:
  uint64_t checked_ = 0;
  uint64_t differences_ = 0;
};

double Parse(const char* text) { return std::strtod(text, nullptr); }

TEST(ShortestDoubleTest, KnownTexts) {
  EXPECT_EQ(Shortest(0.0), "0");
  EXPECT_EQ(Shortest(-0.0), "-0");
  EXPECT_EQ(Shortest(1.0), "1");
  EXPECT_EQ(Shortest(0.1), "0.1");
  EXPECT_EQ(Shortest(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Shortest(-21.375), "-21.375");
  // Fixed or scientific, whichever is shorter; fixed on a tie.
  EXPECT_EQ(Shortest(0.001), "0.001");
  EXPECT_EQ(Shortest(0.0001), "1e-04");
  EXPECT_EQ(Shortest(1e-05), "1e-05");
  EXPECT_EQ(Shortest(0.0001234), "0.0001234");
  EXPECT_EQ(Shortest(0.00001234), "1.234e-05");
  EXPECT_EQ(Shortest(10000.0), "10000");
  EXPECT_EQ(Shortest(100000.0), "1e+05");
  EXPECT_EQ(Shortest(123400000.0), "123400000");
  EXPECT_EQ(Shortest(1234000000.0), "1.234e+09");
  EXPECT_EQ(Shortest(1e21), "1e+21");
  EXPECT_EQ(Shortest(1e22), "1e+22");
  EXPECT_EQ(Shortest(1e23), "1e+23");
  // A whole number in fixed notation is the double's exact value, not the shortest digits
  // padded with zeros.
  EXPECT_EQ(Shortest(123456789012345680000.0), "123456789012345683968");
  EXPECT_EQ(Shortest(std::ldexp(1.0, 60)), "1152921504606846976");
  EXPECT_EQ(Shortest(std::ldexp(1.0, 70)), "1180591620717411303424");
  EXPECT_EQ(Shortest(123456789012345680.0), "123456789012345680");
  // Extremes.
  EXPECT_EQ(Shortest(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(Shortest(std::numeric_limits<double>::min()), "2.2250738585072014e-308");
  EXPECT_EQ(Shortest(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(Shortest(std::numeric_limits<double>::lowest()), "-1.7976931348623157e+308");
  EXPECT_EQ(Shortest(-2.2250738585072014e-308).size(), kMaxShortestDoubleLength);
}

TEST(ShortestDoubleTest, ShortestDecimal) {
  auto decimal = [](double v) {
    const ShortestDecimal d = ToShortestDecimal(v);
    return std::to_string(d.digits) + "e" + std::to_string(d.exponent);
  };
  EXPECT_EQ(decimal(0.1), "1e-1");
  EXPECT_EQ(decimal(-21.375), "21375e-3");
  EXPECT_EQ(decimal(1e23), "1e23");
  EXPECT_EQ(decimal(std::ldexp(1.0, 60)), "1152921504606847e3");
  EXPECT_EQ(decimal(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(decimal(std::numeric_limits<double>::max()), "17976931348623157e292");
  EXPECT_EQ(decimal(9007199254740993.0), "9007199254740992e0");  // 2^53 + 1 is not a double
}

// Each class of doubles where a shortest-digits algorithm or its notation can go wrong.
TEST(ShortestDoubleTest, SameAsToCharsOnEdgeClasses) {
  ToCharsComparison c;
  std::mt19937_64 random(20260201);
  constexpr uint64_t kMantissaMax = (uint64_t{1} << 52) - 1;

  // Every binade: its bottom (powers of two, the irregular spacing), its top, and next to
  // them; subnormal powers of two.
  for (uint64_t exponent = 0; exponent < 2047; ++exponent) {
    for (uint64_t mantissa : {uint64_t{0}, uint64_t{1}, uint64_t{2}, kMantissaMax,
                              kMantissaMax - 1, uint64_t{1} << 51, (uint64_t{1} << 51) + 1}) {
      c.CheckBoth(FromBits(exponent << 52 | mantissa));
    }
  }
  for (int i = 0; i < 52; ++i) c.CheckBoth(FromBits(uint64_t{1} << i));

  // Every power of ten in range, d * 10^e, and their neighbours.
  for (int e = -324; e <= 308; ++e) {
    char text[32];
    std::snprintf(text, sizeof(text), "1e%d", e);
    c.CheckAround(Parse(text), 20);
    for (int d = 2; d <= 9; ++d) {
      std::snprintf(text, sizeof(text), "%de%d", d, e);
      c.CheckAround(Parse(text), 2);
    }
  }

  // Subnormals: the smallest, the largest, and random ones.
  for (uint64_t m = 1; m <= 100000; ++m) {
    c.CheckBoth(FromBits(m));
    c.CheckBoth(FromBits(kMantissaMax + 1 - m));
  }
  for (int i = 0; i < 200000; ++i) c.CheckBoth(FromBits(random() & kMantissaMax));

  // Whole numbers: small ones, random ones below 2^53, around 2^53, with trailing zeros.
  for (int i = 0; i <= 1000000; ++i) c.Check(i);
  for (int i = 0; i < 200000; ++i) c.Check(static_cast<double>(random() >> 11));
  for (int i = 0; i < 50000; ++i) {
    c.Check(static_cast<double>((uint64_t{1} << 53) - i));
    c.Check(static_cast<double>((uint64_t{1} << 53) + 2 * i));
  }
  for (int zeros = 1; zeros <= 15; ++zeros) {
    const auto scale = static_cast<uint64_t>(std::pow(10.0, zeros));
    for (int i = 0; i < 10000; ++i) c.Check(static_cast<double>((random() >> 11) / scale * scale));
  }

  // 1e15 to 1e23, where fixed notation ends and whole numbers outgrow their digits.
  for (int e = 15; e <= 23; ++e) {
    const double base = std::pow(10.0, e);
    for (int i = 0; i < 30000; ++i) {
      c.CheckAround(base * (1 + 9 * std::ldexp(static_cast<double>(random() >> 11), -53)), 1);
      c.Check(static_cast<double>(random() % 100000000000000000) * std::pow(10.0, e - 16));
    }
    c.CheckAround(base, 1000);
  }

  // k / 10^d: decimals of up to 22 places, from division and correctly rounded.
  for (int d = 1; d <= 22; ++d) {
    for (int i = 0; i < 20000; ++i) {
      const uint64_t k = random() % (uint64_t{1} << (1 + random() % 53));
      c.CheckBoth(static_cast<double>(k) / std::pow(10.0, d));
      char text[48];
      std::snprintf(text, sizeof(text), "%llue-%d", static_cast<unsigned long long>(k), d);
      c.CheckAround(Parse(text), 1);
    }
  }

  // Full-precision measurements: 20 + u * 10, and u * 10^e.
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 300000; ++i) c.Check(20 + unit(random) * 10);
  for (int i = 0; i < 100000; ++i) {
    c.CheckBoth(unit(random) * std::pow(10.0, static_cast<int>(random() % 40) - 20));
  }

  EXPECT_TRUE(c.ok());
  EXPECT_GT(c.checked(), 4000000u);
}

TEST(ShortestDoubleTest, SameAsToCharsOnRandomBitPatterns) {
  ToCharsComparison c;
  std::mt19937_64 random(7);
  while (c.checked() < 3000000 && c.ok()) c.Check(FromBits(random()));
  EXPECT_TRUE(c.ok());
}

}  // namespace
}  // namespace tsdb_source::client
