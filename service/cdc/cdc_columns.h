// Airbyte's CDC metadata columns: _ab_cdc_lsn (the change's commit LSN, the source-defined
// cursor), _ab_cdc_updated_at (commit time) and _ab_cdc_deleted_at (commit time of a delete,
// else null). Discover appends them to every stream when CDC is configured; the snapshot and
// the change stream fill them. They are not table columns: readers strip them before SQL.
#pragma once

#include <cstdint>

#include "absl/strings/string_view.h"
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/records.pb.h"

namespace tsdb_source::cdc {

inline constexpr absl::string_view kLsnColumn = "_ab_cdc_lsn";
inline constexpr absl::string_view kUpdatedAtColumn = "_ab_cdc_updated_at";
inline constexpr absl::string_view kDeletedAtColumn = "_ab_cdc_deleted_at";
inline constexpr int kCdcColumnCount = 3;

// Appends the three columns and makes _ab_cdc_lsn the source-defined cursor.
void AddCdcColumns(v1::Stream* stream);

// True when the stream's last columns are the CDC columns.
bool HasCdcColumns(const v1::Stream& stream);

// The stream without the CDC columns (what the table really has).
v1::Stream WithoutCdcColumns(const v1::Stream& stream);

// Appends the three columns' values to every row of `batch`: lsn and updated_at for all
// rows; deleted_at null.
void AppendSnapshotCdcValues(uint64_t lsn, int64_t updated_at_micros, v1::RecordBatch* batch);

}  // namespace tsdb_source::cdc
