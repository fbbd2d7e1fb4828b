#include "tests/testing/chunk_records_check.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"

namespace tsdb_source::testing {
namespace {

std::string StreamKey(const v1::StreamDescriptor& d) {
  return absl::StrCat(d.namespace_(), ".", d.name());
}

}  // namespace

ChunkRecordsCheck CheckChunkRecords(const std::vector<v1::ReadResponse>& events, bool completed) {
  ChunkRecordsCheck out;
  std::set<std::string> ended, end_covered;
  std::map<std::string, std::set<std::string>> open;  // stream -> chunks open
  auto fail = [&](size_t i, const std::string& key, const std::string& what) {
    out.violations.push_back(absl::StrCat("event ", i, ", ", key, ": ", what));
  };
  for (size_t i = 0; i < events.size(); ++i) {
    const v1::ReadResponse& e = events[i];
    if (e.has_records()) {
      const std::string stream = StreamKey(e.records().stream());
      const std::string key = absl::StrCat(stream, "|", e.records().chunk());
      if (ended.count(key) > 0) fail(i, key, "a batch after the chunk's ChunkEnd");
      out.emitted[key] += e.records().row_count();
      open[stream].insert(e.records().chunk());
      out.max_open = std::max(out.max_open, open[stream].size());
    } else if (e.has_chunk_end()) {
      const std::string stream = StreamKey(e.chunk_end().stream());
      const std::string key = absl::StrCat(stream, "|", e.chunk_end().chunk());
      ++out.chunk_ends;
      if (e.chunk_end().stream().name().empty()) fail(i, key, "a ChunkEnd without its stream");
      if (!ended.insert(key).second) fail(i, key, "a second ChunkEnd");
      const uint64_t left = out.emitted[key] - out.covered[key];
      if (e.chunk_end().records() != left) {
        fail(i, key, absl::StrCat("ChunkEnd says ", e.chunk_end().records(), " records not covered, ",
                                  left, " are"));
      }
      open[stream].erase(e.chunk_end().chunk());
    } else if (e.has_checkpoint()) {
      std::set<std::string> listed;
      for (const v1::ChunkRecords& c : e.checkpoint().chunks()) {
        const std::string key = absl::StrCat(StreamKey(c.stream()), "|", c.chunk());
        ++out.entries;
        if (c.stream().name().empty()) fail(i, key, "an entry without its stream");
        if (!listed.insert(key).second) fail(i, key, "listed twice in one checkpoint");
        if (c.records() == 0 && !c.ended()) fail(i, key, "an entry of 0 records that ends nothing");
        out.covered[key] += c.records();
        if (out.covered[key] > out.emitted[key]) {
          fail(i, key, absl::StrCat(out.covered[key], " records covered, ", out.emitted[key],
                                    " emitted"));
        }
        if (!c.ended()) continue;
        ++out.ended_entries;
        if (ended.count(key) == 0) fail(i, key, "ended before its ChunkEnd");
        if (!end_covered.insert(key).second) fail(i, key, "ended twice");
        if (out.covered[key] != out.emitted[key]) {
          fail(i, key, absl::StrCat("ended with ", out.emitted[key] - out.covered[key],
                                    " records not covered"));
        }
      }
    }
  }
  if (!completed) return out;
  for (const auto& [key, rows] : out.emitted) {
    if (out.covered[key] != rows) {
      fail(events.size(), key, absl::StrCat(rows, " records emitted, ", out.covered[key], " covered"));
    }
    if (ended.count(key) == 0) fail(events.size(), key, "never ended (no ChunkEnd)");
  }
  for (const std::string& key : ended) {
    if (end_covered.count(key) == 0) fail(events.size(), key, "its end never covered");
  }
  return out;
}

}  // namespace tsdb_source::testing
