#include "client/airbyte_output.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "client/json/json_writer.h"
#include "client/state_json.h"
#include "service/airbyte/cdc_columns.h"
#include "google/protobuf/util/json_util.h"

namespace tsdb_source::client {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

std::string ProtoJson(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  google::protobuf::util::MessageToJsonString(message, &out, options);
  return out;
}

void Descriptor(JsonWriter& w, const v1::StreamDescriptor& d) {
  w.BeginObject();
  w.Key("name");
  w.String(d.name());
  if (!d.namespace_().empty()) {
    w.Key("namespace");
    w.String(d.namespace_());
  }
  w.EndObject();
}

// Whether the table's primary key can be Airbyte's source_defined_primary_key: Airbyte
// (its destinations' deduplication, and the acceptance tests since CAT 3.8) accepts no key
// column whose type is an array or an object. Arrays are arrays here; json/jsonb are
// strings (docs/types.md), so a json/jsonb key is kept, as source-postgres keeps it.
bool AirbyteAcceptsPrimaryKey(const v1::Stream& stream) {
  for (const std::string& key : stream.primary_key()) {
    for (const v1::Column& column : stream.columns()) {
      if (column.name() != key) continue;
      if (column.kind() == v1::VALUE_KIND_ARRAY) return false;
    }
  }
  return true;
}

}  // namespace

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string* AirbyteOutput::BeginLine() {
  line_.clear();
  return &line_;
}

void AirbyteOutput::EndLine() {
  line_.push_back('\n');
  Append(line_);
  LineDone();
}

