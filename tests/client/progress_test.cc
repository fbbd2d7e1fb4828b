// Unit tests of the progress line of a read (client/progress.h): what it says for each kind
// of event, estimates known, unknown or passed, several streams, and the closing summary.
#include "client/progress.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1700000000);

v1::StreamDescriptor Descriptor(const std::string& ns, const std::string& name) {
  v1::StreamDescriptor d;
  d.set_namespace_(ns);
  d.set_name(name);
  return d;
}

v1::ReadResponse Status(const v1::StreamDescriptor& d, v1::StreamStatusKind kind) {
  v1::ReadResponse r;
  *r.mutable_status()->mutable_stream() = d;
  r.mutable_status()->set_status(kind);
  return r;
}

v1::ReadResponse Estimate(const v1::StreamDescriptor& d, int64_t rows) {
  v1::ReadResponse r;
  *r.mutable_estimate()->mutable_stream() = d;
  r.mutable_estimate()->set_row_estimate(rows);
  return r;
}

v1::ReadResponse Batch(const v1::StreamDescriptor& d, uint32_t rows) {
  v1::ReadResponse r;
  *r.mutable_records()->mutable_stream() = d;
  r.mutable_records()->set_row_count(rows);
  return r;
}

absl::Time At(double seconds) { return kStart + absl::Seconds(seconds); }

TEST(GroupedNumber, SeparatesThousands) {
  EXPECT_EQ(GroupedNumber(0), "0");
  EXPECT_EQ(GroupedNumber(999), "999");
  EXPECT_EQ(GroupedNumber(1000), "1,000");
  EXPECT_EQ(GroupedNumber(1234567), "1,234,567");
  EXPECT_EQ(GroupedNumber(18446744073709551615u), "18,446,744,073,709,551,615");
}

TEST(ClockDuration, MinutesThenHours) {
  EXPECT_EQ(ClockDuration(absl::ZeroDuration()), "0:00");
  EXPECT_EQ(ClockDuration(absl::Milliseconds(59999)), "0:59");
  EXPECT_EQ(ClockDuration(absl::Seconds(61)), "1:01");
  EXPECT_EQ(ClockDuration(absl::Seconds(3599)), "59:59");
  EXPECT_EQ(ClockDuration(absl::Seconds(3600)), "1:00:00");
  EXPECT_EQ(ClockDuration(absl::Seconds(90061)), "25:01:01");
  EXPECT_EQ(ClockDuration(absl::Seconds(-5)), "0:00");
}

TEST(ReadProgress, StartingBeforeAnyStream) {
  ReadProgress progress(2, kStart);
  EXPECT_EQ(progress.Line(At(1.5)), "[0:01] starting");
}

TEST(ReadProgress, RowsOfTheEstimateRateAndTimeLeft) {
  ReadProgress progress(2, kStart);
  auto d = Descriptor("demo", "conditions");
  progress.Observe(Status(d, v1::STREAM_STATUS_KIND_STARTED), At(0));
  progress.Observe(Estimate(d, 12096), At(0));
  EXPECT_EQ(progress.Line(At(0.5)), "[0:00] stream 1/2 demo.conditions: 0 of ~12,096 rows (0%)");
  progress.Observe(Batch(d, 4096), At(2));
  progress.Observe(Batch(d, 4096), At(4));
  // 8,192 rows in 4 s: 2,048 rows/s; 3,904 rows left: 1.9 s.
  EXPECT_EQ(progress.Line(At(4)),
            "[0:04] stream 1/2 demo.conditions: 8,192 of ~12,096 rows (67%), 2,048 rows/s, "
            "0:01 left");
  EXPECT_EQ(progress.rows(), 8192u);
}

TEST(ReadProgress, NeverSaysAHundredPercentBeforeTheStreamCompletes) {
  ReadProgress progress(1, kStart);
  auto d = Descriptor("", "t");
  progress.Observe(Estimate(d, 1000), At(0));
  progress.Observe(Batch(d, 1000), At(1));
  EXPECT_EQ(progress.Line(At(1)), "[0:01] stream 1/1 t: 1,000 of ~1,000 rows (99%), 1,000 rows/s, 0:00 left");
  progress.Observe(Status(d, v1::STREAM_STATUS_KIND_COMPLETE), At(1));
  EXPECT_EQ(progress.Line(At(1)), "[0:01] stream 1/1 t: 1,000 of ~1,000 rows (100%), complete");
}

