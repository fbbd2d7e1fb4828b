// CopyBinaryParser: splits the output of `COPY (...) TO STDOUT (FORMAT binary)` into rows of
// FieldViews, one row at a time, without allocating per row or per field.
//
// Input shape (verified against PostgreSQL 15 through libpq): each PQgetCopyData buffer is
// one CopyData message holding exactly one tuple; the 19-byte file header (signature
// "PGCOPY\n\377\r\n\0", int32 flags, int32 header-extension length + extension) is prepended
// to the first buffer; the last buffer is the trailer (int16 -1). A result with no rows is a
// single buffer holding header + trailer. A tuple is an int16 field count followed, per
// field, by an int32 length (-1 = NULL) and that many bytes.
//
// Checks: the header once (signature, no unknown critical flag bits, no OID column), the
// field count of every tuple against the count given at construction, every length against
// the bytes present, and (NextRow) that a buffer is consumed exactly. A malformed input
// gives a status and never reads outside the buffer:
//   InvalidArgument  not a binary COPY stream, unsupported flags, wrong field count,
//                    negative field length other than -1;
//   DataLoss         truncated header/tuple, bytes left over after a tuple or the trailer;
//   FailedPrecondition  a call after the trailer or after an earlier error (a failed
//                    stream cannot be resumed: the next bytes are not at a tuple boundary).
//
// FieldViews point into the caller's buffer and are valid only while it lives. The parser
// keeps a few counters; it is not thread-safe (one parser per COPY stream).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/pg/copy/field_view.h"

namespace tsdb_source::pg {

class WireReader;

class CopyBinaryParser final {
 public:
  // Size of the fixed part of the header (signature, flags, extension length).
  static constexpr size_t kHeaderSize = 19;

  // expected_fields: the number of columns of the COPY query (0..32767; PostgreSQL sends
  // the count as an int16, so no other value can match a row).
  explicit CopyBinaryParser(int expected_fields) : expected_fields_(expected_fields) {}

  // Parses one PQgetCopyData buffer. Returns true and fills *fields (resized to the
  // expected count; capacity is reused across calls) for a row, false for the trailer.
  // The whole buffer must be one (header +) tuple or (header +) trailer.
  absl::StatusOr<bool> NextRow(absl::string_view buffer, std::vector<FieldView>* fields);

  // Stream form for inputs holding many tuples (a file written by `\copy`, a socket
  // buffer): parses the header (on the first call) and one tuple or the trailer from the
  // front of *input and removes those bytes from it. Same return value as NextRow.
  absl::StatusOr<bool> NextRowInStream(absl::string_view* input,
                                       std::vector<FieldView>* fields);

  int expected_fields() const { return expected_fields_; }
  bool header_seen() const { return header_seen_; }
  // True once the trailer has been read.
  bool finished() const { return finished_; }
  // Rows returned so far.
  uint64_t rows() const { return rows_; }

 private:
  absl::Status ReadHeader(WireReader* reader);
  absl::Status Fail(absl::Status status);

  int expected_fields_;
  bool header_seen_ = false;
  bool finished_ = false;
  bool failed_ = false;
  uint64_t rows_ = 0;
};

}  // namespace tsdb_source::pg
