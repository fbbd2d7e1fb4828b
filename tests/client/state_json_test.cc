// The STREAM state the shim writes (client/state_json.h) and reads back (client/inputs.h):
// source-postgres's cursor_based fields with the cursor as the RECORD's text for every
// cursor kind, tsdb-source's own typed state under "tsdb_source" surviving exactly, ours
// winning over the text cursor, and the two other formats still read: source-postgres's
// own state and the typed top-level cursor of earlier releases.
#include "client/state_json.h"

#include <cstdint>
#include <limits>
#include <string>

#include "client/inputs.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

using google::protobuf::Struct;

v1::ScalarValue Int(v1::ValueKind kind, int64_t v) {
  v1::ScalarValue out;
  out.set_kind(kind);
  out.set_int64_value(v);
  return out;
}

v1::ScalarValue Text(v1::ValueKind kind, const std::string& v) {
  v1::ScalarValue out;
  out.set_kind(kind);
  out.set_text_value(v);
  return out;
}

TEST(CursorText, IsTheRecordTextOfEveryCursorKind) {
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_INT64, 42)), "42");  // integer
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_INT64, -7)), "-7");
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_INT64, std::numeric_limits<int64_t>::max())),
            "9223372036854775807");  // bigint, digit for digit (no double on the way)
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_INT64, std::numeric_limits<int64_t>::min())),
            "-9223372036854775808");
  EXPECT_EQ(CursorText(Text(v1::VALUE_KIND_NUMERIC, "123456789012345678901234567890.000000001")),
            "123456789012345678901234567890.000000001");
  EXPECT_EQ(CursorText(Text(v1::VALUE_KIND_TEXT, "b\"c\\d é")), "b\"c\\d é");
  // 2024-01-02T03:04:05.5: the fraction as the RECORD has it, trailing zeros trimmed.
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_TIMESTAMP, 1704164645500000)), "2024-01-02T03:04:05.5");
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_TIMESTAMP, 1704164645000000)), "2024-01-02T03:04:05");
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_TIMESTAMPTZ, 1704164645000001)),
            "2024-01-02T03:04:05.000001+00:00");
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_DATE, 19724)), "2024-01-02");
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_DATE, -719163)), "0001-12-31 BC");
  // The acceptance test's abnormally large values: year 9000, day 2,567,000, 2^31 - 1.
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_TIMESTAMPTZ, 221845392000000000)),
            "9000-01-01T00:00:00+00:00");
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_TIMESTAMP, 221845392000000000)), "9000-01-01T00:00:00");
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_DATE, 2567000)), "8998-03-17");
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_INT64, 2147483647)), "2147483647");
}

TEST(CursorText, ValuesARecordWritesAsNullHaveNoText) {
  EXPECT_EQ(CursorText(v1::ScalarValue()), std::nullopt);  // NULL
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_TIMESTAMPTZ, std::numeric_limits<int64_t>::max())),
            std::nullopt);  // infinity
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_DATE, std::numeric_limits<int32_t>::max())),
            std::nullopt);
  EXPECT_EQ(CursorText(Int(v1::VALUE_KIND_TIMESTAMP, 300000000000000000)),
            std::nullopt);  // year 11476
}

v1::StreamState IncrementalState() {
  v1::StreamState state;
  state.set_version(1);
  state.mutable_stream()->set_name("metrics");
  state.mutable_stream()->set_namespace_("public");
  state.set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
  state.add_cursor_field("time");
  *state.mutable_cursor() = Int(v1::VALUE_KIND_TIMESTAMPTZ, 1704164645500000);
  v1::ChunkProgress* chunks = state.mutable_chunks();
  chunks->mutable_watermark()->set_range_start(-5);
  chunks->mutable_watermark()->set_chunk("\"_timescaledb_internal\".\"_hyper_1_3_chunk\"");
  chunks->add_done("\"_timescaledb_internal\".\"_hyper_1_5_chunk\"");
  v1::ChunkPosition* p = chunks->add_in_flight();
  p->set_chunk("\"_timescaledb_internal\".\"_hyper_1_4_chunk\"");
  *p->add_last_key() = Int(v1::VALUE_KIND_TIMESTAMPTZ, std::numeric_limits<int64_t>::min() + 1);
  p->set_rows_at_key(3);
  return state;
}

