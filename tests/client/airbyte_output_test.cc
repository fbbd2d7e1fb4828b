// AirbyteOutput's buffer: lines formatted through BeginLine/EndLine and lines written in
// place through Reserve/Commit come out whole and in order, across flushes and across
// lines larger than the buffer's first allocation.
#include "client/airbyte_output.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

std::string ReadAll(FILE* f) {
  std::rewind(f);
  std::string text;
  char chunk[65536];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof(chunk), f)) > 0) text.append(chunk, n);
  return text;
}

void WriteInPlace(AirbyteOutput& out, const std::string& line) {
  char* p = out.Reserve(line.size() + 1 + 100);  // more room than used, as the shim asks
  std::memcpy(p, line.data(), line.size());
  p[line.size()] = '\n';
  out.Commit(p + line.size() + 1);
  out.LineDone();
}

TEST(AirbyteOutput, MixedLinesKeepTheirOrderAcrossFlushesAndGrowth) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  std::string expected;
  {
    AirbyteOutput out(f);
    for (int i = 0; i < 30000; ++i) {
      // Lines of every size, one of 3 MB (beyond the first allocation of 1.25 MiB).
      const std::string line = i == 20000 ? std::string(3 << 20, 'x')
                                          : "line " + std::to_string(i) + std::string(i % 97, 'y');
      if (i % 3 == 0) {
        out.BeginLine()->append(line);
        out.EndLine();
      } else if (i % 3 == 1) {
        WriteInPlace(out, line);
      } else {
        // Half in place, the rest through BeginLine: one line.
        const size_t half = line.size() / 2;
        char* p = out.Reserve(half);
        std::memcpy(p, line.data(), half);
        out.Commit(p + half);
        out.BeginLine()->append(line.substr(half));
        out.EndLine();
      }
      expected += line + "\n";
    }
  }  // the destructor flushes
  EXPECT_EQ(ReadAll(f), expected);
  std::fclose(f);
}

TEST(AirbyteOutput, ReserveWithoutCommitWritesNothing) {
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    AirbyteOutput out(f);
    out.BeginLine()->append("first");
    out.EndLine();
    std::memset(out.Reserve(1000), 'z', 1000);  // abandoned
    out.BeginLine()->append("second");
    out.EndLine();
  }
  EXPECT_EQ(ReadAll(f), "first\nsecond\n");
  std::fclose(f);
}

TEST(AirbyteOutput, AWriterGetsWholeLinesAtEachFlush) {
  std::vector<std::string> writes;
  {
    AirbyteOutput out([&](std::string_view bytes) { writes.emplace_back(bytes); });
    out.Line(R"({"a":1})");
    WriteInPlace(out, R"({"b":2})");
    EXPECT_TRUE(writes.empty());
    out.Flush();
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(writes[0], "{\"a\":1}\n{\"b\":2}\n");
    out.Flush();  // nothing more to write: no empty write
    EXPECT_EQ(writes.size(), 1u);
    out.Line("{}");
  }  // the destructor flushes
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[1], "{}\n");
}

TEST(AirbyteOutput, SpeedModesStateNamesItsIdPartitionAndThePartitionsCount) {
  v1::Checkpoint checkpoint;
  checkpoint.mutable_state()->mutable_stream()->set_name("conditions");
  checkpoint.set_records_since_last_checkpoint(500);
  const std::string plain = StateMessageJson(checkpoint, 0, nullptr);
  EXPECT_NE(plain.find(R"("sourceStats":{"recordCount":500})"), std::string::npos) << plain;
  EXPECT_EQ(plain.find("partition_id"), std::string::npos);
  StateExtras extras;
  extras.id = 7;
  extras.partition_id = "Ab3dE6gH";
  extras.record_count = 120;
  const std::string speed = StateMessageJson(checkpoint, 0, &extras);
  EXPECT_NE(speed.find(R"("sourceStats":{"recordCount":120},"id":7,"partition_id":"Ab3dE6gH"})"),
            std::string::npos)
      << speed;
  // Only those fields differ.
  std::string back = speed;
  back.replace(back.find(R"(120},"id":7,"partition_id":"Ab3dE6gH")"),
               std::string(R"(120},"id":7,"partition_id":"Ab3dE6gH")").size(), "500}");
  EXPECT_EQ(back, plain);
}

}  // namespace
}  // namespace tsdb_source::client
