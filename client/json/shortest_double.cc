#include "client/json/shortest_double.h"

#include <cmath>
#include <cstring>

namespace tsdb_source::client {
namespace {

// GCC and Clang's 128-bit integer: the products below need 128 bits, and the exact integer
// value of a double below 10^22 (the largest written in fixed notation) has up to 74.
using Uint128 = unsigned __int128;

struct Uint128Parts {
  uint64_t high;
  uint64_t low;
};

// kPow10MinExponent, kPow10MaxExponent and kPow10[]: 10^e rounded up to 128 bits, for
// every e = -k the algorithm uses (-292 to 324).
#include "client/json/shortest_double_table.inc"
static_assert(sizeof(kPow10) / sizeof(kPow10[0]) == kPow10MaxExponent - kPow10MinExponent + 1);

// ---------------------------------------------------------------------------------------
// The decimal digits (Schubfach)
//
// A finite positive double is v = c * 2^q (c < 2^53). The decimals that read back to v are
// those of its rounding interval R = [v - (v - v_prev) / 2, v + (v_next - v) / 2], closed
// when c is even (round-half-even reads a midpoint back as the even neighbour) and open
// otherwise. The spacing is 2^q on both sides, except at the bottom of a binade (c = 2^52
// above the smallest exponent) where the lower neighbour is only 2^(q-1) away.
//
// With 10^k the largest power of ten not above the width of R (2^q, or 3/4 * 2^q at a
// binade's bottom), R holds at least one multiple of 10^k (when the width is exactly 10^k,
// q = k = 0 and R holds c) and at most one of 10^(k+1).
// The shortest decimal is the multiple of 10^(k+1) in R when there is one (with more
// trailing zeros removed), else the multiple of 10^k in R closest to v, ties to even. With
// x = v / 10^k and s = floor(x), those candidates are 10*floor(s/10) or that plus 10, and s
// or s + 1, so the algorithm only needs x, and R's bounds in units of 10^k, to a precision
// that decides each comparison exactly. It computes 4x, 4*xl and 4*xr (xl, xr: R's bounds
// over 10^k): four times, so that the bounds (c -+ 1/2 or c - 1/4) are whole numbers
// before scaling.

// floor(log10(2^q)), floor(log10(3/4 * 2^q)) and floor(log2(10^e)) for the q and e of
// finite doubles: tools/gen-pow10-table.py checks them against exact values over that
// whole range. (>> of a negative int is an arithmetic shift with GCC and Clang: a floor.)
int FloorLog10Pow2(int q) { return (q * 315653) >> 20; }
int FloorLog10ThreeQuartersPow2(int q) { return (q * 315653 - 131237) >> 20; }
int FloorLog2Pow10(int e) { return (e * 1741647) >> 19; }

// y = g * m / 2^128 (g: 10^-k rounded up to 128 bits, m = n << h < 2^59) rounded to odd:
// floor(y), with its lowest bit set when y is not a whole number.
//
// g is too large by at most one unit, so y exceeds the exact value x by less than
// m / 2^128 < 2^-69. tools/gen-pow10-table.py proves that every such x that is not a whole
// number is at least 2^-68 above and 2^-69 below one. So floor(y) = floor(x), and y's
// fractional part is at least 2^-68 exactly when x has one. Rounding to odd keeps every
// comparison with an even number exact, and the algorithm only compares with even numbers.
inline uint64_t RoundToOdd(const Uint128Parts& g, uint64_t m) {
  const Uint128 low = static_cast<Uint128>(g.low) * m;
  // (g * m) >> 64, exact; below 2^128: g.high * m <= (2^64 - 1)^2, plus less than 2^64.
  const Uint128 middle = static_cast<Uint128>(g.high) * m + static_cast<uint64_t>(low >> 64);
  const auto integer = static_cast<uint64_t>(middle >> 64);
  // y's fractional part is (middle's low 64 bits : low's low 64 bits) / 2^128; its bits
  // from 2^-68 up:
  const uint64_t fraction = static_cast<uint64_t>(middle) | static_cast<uint64_t>(low) >> 60;
  return integer | (fraction != 0 ? 1 : 0);
}

// Removes the trailing zeros of a decimal with at most 15 of them (digits < 10^16): 8, 4,
// 2 and 1 of them.
ShortestDecimal RemoveTrailingZeros(uint64_t digits, int exponent) {
  if (digits % 100000000 == 0) {
    digits /= 100000000;
    exponent += 8;
  }
  if (digits % 10000 == 0) {
    digits /= 10000;
    exponent += 4;
  }
  if (digits % 100 == 0) {
    digits /= 100;
    exponent += 2;
  }
  if (digits % 10 == 0) {
    digits /= 10;
    exponent += 1;
  }
  return {digits, exponent};
}

// The shortest decimal of v = c * 2^q, 0 < c < 2^53; `irregular` at a binade's bottom.
ShortestDecimal Schubfach(uint64_t c, int q, bool irregular) {
  const int k = irregular ? FloorLog10ThreeQuartersPow2(q) : FloorLog10Pow2(q);
  // 10^-k = g * 2^r with r = FloorLog2Pow10(-k) - 127, so 4c * 2^q / 10^k =
  // g * (4c << h) / 2^128 for h = q + r + 128: 1 to 4 (checked by the generator), so
  // (4c + 2) << h < 2^59.
  const int h = q + FloorLog2Pow10(-k) + 1;
  const Uint128Parts& g = kPow10[-k - kPow10MinExponent];

  const uint64_t cb = c << 2;
  const uint64_t vb = RoundToOdd(g, cb << h);                                 // 4x
  const uint64_t vbl = RoundToOdd(g, (cb - (irregular ? 1 : 2)) << h);  // 4 * lower bound
  const uint64_t vbr = RoundToOdd(g, (cb + 2) << h);                    // 4 * upper bound
  // d (a whole number of 10^k) is in R when 4*xl <= 4d <= 4*xr, with < for an open R.
  const uint64_t open = c & 1;
  auto at_least_lower = [&](uint64_t d) { return vbl + open <= d << 2; };
  auto at_most_upper = [&](uint64_t d) { return (d << 2) + open <= vbr; };

  const uint64_t s = vb >> 2;  // floor(x); s <= x < s + 1 <= 10 * 2^53 < 10^17
  // A multiple of 10^(k+1) in R: below x it can only be u = 10 * floor(s / 10), above x
  // only u + 10 (R is an interval containing x). Both cannot be: R is narrower than 10.
  const uint64_t tens = s / 10;
  const bool u_in = at_least_lower(tens * 10);
  const bool w_in = at_most_upper(tens * 10 + 10);
  if (u_in || w_in) return RemoveTrailingZeros(u_in ? tens : tens + 1, k + 1);

  // Else s or s + 1, whichever is in R (one is: R holds a multiple of 10^k), the closer to
  // x when both are. Neither ends in 0: it would have been found above.
  const bool s_in = at_least_lower(s);
  const bool t_in = at_most_upper(s + 1);
  if (s_in != t_in) return {s_in ? s : s + 1, k};
  const uint64_t midpoint = 4 * s + 2;  // 4 * (s + 1/2)
  const bool take_s = vb < midpoint || (vb == midpoint && s % 2 == 0);
  return {take_s ? s : s + 1, k};
}

// The shortest decimal of a `magnitude` below 10^9 with at most six decimals ("21.375",
// "0.004", "42"), the common case of measured values, without Schubfach's arithmetic:
// false when `magnitude` has more decimals or is larger.
//
// Below 10^9 the doubles are less than 2^-23 < 10^-6 apart, so R holds at most one
// multiple of 10^-6; when it holds one, m * 10^-6, any shorter decimal in R is a multiple
// of 10^-6 too, so m * 10^-6 is the shortest. magnitude * 10^6 is then within 0.13 of m
// (R's half width times 10^6, below 0.06, plus the product's rounding, at most 1/16 below
// 2^50), so adding 1/2 (rounded: at most 1/16 more) and truncating gives m. m reads back to `magnitude` when m / 10^6
// does: a correctly rounded division of two exact doubles, as reading m * 10^-6 is.
// (Default rounding mode, as everywhere in this program.)
bool FindShortDecimal(double magnitude, ShortestDecimal* decimal) {
  if (!(magnitude < 1e9)) return false;
  const auto m = static_cast<int64_t>(magnitude * 1e6 + 0.5);
  if (static_cast<double>(m) / 1e6 != magnitude) return false;  // also when m is 0
  *decimal = RemoveTrailingZeros(static_cast<uint64_t>(m), -6);
  return true;
}

// ---------------------------------------------------------------------------------------
// The text

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "EightDigits stores the first digit in a word's lowest byte");

constexpr uint64_t kPowersOf10[] = {1,
                                    10,
                                    100,
                                    1000,
                                    10000,
                                    100000,
                                    1000000,
                                    10000000,
                                    100000000,
                                    1000000000,
                                    10000000000,
                                    100000000000,
                                    1000000000000,
                                    10000000000000,
                                    100000000000000,
                                    1000000000000000,
                                    10000000000000000,
                                    100000000000000000,
                                    1000000000000000000,
                                    10000000000000000000u};

// The number of decimal digits of v > 0.
int DecimalLength(uint64_t v) {
  const int bits = 64 - __builtin_clzll(v);
  const int t = (bits * 1233) >> 12;  // floor(bits * log10(2)): v has t or t + 1 digits
  return t + (v >= kPowersOf10[t] ? 1 : 0);
}

// The 8 digits of v < 10^8 (with leading zeros) as ASCII, the first in the lowest byte,
// computed in lanes of one 64-bit word: two 32-bit lanes of 4 digits, split into four
// 16-bit lanes of 2 digits, split into eight bytes of 1 digit. Each lane's quotient is a
// multiply and a shift (x * 5243 >> 19 is x / 100 for x < 43699, x * 103 >> 10 is x / 10
// for x < 179); no product outgrows its lane (10^4 * 5243 < 2^32, 100 * 103 < 2^16), and
// the mask drops what a shift brings in from the lane above.
inline uint64_t EightDigits(uint32_t v) {
  const uint32_t high = v / 10000;
  const uint64_t fours = high | uint64_t{v - high * 10000} << 32;
  const uint64_t hundreds = (fours * 5243 >> 19) & 0x0000007F0000007F;
  const uint64_t twos = hundreds | (fours - hundreds * 100) << 16;
  const uint64_t tens = (twos * 103 >> 10) & 0x000F000F000F000F;
  const uint64_t ones = tens | (twos - tens * 10) << 8;
  return ones | 0x3030303030303030;  // + '0' in every byte
}

// Room for the digits of a number below 10^17 (8-byte words, from the right).
using DigitBuffer = char[24];

// Writes the `length` (1 to 17) digits of v < 10^length at the end of `buffer` and returns
// where they start. A few zeros before them may be written too.
const char* DecimalDigits(uint64_t v, int length, DigitBuffer& buffer) {
  char* const end = buffer + sizeof(buffer);
  const uint64_t high = v / 100000000;
  const uint64_t low = EightDigits(static_cast<uint32_t>(v - high * 100000000));
  std::memcpy(end - 8, &low, 8);
  if (length > 8) {
    const uint64_t top = high / 100000000;  // the 17th digit
    const uint64_t middle = EightDigits(static_cast<uint32_t>(high - top * 100000000));
    std::memcpy(end - 16, &middle, 8);
    end[-17] = static_cast<char>('0' + top);
  }
  return end - length;
}

// Copies n <= 32 bytes with two fixed-size copies that overlap as needed: the widest of
// 16, 8, 4, 2 and 1 bytes that fits.
void CopyShort(char* to, const char* from, int n) {
  if (n >= 16) {
    std::memcpy(to, from, 16);
    std::memcpy(to + n - 16, from + n - 16, 16);
  } else if (n >= 8) {
    std::memcpy(to, from, 8);
    std::memcpy(to + n - 8, from + n - 8, 8);
  } else if (n >= 4) {
    std::memcpy(to, from, 4);
    std::memcpy(to + n - 4, from + n - 4, 4);
  } else if (n >= 2) {
    std::memcpy(to, from, 2);
    std::memcpy(to + n - 2, from + n - 2, 2);
  } else if (n == 1) {
    *to = *from;
  }
}

constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// The exact value of a double that is a whole number below 10^22, in decimal.
char* WriteExactInteger(double magnitude, char* p) {
  DigitBuffer buffer;
  constexpr uint64_t k1e16 = kPowersOf10[16];
  if (magnitude < 1e17) {  // 10^17 is a double: the test is exact
    const auto v = static_cast<uint64_t>(magnitude);
    const int length = DecimalLength(v);
    CopyShort(p, DecimalDigits(v, length, buffer), length);
    return p + length;
  }
  const auto value = static_cast<Uint128>(magnitude);
  const auto high = static_cast<uint64_t>(value / k1e16);  // 2 to 6 digits
  const int length = DecimalLength(high);
  CopyShort(p, DecimalDigits(high, length, buffer), length);
  p += length;
  CopyShort(p, DecimalDigits(static_cast<uint64_t>(value % k1e16), 16, buffer), 16);
  return p + 16;
}

// `digits` in scientific notation: "1e+21", "1.5e-07", "2.2250738585072014e-308".
char* WriteScientific(const char* digits, int length, int exponent, char* p) {
  *p++ = digits[0];
  if (length > 1) {
    *p++ = '.';
    CopyShort(p, digits + 1, length - 1);
    p += length - 1;
  }
  int e = exponent + length - 1;
  *p++ = 'e';
  *p++ = e < 0 ? '-' : '+';
  if (e < 0) e = -e;
  if (e >= 100) {
    *p++ = static_cast<char>('0' + e / 100);
    e %= 100;
  }
  std::memcpy(p, &kDigitPairs[2 * e], 2);
  return p + 2;
}

// `digits` times 10^exponent, exponent < 0, in fixed notation: "0.001", "21.375".
char* WriteFixedFraction(const char* digits, int length, int exponent, char* p) {
  const int integer_digits = length + exponent;
  if (integer_digits > 0) {
    CopyShort(p, digits, integer_digits);
    p[integer_digits] = '.';
    CopyShort(p + integer_digits + 1, digits + integer_digits, -exponent);
    return p + length + 1;
  }
  // "0.", -integer_digits zeros (at most 3: else the scientific form is shorter), the digits.
  *p++ = '0';
  *p++ = '.';
  const int zeros = -integer_digits;
  if (zeros & 2) {
    std::memcpy(p, "00", 2);
    p += 2;
  }
  if (zeros & 1) *p++ = '0';
  CopyShort(p, digits, length);
  return p + length;
}

// The length of the two notations of digits * 10^exponent (`length` digits).
int FixedLength(int length, int exponent) {
  if (exponent >= 0) return length + exponent;   // "12300"
  if (length + exponent > 0) return length + 1;  // "1.23"
  return 2 - exponent;                           // "0.00123"
}
int ScientificLength(int length, int exponent) {
  const int e = exponent + length - 1;
  const int exponent_digits = (e >= 100 || e <= -100) ? 3 : 2;
  return length + (length > 1 ? 1 : 0) + 2 + exponent_digits;  // "1.23e+04"
}

}  // namespace

