// BatchBuilder: appends the rows of a binary COPY (as FieldViews from CopyBinaryParser)
// into a tsdb_source.v1.RecordBatch, column by column.
//
// Layout produced (records.proto): one ColumnValues per column, in the order given to
// Create, holding the column's kind (binary_values.h: bools, int64s, doubles, strings or
// lists). Every value array has row_count entries: a NULL row holds a placeholder (false,
// 0, 0.0, "" or a 0-length list) and sets its bit in null_bitmap (bit i = byte i / 8, bit
// i % 8, least significant first), which stays empty while the batch has no NULL. Arrays:
// lists.lengths[i] is the size of row i's first dimension; an N-dimensional array nests
// N ListValues (each inner level holds one length per sub-array), its leaf holds the
// elements in row-major order with their own null_bitmap. Lower bounds are dropped.
//
// AppendRow is all-or-nothing: when it fails, the batch is as before the call. Errors name
// the column and the row's 0-based index in the batch:
//   InvalidArgument / OutOfRange  a malformed or unrepresentable value (see binary_values.h);
//   FailedPrecondition  an array whose number of dimensions differs from the arrays
//       already in the batch (the proto nests by dimension, so one batch cannot mix them):
//       Release the batch and append the row again, it then starts the next batch.
//
// Memory: values are appended into the proto's repeated fields (amortised growth, no
// per-field allocation beyond a string's own bytes). Reset() clears in place and keeps all
// capacity, string objects included; Release(out) swaps the batch into *out and takes over
// out's previous storage, so a caller alternating between two RecordBatch objects reaches a
// steady state without allocating. approx_bytes() estimates the serialised size so the
// caller can cut batches (e.g. at 1 MiB). Not thread-safe; movable, not copyable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/pg/copy/binary_values.h"
#include "service/pg/copy/field_view.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/records.pb.h"

namespace tsdb_source::pg {

// One column of the COPY query.
struct ColumnSpec {
  // Column name, used in error messages.
  std::string name;
  // OID of the values COPY sends for this column: the column's type, or 25 (text) when
  // the query selects it as ::text. Unknown OIDs are read as text (see binary_values.h).
  uint32_t type_oid = 0;
  // For arrays, the element type OID; 0 derives it from type_oid (ElementTypeForArray).
  // Set it for an array type OID that table does not know (e.g. an array of a known type
  // reached through a domain).
  uint32_t element_type_oid = 0;
};

class BatchBuilder final {
 public:
  // InvalidArgument for a missing type OID or an array of elements without a binary
  // decoder (select such a column as ::text instead). server_version_num is the server's
  // PQserverVersion() (0: the latest format); see ScalarDecoderForType.
  static absl::StatusOr<BatchBuilder> Create(std::vector<ColumnSpec> columns,
                                             int server_version_num = 0);

  BatchBuilder(BatchBuilder&&) noexcept;
  BatchBuilder& operator=(BatchBuilder&&) noexcept;
  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;
  ~BatchBuilder();

  // Appends one row; fields.size() must equal the number of columns.
  absl::Status AppendRow(absl::Span<const FieldView> fields);

  uint32_t row_count() const { return row_count_; }
  // Estimated serialised size of the rows appended so far.
  size_t approx_bytes() const { return approx_bytes_; }

  size_t column_count() const;
  const ColumnSpec& column(size_t i) const;
  v1::ValueKind kind(size_t i) const;
  // VALUE_KIND_UNSPECIFIED for non-array columns.
  v1::ValueKind element_kind(size_t i) const;

  // Copied into every batch (RecordBatch.stream / .chunk) until changed.
  void set_stream(const v1::StreamDescriptor& stream);
  void set_chunk(absl::string_view chunk);

  // The batch being built (row_count and null bitmaps are always up to date).
  const v1::RecordBatch& batch() const { return *batch_; }

  // Moves the finished batch into *out and starts an empty one, reusing *out's previous
  // contents as storage when it has any.
  void Release(v1::RecordBatch* out);
  // Same, into a new message (the next batch allocates its storage anew).
  v1::RecordBatch Release();
  // Drops the rows appended so far, keeping capacity.
  void Reset();

 private:
  struct Column;

  BatchBuilder();
  void BuildLayout(size_t column_index);
  void SetArrayDepth(size_t column_index, int depth);
  absl::Status AppendArray(Column& column, const FieldView& field);
  void Truncate(size_t column_index, size_t rows);
  void PrepareForNextBatch();

  std::vector<Column> columns_;
  std::unique_ptr<v1::RecordBatch> batch_;
  v1::StreamDescriptor stream_;
  std::string chunk_;
  uint32_t row_count_ = 0;
  size_t approx_bytes_ = 0;
};

}  // namespace tsdb_source::pg
