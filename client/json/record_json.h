// The `data` object of an Airbyte RECORD message, formatted from one row of a columnar
// tsdb_source.v1.RecordBatch: {"col":value,...}, columns in StreamStart order.
//
// Value mapping by Column.kind (ARRAY elements by Column.element_kind):
//   NULL (null_bitmap bit set)      null
//   BOOL                            true / false
//   INT64                           the exact integer, also beyond 2^53
//   DOUBLE                          shortest round-trip number; NaN, +/-Infinity -> null*;
//                                   real (float4) columns and elements: the shortest text
//                                   of the float ("3.14"), not of its widened double
//   NUMERIC                         the decimal text verbatim as a JSON number (exact);
//                                   "NaN", "Infinity", "-Infinity" -> null*
//   TEXT, TIMETZ, JSON              JSON string (invalid UTF-8 replaced by U+FFFD); json
//                                   and jsonb as their text, as source-postgres writes
//                                   them (docs/types.md)
//   BYTES                           a column: PostgreSQL's hex text "\x0a1b" as a string;
//                                   an array element: base64 string (standard alphabet,
//                                   padded); both as source-postgres writes them
//   DATE, TIME, TIMESTAMP(TZ)       well-known strings (value_format.h); infinity, years
//                                   past 9999, times outside [0, 24:00:00] -> null*
//   ARRAY                           JSON array; a nested ListValues level is a nested
//                                   array (multi-dimensional arrays), NULL elements null
// null*: a value (or array element) that Airbyte's formats cannot represent is "nulled":
// AppendRow reports its column, so the caller can add an Airbyte meta.changes entry
// (NULLED, SOURCE_SERIALIZATION_ERROR). A NULL of the source is not nulled.
// Column names are JSON-escaped once, when the formatter is created.
//
// Contract:
// - RecordFormatter::StartBatch validates the batch's shape once (column count, the oneof
//   each kind travels in, value counts, bitmap sizes, list lengths, NUMERIC text being a
//   JSON number or one of the three special values, JSON text being non-empty) and
//   precomputes the element offsets of every list level, so AppendRow does no further
//   checks and costs O(values of the row) for any row, in any order. A malformed batch is
//   an InvalidArgument status, never an out-of-bounds read.
// - The formatter keeps pointers into the bound batch: the batch must stay alive and
//   unmodified until the next StartBatch (or the formatter's destruction). Re-using one
//   RecordBatch object for the next message is fine as long as StartBatch is called again.
// - Output is appended to the caller's buffer; nothing is cleared.
// Thread-safety: a RecordFormatter is not thread-safe while StartBatch runs; concurrent
// AppendRow calls on one bound batch (const) are safe, each with its own `out` and `nulled`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/records.pb.h"

namespace tsdb_source::client {

class RecordFormatter final {
 public:
  // Precomputes the keys of `columns` (StreamStart.columns). Fails with InvalidArgument for a
  // kind that is unspecified or unknown, or an ARRAY column whose element_kind is
  // unspecified, ARRAY or unknown.
  static absl::StatusOr<RecordFormatter> Create(
      const google::protobuf::RepeatedPtrField<tsdb_source::v1::Column>& columns);

  RecordFormatter(RecordFormatter&&) = default;
  RecordFormatter& operator=(RecordFormatter&&) = default;
  RecordFormatter(const RecordFormatter&) = delete;
  RecordFormatter& operator=(const RecordFormatter&) = delete;

  // Validates `batch` against the columns and binds it for AppendRow (see the contract).
  // `extra` are the values of columns after the batch's own (e.g. the Airbyte CDC columns
  // the shim derives from RecordBatch.changes), same rules, kept alive like the batch.
  // On error no batch is bound.
  absl::Status StartBatch(const tsdb_source::v1::RecordBatch& batch,
                          absl::Span<const tsdb_source::v1::ColumnValues* const> extra = {});

  // Appends the data object of `row` of the bound batch. Fails with FailedPrecondition
  // when no batch is bound, OutOfRange when row >= row_count; appends nothing then.
  // With `nulled`, appends to it the index of each column of which a value or an array
  // element was nulled (see null* above), once per column, in column order; the caller
  // clears it. Nothing is appended (nor allocated) for a row without such values.
  absl::Status AppendRow(uint32_t row, std::string* out,
                         std::vector<int>* nulled = nullptr) const;