char* AirbyteOutput::Reserve(size_t n) {
  if (capacity_ - size_ < n) {
    const size_t capacity = std::max({kFlushBytes + (kFlushBytes >> 2), 2 * capacity_, size_ + n});
    std::unique_ptr<char[]> grown(new char[capacity]);
    if (size_ > 0) std::memcpy(grown.get(), buffer_.get(), size_);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  return buffer_.get() + size_;
}

void AirbyteOutput::Append(std::string_view text) {
  char* p = Reserve(text.size());
  std::memcpy(p, text.data(), text.size());
  Commit(p + text.size());
}

void AirbyteOutput::LineDone() {
  if (size_ >= kFlushBytes) Flush();
}

void AirbyteOutput::Flush() {
  if (write_) {
    if (size_ > 0) write_(std::string_view(buffer_.get(), size_));
    size_ = 0;
    return;
  }
  if (size_ > 0) {
    std::fwrite(buffer_.get(), 1, size_, out_);
    size_ = 0;
  }
  std::fflush(out_);
}

void AirbyteOutput::Bytes(std::string_view bytes) {
  Append(bytes);
  LineDone();
}

void AirbyteOutput::Line(std::string_view json) {
  std::string* line = BeginLine();
  line->append(json);
  EndLine();
}

void AirbyteOutput::Spec(const v1::SpecResponse& spec) {
  JsonWriter w(BeginLine());
  w.BeginObject();
  w.Key("type");
  w.String("SPEC");
  w.Key("spec");
  w.BeginObject();
  w.Key("documentationUrl");
  w.String(spec.documentation_url());
  w.Key("connectionSpecification");
  w.RawValue(spec.connection_specification_json());
  w.Key("supportsIncremental");
  w.Bool(spec.supports_incremental());
  w.Key("supported_destination_sync_modes");
  w.BeginArray();
  for (int mode : spec.supported_destination_sync_modes()) {
    switch (mode) {
      case v1::DESTINATION_SYNC_MODE_APPEND: w.String("append"); break;
      case v1::DESTINATION_SYNC_MODE_OVERWRITE: w.String("overwrite"); break;
      case v1::DESTINATION_SYNC_MODE_APPEND_DEDUP: w.String("append_dedup"); break;
      case v1::DESTINATION_SYNC_MODE_OVERWRITE_DEDUP: w.String("overwrite_dedup"); break;
      default: break;
    }
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  EndLine();
}

void AirbyteOutput::ConnectionStatus(bool succeeded, std::string_view message) {
  JsonWriter w(BeginLine());
  w.BeginObject();
  w.Key("type");
  w.String("CONNECTION_STATUS");
  w.Key("connectionStatus");
  w.BeginObject();
  w.Key("status");
  w.String(succeeded ? "SUCCEEDED" : "FAILED");
  w.Key("message");
  w.String(message);
  w.EndObject();
  w.EndObject();
  EndLine();
}

std::string AirbyteStreamJson(const v1::Stream& stream, bool cdc) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("name");
  w.String(stream.stream().name());
  if (!stream.stream().namespace_().empty()) {
    w.Key("namespace");
    w.String(stream.stream().namespace_());
  }
  w.Key("json_schema");
  w.BeginObject();
  w.Key("type");
  w.String("object");
  w.Key("additionalProperties");
  w.Bool(true);
  w.Key("properties");
  w.BeginObject();
  for (const v1::Column& column : stream.columns()) {
    w.Key(column.name());
    w.RawValue(column.json_schema());
  }
  if (cdc) {
    // Airbyte's CDC metadata columns, on every stream as source-postgres declares them.
    for (const v1::Column& column : airbyte::CdcColumns()) {
      w.Key(column.name());
      w.RawValue(column.json_schema());
    }
  }
  w.EndObject();
  w.EndObject();
  w.Key("supported_sync_modes");
  w.BeginArray();
  for (int mode : stream.supported_sync_modes()) {
    if (mode == v1::SYNC_MODE_FULL_REFRESH) w.String("full_refresh");
    if (mode == v1::SYNC_MODE_INCREMENTAL) w.String("incremental");
  }
  w.EndArray();
  w.Key("source_defined_cursor");
  w.Bool(stream.source_defined_cursor());
  // With CDC the cursor is the change's position, _ab_cdc_lsn (source-postgres's default
  // cursor in CDC mode, on every stream).
  const std::string cursor =
      cdc ? std::string(airbyte::kLsnColumn) : stream.default_cursor_field();
  if (!cursor.empty()) {
    w.Key("default_cursor_field");
    w.BeginArray();
    w.String(cursor);
    w.EndArray();
  }
  if (stream.primary_key_size() > 0 && AirbyteAcceptsPrimaryKey(stream)) {
    w.Key("source_defined_primary_key");
    w.BeginArray();
    for (const std::string& key : stream.primary_key()) {
      w.BeginArray();
      w.String(key);
      w.EndArray();
    }
    w.EndArray();
  }
  w.Key("is_resumable");
  w.Bool(true);
  // TimescaleDB metadata (additional properties are allowed on AirbyteStream).
  w.Key("timescaledb");
  w.BeginObject();
  w.Key("relation_kind");
  std::string kind = v1::RelationKind_Name(stream.kind());
  w.String(std::string_view(kind).substr(sizeof("RELATION_KIND_") - 1));
  if (stream.has_hypertable()) {
    w.Key("hypertable");
    w.RawValue(ProtoJson(stream.hypertable()));
  }
  if (stream.has_continuous_aggregate()) {
    w.Key("continuous_aggregate");
    w.RawValue(ProtoJson(stream.continuous_aggregate()));
  }
  w.Key("row_estimate");
  w.Int64(stream.row_estimate());
  w.Key("byte_estimate");
  w.Int64(stream.byte_estimate());
  w.EndObject();
  w.EndObject();
  return out;
}

void AirbyteOutput::Catalog(const v1::Catalog& catalog, bool cdc) {
  JsonWriter w(BeginLine());
  w.BeginObject();
  w.Key("type");
  w.String("CATALOG");
  w.Key("catalog");
  w.BeginObject();
  w.Key("streams");
  w.BeginArray();
  for (const v1::Stream& stream : catalog.streams()) w.RawValue(AirbyteStreamJson(stream, cdc));
  w.EndArray();
  w.EndObject();
  w.EndObject();
  EndLine();
}

void AirbyteOutput::Log(std::string_view level, std::string_view message) {
  JsonWriter w(BeginLine());
  w.BeginObject();
  w.Key("type");
  w.String("LOG");
  w.Key("log");
  w.BeginObject();
  w.Key("level");
  w.String(level);
  w.Key("message");
  w.String(message);
  w.EndObject();
  w.EndObject();
  EndLine();
}

void AirbyteOutput::TraceError(std::string_view message, std::string_view internal_message,
                               std::string_view failure_type) {
  JsonWriter w(BeginLine());
  w.BeginObject();
  w.Key("type");
  w.String("TRACE");
  w.Key("trace");
  w.BeginObject();
  w.Key("type");
  w.String("ERROR");
  w.Key("emitted_at");
  w.Int64(NowMillis());
  w.Key("error");
  w.BeginObject();
  w.Key("message");
  w.String(message);
  w.Key("internal_message");
  w.String(internal_message);
  w.Key("failure_type");
  w.String(failure_type);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  EndLine();
  Flush();
}

void AirbyteOutput::StreamStatus(const v1::StreamDescriptor& stream, std::string_view status) {
  Line(StreamStatusJson(stream, status));
}

std::string StreamStatusJson(const v1::StreamDescriptor& stream, std::string_view status) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("type");
  w.String("TRACE");
  w.Key("trace");
  w.BeginObject();
  w.Key("type");
  w.String("STREAM_STATUS");
  w.Key("emitted_at");
  w.Int64(NowMillis());
  w.Key("stream_status");
  w.BeginObject();
  w.Key("stream_descriptor");
  Descriptor(w, stream);
  w.Key("status");
  w.String(status);
  w.EndObject();
  w.EndObject();
  w.EndObject();
  return out;
}

