// ExactFields: copies the fields of one row into heap blocks of exactly their size, so that
// AddressSanitizer reports a decoder that reads even one byte past a value. (Views into one
// large buffer would let such a read land unnoticed in the next field's bytes.) For the fuzz
// targets; not thread-safe.
#pragma once

#include <cstring>
#include <memory>
#include <vector>

#include "absl/types/span.h"
#include "service/pg/copy/field_view.h"

namespace tsdb_source::fuzz {

class ExactFields final {
 public:
  // The copies stay valid until the next call.
  absl::Span<const pg::FieldView> Copy(absl::Span<const pg::FieldView> fields) {
    blocks_.clear();
    views_.clear();
    for (const pg::FieldView& field : fields) {
      if (field.is_null()) {
        views_.push_back(pg::FieldView::Null());
        continue;
      }
      auto block = std::make_unique<char[]>(static_cast<size_t>(field.length));
      if (field.length > 0) std::memcpy(block.get(), field.data, field.length);
      views_.push_back(pg::FieldView{block.get(), field.length});
      blocks_.push_back(std::move(block));
    }
    return views_;
  }

 private:
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<pg::FieldView> views_;
};

// An exactly sized heap copy of `bytes` (see above), as a view valid while *storage lives.
inline absl::string_view ExactCopy(absl::string_view bytes, std::unique_ptr<char[]>* storage) {
  *storage = std::make_unique<char[]>(bytes.size());
  if (!bytes.empty()) std::memcpy(storage->get(), bytes.data(), bytes.size());
  return absl::string_view(storage->get(), bytes.size());
}

}  // namespace tsdb_source::fuzz