TEST(ReadProgress, UnknownOrPassedEstimateShowsRowsAndRateOnly) {
  ReadProgress progress(0, kStart);
  auto d = Descriptor("public", "events");
  progress.Observe(Estimate(d, -1), At(0));  // never analyzed
  progress.Observe(Batch(d, 300), At(3));
  EXPECT_EQ(progress.Line(At(3)), "[0:03] stream 1 public.events: 300 rows, 100 rows/s");

  auto e = Descriptor("public", "more");
  progress.Observe(Estimate(e, 100), At(3));  // stale statistics: more rows than estimated
  progress.Observe(Batch(e, 150), At(4));
  EXPECT_EQ(progress.Line(At(4)), "[0:04] stream 2 public.more: 150 rows, 150 rows/s");
  EXPECT_EQ(progress.rows(), 450u);
}

TEST(ReadProgress, FollowsTheLatestStream) {
  ReadProgress progress(2, kStart);
  auto a = Descriptor("demo", "a");
  auto b = Descriptor("demo", "b");
  progress.Observe(Estimate(a, 10), At(0));
  progress.Observe(Batch(a, 10), At(1));
  progress.Observe(Status(a, v1::STREAM_STATUS_KIND_COMPLETE), At(1));
  progress.Observe(Status(b, v1::STREAM_STATUS_KIND_STARTED), At(2));
  progress.Observe(Estimate(b, 1000), At(2));
  progress.Observe(Batch(b, 250), At(4));
  // b's rate counts from b's start: 250 rows in 2 s.
  EXPECT_EQ(progress.Line(At(4)),
            "[0:04] stream 2/2 demo.b: 250 of ~1,000 rows (25%), 125 rows/s, 0:06 left");
  EXPECT_EQ(progress.rows(), 260u);
  progress.Observe(Status(b, v1::STREAM_STATUS_KIND_INCOMPLETE), At(5));
  EXPECT_EQ(progress.Line(At(5)), "[0:05] stream 2/2 demo.b: 250 of ~1,000 rows (25%), incomplete");
}

TEST(ReadProgress, ControlCharactersOfNamesAreNotSentToTheTerminal) {
  ReadProgress progress(1, kStart);
  // ESC [2J (clear screen), a newline, DEL and the C1 CSI (U+009B) in a table name; é stays.
  progress.Observe(Batch(Descriptor("s", "a\x1b[2J\nb\x7f\xc2\x9b\xc3\xa9"), 1), At(0));
  EXPECT_EQ(progress.Line(At(0)), "[0:00] stream 1/1 s.a?[2J?b??\xc3\xa9: 1 row");
}

TEST(ReadProgress, CheckpointsLogsAndSummariesChangeNothing) {
  ReadProgress progress(1, kStart);
  auto d = Descriptor("s", "t");
  progress.Observe(Batch(d, 5), At(1));
  const std::string before = progress.Line(At(1));
  v1::ReadResponse checkpoint;
  checkpoint.mutable_checkpoint()->set_records_total(5);
  v1::ReadResponse log;
  log.mutable_log()->set_message("chunk x: 5 rows");
  progress.Observe(checkpoint, At(1));
  progress.Observe(log, At(1));
  EXPECT_EQ(progress.Line(At(1)), before);
}

TEST(ReadProgress, Summary) {
  ReadProgress progress(3, kStart);
  auto a = Descriptor("s", "a");
  auto b = Descriptor("s", "b");
  progress.Observe(Batch(a, 13000), At(1));
  progress.Observe(Status(a, v1::STREAM_STATUS_KIND_COMPLETE), At(1));
  progress.Observe(Batch(b, 104), At(2));
  progress.Observe(Status(b, v1::STREAM_STATUS_KIND_COMPLETE), At(2));
  progress.Observe(Status(Descriptor("s", "gone"), v1::STREAM_STATUS_KIND_INCOMPLETE), At(2));
  EXPECT_EQ(progress.Summary(At(3)),
            "done: 2 of 3 streams (1 incomplete), 13,104 rows in 3.0 s (4,368 rows/s)");
  EXPECT_EQ(progress.Summary(At(125)),
            "done: 2 of 3 streams (1 incomplete), 13,104 rows in 2:05 (104 rows/s)");

  ReadProgress empty(1, kStart);
  EXPECT_EQ(empty.Summary(kStart), "done: 0 of 1 stream, 0 rows in 0.0 s");
}

}  // namespace
}  // namespace tsdb_source::client
