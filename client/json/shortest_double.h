// Shortest round-trip text of a double, for the JSON writer's hot path (WriteJsonDouble):
// the same bytes as libstdc++'s std::to_chars(first, last, value) without a format
// argument, for every finite double, in fewer instructions (for full-precision values
// such as 20 + random() * 10, about 325 instead of to_chars's 575 with GCC 12 -O2).
//
// The digits are those of the Schubfach algorithm (R. Giulietti, "The Schubfach way to
// render doubles", 2020), written here from the paper's description; Ryu, which to_chars
// uses, defines the same: of the decimals that read back to the double, those that are
// multiples of the largest power of ten (so have the fewest digits), and of those the
// closest to it (ties to an even last digit). Values below 10^9 with at most six decimals
// take a cheaper exact path. The 128-bit powers of ten are generated data:
// shortest_double_table.inc, written by tools/gen-pow10-table.py with exact integer
// arithmetic (not computed at run time); the script also proves the precision bound the
// arithmetic relies on.
//
// The text follows std::to_chars's plain format: fixed or scientific notation, whichever is
// shorter, fixed on a tie ("0.001", "1e-04", "10000", "1e+05", "123400000", "1.234e+09");
// the exponent has a sign and at least two digits ("1e+21", "1e-07", "5e-324"). When the
// fixed form is a whole number with zeros after the shortest digits, to_chars writes the
// double's exact value ("2^60" is "1152921504606846976", not "1152921504606847000"), and
// so does this.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tsdb_source::client {

// value = digits * 10^exponent.
struct ShortestDecimal {
  uint64_t digits;  // 1 to 17 digits, no trailing zero
  int exponent;
};

// The shortest decimal that reads back to `value`, which must be finite and non-zero; its
// sign is ignored.
ShortestDecimal ToShortestDecimal(double value);

// The longest text: "-2.2250738585072014e-308".
inline constexpr size_t kMaxShortestDoubleLength = 24;

// Writes the std::to_chars text of a finite `value` at `p` (at most
// kMaxShortestDoubleLength bytes, no terminating NUL) and returns its end. "-0" for -0.0.
char* WriteShortestDouble(double value, char* p);

}  // namespace tsdb_source::client
