// The frames of Airbyte's PROTOBUF socket data channel that are not records
// (docs/design/speed-mode.md 1.1): a classic Airbyte protocol message (STATE, TRACE
// STREAM_STATUS) as its JSON text in AirbyteMessageProtobuf.airbyte_protocol_message, and
// the probe, AirbyteMessageProtobuf{probe {}}. Each is preceded by its length as a varint,
// as records are (protobuf_records.h). proto/airbyte_socket/v1/data_channel.proto has the
// messages.
// Thread-safety: pure functions on the caller's buffer.
#pragma once

#include <string>
#include <string_view>

namespace tsdb_source::client {

// The probe frame: length 2, then field 3 (probe) holding an empty message.
inline constexpr std::string_view kProbeFrame("\x02\x1A\x00", 3);

// Appends kProbeFrame.
void AppendProbeFrame(std::string* out);

// Appends the frame of one Airbyte message given as its JSON text (one object, as an
// AirbyteOutput line). A trailing newline is dropped; ill-formed UTF-8 is replaced by
// U+FFFD (AppendUtf8Replacing), so the string field stays readable.
void AppendProtocolMessageFrame(std::string_view json, std::string* out);

}  // namespace tsdb_source::client
