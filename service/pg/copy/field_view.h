// FieldView: one field of a binary COPY row (or one element of a binary array), as a
// pointer and length into a buffer the caller owns (a PQgetCopyData buffer). A view never
// owns memory: it is valid only while that buffer is alive and unchanged. length -1 means
// SQL NULL (data is then nullptr). Trivially copyable; no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace tsdb_source::pg {

struct FieldView {
  // First byte of the value; nullptr for NULL.
  const char* data = nullptr;
  // Number of bytes, or -1 for NULL.
  int32_t length = -1;

  bool is_null() const { return length < 0; }
  // The value's bytes; empty for NULL (check is_null() to tell NULL from an empty value).
  absl::string_view bytes() const {
    return is_null() ? absl::string_view()
                     : absl::string_view(data, static_cast<size_t>(length));
  }

  static FieldView Null() { return FieldView{}; }
  static FieldView Of(absl::string_view bytes) {
    return FieldView{bytes.data(), static_cast<int32_t>(bytes.size())};
  }
};

}  // namespace tsdb_source::pg
