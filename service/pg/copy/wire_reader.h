// Bounds-checked big-endian reads over a byte range, for PostgreSQL's binary wire formats.
// A WireReader never touches memory outside the string_view it was given: a read that does
// not fit returns false and leaves the position unchanged. Integers are decoded with the
// loads of big_endian.h (std::memcpy and shifts, no pointer casts), so unaligned input is
// fine and the result does not depend on the host's byte order. Does not own the bytes;
// cheap to copy; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"
#include "service/pg/copy/big_endian.h"

namespace tsdb_source::pg {

class WireReader final {
 public:
  explicit WireReader(absl::string_view bytes)
      : begin_(bytes.data()), cursor_(bytes.data()), end_(bytes.data() + bytes.size()) {}

  size_t remaining() const { return static_cast<size_t>(end_ - cursor_); }
  size_t position() const { return static_cast<size_t>(cursor_ - begin_); }
  const char* cursor() const { return cursor_; }

  bool ReadU8(uint8_t* out) {
    if (remaining() < 1) return false;
    *out = static_cast<uint8_t>(static_cast<unsigned char>(*cursor_));
    cursor_ += 1;
    return true;
  }
  bool ReadU16(uint16_t* out) {
    if (remaining() < 2) return false;
    *out = LoadBigEndian16(cursor_);
    cursor_ += 2;
    return true;
  }
  bool ReadI16(int16_t* out) {
    uint16_t u;
    if (!ReadU16(&u)) return false;
    *out = static_cast<int16_t>(u);  // two's complement (guaranteed from C++20, universal)
    return true;
  }
  bool ReadU32(uint32_t* out) {
    if (remaining() < 4) return false;
    *out = LoadBigEndian32(cursor_);
    cursor_ += 4;
    return true;
  }
  bool ReadI32(int32_t* out) {
    uint32_t u;
    if (!ReadU32(&u)) return false;
    *out = static_cast<int32_t>(u);
    return true;
  }
  bool ReadU64(uint64_t* out) {
    if (remaining() < 8) return false;
    *out = LoadBigEndian64(cursor_);
    cursor_ += 8;
    return true;
  }
  bool ReadI64(int64_t* out) {
    uint64_t u;
    if (!ReadU64(&u)) return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  // The next n bytes as a view into the input.
  bool ReadBytes(size_t n, absl::string_view* out) {
    if (remaining() < n) return false;
    *out = absl::string_view(cursor_, n);
    cursor_ += n;
    return true;
  }
  bool Skip(size_t n) {
    if (remaining() < n) return false;
    cursor_ += n;
    return true;
  }

 private:
  const char* begin_;
  const char* cursor_;
  const char* end_;
};

}  // namespace tsdb_source::pg
