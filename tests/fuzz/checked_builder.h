// CheckedBuilder: a pg::BatchBuilder driven the way the readers drive it, with its contract
// checked on every call (FUZZ_CHECK aborts on a broken promise):
// - AppendRow is all-or-nothing: a failed row leaves the batch byte-for-byte as before, and
//   fails only with InvalidArgument or OutOfRange (malformed or unrepresentable value) or
//   FailedPrecondition (an array depth the batch cannot mix);
// - after FailedPrecondition the batch is released and the row appended again, which must
//   not fail the same way;
// - every batch, in progress or released, satisfies CheckBatch (batch_invariants.h).
// Batches are released every kRowsPerBatch rows, so Release and the reuse of a released
// batch's storage are exercised too. For the fuzz targets; not thread-safe.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "service/pg/copy/batch_builder.h"
#include "tests/fuzz/batch_invariants.h"
#include "tests/fuzz/fuzz_check.h"

namespace tsdb_source::fuzz {

class CheckedBuilder final {
 public:
  static constexpr uint32_t kRowsPerBatch = 32;

  explicit CheckedBuilder(pg::BatchBuilder builder)
      : builder_(std::move(builder)), nulls_(builder_.column_count()) {}

  absl::Status Append(absl::Span<const pg::FieldView> fields) {
    std::string before = builder_.batch().SerializeAsString();
    absl::Status status = AppendChecked(fields, before);
    if (status.code() == absl::StatusCode::kFailedPrecondition) {
      Release();
      before = builder_.batch().SerializeAsString();
      status = AppendChecked(fields, before);
      FUZZ_CHECK(status.code() != absl::StatusCode::kFailedPrecondition,
                 "a row refused by a full batch is refused by an empty one too: %s",
                 status.ToString().c_str());
    }
    if (!status.ok()) return status;
    for (size_t c = 0; c < fields.size(); ++c) nulls_[c].push_back(fields[c].is_null());
    CheckBatch(builder_.batch(), builder_.column_count(), nulls_);
    if (builder_.row_count() >= kRowsPerBatch) Release();
    return status;
  }

  void Release() {
    const uint32_t rows = builder_.row_count();
    builder_.Release(&released_);
    FUZZ_CHECK(released_.row_count() == rows, "released %u rows, appended %u",
               released_.row_count(), rows);
    CheckBatch(released_, builder_.column_count(), nulls_);
    FUZZ_CHECK(builder_.row_count() == 0 && builder_.batch().row_count() == 0,
               "the next batch does not start empty");
    for (std::vector<bool>& column : nulls_) column.clear();
  }

  const pg::BatchBuilder& builder() const { return builder_; }

 private:
  absl::Status AppendChecked(absl::Span<const pg::FieldView> fields, const std::string& before) {
    const uint32_t rows = builder_.row_count();
    const size_t approx = builder_.approx_bytes();
    absl::Status status = builder_.AppendRow(fields);
    if (status.ok()) {
      FUZZ_CHECK(builder_.row_count() == rows + 1 && builder_.batch().row_count() == rows + 1,
                 "row count %u after appending to %u rows", builder_.row_count(), rows);
      return status;
    }
    const absl::StatusCode code = status.code();
    FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                   code == absl::StatusCode::kOutOfRange ||
                   code == absl::StatusCode::kFailedPrecondition,
               "unexpected error code: %s", status.ToString().c_str());
    FUZZ_CHECK(builder_.row_count() == rows && builder_.approx_bytes() == approx,
               "a failed row changed the counters (%s)", status.ToString().c_str());
    FUZZ_CHECK(builder_.batch().SerializeAsString() == before,
               "a failed row changed the batch (%s)", status.ToString().c_str());
    return status;
  }

  pg::BatchBuilder builder_;
  std::vector<std::vector<bool>> nulls_;
  v1::RecordBatch released_;
};

}  // namespace tsdb_source::fuzz
