#include "client/data_channel/protobuf_frames.h"

#include <string>

#include "airbyte_socket/v1/data_channel.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/delimited_message_util.h"
#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

namespace pb = tsdb_source::airbyte_socket::v1;

pb::AirbyteMessageProtobuf DecodeOne(const std::string& frame) {
  google::protobuf::io::ArrayInputStream raw(frame.data(), static_cast<int>(frame.size()));
  google::protobuf::io::CodedInputStream input(&raw);
  pb::AirbyteMessageProtobuf message;
  bool clean_eof = false;
  EXPECT_TRUE(google::protobuf::util::ParseDelimitedFromCodedStream(&message, &input, &clean_eof));
  EXPECT_EQ(input.CurrentPosition(), static_cast<int>(frame.size())) << "bytes after the frame";
  return message;
}

TEST(ProtobufFramesTest, Probe) {
  std::string out = "kept";
  AppendProbeFrame(&out);
  EXPECT_EQ(out, std::string("kept\x02\x1A\x00", 7));
  const pb::AirbyteMessageProtobuf message = DecodeOne(std::string(kProbeFrame));
  EXPECT_EQ(message.type_case(), pb::AirbyteMessageProtobuf::kProbe);
}

TEST(ProtobufFramesTest, ProtocolMessage) {
  std::string out;
  AppendProtocolMessageFrame("{\"type\":\"STATE\"}\n", &out);
  // Length 18; field 2, 16 bytes of JSON (the newline dropped).
  EXPECT_EQ(out, "\x12\x12\x10{\"type\":\"STATE\"}");
  const pb::AirbyteMessageProtobuf message = DecodeOne(out);
  EXPECT_EQ(message.type_case(), pb::AirbyteMessageProtobuf::kAirbyteProtocolMessage);
  EXPECT_EQ(message.airbyte_protocol_message(), "{\"type\":\"STATE\"}");
}

TEST(ProtobufFramesTest, LongAndIllFormedMessages) {
  const std::string json = "{\"x\":\"" + std::string(300, 'a') + "\xFF\"}";
  std::string out;
  AppendProtocolMessageFrame(json, &out);
  // 311 bytes of JSON once U+FFFD replaces the FF byte: length 314 (ba 02), field 2 of 311
  // bytes (b7 02).
  EXPECT_EQ(out.substr(0, 5), "\xBA\x02\x12\xB7\x02");
  EXPECT_EQ(out.size(), 2u + 314u);
  const pb::AirbyteMessageProtobuf message = DecodeOne(out);
  EXPECT_EQ(message.airbyte_protocol_message(),
            "{\"x\":\"" + std::string(300, 'a') + "\xEF\xBF\xBD\"}");
}

}  // namespace
}  // namespace tsdb_source::client