Struct ParseObject(const std::string& json) {
  Struct out;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &out).ok()) << json;
  return out;
}

std::string Message(const std::string& stream_state) {
  return R"([{"type":"STREAM","stream":{"stream_descriptor":{"name":"metrics","namespace":"public"},)"
         R"("stream_state":)" + stream_state + "}}]";
}

TEST(StreamStateJson, CarriesSourcePostgresFieldsAsPlainJson) {
  const Struct s = ParseObject(StreamStateJson(IncrementalState(), 3));
  const auto& f = s.fields();
  EXPECT_EQ(f.at("state_type").string_value(), "cursor_based");
  EXPECT_EQ(f.at("version").number_value(), 2);
  EXPECT_EQ(f.at("stream_name").string_value(), "metrics");
  EXPECT_EQ(f.at("stream_namespace").string_value(), "public");
  ASSERT_EQ(f.at("cursor_field").list_value().values_size(), 1);
  EXPECT_EQ(f.at("cursor_field").list_value().values(0).string_value(), "time");
  EXPECT_EQ(f.at("cursor").string_value(), "2024-01-02T03:04:05.5+00:00");
  EXPECT_EQ(f.at("cursor_record_count").number_value(), 3);
  // Ours under one key: its typed cursor no longer collides with source-postgres's.
  EXPECT_EQ(f.at("tsdb_source").struct_value().fields().at("cursor").struct_value().fields()
                .at("kind").string_value(),
            "VALUE_KIND_TIMESTAMPTZ");
  EXPECT_EQ(f.size(), 8u);
}

TEST(StreamStateJson, OmitsWhatSourcePostgresOmits) {
  v1::StreamState state = IncrementalState();
  state.clear_cursor();  // a first sync, before the cursor is known
  Struct s = ParseObject(StreamStateJson(state, 0));
  EXPECT_EQ(s.fields().count("cursor"), 0u);
  EXPECT_EQ(s.fields().count("cursor_record_count"), 0u);
  EXPECT_EQ(s.fields().at("state_type").string_value(), "cursor_based");
  state = IncrementalState();
  s = ParseObject(StreamStateJson(state, 0));  // count unknown
  EXPECT_EQ(s.fields().count("cursor_record_count"), 0u);
  EXPECT_EQ(s.fields().count("cursor"), 1u);
  *state.mutable_cursor() = Int(v1::VALUE_KIND_TIMESTAMPTZ, std::numeric_limits<int64_t>::max());
  s = ParseObject(StreamStateJson(state, 2));  // infinity: no text, so no cursor
  EXPECT_EQ(s.fields().count("cursor"), 0u);
  EXPECT_EQ(s.fields().count("cursor_record_count"), 0u);
  EXPECT_EQ(s.fields().count("tsdb_source"), 1u);
}

TEST(StreamStateJson, FullRefreshStateIsOursOnly) {
  v1::StreamState state = IncrementalState();
  state.set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
  state.clear_cursor();
  state.clear_cursor_field();
  const Struct s = ParseObject(StreamStateJson(state, 0));
  ASSERT_EQ(s.fields().size(), 1u);
  EXPECT_EQ(s.fields().count("tsdb_source"), 1u);
}

void ExpectRoundTrip(const v1::StreamState& state) {
  auto parsed = ParseState(Message(StreamStateJson(state, 5)), "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->streams.size(), 1u);
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed->streams[0], state))
      << parsed->streams[0].DebugString() << "\nvs\n" << state.DebugString();
}

