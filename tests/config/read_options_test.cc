// ReadOptions' defaults, stated once: an empty ReadOptions gives the defaults
// source_service.proto documents, and every set value wins.
#include "service/config/read_options.h"

#include "gtest/gtest.h"

namespace tsdb_source {
namespace {

TEST(ReadOptions, UnsetValuesTakeTheDocumentedDefaults) {
  const ResolvedReadOptions r = ResolveReadOptions(v1::ReadOptions());
  EXPECT_EQ(r.checkpoint_every_records, 100000u);
  EXPECT_EQ(r.checkpoint_every, std::chrono::seconds(60));
  EXPECT_EQ(r.batch_max_rows, 4096u);
  EXPECT_EQ(r.batch_max_bytes, 1u << 20);
  EXPECT_EQ(r.max_attempts, 5);
  EXPECT_EQ(r.retry_initial_backoff, std::chrono::milliseconds(1000));
  EXPECT_EQ(r.idle_timeout, std::chrono::seconds(300));
  EXPECT_EQ(r.chunk_slice_bytes, uint64_t{1} << 30);
  EXPECT_EQ(r.chunk_discovery_interval.count(), 0);
}

TEST(ReadOptions, SetValuesWin) {
  v1::ReadOptions o;
  o.set_checkpoint_every_records(7);
  o.set_checkpoint_every_seconds(2);
  o.set_batch_max_rows(10);
  o.set_batch_max_bytes(1000);
  o.set_max_attempts(1);
  o.set_retry_initial_backoff_ms(5);
  o.set_idle_timeout_seconds(9);
  o.set_chunk_slice_bytes(12345);
  o.set_chunk_discovery_interval_ms(250);
  const ResolvedReadOptions r = ResolveReadOptions(o);
  EXPECT_EQ(r.checkpoint_every_records, 7u);
  EXPECT_EQ(r.checkpoint_every, std::chrono::seconds(2));
  EXPECT_EQ(r.batch_max_rows, 10u);
  EXPECT_EQ(r.batch_max_bytes, 1000u);
  EXPECT_EQ(r.max_attempts, 1);
  EXPECT_EQ(r.retry_initial_backoff, std::chrono::milliseconds(5));
  EXPECT_EQ(r.idle_timeout, std::chrono::seconds(9));
  EXPECT_EQ(r.chunk_slice_bytes, 12345u);
  EXPECT_EQ(r.chunk_discovery_interval, std::chrono::milliseconds(250));
}

}  // namespace
}  // namespace tsdb_source
