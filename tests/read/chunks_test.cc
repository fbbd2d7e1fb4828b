// Chunk discovery against a real TimescaleDB: ListChunks gives every chunk with its range
// and compression, no sizes; AddChunkSizes measures only the chunks it is given (heap, plus
// a compressed chunk's size before compression) and gives 0 to one dropped since listing.
#include "service/read/chunks.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/pg/quote.h"
#include "tests/testing/databases.h"

namespace tsdb_source {
namespace {

using testing::Server;

class Chunks : public ::testing::Test {
 protected:
  void SetUp() override {
    schema_ = testing::UniqueName("Chunks \"Ü\"");
    Sql("CREATE SCHEMA " + pg::QuoteIdent(schema_));
  }
  void TearDown() override { Sql("DROP SCHEMA " + pg::QuoteIdent(schema_) + " CASCADE"); }
  // One connection at a time: the dev server takes no more.
  void Sql(const std::string& sql) {
    pg::Connection conn = testing::Connect(Server::kTimescale);
    testing::Exec(conn, sql);
  }
  std::string schema_;
};

TEST_F(Chunks, ListedWithoutSizesThenMeasuredOnDemand) {
  const std::string t = pg::QuoteQualified(schema_, "m e");
  Sql("CREATE TABLE " + t + " (time timestamptz NOT NULL, v float8, note text)");
  Sql("SELECT create_hypertable('" + t + "', 'time', chunk_time_interval => interval '1 day')");
  // Three days of 20,000 rows each: chunks of well over one page.
  Sql("INSERT INTO " + t + " SELECT '2024-05-01'::timestamptz + g * interval '4320 milliseconds', "
      "g * 0.5, repeat('x', 40) FROM generate_series(0, 59999) g");
  Sql("ALTER TABLE " + t + " SET (timescaledb.compress)");

  v1::Stream stream;
  stream.set_kind(v1::RELATION_KIND_HYPERTABLE);
  stream.mutable_stream()->set_namespace_(schema_);
  stream.mutable_stream()->set_name("m e");

  pg::Connection conn = testing::Connect(Server::kTimescale);
  // Compress the first chunk; remember its heap size before compression.
  auto first = conn.Exec(
      "SELECT chunk_schema, chunk_name FROM timescaledb_information.chunks "
      "WHERE hypertable_schema = " + pg::QuoteLiteral(schema_) + " ORDER BY range_start LIMIT 1");
  ASSERT_TRUE(first.ok() && first->rows() == 1) << first.status();
  const std::string first_chunk = pg::QuoteQualified(first->GetString(0, 0), first->GetString(0, 1));
  auto heap = conn.Exec("SELECT pg_relation_size(" + pg::QuoteLiteral(first_chunk) + "::regclass)");
  ASSERT_TRUE(heap.ok()) << heap.status();
  const int64_t heap_before = std::stoll(heap->GetString(0, 0));
  ASSERT_GT(heap_before, 8192);
  testing::Exec(conn, "SELECT compress_chunk(" + pg::QuoteLiteral(first_chunk) + "::regclass)");

  auto listed = ListChunks(conn, stream);
  ASSERT_TRUE(listed.ok()) << listed.status();
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ((*listed)[0].qualified, first_chunk);
  EXPECT_TRUE((*listed)[0].compressed);
  EXPECT_FALSE((*listed)[1].compressed);
  for (const ChunkInfo& c : *listed) {
    EXPECT_TRUE(c.has_range);
    EXPECT_EQ(c.range_end - c.range_start, 86400000000LL);
    EXPECT_FALSE(c.sized) << c.qualified;
    EXPECT_EQ(c.size_bytes, 0) << c.qualified;
  }

  // Only the chunks given are measured.
  ASSERT_TRUE(AddChunkSizes(conn, stream, {&(*listed)[0], &(*listed)[1]}).ok());
  EXPECT_TRUE((*listed)[0].sized);
  EXPECT_GE((*listed)[0].size_bytes, heap_before);  // its size before compression
  EXPECT_TRUE((*listed)[1].sized);
  EXPECT_GT((*listed)[1].size_bytes, 8192);
  EXPECT_FALSE((*listed)[2].sized);
  EXPECT_EQ((*listed)[2].size_bytes, 0);

  // A chunk dropped after the listing measures 0, without an error.
  testing::Exec(conn, "DROP TABLE " + (*listed)[2].qualified);
  ASSERT_TRUE(AddChunkSizes(conn, stream, {&(*listed)[2]}).ok());
  EXPECT_TRUE((*listed)[2].sized);
  EXPECT_EQ((*listed)[2].size_bytes, 0);
}

}  // namespace
}  // namespace tsdb_source
