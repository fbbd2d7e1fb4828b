#!/usr/bin/env python3
"""Generates client/json/shortest_double_table.inc, the powers of ten of shortest_double.cc.

  tools/gen-pow10-table.py > client/json/shortest_double_table.inc

For every decimal exponent e that the Schubfach algorithm of shortest_double.cc can need
(e = -k, k from the binary exponents q of all finite doubles), the entry is the 128-bit

    g(e) = floor(10^e / 2^r) + 1,   r = floor(log2(10^e)) - 127,

so that 2^127 < g(e) < 2^128 and 10^e < g(e) * 2^r <= 10^e + 2^r: 10^e rounded up to 128
significant bits, too large by less than one unit of the last. Python's integers and
fractions are exact: nothing here is rounded.

The script also proves, and fails if they do not hold, the facts shortest_double.cc relies
on, over every double:
- its integer shortcuts for floor(log10(2^q)), floor(log10(3/4 * 2^q)), floor(log2(10^e));
- the shift h = q + floor(log2(10^-k)) + 1 is 1 to 4, so (4c + 2) << h < 2^59 fits 64 bits;
- RoundToOdd's precision: every product it scales, x = n * 2^q / 10^k (n = 4c - 2, 4c - 1,
  4c or 4c + 2), is either a whole number or at least 2^-68 above and 2^-69 below one.
  The error of g, less than n * 2^(h - 128) < 2^-69, then never changes floor(x), and a
  fraction of at least 2^-68 is seen, one below 2^-69 (a whole number's error) is not.
"""

from fractions import Fraction
import math

Q_MIN = -1074  # subnormals and the smallest binade: value = c * 2^-1074
Q_MAX = 971    # largest binade: (2^53 - 1) * 2^971 is the largest double
C_LIMIT = 2 ** 53  # c < 2^53


def floor_log(base, x):
    """floor(log_base(x)) for a positive Fraction x, exactly."""
    k = math.floor(math.log(x.numerator, base) - math.log(x.denominator, base))
    while Fraction(base) ** (k + 1) <= x:
        k += 1
    while Fraction(base) ** k > x:
        k -= 1
    return k


# The integer shortcuts of shortest_double.cc (>> is a floor for negative values too).
def floor_log10_pow2(q):
    return (q * 315653) >> 20


def floor_log10_three_quarters_pow2(q):
    return (q * 315653 - 131237) >> 20


def floor_log2_pow10(e):
    return (e * 1741647) >> 19


def min_max_mod(a, b, m):
    """(min, max) of a*i mod b over 1 <= i <= m, for 0 < a < b, gcd(a, b) = 1, m < b.

    Euclid-like: with j = floor(a*i / b), the smallest a*i - b*j > 0 for a given j >= 1 is
    a - (b*j mod a) (at i = floor(b*j / a) + 1), the largest b - (b*(j+1) mod a), so both
    reduce to the same question for (b mod a, a) and j up to floor(a*m / b)."""
    if a == 1:
        return 1, m
    j = a * m // b
    if j == 0:
        return a, a * m
    low, high = min_max_mod(b % a, a, j)
    return a - high, max(a * m % b, b - low)


def fraction_bounds(r, n_max):
    """The smallest non-zero fractional part of n * r over 1 <= n <= n_max, and the smallest
    1 - fractional part, for a positive Fraction r (None, None when all are whole)."""
    a, b = r.numerator % r.denominator, r.denominator
    if b == 1:
        return None, None
    if b <= n_max:  # every residue occurs (gcd(a, b) = 1), 0 too
        return Fraction(1, b), Fraction(1, b)
    low, high = min_max_mod(a, b, n_max)
    return Fraction(low, b), Fraction(b - high, b)


def check_precision(q, k, irregular, bounds):
    """Updates bounds = [smallest fraction, smallest 1 - fraction] with the values x of q, k."""
    scale = Fraction(2) ** q / Fraction(10) ** k
    if irregular:  # c = 2^52 only
        fractions = []
        for n in (4 * 2 ** 52 - 1, 4 * 2 ** 52, 4 * 2 ** 52 + 2):
            x = n * scale
            f = x - x.numerator // x.denominator
            if f:
                fractions.append((f, 1 - f))
    else:
        # n = 4c - 2, 4c, 4c + 2 are the even numbers 2i with 1 <= i < 2^54 (a superset).
        fractions = [fraction_bounds(2 * scale, 2 * C_LIMIT - 1)]
    for low, high in fractions:
        if low is not None:
            bounds[0] = min(bounds[0], low)
            bounds[1] = min(bounds[1], high)


def main():
    exponents = set()  # the decimal exponents e = -k the table must hold
    bounds = [Fraction(1), Fraction(1)]
    for q in range(Q_MIN, Q_MAX + 1):
        k = floor_log10_pow2(q)
        assert k == floor_log(10, Fraction(2) ** q), q
        uses = [(k, False)]
        if q > Q_MIN:  # irregular spacing (c = 2^52 above the smallest binade)
            k3 = floor_log10_three_quarters_pow2(q)
            assert k3 == floor_log(10, Fraction(3, 4) * Fraction(2) ** q), q
            uses.append((k3, True))
        for k, irregular in uses:
            e = -k
            assert floor_log2_pow10(e) == floor_log(2, Fraction(10) ** e), e
            h = q + floor_log2_pow10(e) + 1
            assert 1 <= h <= 4, (q, k, h)
            check_precision(q, k, irregular, bounds)
            exponents.add(e)
    assert bounds[0] >= Fraction(1, 2 ** 68) and bounds[1] >= Fraction(1, 2 ** 69), bounds
    e_min, e_max = min(exponents), max(exponents)
    assert sorted(exponents) == list(range(e_min, e_max + 1))

    above, below = math.log2(bounds[0]), math.log2(bounds[1])
    print(f"""\
// Generated by tools/gen-pow10-table.py: do not edit.
//
// kPow10[e - kPow10MinExponent] = floor(10^e / 2^r) + 1 with r = floor(log2(10^e)) - 127,
// as {{high 64 bits, low 64 bits}}: 10^e rounded up to 128 significant bits.
// Checked by the script: every scaled value x of shortest_double.cc that is not a whole
// number is at least 2^{above:.2f} above and 2^{below:.2f} below one.""")
    print(f"constexpr int kPow10MinExponent = {e_min};")
    print(f"constexpr int kPow10MaxExponent = {e_max};")
    print("constexpr Uint128Parts kPow10[] = {")
    for e in range(e_min, e_max + 1):
        r = floor_log2_pow10(e) - 127
        p = Fraction(10) ** e / Fraction(2) ** r
        g = p.numerator // p.denominator + 1
        assert 2 ** 127 < g < 2 ** 128, e
        print(f"    {{0x{g >> 64:016x}, 0x{g & (2 ** 64 - 1):016x}}},  // 10^{e}")
    print("};")


if __name__ == "__main__":
    main()
