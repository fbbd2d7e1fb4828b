#include "client/read_converter.h"

#include "absl/strings/str_cat.h"
#include "client/json/json_writer.h"

namespace tsdb_source::client {

void ReadConverter::Handle(const v1::ReadResponse& response) {
  switch (response.event_case()) {
    case v1::ReadResponse::kStreamStart: {
      const v1::StreamStart& start = response.stream_start();
      StreamInfo& info = streams_[KeyOf(start.stream())];
      info.descriptor = start.stream();
      auto formatter = RecordFormatter::Create(start.columns());
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
      break;
    }
    case v1::ReadResponse::kRecords:
      Records(response.records());
      break;
    case v1::ReadResponse::kCheckpoint:
      out_->State(response.checkpoint());
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
  absl::Status status = info.formatter->StartBatch(batch);
  if (!status.ok()) {
    out_->Log("ERROR", absl::StrCat("malformed batch of stream ", batch.stream().name(), ": ",
                                    std::string(status.message())));
    return;
  }
  std::string emitted_at;
  AppendJsonInt64(NowMillis(), &emitted_at);
  for (uint32_t row = 0; row < batch.row_count(); ++row) {
    std::string* line = out_->BeginLine();
    line->append(info.record_prefix);
    line->append(emitted_at);
    line->append(R"(,"data":)");
    // StartBatch validated the batch, so AppendRow cannot fail for row < row_count.
    (void)info.formatter->AppendRow(row, line);
    line->append("}}");
    out_->EndLine();
  }
  records_ += batch.row_count();
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
