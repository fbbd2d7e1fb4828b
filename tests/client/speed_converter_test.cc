// The read converter in speed mode over sockets that are buffers: records go to the socket
// of their chunk's partition with its id; each checkpoint becomes one STATE per partition it
// closes, on that socket after its records and on stdout, with consecutive ids and the
// partition's count, the earlier ones carrying the state before the checkpoint; statuses go
// to stdout and (but INCOMPLETE) to a socket; stdout carries no record. Also, in any mode:
// records that cannot be written stop the read.
#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_split.h"
#include "client/read_converter.h"
#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

class BufferSockets : public data_channel::SocketSet {
 public:
  explicit BufferSockets(int n) : bytes(n), usable(n, true) {}
  int size() const override { return static_cast<int>(bytes.size()); }
  std::vector<bool> Usable() const override { return usable; }
  absl::Status Send(int socket, std::string data) override {
    if (!fail.ok()) return fail;
    bytes[socket] += data;
    return absl::OkStatus();
  }
  std::vector<std::string> Lines(int socket) const {
    std::vector<std::string> out = absl::StrSplit(bytes[socket], '\n', absl::SkipEmpty());
    return out;
  }
  std::vector<std::string> bytes;
  std::vector<bool> usable;
  absl::Status fail;
};

std::string ReadAll(FILE* f) {
  std::fflush(f);
  std::rewind(f);
  std::string text;
  char chunk[4096];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0) text.append(chunk, n);
  return text;
}

v1::StreamDescriptor Stream() {
  v1::StreamDescriptor d;
  d.set_namespace_("public");
  d.set_name("conditions");
  return d;
}

v1::ReadResponse Start() {
  v1::ReadResponse r;
  *r.mutable_stream_start()->mutable_stream() = Stream();
  v1::Column* c = r.mutable_stream_start()->add_columns();
  c->set_name("id");
  c->set_kind(v1::VALUE_KIND_INT64);
  return r;
}

v1::ReadResponse Batch(const std::string& chunk, std::vector<int64_t> ids) {
  v1::ReadResponse r;
  v1::RecordBatch* b = r.mutable_records();
  *b->mutable_stream() = Stream();
  b->set_chunk(chunk);
  b->set_row_count(ids.size());
  v1::Int64Values* values = b->add_columns()->mutable_int64s();
  for (int64_t id : ids) values->add_values(id);
  return r;
}

v1::ReadResponse End(const std::string& chunk) {
  v1::ReadResponse r;
  *r.mutable_chunk_end()->mutable_stream() = Stream();
  r.mutable_chunk_end()->set_chunk(chunk);
  return r;
}

// A checkpoint whose state is marked by its `cursor` field (a text), covering `chunks`.
v1::ReadResponse Checkpoint(const std::string& mark,
                            std::vector<std::tuple<std::string, uint64_t, bool>> chunks) {
  v1::ReadResponse r;
  v1::StreamState* s = r.mutable_checkpoint()->mutable_state();
  s->set_version(1);
  *s->mutable_stream() = Stream();
  s->add_cursor_field(mark);
  for (const auto& [chunk, records, ended] : chunks) {
    v1::ChunkRecords* c = r.mutable_checkpoint()->add_chunks();
    *c->mutable_stream() = Stream();
    c->set_chunk(chunk);
    c->set_records(records);
    c->set_ended(ended);
  }
  return r;
}

v1::ReadResponse Status(v1::StreamStatusKind kind) {
  v1::ReadResponse r;
  *r.mutable_status()->mutable_stream() = Stream();
  r.mutable_status()->set_status(kind);
  return r;
}

v1::ReadRequest Request() {
  v1::ReadRequest request;
  v1::ConfiguredStream* s = request.mutable_catalog()->add_streams();
  *s->mutable_stream() = Stream();
  s->set_sync_mode(v1::SYNC_MODE_FULL_REFRESH);
  return request;
}

bool Has(const std::string& line, const std::string& part) {
  return line.find(part) != std::string::npos;
}

