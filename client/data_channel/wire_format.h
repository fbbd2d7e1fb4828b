// Protobuf's wire format, written by hand: varints, zigzag, tags, fixed 64-bit values and
// length-delimited fields, appended to a std::string. For encoders on the hot path that
// write messages straight from columnar data instead of building message objects
// (protobuf_records.h). Encodings as https://protobuf.dev/programming-guides/encoding/
// describes them; tests compare them with the protobuf library's.
// Thread-safety: pure functions on the caller's buffer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tsdb_source::client {

// Wire types of a tag.
inline constexpr uint32_t kWireVarint = 0;
inline constexpr uint32_t kWireFixed64 = 1;
inline constexpr uint32_t kWireLengthDelimited = 2;

// The longest varint: a 64-bit value needs 10 bytes.
inline constexpr size_t kMaxVarintSize = 10;

// The tag of a field: its number and wire type. Field numbers here stay below 16, so every
// tag is one byte.
constexpr uint8_t Tag(uint32_t field, uint32_t wire_type) {
  return static_cast<uint8_t>((field << 3) | wire_type);
}

// sint64 and sint32: small magnitudes of either sign become small unsigned values.
constexpr uint64_t ZigZag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr uint32_t ZigZag32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}

// Bytes of the varint of `v` (1 to 10).
constexpr size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes the varint of `v` at `p` (room for kMaxVarintSize) and returns its end.
inline char* WriteVarint(uint64_t v, char* p) {
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<uint8_t>(v) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline void AppendVarint(uint64_t v, std::string* out) {
  char buffer[kMaxVarintSize];
  out->append(buffer, static_cast<size_t>(WriteVarint(v, buffer) - buffer));
}

// A tag byte followed by a varint.
inline void AppendVarintField(uint8_t tag, uint64_t v, std::string* out) {
  char buffer[1 + kMaxVarintSize];
  buffer[0] = static_cast<char>(tag);
  out->append(buffer, static_cast<size_t>(WriteVarint(v, buffer + 1) - buffer));
}

// A tag byte followed by the 8 little-endian bytes of `v` (a double's bits for `double`).
inline void AppendFixed64Field(uint8_t tag, uint64_t v, std::string* out) {
  char buffer[9];
  buffer[0] = static_cast<char>(tag);
  for (int i = 0; i < 8; ++i) buffer[1 + i] = static_cast<char>(static_cast<uint8_t>(v >> (8 * i)));
  out->append(buffer, sizeof(buffer));
}

// A tag byte and a length: the header of a length-delimited field whose `length` bytes
// the caller appends next.
inline void AppendLengthHeader(uint8_t tag, size_t length, std::string* out) {
  AppendVarintField(tag, length, out);
}

// A whole length-delimited field (string, bytes, or an encoded message).
inline void AppendLengthDelimited(uint8_t tag, std::string_view bytes, std::string* out) {
  AppendLengthHeader(tag, bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

// Bytes of a varint field, of a length-delimited field with `length` bytes of payload.
constexpr size_t VarintFieldSize(uint64_t v) { return 1 + VarintSize(v); }
constexpr size_t LengthDelimitedSize(size_t length) { return 1 + VarintSize(length) + length; }

// The bits of a double, as the wire's `double` carries them.
inline uint64_t DoubleBits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof(bits));
  return bits;
}

}  // namespace tsdb_source::client
