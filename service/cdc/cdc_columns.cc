#include "service/cdc/cdc_columns.h"

#include <string>

namespace tsdb_source::cdc {
namespace {

void AddColumn(v1::Stream* stream, absl::string_view name, const char* pg_type, uint32_t oid,
               v1::ValueKind kind, const char* schema) {
  v1::Column* c = stream->add_columns();
  c->set_name(std::string(name));
  c->set_pg_type(pg_type);
  c->set_type_oid(oid);
  c->set_kind(kind);
  c->set_nullable(true);
  c->set_json_schema(schema);
}

}  // namespace

void AddCdcColumns(v1::Stream* stream) {
  // source-postgres types the LSN a number (PostgresCdcCatalogHelper, and CDC_LSN's
  // CdcNumberMetaFieldType in its Bulk-CDK version); a destination types the column as it.
  // The values stay exact integers, which are numbers.
  AddColumn(stream, kLsnColumn, "bigint", 20, v1::VALUE_KIND_INT64, R"({"type":["number","null"]})");
  AddColumn(stream, kUpdatedAtColumn, "timestamp with time zone", 1184, v1::VALUE_KIND_TIMESTAMPTZ,
            R"({"type":["string","null"],"format":"date-time","airbyte_type":"timestamp_with_timezone"})");
  AddColumn(stream, kDeletedAtColumn, "timestamp with time zone", 1184, v1::VALUE_KIND_TIMESTAMPTZ,
            R"({"type":["string","null"],"format":"date-time","airbyte_type":"timestamp_with_timezone"})");
  stream->set_source_defined_cursor(true);
  stream->set_default_cursor_field(std::string(kLsnColumn));
}

bool HasCdcColumns(const v1::Stream& stream) {
  int n = stream.columns_size();
  return n >= kCdcColumnCount && stream.columns(n - 3).name() == kLsnColumn &&
         stream.columns(n - 2).name() == kUpdatedAtColumn &&
         stream.columns(n - 1).name() == kDeletedAtColumn;
}

v1::Stream WithoutCdcColumns(const v1::Stream& stream) {
  v1::Stream out = stream;
  if (HasCdcColumns(stream)) {
    out.mutable_columns()->DeleteSubrange(stream.columns_size() - kCdcColumnCount, kCdcColumnCount);
  }
  if (out.has_hypertable()) {
    out.set_default_cursor_field(out.hypertable().time_dimension().column_name());
  } else {
    out.clear_default_cursor_field();
  }
  out.set_source_defined_cursor(false);
  return out;
}

void AppendSnapshotCdcValues(uint64_t lsn, int64_t updated_at_micros, v1::RecordBatch* batch) {
  const uint32_t rows = batch->row_count();
  v1::ColumnValues* lsn_column = batch->add_columns();
  v1::ColumnValues* updated = batch->add_columns();
  v1::ColumnValues* deleted = batch->add_columns();
  auto* lsns = lsn_column->mutable_int64s()->mutable_values();
  auto* times = updated->mutable_int64s()->mutable_values();
  auto* nulls = deleted->mutable_int64s()->mutable_values();
  lsns->Reserve(rows);
  times->Reserve(rows);
  nulls->Reserve(rows);
  for (uint32_t i = 0; i < rows; ++i) {
    lsns->Add(static_cast<int64_t>(lsn));
    times->Add(updated_at_micros);
    nulls->Add(0);
  }
  std::string bitmap((rows + 7) / 8, '\0');
  for (uint32_t i = 0; i < rows; ++i) bitmap[i / 8] |= static_cast<char>(1u << (i % 8));
  deleted->set_null_bitmap(std::move(bitmap));
}

}  // namespace tsdb_source::cdc
