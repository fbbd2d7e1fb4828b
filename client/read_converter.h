// Turns the Read stream into Airbyte messages: StreamStart -> a RecordFormatter per
// stream, RecordBatch -> RECORD lines, Checkpoint -> STATE, statuses, estimates, logs.
// Remembers which streams started so a failed read can mark them INCOMPLETE.
// A value Airbyte's formats cannot represent (NaN, infinities, infinite dates, years past
// 9999; record_json.h) is null in `data`, and the RECORD carries
// meta.changes [{field, change: NULLED, reason: SOURCE_SERIALIZATION_ERROR}] for each such
// column; the first such value of each column of a stream is also a WARN LOG.
// For incremental streams whose cursor column is named (SetCursorColumns), it counts the
// records at the highest cursor value seen, for the cursor_record_count of STATE
// (state_json.h).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/airbyte_output.h"
#include "client/json/record_json.h"
#include "service/airbyte/cdc_columns.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::client {

class ReadConverter final {
 public:
  explicit ReadConverter(AirbyteOutput* out) : out_(out) {}

  // The cursor column of each incremental stream, by (namespace, name) of the configured
  // catalog; an empty namespace matches the stream of that name in any namespace.
  void SetCursorColumns(std::map<std::pair<std::string, std::string>, std::string> columns) {
    cursor_columns_ = std::move(columns);
  }

  // Converts one event; a malformed event (a batch of an unknown stream) becomes an ERROR LOG.
  void Handle(const v1::ReadResponse& response);
  // The read failed: every started, unfinished stream gets an INCOMPLETE status.
  void MarkIncomplete(std::string_view reason);
  // The read ended normally.
  void Finish() { out_->Flush(); }

  uint64_t records() const { return records_; }

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  static Key KeyOf(const v1::StreamDescriptor& d) { return {d.namespace_(), d.name()}; }
  void Records(const v1::RecordBatch& batch);

  // What a RECORD says about a column when one of its values was nulled.
  struct ColumnNote {
    std::string name;
    std::string change;  // {"field":<name>,"change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR"}
    v1::ValueKind kind = v1::VALUE_KIND_UNSPECIFIED;  // of the elements, for arrays
    bool array = false;
    bool warned = false;  // the WARN LOG of this column was written
  };
  struct StreamInfo {
    v1::StreamDescriptor descriptor;
    std::unique_ptr<RecordFormatter> formatter;
    std::string record_prefix;  // {"type":"RECORD","record":{"stream":..,"namespace":..,"emitted_at":
    std::vector<ColumnNote> columns;  // in StreamStart order (then the CDC columns)
    // StreamStart.changes: the rows gain Airbyte's CDC columns (service/airbyte).
    bool changes = false;
    std::unique_ptr<airbyte::CdcValues> cdc_values;
    bool finished = false;
    // The cursor column (integer-encoded kinds only), -1 when none; the highest value seen
    // in this read and how many records had it.
    int cursor_column = -1;
    bool cursor_seen = false;
    int64_t cursor_max = 0;
    uint64_t at_cursor_max = 0;
  };
  void CountCursor(const v1::RecordBatch& batch, StreamInfo* info);
  // Records of this read whose cursor equals the checkpoint's cursor; 0 when unknown.
  uint64_t CursorRecordCount(const v1::Checkpoint& checkpoint) const;
  void SetColumns(const v1::StreamDescriptor& stream,
                  const google::protobuf::RepeatedPtrField<v1::Column>& columns, StreamInfo* info);
  void WarnNulled(const StreamInfo& info, const ColumnNote& column);

  AirbyteOutput* out_;
  std::map<Key, StreamInfo> streams_;
  std::map<Key, std::string> cursor_columns_;
  uint64_t records_ = 0;
  std::vector<int> nulled_;  // columns nulled in the current row (capacity reused)
};

}  // namespace tsdb_source::client