TEST(SpeedConverter, RecordsPartitionsAndStatesGoWhereTheDestinationWantsThem) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  BufferSockets sockets(2);
  {
    AirbyteOutput out(f);
    ReadConverter converter(&out);
    converter.UseSockets(&sockets, /*protobuf=*/false, Request(), /*xmin=*/false);
    converter.Handle(Status(v1::STREAM_STATUS_KIND_STARTED));
    converter.Handle(Start());
    converter.Handle(Batch("A", {1, 2}));
    converter.Handle(Batch("B", {10}));
    converter.Handle(Batch("A", {3}));
    converter.Handle(Checkpoint("first", {{"A", 3, false}}));
    converter.Handle(Batch("A", {4}));
    converter.Handle(End("A"));
    converter.Handle(End("B"));
    converter.Handle(Checkpoint("second", {{"A", 1, true}, {"B", 1, true}}));
    converter.Handle(Checkpoint("final", {}));
    converter.Handle(Status(v1::STREAM_STATUS_KIND_COMPLETE));
    EXPECT_TRUE(converter.status().ok()) << converter.status();
    converter.Finish();
    // COMPLETE reaches stdout only once the channel closed cleanly (Completed).
    EXPECT_FALSE(Has(ReadAll(f), R"("status":"COMPLETE")"));
    converter.Completed();
  }
  const std::vector<std::string> s0 = sockets.Lines(0);
  const std::vector<std::string> s1 = sockets.Lines(1);
  // Socket 0: STARTED, A's three records (one partition), its state, A's next record, its
  // state (carrying the state before "second").
  ASSERT_EQ(s0.size(), 7u) << sockets.bytes[0];
  EXPECT_TRUE(Has(s0[0], R"("status":"STARTED")"));
  for (int i = 1; i <= 3; ++i) EXPECT_TRUE(Has(s0[i], R"("type":"RECORD")")) << s0[i];
  const std::string p1 = s0[1].substr(s0[1].find(R"("partition_id":")") + 16, 8);
  EXPECT_TRUE(Has(s0[1], R"("data":{"id":1},"partition_id":")" + p1 + R"("}})")) << s0[1];
  EXPECT_TRUE(Has(s0[3], p1));
  EXPECT_TRUE(Has(s0[4], R"("recordCount":3},"id":1,"partition_id":")" + p1)) << s0[4];
  EXPECT_TRUE(Has(s0[4], R"("cursor_field":["first"])"));
  EXPECT_TRUE(Has(s0[5], R"("data":{"id":4})"));
  EXPECT_FALSE(Has(s0[5], p1)) << "a checkpoint renews the chunk's partition";
  EXPECT_TRUE(Has(s0[6], R"("recordCount":1},"id":2,)")) << s0[6];
  EXPECT_TRUE(Has(s0[6], R"("cursor_field":["first"])")) << "not the last: the state before";
  // Socket 1: B's record and its state (the last of "second"), then, on the socket of the
  // stream's latest state, the final state and COMPLETE.
  ASSERT_EQ(s1.size(), 4u) << sockets.bytes[1];
  EXPECT_TRUE(Has(s1[0], R"("data":{"id":10})"));
  EXPECT_TRUE(Has(s1[1], R"("recordCount":1},"id":3,)")) << s1[1];
  EXPECT_TRUE(Has(s1[1], R"("cursor_field":["second"])"));
  EXPECT_TRUE(Has(s1[2], R"("recordCount":0},"id":4,)")) << s1[2];
  EXPECT_TRUE(Has(s1[2], R"("cursor_field":["final"])"));
  EXPECT_TRUE(Has(s1[3], R"("status":"COMPLETE")"));
  // Stdout: statuses and the four states in id order, no record.
  const std::string stdout_text = ReadAll(f);
  EXPECT_FALSE(Has(stdout_text, R"("type":"RECORD")"));
  std::vector<std::string> lines = absl::StrSplit(stdout_text, '\n', absl::SkipEmpty());
  std::vector<std::string> states;
  for (const std::string& line : lines) {
    if (Has(line, R"("type":"STATE")")) states.push_back(line);
  }
  ASSERT_EQ(states.size(), 4u) << stdout_text;
  EXPECT_EQ(states[0], s0[4]);
  EXPECT_EQ(states[1], s0[6]);
  EXPECT_EQ(states[2], s1[1]);
  EXPECT_EQ(states[3], s1[2]);
  std::fclose(f);
}

TEST(SpeedConverter, TheFirstCheckpointsEarlierPartitionsCarryTheStateTheReadStartedFrom) {
  FILE* f = std::tmpfile();
  BufferSockets sockets(2);
  v1::ReadRequest request = Request();
  {
    AirbyteOutput out(f);
    ReadConverter converter(&out);
    converter.UseSockets(&sockets, false, request, false);
    converter.Handle(Start());
    converter.Handle(Batch("A", {1}));
    converter.Handle(Batch("B", {2}));
    converter.Handle(Checkpoint("new", {{"A", 1, false}, {"B", 1, false}}));
    converter.Finish();
  }
  ASSERT_EQ(sockets.Lines(0).size(), 2u);
  const std::string earlier = sockets.Lines(0)[1];
  // An empty state of the stream's sync mode: version 1, no cursor, no progress.
  EXPECT_TRUE(Has(earlier, R"("tsdb_source":{"version":1,"stream":{"name":"conditions","namespace":"public"},"sync_mode":"SYNC_MODE_FULL_REFRESH"}})"))
      << earlier;
  EXPECT_TRUE(Has(sockets.Lines(1)[1], R"(["new"])"));
  std::fclose(f);
}

TEST(SpeedConverter, CountsThatDoNotAddUpAndFailedSocketsStopTheRead) {
  FILE* f = std::tmpfile();
  BufferSockets sockets(1);
  {
    AirbyteOutput out(f);
    ReadConverter converter(&out);
    converter.UseSockets(&sockets, false, Request(), false);
    converter.Handle(Start());
    converter.Handle(Batch("A", {1, 2}));
    converter.Handle(Checkpoint("x", {{"A", 1, false}}));
    EXPECT_EQ(converter.status().code(), absl::StatusCode::kInternal);
  }
  BufferSockets failing(1);
  failing.fail = absl::UnavailableError("the destination closed /tmp/s0");
  {
    AirbyteOutput out(f);
    ReadConverter converter(&out);
    converter.UseSockets(&failing, false, Request(), false);
    converter.Handle(Start());
    converter.Handle(Batch("A", {1}));
    converter.Handle(Checkpoint("x", {{"A", 1, false}}));
    EXPECT_EQ(converter.status().code(), absl::StatusCode::kUnavailable);
    EXPECT_EQ(converter.status().message(), "the destination closed /tmp/s0");
  }
  std::fclose(f);
}

// A channel that fails after the service's COMPLETE (the destination closed a socket while
// the last records were on their way): the stream ends INCOMPLETE on stdout, never COMPLETE.
TEST(SpeedConverter, AStreamIsCompleteOnlyOnceTheChannelClosedCleanly) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  BufferSockets sockets(1);
  {
    AirbyteOutput out(f);
    ReadConverter converter(&out);
    converter.UseSockets(&sockets, /*protobuf=*/false, Request(), /*xmin=*/false);
    converter.Handle(Status(v1::STREAM_STATUS_KIND_STARTED));
    converter.Handle(Start());
    converter.Handle(Batch("A", {1}));
    converter.Handle(End("A"));
    converter.Handle(Checkpoint("final", {{"A", 1, true}}));
    converter.Handle(Status(v1::STREAM_STATUS_KIND_COMPLETE));
    converter.Finish();
    converter.MarkIncomplete("the destination closed a socket");  // Close failed
  }
  const std::string text = ReadAll(f);
  std::fclose(f);
  EXPECT_FALSE(Has(text, R"("status":"COMPLETE")")) << text;
  EXPECT_TRUE(Has(text, R"("status":"INCOMPLETE")")) << text;
}

