// CheckBatch: the layout promises of batch_builder.h, checked on every batch the fuzz
// targets build: every value array of a column holds row_count entries, a list level's
// elements hold the sum of its lengths, each null bitmap is empty or exactly ceil(entries/8)
// bytes with no bit past the last entry (and empty when no entry is NULL), and a column's
// top-level bit i is set exactly when row i's field was NULL. Aborts (FUZZ_CHECK) otherwise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "tsdb_source/v1/records.pb.h"

namespace tsdb_source::fuzz {

inline size_t Entries(const v1::ColumnValues& values) {
  switch (values.values_case()) {
    case v1::ColumnValues::kBools: return static_cast<size_t>(values.bools().values_size());
    case v1::ColumnValues::kInt64S: return static_cast<size_t>(values.int64s().values_size());
    case v1::ColumnValues::kDoubles: return static_cast<size_t>(values.doubles().values_size());
    case v1::ColumnValues::kStrings: return static_cast<size_t>(values.strings().values_size());
    case v1::ColumnValues::kLists: return static_cast<size_t>(values.lists().lengths_size());
    case v1::ColumnValues::VALUES_NOT_SET: return 0;
  }
  return 0;
}

inline bool NullBit(const v1::ColumnValues& values, size_t index) {
  const std::string& bitmap = values.null_bitmap();
  if (index / 8 >= bitmap.size()) return false;
  return (static_cast<unsigned char>(bitmap[index / 8]) >> (index % 8)) & 1;
}

inline void CheckLevel(const v1::ColumnValues& values, size_t entries, int column, int depth) {
  FUZZ_CHECK(Entries(values) == entries, "column %d level %d: %zu entries, expected %zu",
             column, depth, Entries(values), entries);
  const std::string& bitmap = values.null_bitmap();
  if (!bitmap.empty()) {
    FUZZ_CHECK(bitmap.size() == (entries + 7) / 8,
               "column %d level %d: null bitmap of %zu bytes for %zu entries", column, depth,
               bitmap.size(), entries);
    bool any = false;
    for (size_t i = 0; i < bitmap.size() * 8; ++i) {
      if (!NullBit(values, i)) continue;
      FUZZ_CHECK(i < entries, "column %d level %d: null bit %zu past %zu entries", column,
                 depth, i, entries);
      any = true;
    }
    FUZZ_CHECK(any, "column %d level %d: a non-empty null bitmap without a NULL", column,
               depth);
  }
  if (values.values_case() == v1::ColumnValues::kLists) {
    FUZZ_CHECK(depth < 16, "column %d: more list levels than arrays can have", column);
    uint64_t children = 0;
    for (uint32_t length : values.lists().lengths()) children += length;
    CheckLevel(values.lists().elements(), static_cast<size_t>(children), column, depth + 1);
  }
}

// nulls[c][r]: whether row r's field of column c was NULL (one vector per column).
inline void CheckBatch(const v1::RecordBatch& batch, size_t columns,
                       const std::vector<std::vector<bool>>& nulls) {
  FUZZ_CHECK(static_cast<size_t>(batch.columns_size()) == columns,
             "batch has %d columns, expected %zu", batch.columns_size(), columns);
  for (size_t c = 0; c < columns; ++c) {
    const v1::ColumnValues& values = batch.columns(static_cast<int>(c));
    CheckLevel(values, batch.row_count(), static_cast<int>(c), 0);
    FUZZ_CHECK(nulls[c].size() == batch.row_count(), "harness: %zu null flags for %u rows",
               nulls[c].size(), batch.row_count());
    for (size_t r = 0; r < nulls[c].size(); ++r) {
      FUZZ_CHECK(NullBit(values, r) == nulls[c][r], "column %zu row %zu: null bit %d, field %s",
                 c, r, NullBit(values, r), nulls[c][r] ? "NULL" : "not NULL");
    }
  }
}

}  // namespace tsdb_source::fuzz
