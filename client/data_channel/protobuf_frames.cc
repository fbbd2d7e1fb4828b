#include "client/data_channel/protobuf_frames.h"

#include "client/data_channel/wire_format.h"
#include "client/json/json_writer.h"

namespace tsdb_source::client {
namespace {

// AirbyteMessageProtobuf.airbyte_protocol_message.
constexpr uint8_t kProtocolMessage = Tag(2, kWireLengthDelimited);

}  // namespace

void AppendProbeFrame(std::string* out) { out->append(kProbeFrame.data(), kProbeFrame.size()); }

void AppendProtocolMessageFrame(std::string_view json, std::string* out) {
  if (!json.empty() && json.back() == '\n') json.remove_suffix(1);
  std::string replaced;
  if (!IsWellFormedUtf8(json)) {
    AppendUtf8Replacing(json, &replaced);
    json = replaced;
  }
  AppendVarint(LengthDelimitedSize(json.size()), out);
  AppendLengthDelimited(kProtocolMessage, json, out);
}

}  // namespace tsdb_source::client
