#include "service/airbyte/cdc_columns.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace tsdb_source::airbyte {
namespace {

void AddColumn(google::protobuf::RepeatedPtrField<v1::Column>* columns, absl::string_view name,
               const char* pg_type, uint32_t oid, v1::ValueKind kind, const char* schema) {
  v1::Column* c = columns->Add();
  c->set_name(std::string(name));
  c->set_pg_type(pg_type);
  c->set_type_oid(oid);
  c->set_kind(kind);
  c->set_nullable(true);
  c->set_json_schema(schema);
}

google::protobuf::RepeatedPtrField<v1::Column> MakeColumns() {
  google::protobuf::RepeatedPtrField<v1::Column> columns;
  // source-postgres types the LSN a number (PostgresCdcCatalogHelper, and CDC_LSN's
  // CdcNumberMetaFieldType in its Bulk-CDK version); a destination types the column as it.
  // The values stay exact integers, which are numbers.
  AddColumn(&columns, kLsnColumn, "bigint", 20, v1::VALUE_KIND_INT64, R"({"type":["number","null"]})");
  constexpr const char* kTime =
      R"({"type":["string","null"],"format":"date-time","airbyte_type":"timestamp_with_timezone"})";
  AddColumn(&columns, kUpdatedAtColumn, "timestamp with time zone", 1184,
            v1::VALUE_KIND_TIMESTAMPTZ, kTime);
  AddColumn(&columns, kDeletedAtColumn, "timestamp with time zone", 1184,
            v1::VALUE_KIND_TIMESTAMPTZ, kTime);
  return columns;
}

// Entry `row` of a list that has one entry per row or one for all.
template <typename List>
auto At(const List& list, uint32_t row) {
  return list.size() == 1 ? list.Get(0) : list.Get(static_cast<int>(row));
}

}  // namespace

const google::protobuf::RepeatedPtrField<v1::Column>& CdcColumns() {
  static const auto* columns = new google::protobuf::RepeatedPtrField<v1::Column>(MakeColumns());
  return *columns;
}

absl::Status CdcValues::Fill(const v1::RecordBatch& batch) {
  const v1::ChangeMetadata& changes = batch.changes();
  const uint32_t rows = batch.row_count();
  auto fits = [rows](int size, bool may_be_empty) {
    return (rows > 0 && size == 1) || size == static_cast<int>(rows) || (may_be_empty && size == 0);
  };
  if (!fits(changes.lsn_size(), false) || !fits(changes.commit_time_size(), false) ||
      (changes.deleted_size() != 0 && changes.deleted_size() != static_cast<int>(rows))) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the change metadata of a batch of ", rows, " rows of stream ", batch.stream().name(),
        " has ", changes.lsn_size(), " positions, ", changes.commit_time_size(),
        " commit times and ", changes.deleted_size(), " delete flags"));
  }
  auto* lsns = lsn_.mutable_int64s()->mutable_values();
  auto* times = updated_at_.mutable_int64s()->mutable_values();
  auto* deleted = deleted_at_.mutable_int64s()->mutable_values();
  lsns->Clear();
  times->Clear();
  deleted->Clear();
  lsns->Reserve(static_cast<int>(rows));
  times->Reserve(static_cast<int>(rows));
  deleted->Reserve(static_cast<int>(rows));
  std::string* bitmap = deleted_at_.mutable_null_bitmap();
  bitmap->assign((rows + 7) / 8, '\0');
  for (uint32_t i = 0; i < rows; ++i) {
    const int64_t time = At(changes.commit_time(), i);
    lsns->Add(static_cast<int64_t>(At(changes.lsn(), i)));
    times->Add(time);
    const bool is_delete = changes.deleted_size() != 0 && changes.deleted(static_cast<int>(i));
    deleted->Add(is_delete ? time : 0);
    if (!is_delete) (*bitmap)[i / 8] |= static_cast<char>(1u << (i % 8));
  }
  return absl::OkStatus();
}

}  // namespace tsdb_source::airbyte
