// Airbyte protocol output: one AirbyteMessage JSON object per line on stdout (buffered,
// flushed at the end of each command and whenever a state is written), nothing else.
// Converts the typed tsdb_source.v1 messages into their Airbyte form.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include <string_view>
#include "tsdb_source/v1/catalog.pb.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::client {

// Airbyte failure_type values.
inline constexpr std::string_view kConfigError = "config_error";
inline constexpr std::string_view kSystemError = "system_error";
inline constexpr std::string_view kTransientError = "transient_error";

// Milliseconds since the Unix epoch, now.
int64_t NowMillis();

// What speed mode adds to a STATE (docs/design/speed-mode.md): its id, the partition it
// closes and that partition's record count (sourceStats.recordCount).
struct StateExtras {
  int64_t id = 0;
  std::string_view partition_id;
  uint64_t record_count = 0;
};

class AirbyteOutput final {
 public:
  explicit AirbyteOutput(FILE* out) : out_(out) {}
  // Output handed to `write` instead of a file (a socket of the data channel): whole lines,
  // when the buffer is full enough and at each Flush.
  explicit AirbyteOutput(std::function<void(std::string_view)> write)
      : out_(nullptr), write_(std::move(write)) {}
  AirbyteOutput(const AirbyteOutput&) = delete;
  AirbyteOutput& operator=(const AirbyteOutput&) = delete;
  ~AirbyteOutput() { Flush(); }

  void Spec(const v1::SpecResponse& spec);
  void ConnectionStatus(bool succeeded, std::string_view message);
  // `cdc`: the config's replication method is CDC (Airbyte's _ab_cdc_* columns are added).
  void Catalog(const v1::Catalog& catalog, bool cdc);
  void Log(std::string_view level, std::string_view message);
  void TraceError(std::string_view message, std::string_view internal_message,
                  std::string_view failure_type);
  void StreamStatus(const v1::StreamDescriptor& stream, std::string_view status);
  void Estimate(const v1::Estimate& estimate);
  // A STATE message of type STREAM (its stream_state as state_json.h describes, with
  // `cursor_record_count`) or GLOBAL (CDC), with sourceStats.recordCount.
  // With `extras`, speed mode's fields: recordCount is then the partition's.
  void State(const v1::Checkpoint& checkpoint, uint64_t cursor_record_count = 0,
             const StateExtras* extras = nullptr);
  // Appends a line of JSON already written (a message this output wrote for another).
  void Line(std::string_view json);
  // Appends bytes as they are (whole PROTOBUF frames of the data channel, no newline);
  // flushes when the buffer is full enough, as LineDone.
  void Bytes(std::string_view bytes);
  // A line (without the newline) for the caller to format; EndLine adds it to the buffer.
  std::string* BeginLine();
  void EndLine();
  // Room for `n` more bytes at the end of the buffer, for text written in place (RECORD
  // lines): write at most n bytes from the pointer returned, then Commit the end of what
  // was written. Lines end with '\n' the caller writes; LineDone after each.
  char* Reserve(size_t n);
  void Commit(char* end) { size_ = static_cast<size_t>(end - buffer_.get()); }
  // A whole line was committed: flushes when the buffer is full enough.
  void LineDone();
  void Flush();

 private:
  void Append(std::string_view text);

  FILE* out_;
  std::function<void(std::string_view)> write_;
  std::string line_;  // the line BeginLine hands out
  // The buffer: bytes [0, size_) are to be written, capacity_ are allocated. Not a
  // std::string: growing one fills the new room with zeros, for every line.
  std::unique_ptr<char[]> buffer_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// The JSON of a STATE message (no newline), as AirbyteOutput::State writes it.
std::string StateMessageJson(const v1::Checkpoint& checkpoint, uint64_t cursor_record_count,
                             const StateExtras* extras);
// The JSON of a STREAM_STATUS trace message (no newline), as AirbyteOutput::StreamStatus
// writes it.
std::string StreamStatusJson(const v1::StreamDescriptor& stream, std::string_view status);

// The Airbyte JSON of one stream (AirbyteStream), TimescaleDB metadata under "timescaledb".
// `cdc`: a CDC connection's stream (service/airbyte/cdc_columns.h).
std::string AirbyteStreamJson(const v1::Stream& stream, bool cdc = false);

// Airbyte's name of a log level ("INFO", ...).
std::string_view AirbyteLogLevel(v1::LogLevel level);

}  // namespace tsdb_source::client
