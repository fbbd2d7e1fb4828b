#include "service/pg/copy/binary_values.h"

#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "service/pg/copy/big_endian.h"
#include "service/pg/copy/wire_reader.h"

namespace tsdb_source::pg {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

constexpr int64_t kMicrosPerSecond = 1000000;
constexpr int64_t kMicrosPerMinute = 60 * kMicrosPerSecond;
constexpr int64_t kMicrosPerHour = 60 * kMicrosPerMinute;
constexpr int64_t kMicrosPerDay = 24 * kMicrosPerHour;

// Valid ranges of PostgreSQL's timestamp and date (datatype/timestamp.h), relative to its
// 2000-01-01 epoch: [4714-11-24 BC, 294277-01-01) and [4714-11-24 BC, 5874898-01-01).
constexpr int64_t kMinTimestamp = -211813488000000000;
constexpr int64_t kEndTimestamp = 9223371331200000000;
constexpr int32_t kMinDate = -2451545;
constexpr int32_t kEndDate = 2145031949;

// numeric sign words (utils/numeric.c) and limits.
constexpr uint16_t kNumericPos = 0x0000;
constexpr uint16_t kNumericNeg = 0x4000;
constexpr uint16_t kNumericNaN = 0xC000;
constexpr uint16_t kNumericPInf = 0xD000;
constexpr uint16_t kNumericNInf = 0xF000;
constexpr uint16_t kNumericDscaleMask = 0x3FFF;
constexpr int kNumericBase = 10000;

// timetz offsets are limited to +-15:59:59 (TZDISP_LIMIT).
constexpr int32_t kTzDispLimit = 16 * 3600;

// inet families as PostgreSQL sends them (PGSQL_AF_INET = AF_INET + 0, PGSQL_AF_INET6 =
// AF_INET + 1, with AF_INET = 2 on every platform PostgreSQL supports).
constexpr uint8_t kPgAfInet = 2;
constexpr uint8_t kPgAfInet6 = 3;

absl::Status WrongSize(absl::string_view type, size_t expected, size_t actual) {
  return absl::InvalidArgumentError(
      absl::StrCat(type, ": expected ", expected, " bytes, got ", actual));
}

// Writes `digits` decimal digits of v (zero-padded) at p; returns the end.
char* PutDigits(char* p, uint32_t v, int digits) {
  for (int i = digits - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + digits;
}

// Appends ".ffffff" without trailing zeros (nothing when micros is 0); micros in [0, 1e6).
void AppendFraction(uint32_t micros, std::string* out) {
  if (micros == 0) return;
  char buf[7];
  buf[0] = '.';
  PutDigits(buf + 1, micros, 6);
  size_t length = 7;
  while (buf[length - 1] == '0') --length;
  out->append(buf, length);
}

void AppendHexByte(uint8_t b, std::string* out) {
  out->push_back(kHexDigits[b >> 4]);
  out->push_back(kHexDigits[b & 0xF]);
}

absl::Status DecodeMac(absl::string_view type, size_t size, absl::string_view value,
                       std::string* out) {
  if (value.size() != size) return WrongSize(type, size, value.size());
  out->clear();
  for (size_t i = 0; i < size; ++i) {
    if (i > 0) out->push_back(':');
    AppendHexByte(static_cast<uint8_t>(value[i]), out);
  }
  return absl::OkStatus();
}

// Formats an IPv6 address exactly as PostgreSQL's inet_net_ntop_ipv6 (the BIND algorithm,
// also glibc's inet_ntop): the longest run (>= 2) of zero words becomes "::", the first
// such run on ties, and "::a.b.c.d" / "::ffff:a.b.c.d" keep a dotted IPv4 tail. Written out
// rather than calling inet_ntop so the output does not depend on the C library (musl, for
// one, prints "::1.2.3.4" as "::102:304").
void AppendIpv6(const unsigned char* a, std::string* out) {
  uint32_t words[8];
  for (int i = 0; i < 8; ++i) words[i] = (uint32_t{a[2 * i]} << 8) | a[2 * i + 1];
  int best_base = -1, best_len = 0, cur_base = -1, cur_len = 0;
  for (int i = 0; i < 8; ++i) {
    if (words[i] == 0) {
      if (cur_base == -1) {
        cur_base = i;
        cur_len = 1;
      } else {
        ++cur_len;
      }
    } else if (cur_base != -1) {
      if (best_base == -1 || cur_len > best_len) {
        best_base = cur_base;
        best_len = cur_len;
      }
      cur_base = -1;
    }
  }
  if (cur_base != -1 && (best_base == -1 || cur_len > best_len)) {
    best_base = cur_base;
    best_len = cur_len;
  }
  if (best_base != -1 && best_len < 2) best_base = -1;

  for (int i = 0; i < 8; ++i) {
    if (best_base != -1 && i >= best_base && i < best_base + best_len) {
      if (i == best_base) out->push_back(':');
      continue;
    }
    if (i != 0) out->push_back(':');
    if (i == 6 && best_base == 0 &&
        (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
      absl::StrAppend(out, a[12], ".", a[13], ".", a[14], ".", a[15]);
      return;
    }
    char buf[4];
    int n = 0;
    for (int shift = 12; shift >= 0; shift -= 4) {
      uint32_t nibble = (words[i] >> shift) & 0xF;
      if (n > 0 || nibble != 0 || shift == 0) buf[n++] = kHexDigits[nibble];
    }
    out->append(buf, static_cast<size_t>(n));
  }
  if (best_base != -1 && best_base + best_len == 8) out->push_back(':');
}

absl::Status DecodeNetwork(absl::string_view value, bool is_cidr, std::string* out) {
  const char* type = is_cidr ? "cidr" : "inet";
  WireReader reader(value);
  uint8_t family, bits, cidr_flag, size;
  if (!reader.ReadU8(&family) || !reader.ReadU8(&bits) || !reader.ReadU8(&cidr_flag) ||
      !reader.ReadU8(&size)) {
    return absl::InvalidArgumentError(
        absl::StrCat(type, ": truncated header (", value.size(), " bytes)"));
  }
  // The third byte (is_cidr) is ignored, as network_recv does: the type decides.
  unsigned max_bits;
  if (family == kPgAfInet) {
    max_bits = 32;
  } else if (family == kPgAfInet6) {
    max_bits = 128;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(type, ": unknown address family ",
                                                   static_cast<int>(family)));
  }
  if (size != max_bits / 8 || reader.remaining() != size) {
    return absl::InvalidArgumentError(
        absl::StrCat(type, ": address of ", static_cast<int>(size), " bytes (",
                     reader.remaining(), " present) for family ", static_cast<int>(family)));
  }
  if (bits > max_bits) {
    return absl::InvalidArgumentError(
        absl::StrCat(type, ": mask length ", static_cast<int>(bits), " > ", max_bits));
  }
  unsigned char address[16];
  std::memcpy(address, reader.cursor(), size);
  out->clear();
  if (family == kPgAfInet) {
    absl::StrAppend(out, address[0], ".", address[1], ".", address[2], ".", address[3]);
  } else {
    AppendIpv6(address, out);
  }
  // inet omits a full-length mask; cidr always shows it.
  if (is_cidr || bits != max_bits) absl::StrAppend(out, "/", static_cast<int>(bits));
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeBool(absl::string_view value, bool* out) {
  if (value.size() != 1) return WrongSize("bool", 1, value.size());
  *out = value[0] != 0;  // boolrecv: any non-zero byte is true
  return absl::OkStatus();
}

absl::Status DecodeInt2(absl::string_view value, int64_t* out) {
  if (value.size() != 2) return WrongSize("int2", 2, value.size());
  *out = static_cast<int16_t>(LoadBigEndian16(value.data()));
  return absl::OkStatus();
}

absl::Status DecodeInt4(absl::string_view value, int64_t* out) {
  if (value.size() != 4) return WrongSize("int4", 4, value.size());
  *out = static_cast<int32_t>(LoadBigEndian32(value.data()));
  return absl::OkStatus();
}

absl::Status DecodeInt8(absl::string_view value, int64_t* out) {
  if (value.size() != 8) return WrongSize("int8", 8, value.size());
  *out = static_cast<int64_t>(LoadBigEndian64(value.data()));
  return absl::OkStatus();
}

absl::Status DecodeOid(absl::string_view value, int64_t* out) {
  if (value.size() != 4) return WrongSize("oid", 4, value.size());
  *out = static_cast<int64_t>(LoadBigEndian32(value.data()));  // unsigned
  return absl::OkStatus();
}

absl::Status DecodeFloat4(absl::string_view value, double* out) {
  if (value.size() != 4) return WrongSize("float4", 4, value.size());
  uint32_t bits = LoadBigEndian32(value.data());
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  *out = static_cast<double>(f);
  return absl::OkStatus();
}

absl::Status DecodeFloat8(absl::string_view value, double* out) {
  if (value.size() != 8) return WrongSize("float8", 8, value.size());
  uint64_t bits = LoadBigEndian64(value.data());
  std::memcpy(out, &bits, sizeof(*out));
  return absl::OkStatus();
}

absl::Status DecodeTimestamp(absl::string_view value, int64_t* out) {
  if (value.size() != 8) return WrongSize("timestamp", 8, value.size());
  const int64_t t = static_cast<int64_t>(LoadBigEndian64(value.data()));
  if (t == std::numeric_limits<int64_t>::max() || t == std::numeric_limits<int64_t>::min()) {
    *out = t;  // infinity, -infinity
    return absl::OkStatus();
  }
  if (t < kMinTimestamp || t >= kEndTimestamp) {
    return absl::InvalidArgumentError(
        absl::StrCat("timestamp: ", t, " microseconds since 2000 is out of range"));
  }
  if (t > std::numeric_limits<int64_t>::max() - kPgEpochOffsetMicros - 1) {
    // Valid in PostgreSQL (up to 294276 AD) but past int64 microseconds since 1970; the
    // result must not be INT64_MAX either, which means infinity.
    return absl::OutOfRangeError(absl::StrCat(
        "timestamp: ", t,
        " microseconds since 2000 is after 294247-01-10 and cannot be expressed in "
        "int64 microseconds since 1970"));
  }
  *out = t + kPgEpochOffsetMicros;
  return absl::OkStatus();
}

absl::Status DecodeDate(absl::string_view value, int64_t* out) {
  if (value.size() != 4) return WrongSize("date", 4, value.size());
  const int32_t d = static_cast<int32_t>(LoadBigEndian32(value.data()));
  if (d == std::numeric_limits<int32_t>::max() || d == std::numeric_limits<int32_t>::min()) {
    *out = d;  // infinity, -infinity
    return absl::OkStatus();
  }
  if (d < kMinDate || d >= kEndDate) {
    return absl::InvalidArgumentError(
        absl::StrCat("date: ", d, " days since 2000 is out of range"));
  }
  *out = int64_t{d} + kPgEpochOffsetDays;
  return absl::OkStatus();
}

absl::Status DecodeTime(absl::string_view value, int64_t* out) {
  if (value.size() != 8) return WrongSize("time", 8, value.size());
  const int64_t t = static_cast<int64_t>(LoadBigEndian64(value.data()));
  if (t < 0 || t > kMicrosPerDay) {  // 24:00:00 is valid
    return absl::InvalidArgumentError(absl::StrCat("time: ", t, " microseconds is out of range"));
  }
  *out = t;
  return absl::OkStatus();
}

absl::Status DecodeNumeric(absl::string_view value, std::string* out) {
  WireReader reader(value);
  uint16_t ndigits, sign, dscale;
  int16_t weight;
  if (!reader.ReadU16(&ndigits) || !reader.ReadI16(&weight) || !reader.ReadU16(&sign) ||
      !reader.ReadU16(&dscale)) {
    return absl::InvalidArgumentError(
        absl::StrCat("numeric: truncated header (", value.size(), " bytes)"));
  }
  // ndigits is unsigned on the wire: a numeric may hold more than 32767 base-10000 digits.
  if (reader.remaining() != size_t{ndigits} * 2) {
    return absl::InvalidArgumentError(absl::StrCat("numeric: ", ndigits, " digits need ",
                                                   size_t{ndigits} * 2, " bytes, got ",
                                                   reader.remaining()));
  }
  const char* digits = reader.cursor();
  switch (sign) {
    case kNumericPos:
    case kNumericNeg:
      break;
    case kNumericNaN:
      out->assign("NaN");
      return absl::OkStatus();
    case kNumericPInf:
      out->assign("Infinity");
      return absl::OkStatus();
    case kNumericNInf:
      out->assign("-Infinity");
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("numeric: invalid sign 0x", absl::Hex(sign, absl::kZeroPad4)));
  }
  if ((dscale & kNumericDscaleMask) != dscale) {
    return absl::InvalidArgumentError(absl::StrCat("numeric: invalid display scale ", dscale));
  }
  for (int i = 0; i < ndigits; ++i) {
    uint16_t d = LoadBigEndian16(digits + 2 * i);
    if (d >= kNumericBase) {
      return absl::InvalidArgumentError(
          absl::StrCat("numeric: digit ", i, " is ", d, ", not in 0..9999"));
    }
  }
  auto digit = [&](int i) -> uint32_t {
    return (i >= 0 && i < ndigits) ? LoadBigEndian16(digits + 2 * i) : 0;
  };

  // Same layout as get_str_from_var(): integer part (at least "0"), then exactly dscale
  // fractional digits (PostgreSQL truncates, it does not round, digits past dscale).
  const int integer_chars = weight >= 0 ? (weight + 1) * 4 : 1;
  out->resize(1 + static_cast<size_t>(integer_chars) + 1 + dscale + 4);
  char* const begin = &(*out)[0];
  char* p = begin;
  if (sign == kNumericNeg) *p++ = '-';
  int d;
  if (weight < 0) {
    d = weight + 1;
    *p++ = '0';
  } else {
    for (d = 0; d <= weight; ++d) {
      uint32_t dig = digit(d);
      if (d == 0) {
        // Suppress leading zeros of the first group, keeping its last digit.
        char buf[4];
        PutDigits(buf, dig, 4);
        int skip = 0;
        while (skip < 3 && buf[skip] == '0') ++skip;
        std::memcpy(p, buf + skip, static_cast<size_t>(4 - skip));
        p += 4 - skip;
      } else {
        p = PutDigits(p, dig, 4);
      }
    }
  }
  if (dscale > 0) {
    *p++ = '.';
    char* const end = p + dscale;
    for (int i = 0; i < dscale; ++d, i += 4) p = PutDigits(p, digit(d), 4);
    p = end;
  }
  out->resize(static_cast<size_t>(p - begin));
  return absl::OkStatus();
}

absl::Status DecodeTimetz(absl::string_view value, std::string* out) {
  if (value.size() != 12) return WrongSize("timetz", 12, value.size());
  const int64_t t = static_cast<int64_t>(LoadBigEndian64(value.data()));
  const int32_t zone = static_cast<int32_t>(LoadBigEndian32(value.data() + 8));
  if (t < 0 || t > kMicrosPerDay) {
    return absl::InvalidArgumentError(
        absl::StrCat("timetz: ", t, " microseconds is out of range"));
  }
  if (zone <= -kTzDispLimit || zone >= kTzDispLimit) {
    return absl::InvalidArgumentError(
        absl::StrCat("timetz: zone offset ", zone, " seconds is out of range"));
  }
  char buf[8];
  out->clear();
  const uint32_t seconds = static_cast<uint32_t>(t / kMicrosPerSecond);
  PutDigits(buf, seconds / 3600, 2);
  buf[2] = ':';
  PutDigits(buf + 3, seconds / 60 % 60, 2);
  buf[5] = ':';
  PutDigits(buf + 6, seconds % 60, 2);
  out->append(buf, 8);
  AppendFraction(static_cast<uint32_t>(t % kMicrosPerSecond), out);
  // The zone is stored in seconds west of UTC; ISO offsets count east.
  const int32_t east = -zone;
  const uint32_t offset = static_cast<uint32_t>(east < 0 ? -east : east);
  buf[0] = east < 0 ? '-' : '+';
  PutDigits(buf + 1, offset / 3600, 2);
  buf[3] = ':';
  PutDigits(buf + 4, offset / 60 % 60, 2);
  out->append(buf, 6);
  if (offset % 60 != 0) {
    buf[0] = ':';
    PutDigits(buf + 1, offset % 60, 2);
    out->append(buf, 3);
  }
  return absl::OkStatus();
}

absl::Status DecodeUuid(absl::string_view value, std::string* out) {
  if (value.size() != 16) return WrongSize("uuid", 16, value.size());
  out->clear();
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out->push_back('-');
    AppendHexByte(static_cast<uint8_t>(value[i]), out);
  }
  return absl::OkStatus();
}

namespace {

absl::Status FormatInterval(absl::string_view value, bool infinities, std::string* out) {
  if (value.size() != 16) return WrongSize("interval", 16, value.size());
  int64_t time = static_cast<int64_t>(LoadBigEndian64(value.data()));
  const int32_t day = static_cast<int32_t>(LoadBigEndian32(value.data() + 8));
  const int32_t month = static_cast<int32_t>(LoadBigEndian32(value.data() + 12));
  out->clear();
  // INTERVAL_NOEND / INTERVAL_NOBEGIN of PostgreSQL 17+. Before 17 the same bits are the
  // largest and smallest finite intervals.
  if (infinities && time == std::numeric_limits<int64_t>::max() &&
      day == std::numeric_limits<int32_t>::max() &&
      month == std::numeric_limits<int32_t>::max()) {
    out->assign("infinity");
    return absl::OkStatus();
  }
  if (infinities && time == std::numeric_limits<int64_t>::min() &&
      day == std::numeric_limits<int32_t>::min() &&
      month == std::numeric_limits<int32_t>::min()) {
    out->assign("-infinity");
    return absl::OkStatus();
  }
  // interval2itm() + EncodeInterval(INTSTYLE_POSTGRES), PostgreSQL's default IntervalStyle:
  // C division truncates toward zero, so every part carries the sign of its source field.
  const int32_t years = month / 12;
  const int32_t months = month % 12;
  const int64_t hours = time / kMicrosPerHour;
  time -= hours * kMicrosPerHour;
  const int64_t minutes = time / kMicrosPerMinute;
  time -= minutes * kMicrosPerMinute;
  const int64_t seconds = time / kMicrosPerSecond;
  const int64_t micros = time - seconds * kMicrosPerSecond;
  bool is_zero = true;     // nothing printed yet
  bool is_before = false;  // the previous part was negative: a positive one gets "+"
  // AddPostgresIntPart(): "1 year", "-2 mons", "+3 days".
  auto part = [&](int64_t v, absl::string_view unit) {
    if (v == 0) return;
    absl::StrAppend(out, is_zero ? "" : " ", is_before && v > 0 ? "+" : "", v, " ", unit,
                    v != 1 ? "s" : "");
    is_before = v < 0;
    is_zero = false;
  };
  part(years, "year");
  part(months, "mon");
  part(day, "day");
  if (is_zero || hours != 0 || minutes != 0 || seconds != 0 || micros != 0) {
    const bool minus = hours < 0 || minutes < 0 || seconds < 0 || micros < 0;
    absl::StrAppend(out, is_zero ? "" : " ", minus ? "-" : (is_before ? "+" : ""));
    // "%02d:%02d:" then AppendSeconds(fillzeros): at least two digits each.
    auto two = [out](int64_t v) {
      const uint64_t a = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
      if (a < 10) out->push_back('0');
      absl::StrAppend(out, a);
    };
    two(hours);
    out->push_back(':');
    two(minutes);
    out->push_back(':');
    two(seconds);
    AppendFraction(static_cast<uint32_t>(micros < 0 ? -micros : micros), out);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeInterval(absl::string_view value, std::string* out) {
  return FormatInterval(value, /*infinities=*/true, out);
}

absl::Status DecodeIntervalBefore17(absl::string_view value, std::string* out) {
  return FormatInterval(value, /*infinities=*/false, out);
}

absl::Status DecodeInet(absl::string_view value, std::string* out) {
  return DecodeNetwork(value, /*is_cidr=*/false, out);
}

absl::Status DecodeCidr(absl::string_view value, std::string* out) {
  return DecodeNetwork(value, /*is_cidr=*/true, out);
}

absl::Status DecodeMacaddr(absl::string_view value, std::string* out) {
  return DecodeMac("macaddr", 6, value, out);
}

absl::Status DecodeMacaddr8(absl::string_view value, std::string* out) {
  return DecodeMac("macaddr8", 8, value, out);
}

absl::Status DecodeJsonb(absl::string_view value, std::string* out) {
  if (value.empty()) return absl::InvalidArgumentError("jsonb: empty value, no version byte");
  if (value[0] != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "jsonb: unsupported format version ", static_cast<int>(static_cast<uint8_t>(value[0]))));
  }
  out->assign(value.data() + 1, value.size() - 1);
  return absl::OkStatus();
}

absl::Status DecodeRaw(absl::string_view value, std::string* out) {
  out->assign(value.data(), value.size());
  return absl::OkStatus();
}

namespace {

// Every type with a binary decoder, in one table: its OID, its array type's OID, how its
// values travel and which decoder reads them (none: the raw bytes, for text-like types,
// bytea and json, which the reader selects as they are). Adding a type is adding a row.
struct TypeEntry {
  uint32_t oid;
  uint32_t array_oid;
  v1::ValueKind kind;
  absl::Status (*to_bool)(absl::string_view, bool*);
  absl::Status (*to_int64)(absl::string_view, int64_t*);
  absl::Status (*to_double)(absl::string_view, double*);
  absl::Status (*to_string)(absl::string_view, std::string*);
};

constexpr TypeEntry Bool(uint32_t oid, uint32_t array) {
  return {oid, array, v1::VALUE_KIND_BOOL, &DecodeBool, nullptr, nullptr, nullptr};
}
constexpr TypeEntry Int(uint32_t oid, uint32_t array, v1::ValueKind kind,
                        absl::Status (*f)(absl::string_view, int64_t*)) {
  return {oid, array, kind, nullptr, f, nullptr, nullptr};
}
constexpr TypeEntry Double(uint32_t oid, uint32_t array,
                           absl::Status (*f)(absl::string_view, double*)) {
  return {oid, array, v1::VALUE_KIND_DOUBLE, nullptr, nullptr, f, nullptr};
}
constexpr TypeEntry Str(uint32_t oid, uint32_t array, v1::ValueKind kind,
                        absl::Status (*f)(absl::string_view, std::string*) = &DecodeRaw) {
  return {oid, array, kind, nullptr, nullptr, nullptr, f};
}

constexpr TypeEntry kTypes[] = {
    Bool(pg_oid::kBool, 1000),
    Str(pg_oid::kBytea, 1001, v1::VALUE_KIND_BYTES),
    Str(pg_oid::kChar, 1002, v1::VALUE_KIND_TEXT),
    Str(pg_oid::kName, 1003, v1::VALUE_KIND_TEXT),
    Int(pg_oid::kInt8, 1016, v1::VALUE_KIND_INT64, &DecodeInt8),
    Int(pg_oid::kInt2, 1005, v1::VALUE_KIND_INT64, &DecodeInt2),
    Int(pg_oid::kInt4, 1007, v1::VALUE_KIND_INT64, &DecodeInt4),
    Str(pg_oid::kText, 1009, v1::VALUE_KIND_TEXT),
    Int(pg_oid::kOid, 1028, v1::VALUE_KIND_INT64, &DecodeOid),
    Str(pg_oid::kJson, 199, v1::VALUE_KIND_JSON),
    Str(pg_oid::kXml, 143, v1::VALUE_KIND_TEXT),
    Str(pg_oid::kCidr, 651, v1::VALUE_KIND_TEXT, &DecodeCidr),
    Double(pg_oid::kFloat4, 1021, &DecodeFloat4),
    Double(pg_oid::kFloat8, 1022, &DecodeFloat8),
    Str(pg_oid::kMacaddr8, 775, v1::VALUE_KIND_TEXT, &DecodeMacaddr8),
    Str(pg_oid::kMacaddr, 1040, v1::VALUE_KIND_TEXT, &DecodeMacaddr),
    Str(pg_oid::kInet, 1041, v1::VALUE_KIND_TEXT, &DecodeInet),
    Str(pg_oid::kBpchar, 1014, v1::VALUE_KIND_TEXT),
    Str(pg_oid::kVarchar, 1015, v1::VALUE_KIND_TEXT),
    Int(pg_oid::kDate, 1182, v1::VALUE_KIND_DATE, &DecodeDate),
    Int(pg_oid::kTime, 1183, v1::VALUE_KIND_TIME, &DecodeTime),
    Int(pg_oid::kTimestamp, 1115, v1::VALUE_KIND_TIMESTAMP, &DecodeTimestamp),
    Int(pg_oid::kTimestamptz, 1185, v1::VALUE_KIND_TIMESTAMPTZ, &DecodeTimestamp),
    // The decoder depends on the server's version (ScalarDecoderForType).
    Str(pg_oid::kInterval, 1187, v1::VALUE_KIND_TEXT, &DecodeInterval),
    Str(pg_oid::kTimetz, 1270, v1::VALUE_KIND_TIMETZ, &DecodeTimetz),
    Str(pg_oid::kNumeric, 1231, v1::VALUE_KIND_NUMERIC, &DecodeNumeric),
    Str(pg_oid::kUuid, 2951, v1::VALUE_KIND_TEXT, &DecodeUuid),
    Str(pg_oid::kJsonb, 3807, v1::VALUE_KIND_JSON, &DecodeJsonb),
};

const TypeEntry* ByOid(uint32_t oid) {
  for (const TypeEntry& t : kTypes) {
    if (t.oid == oid) return &t;
  }
  return nullptr;
}

const TypeEntry* ByArrayOid(uint32_t array_oid) {
  for (const TypeEntry& t : kTypes) {
    if (t.array_oid == array_oid) return &t;
  }
  return nullptr;
}

}  // namespace

v1::ValueKind ValueKindForType(uint32_t type_oid) {
  if (const TypeEntry* t = ByOid(type_oid)) return t->kind;
  return ByArrayOid(type_oid) != nullptr ? v1::VALUE_KIND_ARRAY : v1::VALUE_KIND_TEXT;
}

uint32_t ElementTypeForArray(uint32_t array_oid) {
  const TypeEntry* t = ByArrayOid(array_oid);
  return t == nullptr ? 0 : t->oid;
}

bool HasBinaryDecoder(uint32_t type_oid) {
  return ByOid(type_oid) != nullptr || ByArrayOid(type_oid) != nullptr;
}

Storage StorageForKind(v1::ValueKind kind) {
  switch (kind) {
    case v1::VALUE_KIND_BOOL:
      return Storage::kBool;
    case v1::VALUE_KIND_INT64:
    case v1::VALUE_KIND_TIMESTAMP:
    case v1::VALUE_KIND_TIMESTAMPTZ:
    case v1::VALUE_KIND_DATE:
    case v1::VALUE_KIND_TIME:
      return Storage::kInt64;
    case v1::VALUE_KIND_DOUBLE:
      return Storage::kDouble;
    case v1::VALUE_KIND_ARRAY:
      return Storage::kList;
    default:
      return Storage::kString;
  }
}

absl::StatusOr<ScalarDecoder> ScalarDecoderForType(uint32_t type_oid,
                                                   int server_version_num) {
  if (ElementTypeForArray(type_oid) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("type OID ", type_oid, " is an array type, not a scalar"));
  }
  ScalarDecoder d;
  d.kind = ValueKindForType(type_oid);
  d.storage = StorageForKind(d.kind);
  const TypeEntry* t = ByOid(type_oid);
  if (t == nullptr) {
    d.to_string = &DecodeRaw;  // any other type, read as ::text
    return d;
  }
  d.to_bool = t->to_bool;
  d.to_int64 = t->to_int64;
  d.to_double = t->to_double;
  d.to_string = t->to_string;
  if (type_oid == pg_oid::kInterval && server_version_num > 0 && server_version_num < 170000) {
    d.to_string = &DecodeIntervalBefore17;
  }
  return d;
}

absl::StatusOr<ArrayReader> ArrayReader::Open(absl::string_view value,
                                              uint32_t expected_element_oid) {
  WireReader reader(value);
  int32_t ndim, flags;
  uint32_t element_type;
  if (!reader.ReadI32(&ndim) || !reader.ReadI32(&flags) || !reader.ReadU32(&element_type)) {
    return absl::InvalidArgumentError(
        absl::StrCat("array: truncated header (", value.size(), " bytes)"));
  }
  if (ndim < 0 || ndim > kMaxDimensions) {
    return absl::InvalidArgumentError(absl::StrCat("array: ", ndim, " dimensions (0..",
                                                   kMaxDimensions, " allowed)"));
  }
  if (flags != 0 && flags != 1) {
    return absl::InvalidArgumentError(absl::StrCat("array: invalid flags ", flags));
  }
  if (expected_element_oid != 0 && element_type != expected_element_oid) {
    return absl::InvalidArgumentError(absl::StrCat("array: elements of type OID ",
                                                   element_type, ", expected ",
                                                   expected_element_oid));
  }
  ArrayReader array;
  array.element_type_ = element_type;
  // Every element takes at least its 4-byte length, which bounds the count (and keeps
  // the running product far from overflow).
  const int64_t max_elements = static_cast<int64_t>(value.size() / 4);
  int64_t count = ndim > 0 ? 1 : 0;
  for (int i = 0; i < ndim; ++i) {
    int32_t size, lower_bound;
    if (!reader.ReadI32(&size) || !reader.ReadI32(&lower_bound)) {
      return absl::InvalidArgumentError(
          absl::StrCat("array: truncated dimension ", i, " (", value.size(), " bytes)"));
    }
    if (size < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("array: dimension ", i, " has negative size ", size));
    }
    // ArrayCheckBounds(): lower bound + size must fit in int32.
    if (int64_t{lower_bound} + size > std::numeric_limits<int32_t>::max()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "array: dimension ", i, " upper bound overflows (", lower_bound, " + ", size, ")"));
    }
    array.sizes_[i] = size;
    array.lower_bounds_[i] = lower_bound;
    count *= size;
    if (count > max_elements) {
      return absl::InvalidArgumentError(absl::StrCat(
          "array: dimensions promise more elements than ", value.size(), " bytes can hold"));
    }
  }
  if (count > static_cast<int64_t>(reader.remaining() / 4)) {
    return absl::InvalidArgumentError(absl::StrCat("array: ", count, " elements cannot fit in ",
                                                   reader.remaining(), " bytes"));
  }
  array.dimensions_ = count == 0 ? 0 : ndim;
  array.element_count_ = count;
  array.cursor_ = reader.cursor();
  array.end_ = reader.cursor() + reader.remaining();
  return array;
}

