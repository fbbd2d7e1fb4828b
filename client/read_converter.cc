#include "client/read_converter.h"

#include <algorithm>
#include <cstring>

#include <set>

#include "absl/strings/str_cat.h"
#include "client/data_channel/protobuf_frames.h"
#include "client/json/json_writer.h"
#include "service/airbyte/cdc_columns.h"

namespace tsdb_source::client {
namespace {

// Why values of a kind can be nulled (record_json.h).
const char* NulledReason(v1::ValueKind kind) {
  switch (kind) {
    case v1::VALUE_KIND_DOUBLE:
    case v1::VALUE_KIND_NUMERIC:
      return "NaN or Infinity";
    case v1::VALUE_KIND_DATE:
      return "infinite date or year past 9999";
    case v1::VALUE_KIND_TIMESTAMP:
    case v1::VALUE_KIND_TIMESTAMPTZ:
      return "infinite timestamp or year past 9999";
    case v1::VALUE_KIND_TIME:
      return "time outside 00:00:00 to 24:00:00";
    default:
      return "no JSON form";
  }
}

}  // namespace

void ReadConverter::SetColumns(const v1::StreamDescriptor& stream,
                               const google::protobuf::RepeatedPtrField<v1::Column>& columns,
                               StreamInfo* info) {
  // A stream started again keeps its warnings: one per column and read.
  std::set<std::string> warned;
  for (const ColumnNote& column : info->columns) {
    if (column.warned) warned.insert(column.name);
  }
  info->columns.clear();
  info->columns.reserve(columns.size());
  info->cursor_column = -1;
  auto cursor = cursor_columns_.find(KeyOf(stream));
  if (cursor == cursor_columns_.end()) cursor = cursor_columns_.find({"", stream.name()});
  for (int i = 0; cursor != cursor_columns_.end() && i < columns.size(); ++i) {
    const v1::Column& c = columns.Get(i);
    if (c.name() != cursor->second) continue;
    if (c.kind() == v1::VALUE_KIND_INT64 || c.kind() == v1::VALUE_KIND_TIMESTAMP ||
        c.kind() == v1::VALUE_KIND_TIMESTAMPTZ || c.kind() == v1::VALUE_KIND_DATE) {
      info->cursor_column = i;
    }
  }
  for (const v1::Column& c : columns) {
    ColumnNote column;
    column.name = c.name();
    column.change = R"({"field":)";
    AppendJsonString(c.name(), &column.change);
    column.change += R"(,"change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR"})";
    column.array = c.kind() == v1::VALUE_KIND_ARRAY;
    column.kind = column.array ? c.element_kind() : c.kind();
    column.warned = warned.count(c.name()) != 0;
    info->columns.push_back(std::move(column));
  }
}

void ReadConverter::WarnNulled(const StreamInfo& info, const ColumnNote& column) {
  const v1::StreamDescriptor& d = info.descriptor;
  out_->Log("WARN", absl::StrCat(
                        "stream ", d.namespace_().empty() ? "" : absl::StrCat(d.namespace_(), "."),
                        d.name(), ": column \"", column.name, "\" has ",
                        column.array ? "array elements" : "values",
                        " not representable in Airbyte's format (", NulledReason(column.kind),
                        "); they are emitted as null and their records carry meta.changes "
                        "(NULLED, SOURCE_SERIALIZATION_ERROR)"));
}

void ReadConverter::Handle(const v1::ReadResponse& response) {
  // After a failure nothing more is converted: no STATE may follow records that were not
  // written.
  if (!status().ok()) return;
  switch (response.event_case()) {
    case v1::ReadResponse::kStreamStart: {
      const v1::StreamStart& start = response.stream_start();
      StreamInfo& info = streams_[KeyOf(start.stream())];
      info.descriptor = start.stream();
      // A stream read by change data capture gains Airbyte's _ab_cdc_* columns, made from
      // each batch's RecordBatch.changes.
      info.changes = start.changes();
      if (info.changes && info.cdc_values == nullptr) {
        info.cdc_values = std::make_unique<airbyte::CdcValues>();
      }
      google::protobuf::RepeatedPtrField<v1::Column> columns = start.columns();
      if (info.changes) columns.MergeFrom(airbyte::CdcColumns());
      auto formatter = RecordFormatter::Create(columns);
      if (!formatter.ok()) {
        // Its records could not be written: the read stops rather than lose them.
        Fail(absl::InternalError(absl::StrCat("cannot format stream ", start.stream().name(),
                                              ": ", formatter.status().message())));
        info.formatter.reset();
        break;
      }
      info.formatter = std::make_unique<RecordFormatter>(*std::move(formatter));
      info.record_prefix.clear();
      info.record_prefix += R"({"type":"RECORD","record":{"stream":)";
      AppendJsonString(start.stream().name(), &info.record_prefix);
      if (!start.stream().namespace_().empty()) {
        info.record_prefix += R"(,"namespace":)";
        AppendJsonString(start.stream().namespace_(), &info.record_prefix);
      }
      info.record_prefix += R"(,"emitted_at":)";
      SetColumns(start.stream(), columns, &info);
      info.encoder.reset();
      if (speed_ != nullptr && speed_->protobuf) {
        auto fields = configured_fields_.find(KeyOf(start.stream()));
        if (fields == configured_fields_.end()) {
          fields = configured_fields_.find({"", start.stream().name()});
        }
        auto encoder = ProtobufRecordEncoder::Create(
            start.stream(), start.columns(), start.changes(), NowMillis(),
            fields == configured_fields_.end() ? nullptr : &fields->second);
        if (!encoder.ok()) {
          // The read cannot go on without losing this stream's records.
          if (speed_->error.ok()) {
            speed_->error = absl::Status(
                encoder.status().code(),
                absl::StrCat("cannot encode stream ", start.stream().name(), " as PROTOBUF: ",
                             encoder.status().message()));
          }
          break;
        }
        info.encoder = std::make_unique<ProtobufRecordEncoder>(*std::move(encoder));
      }
      break;
    }
    case v1::ReadResponse::kRecords:
      Records(response.records());
      break;
    case v1::ReadResponse::kCheckpoint:
      if (speed_ != nullptr) {
        SpeedCheckpoint(response.checkpoint());
        break;
      }
      out_->State(response.checkpoint(), CursorRecordCount(response.checkpoint()));
      break;
    case v1::ReadResponse::kChunkEnd:
      if (speed_ != nullptr) {
        speed_->router.ChunkEnded(KeyOf(response.chunk_end().stream()),
                                  response.chunk_end().chunk());
      }
      break;
    case v1::ReadResponse::kStatus: {
      const v1::StreamStatus& status = response.status();
      std::string_view name = "RUNNING";
      switch (status.status()) {
        case v1::STREAM_STATUS_KIND_STARTED: name = "STARTED"; break;
        case v1::STREAM_STATUS_KIND_RUNNING: name = "RUNNING"; break;
        case v1::STREAM_STATUS_KIND_COMPLETE: name = "COMPLETE"; break;
        case v1::STREAM_STATUS_KIND_INCOMPLETE: name = "INCOMPLETE"; break;
        default: break;
      }
      StreamInfo& info = streams_[KeyOf(status.stream())];
      info.descriptor = status.stream();
      if (!status.reason().empty()) {
        out_->Log("WARN", absl::StrCat("stream ", status.stream().name(), ": ", status.reason()));
      }
      if (speed_ != nullptr && status.status() != v1::STREAM_STATUS_KIND_INCOMPLETE) {
        SpeedStatus(status.stream(), name);
        if (status.status() == v1::STREAM_STATUS_KIND_COMPLETE) {
          // Complete only once its records are through the sockets (Completed).
          speed_->completed.push_back(KeyOf(status.stream()));
          break;
        }
      }
      if (status.status() == v1::STREAM_STATUS_KIND_COMPLETE ||
          status.status() == v1::STREAM_STATUS_KIND_INCOMPLETE) {
        info.finished = true;
      }
      out_->StreamStatus(status.stream(), name);
      break;
    }
    case v1::ReadResponse::kEstimate:
      out_->Estimate(response.estimate());
      break;
    case v1::ReadResponse::kLog:
      out_->Log(AirbyteLogLevel(response.log().level()), response.log().message());
      break;
    case v1::ReadResponse::kSummary: {
      const v1::StreamSummary& s = response.summary();
      out_->Log("INFO", absl::StrCat("stream ", s.stream().namespace_(), ".", s.stream().name(),
                                     ": ", s.rows(), " rows, ", s.bytes(), " bytes, ",
                                     s.chunks_read(), " chunks read, ", s.chunks_skipped(),
                                     " skipped, ", s.retries(), " retries, ", s.seconds(), " s"));
      break;
    }
    default:
      break;
  }
}

void ReadConverter::Records(const v1::RecordBatch& batch) {
  auto it = streams_.find(KeyOf(batch.stream()));
  if (it == streams_.end() || it->second.formatter == nullptr) {
    Fail(absl::InternalError(absl::StrCat("records of stream ", batch.stream().name(),
                                          " arrived without its columns")));
    return;
  }
  StreamInfo& info = it->second;
  if (speed_ != nullptr && speed_->protobuf) {
    // The encoder validates the batch itself (protobuf_records.h).
    auto route = RouteBatch(batch);
    if (!route.has_value()) return;
    ProtobufRecords(batch, route->partition_id, &speed_->outputs.out(route->socket), &info);
    return;
  }
  absl::Status status;
  if (info.changes) {
    status = info.cdc_values->Fill(batch);
    if (status.ok()) status = info.formatter->StartBatch(batch, {info.cdc_values->columns(), 3});
  } else {
    status = info.formatter->StartBatch(batch);
  }
  if (!status.ok()) {
    Fail(absl::InternalError(absl::StrCat("malformed batch of stream ", batch.stream().name(),
                                          ": ", status.message())));
    return;
  }
  // Where the lines go, and how each ends after its data (and meta): "}}", or in speed
  // mode with the partition id inside the record.
  AirbyteOutput* out = out_;
  std::string_view close = "}}";
  if (speed_ != nullptr) {
    auto route = RouteBatch(batch);
    if (!route.has_value()) return;
    out = &speed_->outputs.out(route->socket);
    speed_->record_close.assign(R"(,"partition_id":)");
    AppendJsonString(route->partition_id, &speed_->record_close);
    speed_->record_close.append("}}");
    close = speed_->record_close;
  }
  // What every RECORD line of the batch starts with, up to its data object.
  std::string prefix = info.record_prefix;
  AppendJsonInt64(NowMillis(), &prefix);
  prefix.append(R"(,"data":)");
  const RecordFormatter& formatter = *info.formatter;
  // The end of a line whose row had nulled values: meta.changes names their columns.
  auto append_changes = [&](std::string* line) {
    line->append(R"(,"meta":{"changes":[)");
    for (size_t k = 0; k < nulled_.size(); ++k) {
      if (k != 0) line->push_back(',');
      line->append(info.columns[nulled_[k]].change);
    }
    line->append("]}");
    line->append(close);
  };
  for (uint32_t row = 0; row < batch.row_count(); ++row) {
    nulled_.clear();
    // StartBatch validated the batch, so writing row < row_count cannot fail.
    if (formatter.has_row_writer()) {
      // In place: the prefix, the data object, and the close and newline when nothing was
      // nulled.
      char* const begin = out->Reserve(prefix.size() + formatter.RowBound(row) + close.size() + 1);
      std::memcpy(begin, prefix.data(), prefix.size());
      char* p = formatter.WriteRow(row, begin + prefix.size(), &nulled_);
      if (nulled_.empty()) {
        std::memcpy(p, close.data(), close.size());
        p[close.size()] = '\n';
        out->Commit(p + close.size() + 1);
        out->LineDone();
        continue;
      }
      out->Commit(p);
      append_changes(out->BeginLine());  // the rest of the line
      out->EndLine();
    } else {
      std::string* line = out->BeginLine();
      line->append(prefix);
      (void)formatter.AppendRow(row, line, &nulled_);
      if (nulled_.empty()) {
        line->append(close);
        out->EndLine();
        continue;
      }
      append_changes(line);
      out->EndLine();
    }
    for (int column : nulled_) {
      ColumnNote& note = info.columns[column];
      if (note.warned) continue;
      note.warned = true;
      WarnNulled(info, note);
    }
  }
  records_ += batch.row_count();
  if (info.cursor_column >= 0) CountCursor(batch, &info);
}

std::optional<data_channel::PartitionRouter::Route> ReadConverter::RouteBatch(
    const v1::RecordBatch& batch) {
  if (batch.row_count() == 0) return std::nullopt;
  auto route = speed_->router.Records(KeyOf(batch.stream()), batch.chunk(), batch.row_count(),
                                      speed_->outputs.sockets().Usable());
  if (!route.ok()) {
    if (speed_->error.ok()) speed_->error = route.status();
    return std::nullopt;
  }
  return *std::move(route);
}

void ReadConverter::ProtobufRecords(const v1::RecordBatch& batch,
                                    std::string_view partition_id, AirbyteOutput* out,
                                    StreamInfo* info) {
  if (info->encoder == nullptr) return;  // its Create failed: the error is speed_->error
  speed_->frames.clear();
  absl::Status status = info->encoder->AppendBatch(batch, partition_id, &speed_->frames, &nulled_);
  if (!status.ok()) {
    // The router counted these records: the read must stop rather than lose them.
    if (speed_->error.ok()) {
      speed_->error = absl::InvalidArgumentError(absl::StrCat(
          "malformed batch of stream ", batch.stream().name(), ": ", status.message()));
    }
    return;
  }
  out->Bytes(speed_->frames);
  for (int column : nulled_) {
    ColumnNote& note = info->columns[column];
    if (note.warned) continue;
    note.warned = true;
    WarnNulled(*info, note);
  }
  records_ += batch.row_count();
  if (info->cursor_column >= 0) CountCursor(batch, info);
}

void ReadConverter::CountCursor(const v1::RecordBatch& batch, StreamInfo* info) {
  if (info->cursor_column >= batch.columns_size()) return;
  const v1::ColumnValues& column = batch.columns(info->cursor_column);
  if (!column.has_int64s()) return;
  const auto& values = column.int64s().values();
  const std::string& nulls = column.null_bitmap();
  const uint32_t rows = std::min<uint32_t>(batch.row_count(), values.size());
  for (uint32_t row = 0; row < rows; ++row) {
    if (!nulls.empty() && row / 8 < nulls.size() &&
        ((static_cast<unsigned char>(nulls[row / 8]) >> (row % 8)) & 1)) {
      continue;
    }
    const int64_t v = values[row];
    if (!info->cursor_seen || v > info->cursor_max) {
      info->cursor_seen = true;
      info->cursor_max = v;
      info->at_cursor_max = 1;
    } else if (v == info->cursor_max) {
      ++info->at_cursor_max;
    }
  }
}

uint64_t ReadConverter::CursorRecordCount(const v1::Checkpoint& checkpoint) const {
  if (!checkpoint.has_state() || !checkpoint.state().has_cursor()) return 0;
  const v1::ScalarValue& cursor = checkpoint.state().cursor();
  if (cursor.value_case() != v1::ScalarValue::kInt64Value) return 0;
  auto it = streams_.find(KeyOf(checkpoint.state().stream()));
  if (it == streams_.end() || !it->second.cursor_seen) return 0;
  return it->second.cursor_max == cursor.int64_value() ? it->second.at_cursor_max : 0;
}

void ReadConverter::UseSockets(data_channel::SocketSet* sockets, bool protobuf,
                               const v1::ReadRequest& request, bool xmin) {
  // The StreamState.version this release writes (service/read/stream_plan.h).
  constexpr uint32_t kStateVersion = 1;
  speed_ = std::make_unique<Speed>(sockets);
  speed_->protobuf = protobuf;
  // The states the read starts from are the states before its first checkpoints; a stream
  // without one starts from an empty state of its sync mode, which reads it from the start.
  for (const v1::ConfiguredStream& configured : request.catalog().streams()) {
    v1::Checkpoint checkpoint;
    v1::StreamState* state = checkpoint.mutable_state();
    state->set_version(kStateVersion);
    *state->mutable_stream() = configured.stream();
    state->set_sync_mode(configured.sync_mode());
    for (const std::string& field : configured.cursor_field()) state->add_cursor_field(field);
    if (xmin) state->mutable_xmin();
    speed_->previous[KeyOf(configured.stream())] = {std::move(checkpoint), 0};
  }
  for (const v1::StreamState& state : request.state()) {
    v1::Checkpoint checkpoint;
    *checkpoint.mutable_state() = state;
    speed_->previous[KeyOf(state.stream())] = {std::move(checkpoint), 0};
  }
  v1::Checkpoint global;
  if (request.has_global_state()) {
    *global.mutable_global() = request.global_state();
  } else {
    global.mutable_global()->set_version(kStateVersion);
  }
  speed_->previous[Key{}] = {std::move(global), 0};
}

void ReadConverter::Fail(absl::Status error) {
  if (error_.ok()) error_ = std::move(error);
}

absl::Status ReadConverter::status() const {
  if (!error_.ok()) return error_;
  if (speed_ == nullptr) return absl::OkStatus();
  if (!speed_->error.ok()) return speed_->error;
  return speed_->outputs.status();
}

void ReadConverter::Completed() {
  if (speed_ == nullptr) return;
  for (const Key& key : speed_->completed) {
    StreamInfo& info = streams_[key];
    if (info.finished) continue;
    info.finished = true;
    out_->StreamStatus(info.descriptor, "COMPLETE");
  }
  speed_->completed.clear();
  out_->Flush();
}

void ReadConverter::Finish() {
  if (speed_ != nullptr) speed_->outputs.FlushAll();
  out_->Flush();
}

const v1::Checkpoint& ReadConverter::PreviousCheckpoint(const Key& key, bool global) {
  return speed_->previous[global ? Key{} : key].first;
}

void ReadConverter::SendMessage(int socket, std::string_view json) {
  AirbyteOutput& out = speed_->outputs.out(socket);
  if (speed_->protobuf) {
    speed_->frames.clear();
    AppendProtocolMessageFrame(json, &speed_->frames);
    out.Bytes(speed_->frames);
  } else {
    out.Line(json);
  }
  out.Flush();  // as the Bulk CDK: a message other than a record goes at once
}

void ReadConverter::SpeedCheckpoint(const v1::Checkpoint& checkpoint) {
  const bool global = checkpoint.has_global();
  const Key key = global ? Key{} : KeyOf(checkpoint.state().stream());
  std::vector<data_channel::ChunkCoverage> chunks;
  chunks.reserve(checkpoint.chunks_size());
  for (const v1::ChunkRecords& c : checkpoint.chunks()) {
    chunks.push_back({KeyOf(c.stream()), c.chunk(), c.records(), c.ended()});
  }
  auto states = speed_->router.Checkpoint(key, global, chunks);
  if (!states.ok()) {
    if (speed_->error.ok()) speed_->error = states.status();
    return;
  }
  const uint64_t cursor_count = CursorRecordCount(checkpoint);
  auto& previous = speed_->previous[key];
  for (const data_channel::PartitionRouter::State& s : *states) {
    StateExtras extras;
    extras.id = s.id;
    extras.partition_id = s.partition_id;
    extras.record_count = s.records;
    const std::string json =
        s.current ? StateMessageJson(checkpoint, cursor_count, &extras)
                  : StateMessageJson(previous.first, previous.second, &extras);
    // On the socket after its partition's records, then on stdout: the platform holds a
    // state only once the records it covers were handed to the destination's socket.
    SendMessage(speed_->outputs.Pick(s.socket >= 0 ? s.socket : speed_->router.LastSocketOf(key)),
                json);
    out_->Line(json);
  }
  out_->Flush();
  previous = {checkpoint, cursor_count};
}

void ReadConverter::SpeedStatus(const v1::StreamDescriptor& stream, std::string_view status) {
  SendMessage(speed_->outputs.Pick(speed_->router.LastSocketOf(KeyOf(stream))),
              StreamStatusJson(stream, status));
}

void ReadConverter::MarkIncomplete(std::string_view reason) {
  for (auto& [key, info] : streams_) {
    if (info.finished) continue;
    out_->Log("ERROR", absl::StrCat("stream ", info.descriptor.name(), " incomplete: ", std::string(reason)));
    out_->StreamStatus(info.descriptor, "INCOMPLETE");
    info.finished = true;
  }
  out_->Flush();
}

}  // namespace tsdb_source::client