TEST(StreamStateJson, RoundTripKeepsEveryTypedFieldExactly) {
  ExpectRoundTrip(IncrementalState());
  for (v1::ScalarValue cursor :
       {Int(v1::VALUE_KIND_INT64, std::numeric_limits<int64_t>::max()),
        Int(v1::VALUE_KIND_INT64, 2147483647), Int(v1::VALUE_KIND_DATE, 2567000),
        Int(v1::VALUE_KIND_TIMESTAMP, 221845392000000000),
        Int(v1::VALUE_KIND_TIMESTAMPTZ, std::numeric_limits<int64_t>::max()),
        Text(v1::VALUE_KIND_NUMERIC, "99999999999999999999999999999999999999.5"),
        Text(v1::VALUE_KIND_TEXT, "z\"\\\n")}) {
    v1::StreamState state = IncrementalState();
    *state.mutable_cursor() = cursor;
    ExpectRoundTrip(state);
  }
  v1::StreamState table;
  table.set_version(1);
  table.mutable_stream()->set_name("metrics");
  table.mutable_stream()->set_namespace_("public");
  table.set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
  *table.add_last_primary_key() = Int(v1::VALUE_KIND_INT64, -1);
  *table.add_last_primary_key() = Text(v1::VALUE_KIND_TEXT, "k");
  ExpectRoundTrip(table);
}

TEST(ParseState, OursWinsOverTheTextCursor) {
  // The text cursor says 2030; ours (a microsecond past 2024-01-02T03:04:05.5) is read.
  std::string json = StreamStateJson(IncrementalState(), 1);
  const std::string text = "\"2024-01-02T03:04:05.5+00:00\"";
  json.replace(json.find(text), text.size(), "\"2030-01-01T00:00:00+00:00\"");
  auto parsed = ParseState(Message(json), "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->streams.size(), 1u);
  EXPECT_TRUE(parsed->warnings.empty());
  EXPECT_EQ(parsed->streams[0].cursor().int64_value(), 1704164645500000);
}

TEST(ParseState, SourcePostgresStateIsMigratedFromItsTextCursor) {
  // integration_tests/abnormal_state.json of source-postgres, as it is.
  auto parsed = ParseState(R"([{"type": "STREAM", "stream": {"stream_state": {
      "version": 2, "state_type": "cursor_based", "stream_name": "id_and_name",
      "cursor_field": ["id"], "cursor": "6", "cursor_record_count": 1,
      "stream_namespace": "public"},
      "stream_descriptor": {"name": "id_and_name", "namespace": "public"}}}])",
                           "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->streams.size(), 1u);
  // Taken over as a state of ours: incremental, cursor id >= '6' (text, read back as the
  // column's type), with a warning saying so.
  const v1::StreamState& s = parsed->streams[0];
  EXPECT_EQ(s.version(), 1u);
  EXPECT_EQ(s.sync_mode(), v1::SYNC_MODE_INCREMENTAL);
  ASSERT_EQ(s.cursor_field_size(), 1);
  EXPECT_EQ(s.cursor_field(0), "id");
  EXPECT_EQ(s.cursor().text_value(), "6");
  EXPECT_EQ(s.stream().name(), "id_and_name");
  ASSERT_EQ(parsed->warnings.size(), 1u);
  EXPECT_NE(parsed->warnings[0].find("Airbyte Postgres cursor state is taken over (id >= 6)"),
            std::string::npos)
      << parsed->warnings[0];
}

TEST(ParseState, EarlierReleasesTypedTopLevelCursorIsStillRead) {
  auto parsed = ParseState(Message(R"({"version":1,"stream":{"name":"metrics","namespace":"public"},
      "sync_mode":"SYNC_MODE_INCREMENTAL","cursor_field":["time"],
      "cursor":{"kind":"VALUE_KIND_TIMESTAMPTZ","int64_value":"1704164645500000"},
      "completed":true})"),
                           "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->streams.size(), 1u);
  EXPECT_TRUE(parsed->warnings.empty());
  EXPECT_EQ(parsed->streams[0].cursor().int64_value(), 1704164645500000);
  EXPECT_TRUE(parsed->streams[0].completed());
}

