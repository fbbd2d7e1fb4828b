// Airbyte's CDC columns made from the typed change metadata of a batch.
#include "service/airbyte/cdc_columns.h"

#include "gtest/gtest.h"

namespace tsdb_source::airbyte {
namespace {

bool IsNull(const v1::ColumnValues& c, int row) {
  const std::string& bitmap = c.null_bitmap();
  return !bitmap.empty() && ((static_cast<unsigned char>(bitmap[row / 8]) >> (row % 8)) & 1);
}

TEST(CdcColumns, NamesKindsAndSchemasAsSourcePostgres) {
  const auto& columns = CdcColumns();
  ASSERT_EQ(columns.size(), 3);
  EXPECT_EQ(columns.Get(0).name(), "_ab_cdc_lsn");
  EXPECT_EQ(columns.Get(0).kind(), v1::VALUE_KIND_INT64);
  EXPECT_EQ(columns.Get(0).json_schema(), R"({"type":["number","null"]})");
  EXPECT_EQ(columns.Get(1).name(), "_ab_cdc_updated_at");
  EXPECT_EQ(columns.Get(2).name(), "_ab_cdc_deleted_at");
  for (int i = 1; i < 3; ++i) {
    EXPECT_EQ(columns.Get(i).kind(), v1::VALUE_KIND_TIMESTAMPTZ);
    EXPECT_NE(columns.Get(i).json_schema().find("timestamp_with_timezone"), std::string::npos);
  }
}

TEST(CdcColumns, OneEntryPerRowWithDeletes) {
  v1::RecordBatch batch;
  batch.set_row_count(3);
  for (uint64_t lsn : {100u, 200u, 300u}) batch.mutable_changes()->add_lsn(lsn);
  for (int64_t t : {10, 20, 30}) batch.mutable_changes()->add_commit_time(t);
  for (bool d : {false, true, false}) batch.mutable_changes()->add_deleted(d);
  CdcValues values;
  ASSERT_TRUE(values.Fill(batch).ok());
  const v1::ColumnValues* const* c = values.columns();
  EXPECT_EQ(c[0]->int64s().values(2), 300);
  EXPECT_EQ(c[1]->int64s().values(1), 20);
  EXPECT_TRUE(IsNull(*c[2], 0));
  EXPECT_FALSE(IsNull(*c[2], 1));
  EXPECT_EQ(c[2]->int64s().values(1), 20);
  EXPECT_TRUE(IsNull(*c[2], 2));
  EXPECT_TRUE(c[0]->null_bitmap().empty());
}

TEST(CdcColumns, OneEntryForASnapshotBatchAndStorageReused) {
  v1::RecordBatch batch;
  batch.set_row_count(10);
  batch.mutable_changes()->add_lsn(7);
  batch.mutable_changes()->add_commit_time(99);
  CdcValues values;
  ASSERT_TRUE(values.Fill(batch).ok());
  batch.set_row_count(9);  // a second, smaller batch: nothing of the first remains
  ASSERT_TRUE(values.Fill(batch).ok());
  const v1::ColumnValues* const* c = values.columns();
  ASSERT_EQ(c[0]->int64s().values_size(), 9);
  ASSERT_EQ(c[2]->int64s().values_size(), 9);
  for (int i = 0; i < 9; ++i) {
    EXPECT_EQ(c[0]->int64s().values(i), 7);
    EXPECT_EQ(c[1]->int64s().values(i), 99);
    EXPECT_TRUE(IsNull(*c[2], i));
  }
}

TEST(CdcColumns, MetadataThatDoesNotFitTheBatchIsAnError) {
  v1::RecordBatch batch;
  batch.mutable_stream()->set_name("s");
  batch.set_row_count(3);
  CdcValues values;
  EXPECT_FALSE(values.Fill(batch).ok());  // none at all
  batch.mutable_changes()->add_lsn(1);
  batch.mutable_changes()->add_lsn(2);
  batch.mutable_changes()->add_commit_time(1);
  absl::Status two = values.Fill(batch);  // two positions for three rows
  EXPECT_EQ(two.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(two.message().find("2 positions"), std::string::npos) << two;
  batch.mutable_changes()->add_lsn(3);
  batch.mutable_changes()->add_deleted(true);  // one flag for three rows
  EXPECT_FALSE(values.Fill(batch).ok());
}

}  // namespace
}  // namespace tsdb_source::airbyte
