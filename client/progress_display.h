// Shows a read's progress (progress.h) on a terminal: one line on stderr, rewritten in place
// ("\r", padded with spaces over the previous text) at most once per interval and cut to
// the terminal's width (a wrapped line could not be rewritten). At the end the line gives
// way to the read's summary, ended by a newline (a read that completed), or is erased (a
// failed read: its error message follows on a clean line). It writes to the FILE it is
// given and nowhere else; ForStderr shows it only on a terminal, so CI logs and the
// Airbyte platform never see it. Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "client/progress.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source::client {

class ProgressDisplay final {
 public:
  using Clock = std::function<absl::Time()>;
  struct Options {
    absl::Duration interval = absl::Milliseconds(250);  // between two updates, at least
    size_t width = 80;                                  // terminal columns
  };

  // Shows the progress of a read of `streams_total` streams on `terminal`, timed by `clock`.
  ProgressDisplay(int streams_total, FILE* terminal, Clock clock, Options options);

  // A display on stderr when stderr is a terminal and stdout is not; null otherwise (when
  // stdout is the same terminal, the messages themselves scroll by, and a rewritten line
  // would be torn by them).
  static std::unique_ptr<ProgressDisplay> ForStderr(int streams_total);

  // Takes one event of the read; rewrites the line when `interval` has passed since the
  // last update (or since the start, for the first one).
  void Observe(const v1::ReadResponse& event);
  // The read ended: `completed` writes the summary line, otherwise the line is erased.
  void Finish(bool completed);

 private:
  void Show(std::string text, bool final);

  ReadProgress progress_;
  FILE* terminal_;
  Clock clock_;
  Options options_;
  absl::Time last_update_;
  size_t shown_columns_ = 0;  // of the line on the terminal now
};

}  // namespace tsdb_source::client