ShortestDecimal ToShortestDecimal(double value) {
  ShortestDecimal decimal;
  if (FindShortDecimal(std::fabs(value), &decimal)) return decimal;
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  constexpr uint64_t kFractionMask = (uint64_t{1} << 52) - 1;
  const uint64_t fraction = bits & kFractionMask;
  const int biased_exponent = static_cast<int>((bits >> 52) & 0x7FF);
  if (biased_exponent == 0) return Schubfach(fraction, -1074, false);  // subnormal
  const uint64_t c = fraction | (uint64_t{1} << 52);
  return Schubfach(c, biased_exponent - 1075, fraction == 0 && biased_exponent > 1);
}

char* WriteShortestDouble(double value, char* p) {
  if (std::signbit(value)) *p++ = '-';
  if (value == 0) {
    *p = '0';
    return p + 1;
  }
  const ShortestDecimal d = ToShortestDecimal(value);
  const int length = DecimalLength(d.digits);
  const bool fixed = FixedLength(length, d.exponent) <= ScientificLength(length, d.exponent);
  if (fixed && d.exponent > 0) {
    // A whole number with zeros after its shortest digits: to_chars writes the double's
    // exact value, which may differ in those places. The double is a whole number: either
    // it is at least 2^52, or the decimal is a whole number below 2^53, a double itself,
    // which reads back to the double only if it is the double. The exact value has as many
    // digits as the decimal (no power of ten up to 10^22 lies between them: each is a
    // double), and is below 10^22 (the fixed form is not longer than the scientific one:
    // at most 17 digits and 5 zeros).
    return WriteExactInteger(std::fabs(value), p);
  }
  DigitBuffer buffer;
  const char* digits = DecimalDigits(d.digits, length, buffer);
  if (!fixed) return WriteScientific(digits, length, d.exponent, p);
  if (d.exponent < 0) return WriteFixedFraction(digits, length, d.exponent, p);
  CopyShort(p, digits, length);
  return p + length;
}

}  // namespace tsdb_source::client
