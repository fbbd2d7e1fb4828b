// Turns the Read stream into Airbyte messages: StreamStart -> a RecordFormatter per
// stream, RecordBatch -> RECORD lines, Checkpoint -> STATE, statuses, estimates, logs.
// Remembers which streams started so a failed read can mark them INCOMPLETE.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "client/airbyte_output.h"
#include "client/json/record_json.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::client {

class ReadConverter final {
 public:
  explicit ReadConverter(AirbyteOutput* out) : out_(out) {}

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

  struct StreamInfo {
    v1::StreamDescriptor descriptor;
    std::unique_ptr<RecordFormatter> formatter;
    std::string record_prefix;  // {"type":"RECORD","record":{"stream":..,"namespace":..,"emitted_at":
    bool finished = false;
  };
  AirbyteOutput* out_;
  std::map<Key, StreamInfo> streams_;
  uint64_t records_ = 0;
};

}  // namespace tsdb_source::client