TEST(ParseState, MalformedOwnStateIsAnError) {
  auto parsed = ParseState(Message(R"({"state_type":"cursor_based","tsdb_source":"x"})"), "s.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("tsdb_source must be an object"), std::string::npos)
      << parsed.status();
  parsed = ParseState(Message(R"({"tsdb_source":{"version":1,"tsdb_source":{}}})"), "s.json");
  EXPECT_FALSE(parsed.ok());
  // Another stream's state under our key is refused as before.
  parsed = ParseState(
      Message(R"({"tsdb_source":{"version":1,"stream":{"name":"other","namespace":"public"}}})"),
      "s.json");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("not of public.metrics"), std::string::npos)
      << parsed.status();
}

}  // namespace
TEST(StreamStateJson, XminStateCarriesSourcePostgresXminStatus) {
  v1::StreamState state;
  state.set_version(1);
  state.mutable_stream()->set_name("metrics");
  state.mutable_stream()->set_namespace_("public");
  state.set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
  // Epoch 3, 32-bit ID 4000000000: past a wraparound, as source-postgres splits it.
  const uint64_t horizon = (uint64_t{3} << 32) | 4000000000u;
  state.mutable_xmin()->set_horizon(horizon);
  state.mutable_xmin()->set_stats_epoch("2026-12-02 | ");
  v1::XminRelation* r = state.mutable_xmin()->add_relations();
  r->set_relation("\"_timescaledb_internal\".\"_hyper_1_2_chunk\"");
  r->set_oid(16400);
  r->set_writes(12345678901234);
  r->set_writes_known(true);
  r->set_horizon(horizon - 5);
  const std::string json = StreamStateJson(state, 0);
  Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok()) << json;
  const auto& f = parsed.fields();
  EXPECT_EQ(f.at("state_type").string_value(), "xmin");
  EXPECT_EQ(f.at("version").number_value(), 2);
  EXPECT_EQ(f.at("num_wraparound").number_value(), 3);
  EXPECT_EQ(f.at("xmin_xid_value").number_value(), 4000000000.0);
  EXPECT_EQ(f.at("xmin_raw_value").number_value(), static_cast<double>(horizon));
  EXPECT_EQ(f.count("cursor"), 0u);
  ExpectRoundTrip(state);  // ours, exactly, wins
}

TEST(ParseState, SourcePostgresXminStateKeepsItsHorizon) {
  // source-postgres's XminStatus as its state manager writes it.
  auto parsed = ParseState(R"([{"type": "STREAM", "stream": {"stream_state": {
      "version": 2, "state_type": "xmin", "num_wraparound": 1, "xmin_xid_value": 780,
      "xmin_raw_value": 4294968076},
      "stream_descriptor": {"name": "metrics", "namespace": "public"}}}])",
                           "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->streams.size(), 1u);
  EXPECT_EQ(parsed->streams[0].xmin().horizon(), 4294968076u);
  EXPECT_EQ(parsed->streams[0].version(), 1u);
  // Without the raw value, from its parts.
  parsed = ParseState(R"([{"type": "STREAM", "stream": {"stream_state": {
      "state_type": "xmin", "num_wraparound": 2, "xmin_xid_value": 5},
      "stream_descriptor": {"name": "metrics", "namespace": "public"}}}])",
                      "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->streams[0].xmin().horizon(), (uint64_t{2} << 32) | 5);
}

TEST(ParseState, SourcePostgresStatesThatCannotContinueAreDroppedWithAWarning) {
  // A ctid state (an interrupted initial load), and a cursor over two columns.
  auto parsed = ParseState(R"js([{"type": "STREAM", "stream": {"stream_state": {
      "version": 2, "state_type": "ctid", "ctid": "(5,3)", "relation_filenode": 16385},
      "stream_descriptor": {"name": "a", "namespace": "public"}}},
      {"type": "STREAM", "stream": {"stream_state": {
      "version": 2, "state_type": "cursor_based", "cursor_field": ["x", "y"], "cursor": "1"},
      "stream_descriptor": {"name": "b", "namespace": "public"}}}])js",
                           "s.json");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->streams.empty());
  ASSERT_EQ(parsed->warnings.size(), 2u);
  EXPECT_NE(parsed->warnings[0].find("public.a: an Airbyte Postgres 'ctid' state cannot be continued"),
            std::string::npos)
      << parsed->warnings[0];
  EXPECT_NE(parsed->warnings[1].find("2 cursor fields (x, y)"), std::string::npos)
      << parsed->warnings[1];
}

}  // namespace tsdb_source::client