  // Appends the JSON value of column `column` of `row` of the bound batch, as AppendRow
  // writes it after the column's key, and returns true when it or an element of it was
  // nulled (null* above). For writers of other formats that carry some values as JSON text
  // (the socket data channel's arrays). Requires a bound batch, 0 <= column < num_columns()
  // and row < row_count() (unchecked: the caller's loop is bounded by them).
  bool AppendColumnValue(int column, uint32_t row, std::string* out) const {
    return AppendValue(levels_[column], row, out);
  }

  int num_columns() const { return static_cast<int>(columns_.size()); }

  // Rows whose columns are all of scalar kinds (not ARRAY, BYTES or JSON) are written by a
  // row writer that makes room for the whole row once and stores into it, instead of
  // appending value by value; the text is the same. Tests turn it off to compare both.
  void set_row_writer_for_testing(bool on) { row_writer_ = row_writer_ && on; }
  // The row writer, for callers that write into their own memory: when has_row_writer(),
  // WriteRow stores the data object of `row` of the bound batch (row < row_count) at `p`,
  // which has room for RowBound(row) bytes, and returns its end; `nulled` as in AppendRow.
  bool has_row_writer() const { return row_writer_; }
  size_t RowBound(uint32_t row) const;
  char* WriteRow(uint32_t row, char* p, std::vector<int>* nulled) const;
  // Rows of the bound batch (0 when none is bound).
  uint32_t row_count() const { return row_count_; }

 private:
  struct ColumnInfo {
    std::string name;
    std::string key;  // `{"name":` for the first column, `,"name":` for the others
    tsdb_source::v1::ValueKind kind;
    tsdb_source::v1::ValueKind element_kind;
    bool single_precision;  // real / real[]: DOUBLE values that were floats
  };

  // One ColumnValues of the bound batch: a column, or the elements of a list level.
  struct Level {
    tsdb_source::v1::ValueKind kind = tsdb_source::v1::VALUE_KIND_UNSPECIFIED;
    bool single_precision = false;
    bool array_element = false;  // a level of an array's elements (depth > 0)
    const unsigned char* nulls = nullptr;  // null_bitmap, nullptr when no value is NULL
    const bool* bools = nullptr;
    const int64_t* int64s = nullptr;
    const double* doubles = nullptr;
    const google::protobuf::RepeatedPtrField<std::string>* strings = nullptr;
    // ARRAY: value i's elements are [offsets[i], offsets[i + 1]) of levels_[child].
    std::vector<uint32_t> offsets;
    int child = -1;
  };

  RecordFormatter() = default;

  int AllocateLevel();
  absl::Status BindLevel(const tsdb_source::v1::ColumnValues& values,
                         tsdb_source::v1::ValueKind kind, uint64_t count, int column,
                         int depth, int level_index);
  // Returns true when the value, or an element of it, was nulled (null*).
  bool AppendValue(const Level& level, uint32_t index, std::string* out) const;
  // The row writer (scalar kinds only): at most RowBound(row) bytes at *p, advanced.
  bool WriteValue(const Level& level, uint32_t index, char** p) const;

  std::vector<ColumnInfo> columns_;
  // levels_[0, columns) are the columns, list element levels follow. Slots beyond
  // num_levels_ are kept to reuse their offsets' memory across batches.
  std::vector<Level> levels_;
  int num_levels_ = 0;
  // The row writer: every column of a scalar kind; the bytes of a row at most fixed_bound_
  // plus, for each text column, 6 x its length (+2), and for each numeric column its length.
  bool row_writer_ = false;
  size_t fixed_bound_ = 0;
  std::vector<int> variable_columns_;
  bool bound_ = false;
  uint32_t row_count_ = 0;
};

// Appends the data object of one row. A convenience for single rows: it validates the
// whole batch and computes list offsets on every call, O(batch) per row, so formatting
// every row of a batch this way is quadratic; use RecordFormatter for that.
absl::Status AppendRecordData(
    const google::protobuf::RepeatedPtrField<tsdb_source::v1::Column>& columns,
    const tsdb_source::v1::RecordBatch& batch, uint32_t row, std::string* out,
    std::vector<int>* nulled = nullptr);

}  // namespace tsdb_source::client