// Outside speed mode too: records that cannot be written stop the read (status()) instead
// of being dropped with a log, and no STATE follows them.
TEST(ReadConverterFailures, RecordsThatCannotBeWrittenStopTheRead) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    AirbyteOutput out(f);
    ReadConverter converter(&out);
    converter.Handle(Batch("", {1, 2}));  // no StreamStart: its columns are unknown
    EXPECT_EQ(converter.status().code(), absl::StatusCode::kInternal);
    converter.Handle(Checkpoint("after", {}));
    converter.Finish();
  }
  const std::string text = ReadAll(f);
  std::fclose(f);
  EXPECT_EQ(text.find("\"STATE\""), std::string::npos) << text;
  EXPECT_EQ(text.find("\"RECORD\""), std::string::npos) << text;

  FILE* g = std::tmpfile();
  ASSERT_NE(g, nullptr);
  {
    AirbyteOutput out(g);
    ReadConverter converter(&out);
    converter.Handle(Start());
    v1::ReadResponse bad = Batch("", {1, 2});
    bad.mutable_records()->set_row_count(3);  // more rows than values
    converter.Handle(bad);
    EXPECT_EQ(converter.status().code(), absl::StatusCode::kInternal);
    EXPECT_NE(std::string(converter.status().message()).find("malformed batch"),
              std::string::npos);
    converter.Handle(Checkpoint("after", {}));
    converter.Finish();
  }
  const std::string text2 = ReadAll(g);
  std::fclose(g);
  EXPECT_EQ(text2.find("\"STATE\""), std::string::npos) << text2;
}

}  // namespace
}  // namespace tsdb_source::client
