// A read's progress as one line of text, for a person watching a terminal: the stream being
// read and its place among the catalog's streams, its rows against the row estimate the
// core sends before each stream, the rate, and the time left when the estimate allows one:
//   [0:12] stream 1/2 demo.conditions: 8,192 of ~12,096 rows (67%), 682 rows/s, 0:05 left
// Pure: it is fed the read's events and the time, returns text and writes nothing
// (progress_display.h shows it). Not thread-safe.
//
// What the events allow: per stream an Estimate (rows and bytes from the planner's
// statistics; 0 or less when unknown, and for an incremental read the whole table's, so
// the time left is an upper bound), STARTED / COMPLETE / INCOMPLETE statuses, record
// batches and checkpoints. No event carries a stream's number of chunks or counts the
// chunks done, so the line cannot say "chunk 3 of 14".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/time/time.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::client {

class ReadProgress final {
 public:
  // `streams_total`: the streams of the configured catalog (0 if unknown); `start`: when
  // the read began.
  ReadProgress(int streams_total, absl::Time start)
      : streams_total_(streams_total), start_(start) {}
  ReadProgress(const ReadProgress&) = delete;  // current_ points into streams_
  ReadProgress& operator=(const ReadProgress&) = delete;

  // Takes one event of the read, received at `now`.
  void Observe(const v1::ReadResponse& event, absl::Time now);

  // The progress line at `now`: no newline, no control characters (those of stream names
  // are shown as '?').
  std::string Line(absl::Time now) const;
  // The closing line of a read that ended:
  //   "done: 2 of 2 streams, 13,104 rows in 3.0 s (4,368 rows/s)"
  // with "(1 incomplete)" after the streams when some stopped early.
  std::string Summary(absl::Time now) const;

  absl::Time start() const { return start_; }
  uint64_t rows() const { return rows_; }

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  struct Stream {
    int ordinal = 0;        // 1 for the first stream seen
    std::string name;       // namespace.name
    int64_t estimate = 0;   // rows; <= 0: unknown
    uint64_t rows = 0;
    absl::Time started;
    bool complete = false;
    bool incomplete = false;
  };
  Stream& StreamOf(const v1::StreamDescriptor& descriptor, absl::Time now);

  int streams_total_;
  absl::Time start_;
  std::map<Key, Stream> streams_;
  const Stream* current_ = nullptr;  // the stream of the latest stream event
  uint64_t rows_ = 0;
};

// 1234567 -> "1,234,567".
std::string GroupedNumber(uint64_t n);
// A duration as "M:SS" below an hour, "H:MM:SS" from an hour on (rounded down to seconds;
// negative counts as zero).
std::string ClockDuration(absl::Duration d);

}  // namespace tsdb_source::client