void AirbyteOutput::Estimate(const v1::Estimate& estimate) {
  JsonWriter w(BeginLine());
  w.BeginObject();
  w.Key("type");
  w.String("TRACE");
  w.Key("trace");
  w.BeginObject();
  w.Key("type");
  w.String("ESTIMATE");
  w.Key("emitted_at");
  w.Int64(NowMillis());
  w.Key("estimate");
  w.BeginObject();
  w.Key("name");
  w.String(estimate.stream().name());
  if (!estimate.stream().namespace_().empty()) {
    w.Key("namespace");
    w.String(estimate.stream().namespace_());
  }
  w.Key("type");
  w.String("STREAM");
  w.Key("row_estimate");
  w.Int64(estimate.row_estimate());
  w.Key("byte_estimate");
  w.Int64(estimate.byte_estimate());
  w.EndObject();
  w.EndObject();
  w.EndObject();
  EndLine();
}

void AirbyteOutput::State(const v1::Checkpoint& checkpoint, uint64_t cursor_record_count,
                          const StateExtras* extras) {
  Line(StateMessageJson(checkpoint, cursor_record_count, extras));
  Flush();
}

std::string StateMessageJson(const v1::Checkpoint& checkpoint, uint64_t cursor_record_count,
                             const StateExtras* extras) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("type");
  w.String("STATE");
  w.Key("state");
  w.BeginObject();
  w.Key("type");
  if (checkpoint.has_global()) {
    // CDC: one position shared by the streams, and each stream's snapshot progress.
    const v1::GlobalState& global = checkpoint.global();
    v1::GlobalState shared = global;
    shared.clear_streams();
    w.String("GLOBAL");
    w.Key("global");
    w.BeginObject();
    w.Key("shared_state");
    w.RawValue(ProtoJson(shared));
    w.Key("stream_states");
    w.BeginArray();
    for (const v1::StreamState& stream : global.streams()) {
      w.BeginObject();
      w.Key("stream_descriptor");
      Descriptor(w, stream.stream());
      w.Key("stream_state");
      w.RawValue(ProtoJson(stream));
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  } else {
    w.String("STREAM");
    w.Key("stream");
    w.BeginObject();
    w.Key("stream_descriptor");
    Descriptor(w, checkpoint.state().stream());
    w.Key("stream_state");
    w.RawValue(StreamStateJson(checkpoint.state(), cursor_record_count));
    w.EndObject();
  }
  w.Key("sourceStats");
  w.BeginObject();
  w.Key("recordCount");
  w.Double(static_cast<double>(extras != nullptr ? extras->record_count
                                                 : checkpoint.records_since_last_checkpoint()));
  w.EndObject();
  if (extras != nullptr) {
    w.Key("id");
    w.Int64(extras->id);
    w.Key("partition_id");
    w.String(extras->partition_id);
  }
  w.EndObject();
  w.EndObject();
  return out;
}

std::string_view AirbyteLogLevel(v1::LogLevel level) {
  switch (level) {
    case v1::LOG_LEVEL_DEBUG: return "DEBUG";
    case v1::LOG_LEVEL_WARN: return "WARN";
    case v1::LOG_LEVEL_ERROR: return "ERROR";
    default: return "INFO";
  }
}

}  // namespace tsdb_source::client
