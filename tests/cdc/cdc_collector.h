// A ReadSink for CDC tests: keeps every event and, per record, the stream, the first
// column's integer value (the key, or a time bucket as microseconds), whether the record is
// a delete and its commit position (RecordBatch.changes: one entry per row, or one for the
// whole batch). A batch of a stream started with StreamStart.changes but without fitting
// change metadata fails the test.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/session/read_session.h"

namespace tsdb_source::testing {

struct CdcRecord {
  std::string stream;
  int64_t id;
  bool deleted;
  int64_t lsn;
};

struct CdcCollector : ReadSink {
  std::vector<CdcRecord> records;
  std::vector<v1::ReadResponse> events;
  std::map<std::string, int> columns;  // stream -> column count
  std::set<std::string> captured;       // streams started with StreamStart.changes
  // Called after each event is recorded (on the read's thread).
  std::function<void(const v1::ReadResponse&)> on_event;

  bool Emit(const v1::ReadResponse& r) override {
    events.push_back(r);
    if (r.has_stream_start()) {
      columns[r.stream_start().stream().name()] = r.stream_start().columns_size();
      if (r.stream_start().changes()) captured.insert(r.stream_start().stream().name());
    }
    if (r.has_records()) {
      const v1::RecordBatch& b = r.records();
      const v1::ChangeMetadata& c = b.changes();
      const int rows = static_cast<int>(b.row_count());
      if (captured.count(b.stream().name()) != 0) {
        EXPECT_TRUE(c.lsn_size() == 1 || c.lsn_size() == rows) << c.lsn_size() << " of " << rows;
        EXPECT_EQ(c.lsn_size(), c.commit_time_size());
        EXPECT_TRUE(c.deleted_size() == 0 || c.deleted_size() == rows);
      }
      for (int i = 0; i < rows; ++i) {
        const int at = c.lsn_size() == 1 ? 0 : i;
        bool deleted = c.deleted_size() != 0 && c.deleted(i);
        int64_t lsn = c.lsn_size() > at ? static_cast<int64_t>(c.lsn(at)) : 0;
        records.push_back({b.stream().name(), b.columns(0).int64s().values(i), deleted, lsn});
      }
    }
    if (on_event) on_event(r);
    return true;
  }
  const v1::GlobalState* LastGlobal() const {
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->has_checkpoint() && it->checkpoint().has_global()) return &it->checkpoint().global();
    }
    return nullptr;
  }
  // The keys of a stream's records: upserts, or deletes with `deleted`.
  std::multiset<int64_t> Ids(const std::string& stream, bool deleted = false) const {
    std::multiset<int64_t> out;
    for (const CdcRecord& r : records) {
      if (r.stream == stream && r.deleted == deleted) out.insert(r.id);
    }
    return out;
  }
  // The keys of a stream's records that came from the change stream: an _ab_cdc_lsn past
  // `snapshot_lsn`, the position snapshot rows carry.
  std::multiset<int64_t> StreamedIds(const std::string& stream, int64_t snapshot_lsn) const {
    std::multiset<int64_t> out;
    for (const CdcRecord& r : records) {
      if (r.stream == stream && r.lsn > snapshot_lsn) out.insert(r.id);
    }
    return out;
  }
  std::set<std::string> Streams() const {
    std::set<std::string> out;
    for (const CdcRecord& r : records) out.insert(r.stream);
    return out;
  }
  bool Logged(const std::string& text) const { return !LogWith(text).empty(); }
  std::string LogWith(const std::string& text) const {
    for (const auto& e : events) {
      if (e.has_log() && e.log().message().find(text) != std::string::npos) return e.log().message();
    }
    return "";
  }
};

}  // namespace tsdb_source::testing
