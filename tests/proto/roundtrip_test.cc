// The v1 contract survives binary and JSON round trips, and an Airbyte config JSON maps
// onto SourceConfig with protobuf's JSON mapping.
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::v1 {
namespace {

ReadResponse SampleBatch() {
  ReadResponse response;
  RecordBatch* batch = response.mutable_records();
  batch->mutable_stream()->set_name("conditions \"quoted\" ü");
  batch->mutable_stream()->set_namespace_("public");
  batch->set_row_count(3);
  batch->set_chunk("\"_timescaledb_internal\".\"_hyper_1_1_chunk\"");
  ColumnValues* time = batch->add_columns();
  for (int64_t v : {INT64_MIN, int64_t{0}, INT64_MAX}) time->mutable_int64s()->add_values(v);
  ColumnValues* text = batch->add_columns();
  text->set_null_bitmap(std::string(1, '\x02'));
  text->mutable_strings()->add_values("a");
  text->mutable_strings()->add_values("");
  text->mutable_strings()->add_values(std::string("\xff\x00z", 3));
  ColumnValues* list = batch->add_columns();
  list->mutable_lists()->add_lengths(2);
  list->mutable_lists()->add_lengths(0);
  list->mutable_lists()->add_lengths(1);
  for (double d : {1.5, -0.0, 1e300}) {
    list->mutable_lists()->mutable_elements()->mutable_doubles()->add_values(d);
  }
  return response;
}

TEST(ProtoRoundTrip, BinaryKeepsEveryValue) {
  ReadResponse original = SampleBatch();
  std::string wire;
  ASSERT_TRUE(original.SerializeToString(&wire));
  ReadResponse parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(original, parsed))
      << parsed.DebugString();
  EXPECT_EQ(parsed.records().columns(0).int64s().values(0), INT64_MIN);
  EXPECT_EQ(parsed.records().columns(1).strings().values(2), std::string("\xff\x00z", 3));
}

TEST(ProtoRoundTrip, CheckpointStateThroughJson) {
  Checkpoint checkpoint;
  StreamState* state = checkpoint.mutable_state();
  state->set_version(1);
  state->mutable_stream()->set_name("m");
  state->set_sync_mode(SYNC_MODE_INCREMENTAL);
  state->add_cursor_field("time");
  state->mutable_cursor()->set_kind(VALUE_KIND_TIMESTAMPTZ);
  state->mutable_cursor()->set_int64_value(1700000000123456);
  state->mutable_chunks()->mutable_watermark()->set_range_start(-5);
  state->mutable_chunks()->add_done("\"s\".\"c\"");
  ChunkPosition* position = state->mutable_chunks()->add_in_flight();
  position->set_chunk("\"s\".\"d\"");
  position->add_last_key()->set_text_value("x");
  position->set_rows_at_key(7);
  checkpoint.set_records_total(9007199254740993ULL);  // 2^53 + 1: exact in JSON as a string
  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(checkpoint, &json).ok());
  Checkpoint parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(checkpoint, parsed)) << json;
}

TEST(ProtoRoundTrip, AirbyteConfigJsonMapsOntoSourceConfig) {
  const std::string airbyte = R"({
    "host": "db.example", "port": 6543, "database": "metrics", "username": "reader",
    "password": "s3cret", "schemas": ["public", "Sensor Data"],
    "ssl_mode": {"mode": "verify-ca", "ca_certificate": "-----BEGIN CERTIFICATE-----"},
    "replication_method": {"method": "CDC", "replication_slot": "slot", "publication": "pub",
                           "initial_waiting_seconds": 60},
    "timescaledb_support": false, "timescaledb_chunk_discovery_interval_minutes": 7,
    "timescaledb_max_concurrent_chunks": 3, "timescaledb_enable_chunk_caching": false
  })";
  SourceConfig config;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(airbyte, &config).ok());
  EXPECT_EQ(config.host(), "db.example");
  EXPECT_EQ(config.port(), 6543);
  EXPECT_EQ(config.schemas(1), "Sensor Data");
  EXPECT_EQ(config.ssl_mode().mode(), "verify-ca");
  EXPECT_EQ(config.replication_method().publication(), "pub");
  EXPECT_EQ(config.replication_method().initial_waiting_seconds(), 60);
  EXPECT_TRUE(config.has_timescaledb_support());
  EXPECT_FALSE(config.timescaledb_support());
  EXPECT_EQ(config.timescaledb_chunk_discovery_interval_minutes(), 7);
  EXPECT_EQ(config.timescaledb_max_concurrent_chunks(), 3);
  EXPECT_FALSE(config.timescaledb_enable_chunk_caching());
  // Absent optional fields stay absent, so defaults can apply.
  SourceConfig minimal;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(R"({"host":"h"})", &minimal).ok());
  EXPECT_FALSE(minimal.has_port());
  EXPECT_FALSE(minimal.has_timescaledb_support());
}

}  // namespace
}  // namespace tsdb_source::v1
