// Airbyte's CDC metadata columns, as Airbyte's Postgres source adds them to every stream of
// a CDC connection: _ab_cdc_lsn (the change's commit LSN: the source-defined cursor),
// _ab_cdc_updated_at (commit time) and _ab_cdc_deleted_at (commit time of a delete, else
// null). The service reports the same facts typed (Stream.captures_changes,
// StreamStart.changes, RecordBatch.changes); the shim turns them into these columns here.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/repeated_ptr_field.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/records.pb.h"

namespace tsdb_source::airbyte {

inline constexpr absl::string_view kLsnColumn = "_ab_cdc_lsn";
inline constexpr absl::string_view kUpdatedAtColumn = "_ab_cdc_updated_at";
inline constexpr absl::string_view kDeletedAtColumn = "_ab_cdc_deleted_at";

// The three columns in this order, with their kinds and Airbyte JSON schemas (the LSN a
// number, as source-postgres types it; the times timestamp_with_timezone strings).
const google::protobuf::RepeatedPtrField<v1::Column>& CdcColumns();

// The values of the three columns for the rows of a batch, made from RecordBatch.changes.
// Fill reuses the storage of the previous batch.
class CdcValues final {
 public:
  // InvalidArgument when `batch.changes()` does not fit the batch: lsn or commit_time with
  // neither one entry nor one per row, or deleted neither empty nor one per row.
  absl::Status Fill(const v1::RecordBatch& batch);
  // For RecordFormatter::StartBatch's `extra`: lsn, updated_at, deleted_at.
  const v1::ColumnValues* const* columns() const { return columns_; }

 private:
  v1::ColumnValues lsn_, updated_at_, deleted_at_;
  const v1::ColumnValues* columns_[3] = {&lsn_, &updated_at_, &deleted_at_};
};

}  // namespace tsdb_source::airbyte
