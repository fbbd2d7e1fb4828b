#include "client/progress.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tsdb_source::client {

std::string GroupedNumber(uint64_t n) {
  std::string digits = absl::StrCat(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string ClockDuration(absl::Duration d) {
  int64_t seconds = std::max<int64_t>(absl::ToInt64Seconds(d), 0);
  if (seconds < 3600) return absl::StrFormat("%d:%02d", seconds / 60, seconds % 60);
  return absl::StrFormat("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60);
}

namespace {

// A name as the terminal may show it: control characters (C0, DEL and, in UTF-8, C1 such as
// CSI) become '?', so a table named with an escape sequence cannot drive the terminal.
std::string Printable(std::string name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7F) {
      out.push_back('?');
    } else if (c == 0xC2 && i + 1 < name.size() &&
               static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(name[i + 1]) <= 0x9F) {
      out.push_back('?');
      ++i;
    } else {
      out.push_back(name[i]);
    }
  }
  return out;
}

}  // namespace

ReadProgress::Stream& ReadProgress::StreamOf(const v1::StreamDescriptor& descriptor,
                                             absl::Time now) {
  auto [it, added] = streams_.try_emplace(Key{descriptor.namespace_(), descriptor.name()});
  Stream& stream = it->second;
  if (added) {
    stream.ordinal = static_cast<int>(streams_.size());
    stream.name = Printable(descriptor.namespace_().empty()
                                ? descriptor.name()
                                : absl::StrCat(descriptor.namespace_(), ".", descriptor.name()));
    stream.started = now;
  }
  current_ = &stream;
  return stream;
}

void ReadProgress::Observe(const v1::ReadResponse& event, absl::Time now) {
  switch (event.event_case()) {
    case v1::ReadResponse::kStatus: {
      Stream& stream = StreamOf(event.status().stream(), now);
      if (event.status().status() == v1::STREAM_STATUS_KIND_COMPLETE) stream.complete = true;
      if (event.status().status() == v1::STREAM_STATUS_KIND_INCOMPLETE) stream.incomplete = true;
      break;
    }
    case v1::ReadResponse::kEstimate:
      StreamOf(event.estimate().stream(), now).estimate = event.estimate().row_estimate();
      break;
    case v1::ReadResponse::kStreamStart:
      StreamOf(event.stream_start().stream(), now);
      break;
    case v1::ReadResponse::kRecords:
      StreamOf(event.records().stream(), now).rows += event.records().row_count();
      rows_ += event.records().row_count();
      break;
    default:  // checkpoints, logs and summaries change nothing the line shows
      break;
  }
}

std::string ReadProgress::Line(absl::Time now) const {
  std::string line = absl::StrCat("[", ClockDuration(now - start_), "] ");
  if (current_ == nullptr) return line + "starting";
  const Stream& s = *current_;
  absl::StrAppend(&line, "stream ", s.ordinal);
  if (streams_total_ > 0) absl::StrAppend(&line, "/", streams_total_);
  absl::StrAppend(&line, " ", s.name, ": ", GroupedNumber(s.rows));
  // An estimate already passed was wrong: then only the rows are shown.
  const bool estimated = s.estimate > 0 && s.rows <= static_cast<uint64_t>(s.estimate);
  if (estimated) {
    int percent = static_cast<int>(100 * s.rows / static_cast<uint64_t>(s.estimate));
    if (!s.complete) percent = std::min(percent, 99);
    absl::StrAppend(&line, " of ~", GroupedNumber(s.estimate), " rows (", percent, "%)");
  } else {
    absl::StrAppend(&line, s.rows == 1 ? " row" : " rows");
  }
  if (s.complete) return line + ", complete";
  if (s.incomplete) return line + ", incomplete";
  const double seconds = absl::ToDoubleSeconds(now - s.started);
  if (s.rows == 0 || seconds < 0.001) return line;
  const double rate = static_cast<double>(s.rows) / seconds;
  absl::StrAppend(&line, ", ", GroupedNumber(static_cast<uint64_t>(rate)), " rows/s");
  if (estimated) {
    const double left = static_cast<double>(static_cast<uint64_t>(s.estimate) - s.rows) / rate;
    absl::StrAppend(&line, ", ", ClockDuration(absl::Seconds(left)), " left");
  }
  return line;
}

std::string ReadProgress::Summary(absl::Time now) const {
  int complete = 0;
  int incomplete = 0;
  for (const auto& [key, stream] : streams_) {
    if (stream.complete) ++complete;
    if (stream.incomplete) ++incomplete;
  }
  const int total = streams_total_ > 0 ? streams_total_ : static_cast<int>(streams_.size());
  std::string line = absl::StrCat("done: ", complete, " of ", total,
                                  total == 1 ? " stream" : " streams");
  if (incomplete > 0) absl::StrAppend(&line, " (", incomplete, " incomplete)");
  const absl::Duration elapsed = now - start_;
  const double seconds = absl::ToDoubleSeconds(elapsed);
  absl::StrAppend(&line, ", ", GroupedNumber(rows_), rows_ == 1 ? " row" : " rows", " in ",
                  seconds < 60 ? absl::StrFormat("%.1f s", std::max(seconds, 0.0))
                               : ClockDuration(elapsed));
  if (rows_ > 0 && seconds >= 0.001) {
    absl::StrAppend(&line, " (", GroupedNumber(static_cast<uint64_t>(rows_ / seconds)),
                    " rows/s)");
  }
  return line;
}

}  // namespace tsdb_source::client
