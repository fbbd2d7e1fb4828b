// AirbyteOutput's buffer: lines formatted through BeginLine/EndLine and lines written in
// place through Reserve/Commit come out whole and in order, across flushes and across
// lines larger than the buffer's first allocation.
#include "client/airbyte_output.h"

#include <cstdio>
#include <cstring>
#include <string>

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

}  // namespace
}  // namespace tsdb_source::client