absl::Status ArrayReader::Next(FieldView* element) {
  if (elements_read_ >= element_count_) {
    return absl::FailedPreconditionError(
        absl::StrCat("array: read past the last of ", element_count_, " elements"));
  }
  WireReader reader(absl::string_view(cursor_, static_cast<size_t>(end_ - cursor_)));
  int32_t length;
  if (!reader.ReadI32(&length)) {
    return absl::InvalidArgumentError(
        absl::StrCat("array: element ", elements_read_, " is truncated"));
  }
  if (length == -1) {
    *element = FieldView::Null();
  } else if (length < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("array: element ", elements_read_, " has invalid length ", length));
  } else if (static_cast<size_t>(length) > reader.remaining()) {
    return absl::InvalidArgumentError(absl::StrCat("array: element ", elements_read_,
                                                   " has length ", length, " but only ",
                                                   reader.remaining(), " bytes remain"));
  } else {
    *element = FieldView{reader.cursor(), length};
    reader.Skip(static_cast<size_t>(length));
  }
  cursor_ = reader.cursor();
  ++elements_read_;
  return absl::OkStatus();
}

absl::Status ArrayReader::Finish() const {
  if (elements_read_ != element_count_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "array: ", elements_read_, " of ", element_count_, " elements read"));
  }
  if (cursor_ != end_) {
    return absl::InvalidArgumentError(
        absl::StrCat("array: ", end_ - cursor_, " unexpected bytes after the last element"));
  }
  return absl::OkStatus();
}

}  // namespace tsdb_source::pg
