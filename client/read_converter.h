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
// Speed mode (UseSockets, docs/design/speed-mode.md): RECORDs go to the data channel's
// sockets instead, each with the partition id of its chunk (client/data_channel/
// partition_router.h); a checkpoint becomes one STATE per partition it closes, with its id,
// partition id and record count, on stdout and on the partition's socket; statuses go to
// stdout and (but INCOMPLETE) to a socket; logs and errors stay on stdout.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "client/airbyte_output.h"
#include "client/data_channel/partition_router.h"
#include "client/data_channel/protobuf_records.h"
#include "client/data_channel/socket_outputs.h"
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

  // The fields of each stream the configured catalog lists (its json_schema's properties),
  // by (namespace, name); an empty namespace matches the stream of that name in any
  // namespace. Speed mode's PROTOBUF records hold exactly these (protobuf_records.h).
  void SetConfiguredFields(std::map<std::pair<std::string, std::string>, std::vector<std::string>> fields) {
    configured_fields_ = std::move(fields);
  }

  // Speed mode: records to `sockets` (which must outlive this) as JSON lines, or PROTOBUF
  // frames when `protobuf`. `request` gives the states the read starts from and its
  // catalog: a STATE that closes an earlier partition of a checkpoint carries the state
  // before that checkpoint, which for a stream's first checkpoint is the one the read
  // started from (or an empty one of its sync mode; `xmin`: of replication method Xmin).
  void UseSockets(data_channel::SocketSet* sockets, bool protobuf, const v1::ReadRequest& request,
                  bool xmin);
  // The first failure: records that cannot be written (a stream without columns, one
  // whose columns cannot be formatted, a malformed batch: Internal); in speed mode also a
  // socket (Unavailable), a checkpoint whose counts differ from the records sent
  // (Internal), a configured field the stream lacks (NotFound). The read must stop, and
  // Handle converts nothing more; ok otherwise.
  absl::Status status() const;

  // Converts one event; a malformed one (a batch of an unknown stream) is a failure
  // (status()).
  void Handle(const v1::ReadResponse& response);
  // The read failed: every started, unfinished stream gets an INCOMPLETE status.
  void MarkIncomplete(std::string_view reason);
  // The read ended normally. In speed mode the sockets are then flushed, and the caller
  // closes the channel and calls Completed.
  void Finish();
  // Speed mode: the channel closed cleanly, so every record reached the destination: the
  // streams' COMPLETE statuses, held back until now, go to stdout. (A channel that fails
  // after the service's COMPLETE leaves those streams INCOMPLETE: MarkIncomplete.)
  void Completed();

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
    // Speed mode with PROTOBUF: the stream's records as frames.
    std::unique_ptr<ProtobufRecordEncoder> encoder;
    bool finished = false;
    // The cursor column (integer-encoded kinds only), -1 when none; the highest value seen
    // in this read and how many records had it.
    int cursor_column = -1;
    bool cursor_seen = false;
    int64_t cursor_max = 0;
    uint64_t at_cursor_max = 0;
  };
  void CountCursor(const v1::RecordBatch& batch, StreamInfo* info);
  // Speed mode: the socket and partition of a batch's records; nullopt for an empty batch
  // or after a failure (speed_->error).
  std::optional<data_channel::PartitionRouter::Route> RouteBatch(const v1::RecordBatch& batch);
  // Speed mode's PROTOBUF records of a batch routed to `out` with `partition_id`.
  void ProtobufRecords(const v1::RecordBatch& batch, std::string_view partition_id,
                       AirbyteOutput* out, StreamInfo* info);
  // Speed mode's parts of Handle.
  void SpeedCheckpoint(const v1::Checkpoint& checkpoint);
  void SpeedStatus(const v1::StreamDescriptor& stream, std::string_view status);
  // A message (STATE, status) on a socket, after what the socket was sent before.
  void SendMessage(int socket, std::string_view json);
  // The state before a stream's (or, `global`, the read's) next checkpoint.
  const v1::Checkpoint& PreviousCheckpoint(const Key& key, bool global);

  // What speed mode keeps.
  struct Speed {
    explicit Speed(data_channel::SocketSet* sockets)
        : outputs(sockets),
          router(sockets->size(), data_channel::RandomPartitionId) {}
    data_channel::SocketOutputs outputs;
    data_channel::PartitionRouter router;
    bool protobuf = false;
    absl::Status error;  // a failure of the partitions
    // The latest checkpoint (and its cursor_record_count) per stream, {} for GLOBAL.
    std::map<Key, std::pair<v1::Checkpoint, uint64_t>> previous;
    std::string record_close;  // scratch: ,"partition_id":"<id>"}}
    std::string frames;        // scratch: PROTOBUF frames on their way to a socket's output
    std::vector<Key> completed;  // COMPLETE statuses held back from stdout (Completed)
  };
  std::unique_ptr<Speed> speed_;
  absl::Status error_;  // the first failure outside speed mode's own
  void Fail(absl::Status error);
  // Records of this read whose cursor equals the checkpoint's cursor; 0 when unknown.
  uint64_t CursorRecordCount(const v1::Checkpoint& checkpoint) const;
  void SetColumns(const v1::StreamDescriptor& stream,
                  const google::protobuf::RepeatedPtrField<v1::Column>& columns, StreamInfo* info);
  void WarnNulled(const StreamInfo& info, const ColumnNote& column);

  AirbyteOutput* out_;
  std::map<Key, StreamInfo> streams_;
  std::map<Key, std::string> cursor_columns_;
  std::map<Key, std::vector<std::string>> configured_fields_;
  uint64_t records_ = 0;
  std::vector<int> nulled_;  // columns nulled in the current row (capacity reused)
};

}  // namespace tsdb_source::client
