#include "client/read_converter.h"

#include <algorithm>
#include <cstring>

#include <set>

#include "absl/strings/str_cat.h"
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
        out_->Log("ERROR", absl::StrCat("cannot format stream ", start.stream().name(), ": ",
                                        std::string(formatter.status().message())));
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
      break;
    }
    case v1::ReadResponse::kRecords:
      Records(response.records());
      break;
    case v1::ReadResponse::kCheckpoint:
      out_->State(response.checkpoint(), CursorRecordCount(response.checkpoint()));
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
      if (status.status() == v1::STREAM_STATUS_KIND_COMPLETE ||
          status.status() == v1::STREAM_STATUS_KIND_INCOMPLETE) {
        info.finished = true;
      }
      if (!status.reason().empty()) {
        out_->Log("WARN", absl::StrCat("stream ", status.stream().name(), ": ", status.reason()));
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
    out_->Log("ERROR", absl::StrCat("records of stream ", batch.stream().name(),
                                    " arrived without its columns; dropped"));
    return;
  }
  StreamInfo& info = it->second;
  absl::Status status;
  if (info.changes) {
    status = info.cdc_values->Fill(batch);
    if (status.ok()) status = info.formatter->StartBatch(batch, {info.cdc_values->columns(), 3});
  } else {
    status = info.formatter->StartBatch(batch);
  }
  if (!status.ok()) {
    out_->Log("ERROR", absl::StrCat("malformed batch of stream ", batch.stream().name(), ": ",
                                    std::string(status.message())));
    return;
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
    line->append("]}}}");
  };
  for (uint32_t row = 0; row < batch.row_count(); ++row) {
    nulled_.clear();
    // StartBatch validated the batch, so writing row < row_count cannot fail.
    if (formatter.has_row_writer()) {
      // In place: the prefix, the data object, and "}}\n" when nothing was nulled.
      char* const begin = out_->Reserve(prefix.size() + formatter.RowBound(row) + 3);
      std::memcpy(begin, prefix.data(), prefix.size());
      char* p = formatter.WriteRow(row, begin + prefix.size(), &nulled_);
      if (nulled_.empty()) {
        std::memcpy(p, "}}\n", 3);
        out_->Commit(p + 3);
        out_->LineDone();
        continue;
      }
      out_->Commit(p);
      append_changes(out_->BeginLine());  // the rest of the line
      out_->EndLine();
    } else {
      std::string* line = out_->BeginLine();
      line->append(prefix);
      (void)formatter.AppendRow(row, line, &nulled_);
      if (nulled_.empty()) {
        line->append("}}");
        out_->EndLine();
        continue;
      }
      append_changes(line);
      out_->EndLine();
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
