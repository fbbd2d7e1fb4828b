// Unit tests of the terminal progress line (client/progress_display.h) with an injected
// clock: throttling, rewriting in place, cutting to the width, the summary and erasing.
#include "client/progress_display.h"

#include <cstdio>
#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

v1::ReadResponse Batch(const std::string& name, uint32_t rows) {
  v1::ReadResponse r;
  r.mutable_records()->mutable_stream()->set_name(name);
  r.mutable_records()->set_row_count(rows);
  return r;
}

// A display writing to a temporary file, timed by `now`.
class Display {
 public:
  explicit Display(size_t width = 80) {
    file_ = std::tmpfile();
    ProgressDisplay::Options options;
    options.interval = absl::Milliseconds(250);
    options.width = width;
    display_ = std::make_unique<ProgressDisplay>(1, file_, [this] { return now; }, options);
  }
  ~Display() { std::fclose(file_); }

  ProgressDisplay& operator*() { return *display_; }
  ProgressDisplay* operator->() { return display_.get(); }

  // Everything written so far.
  std::string Written() {
    std::fflush(file_);
    long size = std::ftell(file_);
    std::string text(static_cast<size_t>(size), '\0');
    std::rewind(file_);
    size_t got = std::fread(text.data(), 1, text.size(), file_);
    text.resize(got);
    std::fseek(file_, 0, SEEK_END);
    return text;
  }

  absl::Time now = kStart;

 private:
  FILE* file_;
  std::unique_ptr<ProgressDisplay> display_;
};

TEST(ProgressDisplay, NothingBeforeTheFirstInterval) {
  Display d;
  d.now = kStart + absl::Milliseconds(100);
  d->Observe(Batch("t", 10));
  d.now = kStart + absl::Milliseconds(249);
  d->Observe(Batch("t", 10));
  EXPECT_EQ(d.Written(), "");
}

TEST(ProgressDisplay, AtMostOneUpdatePerInterval) {
  Display d;
  int updates = 0;
  // 1000 events over 2 s, one every 2 ms: 8 updates at most (one per 250 ms).
  for (int i = 1; i <= 1000; ++i) {
    d.now = kStart + absl::Milliseconds(2 * i);
    d->Observe(Batch("t", 1));
  }
  for (char c : d.Written()) updates += c == '\r';
  EXPECT_EQ(updates, 8);
  EXPECT_EQ(d.Written().find('\n'), std::string::npos);
}

TEST(ProgressDisplay, RewritesTheLineInPlaceAndPadsAShorterOne) {
  Display d;
  v1::ReadResponse started;
  started.mutable_status()->mutable_stream()->set_name("a_long_stream_name");
  started.mutable_status()->set_status(v1::STREAM_STATUS_KIND_STARTED);
  d->Observe(started);  // at the start: too early for a line
  d.now = kStart + absl::Seconds(1);
  d->Observe(Batch("a_long_stream_name", 1000));
  const std::string first = d.Written();
  ASSERT_EQ(first, "\r[0:01] stream 1/1 a_long_stream_name: 1,000 rows, 1,000 rows/s");
  d.now = kStart + absl::Seconds(2);
  v1::ReadResponse complete;
  complete.mutable_status()->mutable_stream()->set_name("a_long_stream_name");
  complete.mutable_status()->set_status(v1::STREAM_STATUS_KIND_COMPLETE);
  d->Observe(complete);
  const std::string second = d.Written().substr(first.size());
  // "..., complete" is shorter than "..., 1,000 rows/s": spaces cover the rest.
  const std::string text = "[0:02] stream 1/1 a_long_stream_name: 1,000 rows, complete";
  EXPECT_EQ(second, "\r" + text + std::string(first.size() - 1 - text.size(), ' '));
}

TEST(ProgressDisplay, CutsTheLineToTheTerminalWidth) {
  Display d(/*width=*/20);
  d.now = kStart + absl::Seconds(1);
  d->Observe(Batch("t", 5));
  // "[0:01] stream 1/1 t: 5 rows" in 19 columns: the last one stays free.
  EXPECT_EQ(d.Written(), "\r[0:01] stream 1/1 t");
}

TEST(ProgressDisplay, CutsByCharactersNotBytes) {
  Display d(/*width=*/21);
  d.now = kStart + absl::Seconds(1);
  d->Observe(Batch("\xC3\xA9t\xC3\xA9", 5));  // "été"
  EXPECT_EQ(d.Written(), "\r[0:01] stream 1/1 \xC3\xA9t");
}

TEST(ProgressDisplay, FinishAfterCompletionEndsWithTheSummaryLine) {
  Display d;
  d.now = kStart + absl::Seconds(1);
  d->Observe(Batch("t", 100));
  const size_t shown = d.Written().size();
  d.now = kStart + absl::Seconds(2);
  d->Finish(/*completed=*/true);
  // The summary is longer than the progress line it replaces: no padding is needed.
  EXPECT_EQ(d.Written().substr(shown), "\rdone: 0 of 1 stream, 100 rows in 2.0 s (50 rows/s)\n");
}

TEST(ProgressDisplay, AShortReadStillEndsWithTheSummary) {
  Display d;
  d->Observe(Batch("t", 3));
  d->Finish(/*completed=*/true);
  EXPECT_EQ(d.Written(), "\rdone: 0 of 1 stream, 3 rows in 0.0 s\n");
}

TEST(ProgressDisplay, FinishAfterAFailureErasesTheLine) {
  Display d;
  d.now = kStart + absl::Seconds(1);
  d->Observe(Batch("t", 100));
  const std::string shown = d.Written();
  d->Finish(/*completed=*/false);
  EXPECT_EQ(d.Written().substr(shown.size()),
            "\r" + std::string(shown.size() - 1, ' ') + "\r");
}

TEST(ProgressDisplay, FinishAfterAFailureWithNothingShownWritesNothing) {
  Display d;
  d->Observe(Batch("t", 1));
  d->Finish(/*completed=*/false);
  EXPECT_EQ(d.Written(), "");
}

}  // namespace
}  // namespace tsdb_source::client
