// Big-endian (network order) integers in byte buffers, as PostgreSQL's binary formats carry
// them: binary COPY, binary values, pgoutput and the replication protocol's CopyBoth
// messages. Loads and stores go through a local byte array copied with std::memcpy and are
// assembled with shifts (no pointer casts), so unaligned buffers are fine and the result
// does not depend on the host's byte order. The caller guarantees the bytes exist (see
// WireReader in wire_reader.h for bounds-checked reads). Pure functions, thread-safe.
//
// Here rather than in service/pg because pg/copy sits below pg and needs them too.
#pragma once

#include <cstdint>
#include <cstring>

namespace tsdb_source::pg {

inline uint16_t LoadBigEndian16(const char* p) {
  unsigned char b[2];
  std::memcpy(b, p, 2);
  return static_cast<uint16_t>((uint16_t{b[0]} << 8) | uint16_t{b[1]});
}

inline uint32_t LoadBigEndian32(const char* p) {
  unsigned char b[4];
  std::memcpy(b, p, 4);
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) |
         uint32_t{b[3]};
}

inline uint64_t LoadBigEndian64(const char* p) {
  return (uint64_t{LoadBigEndian32(p)} << 32) | uint64_t{LoadBigEndian32(p + 4)};
}

inline void StoreBigEndian16(char* out, uint16_t value) {
  const unsigned char b[2] = {static_cast<unsigned char>(value >> 8),
                              static_cast<unsigned char>(value)};
  std::memcpy(out, b, 2);
}

inline void StoreBigEndian32(char* out, uint32_t value) {
  const unsigned char b[4] = {
      static_cast<unsigned char>(value >> 24), static_cast<unsigned char>(value >> 16),
      static_cast<unsigned char>(value >> 8), static_cast<unsigned char>(value)};
  std::memcpy(out, b, 4);
}

inline void StoreBigEndian64(char* out, uint64_t value) {
  StoreBigEndian32(out, static_cast<uint32_t>(value >> 32));
  StoreBigEndian32(out + 4, static_cast<uint32_t>(value));
}

}  // namespace tsdb_source::pg
