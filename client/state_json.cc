#include "client/state_json.h"

#include "client/json/json_writer.h"
#include "client/json/value_format.h"
#include "google/protobuf/util/json_util.h"

namespace tsdb_source::client {
namespace {

std::string ProtoJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

}  // namespace

std::optional<std::string> CursorText(const v1::ScalarValue& value) {
  std::string out;
  switch (value.value_case()) {
    case v1::ScalarValue::kTextValue:
      // numeric digit for digit, text as it is (what the RECORD holds, unescaped).
      return value.text_value();
    case v1::ScalarValue::kBoolValue:
      return std::string(value.bool_value() ? "true" : "false");
    case v1::ScalarValue::kDoubleValue:
      if (!AppendJsonDouble(value.double_value(), &out)) return std::nullopt;
      return out;
    case v1::ScalarValue::kInt64Value: {
      const int64_t v = value.int64_value();
      bool ok = true;
      switch (value.kind()) {
        case v1::VALUE_KIND_TIMESTAMP: ok = AppendTimestamp(v, &out); break;
        case v1::VALUE_KIND_TIMESTAMPTZ: ok = AppendTimestampTz(v, &out); break;
        case v1::VALUE_KIND_DATE: ok = AppendDate(v, &out); break;
        case v1::VALUE_KIND_TIME: ok = AppendTime(v, &out); break;
        default: AppendJsonInt64(v, &out); break;
      }
      if (!ok) return std::nullopt;
      return out;
    }
    default:
      return std::nullopt;  // NULL, bytes (never a cursor)
  }
}

std::string StreamStateJson(const v1::StreamState& state, uint64_t cursor_record_count) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  if (state.has_xmin()) {
    // source-postgres's XminStatus: the horizon as its epoch and 32-bit ID, and whole.
    const uint64_t horizon = state.xmin().horizon();
    w.Key("state_type");
    w.String("xmin");
    w.Key("version");
    w.Int64(kSourcePostgresStateVersion);
    w.Key("num_wraparound");
    w.Uint64(horizon >> 32);
    w.Key("xmin_xid_value");
    w.Uint64(horizon & 0xffffffffu);
    w.Key("xmin_raw_value");
    w.Uint64(horizon);
  } else if (state.sync_mode() == v1::SYNC_MODE_INCREMENTAL) {
    // source-postgres's CursorBasedStatus (a DbStreamState with state_type and version).
    w.Key("state_type");
    w.String("cursor_based");
    w.Key("version");
    w.Int64(kSourcePostgresStateVersion);
    w.Key("stream_name");
    w.String(state.stream().name());
    w.Key("stream_namespace");
    w.String(state.stream().namespace_());
    w.Key("cursor_field");
    w.BeginArray();
    for (const std::string& field : state.cursor_field()) w.String(field);
    w.EndArray();
    std::optional<std::string> cursor;
    if (state.has_cursor()) cursor = CursorText(state.cursor());
    if (cursor.has_value()) {
      w.Key("cursor");
      w.String(*cursor);
      if (cursor_record_count > 0) {
        w.Key("cursor_record_count");
        w.Uint64(cursor_record_count);
      }
    }
  }
  w.Key(kTsdbSourceStateKey);
  w.RawValue(ProtoJson(state));
  w.EndObject();
  return out;
}

}  // namespace tsdb_source::client
