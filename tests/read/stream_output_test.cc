// What a stream read sends, with a collecting sink (no database): STARTED, the estimate and
// the columns first; RUNNING once, before the first batch, whose storage comes back; the
// records since the last checkpoint and in all; a stop requested ends the read after a
// checkpoint that does not complete the stream; the highest cursor kept (NULLs ignored, a
// migrated text cursor replaced); a CDC snapshot's position on its batches; INCOMPLETE even
// for a cancelled read, then the summary; the chunks a checkpoint covers and chunk ends.
#include "service/read/stream_output.h"

#include <vector>

#include "gtest/gtest.h"
#include "service/common/errors.h"

namespace tsdb_source {
namespace {

class Collector : public ReadSink {
 public:
  bool Emit(const v1::ReadResponse& response) override {
    events.push_back(response);
    return true;
  }
  std::vector<v1::ReadResponse> events;
};

class StreamOutputTest : public ::testing::Test {
 protected:
  StreamOutputTest() {
    stream_.mutable_stream()->set_name("events");
    stream_.mutable_stream()->set_namespace_("public");
    stream_.set_row_estimate(42);
    v1::Column* ts = stream_.add_columns();
    ts->set_name("ts");
    ts->set_kind(v1::VALUE_KIND_TIMESTAMPTZ);
    plan_.stream = &stream_;
  }
  void Incremental() {
    plan_.incremental = true;
    plan_.cursor_index = 0;
  }
  // A batch of the "ts" column; nullopt is a NULL.
  static v1::RecordBatch Batch(const std::vector<std::optional<int64_t>>& values) {
    v1::RecordBatch batch;
    batch.set_row_count(static_cast<uint32_t>(values.size()));
    v1::ColumnValues* column = batch.add_columns();
    std::string bitmap((values.size() + 7) / 8, '\0');
    for (size_t i = 0; i < values.size(); ++i) {
      column->mutable_int64s()->add_values(values[i].value_or(0));
      if (!values[i].has_value()) bitmap[i / 8] |= static_cast<char>(1 << (i % 8));
    }
    column->set_null_bitmap(bitmap);
    return batch;
  }
  v1::Stream stream_;
  StreamPlan plan_;
  Collector sink_;
};

TEST_F(StreamOutputTest, StartsWithStartedTheEstimateAndTheColumns) {
  StreamOutput out(plan_, &sink_, nullptr);
  ASSERT_TRUE(out.Start().ok());
  ASSERT_EQ(sink_.events.size(), 3u);
  EXPECT_EQ(sink_.events[0].status().status(), v1::STREAM_STATUS_KIND_STARTED);
  EXPECT_EQ(sink_.events[1].estimate().row_estimate(), 42u);
  EXPECT_EQ(sink_.events[2].stream_start().columns(0).name(), "ts");
}

TEST_F(StreamOutputTest, RunningComesOnceBeforeTheFirstBatchAndTheStorageComesBack) {
  StreamOutput out(plan_, &sink_, nullptr);
  v1::RecordBatch batch = Batch({1, 2, 3});
  ASSERT_TRUE(out.Batch(std::move(batch)).ok());
  EXPECT_EQ(batch.columns_size(), 1) << "the storage is swapped back";
  ASSERT_TRUE(out.Batch(Batch({4})).ok());
  ASSERT_EQ(sink_.events.size(), 3u);
  EXPECT_EQ(sink_.events[0].status().status(), v1::STREAM_STATUS_KIND_RUNNING);
  EXPECT_EQ(sink_.events[1].records().row_count(), 3u);
  EXPECT_EQ(sink_.events[2].records().row_count(), 1u);
  EXPECT_EQ(out.summary().rows(), 4u);
}

TEST_F(StreamOutputTest, CheckpointsCountTheRecordsSinceTheLastOneAndInAll) {
  StreamOutput out(plan_, &sink_, nullptr);
  ASSERT_TRUE(out.Batch(Batch({1, 2, 3})).ok());
  EXPECT_EQ(out.records_since_checkpoint(), 3u);
  ASSERT_TRUE(out.Checkpoint(out.BaseState()).ok());
  EXPECT_EQ(out.records_since_checkpoint(), 0u);
  ASSERT_TRUE(out.Batch(Batch({4, 5})).ok());
  ASSERT_TRUE(out.Checkpoint(out.BaseState()).ok());
  const v1::Checkpoint& last = sink_.events.back().checkpoint();
  EXPECT_EQ(last.records_since_last_checkpoint(), 2u);
  EXPECT_EQ(last.records_total(), 5u);
  EXPECT_EQ(last.state().version(), kStateVersion);
  EXPECT_EQ(last.state().stream().name(), "events");
  EXPECT_EQ(last.state().sync_mode(), v1::SYNC_MODE_FULL_REFRESH);
}

TEST_F(StreamOutputTest, CheckpointsListTheChunksCoveredAndChunkEndsSayWhatIsLeft) {
  StreamOutput out(plan_, &sink_, nullptr);
  v1::RecordBatch a = Batch({1, 2, 3});
  a.set_chunk("\"s\".\"a\"");
  v1::RecordBatch b = Batch({4, 5});
  b.set_chunk("\"s\".\"b\"");
  ASSERT_TRUE(out.Batch(v1::RecordBatch(a)).ok());
  ASSERT_TRUE(out.Batch(v1::RecordBatch(b)).ok());
  out.Cover("\"s\".\"a\"");  // a slice of a done; b still being read
  ASSERT_TRUE(out.Checkpoint(out.BaseState()).ok());
  const v1::Checkpoint& first = sink_.events.back().checkpoint();
  ASSERT_EQ(first.chunks_size(), 1);
  EXPECT_EQ(first.chunks(0).chunk(), "\"s\".\"a\"");
  EXPECT_EQ(first.chunks(0).records(), 3u);
  EXPECT_FALSE(first.chunks(0).ended());
  EXPECT_EQ(first.chunks(0).stream().name(), "events");
  EXPECT_EQ(first.chunks(0).stream().namespace_(), "public");
  EXPECT_EQ(first.records_since_last_checkpoint(), 5u) << "b's records are emitted, not covered";

  ASSERT_TRUE(out.ChunkEnd("\"s\".\"b\"").ok());
  const v1::ChunkEnd& end = sink_.events.back().chunk_end();
  EXPECT_EQ(end.chunk(), "\"s\".\"b\"");
  EXPECT_EQ(end.records(), 2u);
  EXPECT_EQ(end.stream().name(), "events");
  ASSERT_TRUE(out.Checkpoint(out.BaseState()).ok());
  EXPECT_EQ(sink_.events.back().checkpoint().chunks_size(), 0) << "b not covered yet";
  out.Cover("\"s\".\"b\"");
  ASSERT_TRUE(out.Checkpoint(out.BaseState()).ok());
  const v1::Checkpoint& third = sink_.events.back().checkpoint();
  ASSERT_EQ(third.chunks_size(), 1);
  EXPECT_EQ(third.chunks(0).records(), 2u);
  EXPECT_TRUE(third.chunks(0).ended());
}

TEST_F(StreamOutputTest, AStateThatCompletesTheStreamCoversEveryChunk) {
  StreamOutput out(plan_, &sink_, nullptr);
  ASSERT_TRUE(out.Batch(Batch({1, 2})).ok());  // a whole table: chunk ""
  ASSERT_TRUE(out.ChunkEnd("").ok());
  EXPECT_EQ(sink_.events.back().chunk_end().records(), 2u);
  v1::StreamState state = out.BaseState();
  state.set_completed(true);
  ASSERT_TRUE(out.Checkpoint(state).ok());
  const v1::Checkpoint& last = sink_.events.back().checkpoint();
  ASSERT_EQ(last.chunks_size(), 1);
  EXPECT_EQ(last.chunks(0).chunk(), "");
  EXPECT_EQ(last.chunks(0).records(), 2u);
  EXPECT_TRUE(last.chunks(0).ended());
  ASSERT_TRUE(out.Checkpoint(state).ok());
  EXPECT_EQ(sink_.events.back().checkpoint().chunks_size(), 0) << "nothing new";
}

TEST_F(StreamOutputTest, AStopRequestedEndsTheReadAfterACheckpointThatIsNotFinal) {
  ReadControl control;
  control.RequestStop();
  StreamOutput out(plan_, &sink_, &control);
  absl::Status status = out.Checkpoint(out.BaseState());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(status), "SERVER_SHUTTING_DOWN");
  EXPECT_TRUE(sink_.events.back().has_checkpoint()) << "sent first";
  v1::StreamState final_state = out.BaseState();
  final_state.set_completed(true);
  EXPECT_TRUE(out.Checkpoint(final_state).ok());
}

TEST_F(StreamOutputTest, TheHighestCursorIsKeptAndNullsAreIgnored) {
  Incremental();
  StreamOutput out(plan_, &sink_, nullptr);
  EXPECT_FALSE(out.max_cursor().has_value());
  ASSERT_TRUE(out.Batch(Batch({5, std::nullopt, 9, 7})).ok());
  ASSERT_TRUE(out.max_cursor().has_value());
  EXPECT_EQ(out.max_cursor()->int64_value(), 9);
  EXPECT_EQ(out.max_cursor()->kind(), v1::VALUE_KIND_TIMESTAMPTZ);
  ASSERT_TRUE(out.Batch(Batch({std::nullopt, 8})).ok());
  EXPECT_EQ(out.max_cursor()->int64_value(), 9);
  v1::StreamState state = out.BaseState();
  EXPECT_EQ(state.cursor_field(0), "ts");
  EXPECT_FALSE(state.has_cursor()) << "no saved cursor: none until the stream completes";
}

TEST_F(StreamOutputTest, ASavedCursorStaysInCheckpointsAndAMigratedTextOneGivesWay) {
  Incremental();
  plan_.cursor = v1::ScalarValue();
  plan_.cursor->set_text_value("2024-01-01 00:00:00+00");
  StreamOutput out(plan_, &sink_, nullptr);
  EXPECT_EQ(out.max_cursor()->text_value(), "2024-01-01 00:00:00+00");
  ASSERT_TRUE(out.Batch(Batch({-3})).ok());
  EXPECT_EQ(out.max_cursor()->int64_value(), -3);
  EXPECT_EQ(out.BaseState().cursor().text_value(), "2024-01-01 00:00:00+00");

  plan_.xmin = true;  // Xmin reads track no cursor
  StreamOutput xmin(plan_, &sink_, nullptr);
  ASSERT_TRUE(xmin.Batch(Batch({100})).ok());
  EXPECT_EQ(xmin.max_cursor()->text_value(), "2024-01-01 00:00:00+00");
  EXPECT_EQ(xmin.BaseState().cursor_field_size(), 0);
}

TEST_F(StreamOutputTest, IncompleteReachesEvenACancelledReadAndTheSummaryFollows) {
  ReadControl control;
  StreamOutput out(plan_, &sink_, &control);
  ASSERT_TRUE(out.Start().ok());
  out.summary().set_retries(2);
  control.Cancel();
  EXPECT_EQ(out.Batch(Batch({1})).code(), absl::StatusCode::kCancelled);
  out.Incomplete(absl::UnavailableError("connection lost"));
  ASSERT_EQ(sink_.events.size(), 4u) << "STARTED, estimate, columns, INCOMPLETE (no summary: cancelled)";
  EXPECT_EQ(sink_.events[3].status().status(), v1::STREAM_STATUS_KIND_INCOMPLETE);
  EXPECT_EQ(sink_.events[3].status().reason(), "connection lost");

  Collector open;
  StreamOutput done(plan_, &open, nullptr);
  ASSERT_TRUE(done.Start().ok());
  done.Incomplete(absl::UnavailableError("connection lost"));
  ASSERT_EQ(open.events.size(), 5u);
  EXPECT_TRUE(open.events[4].has_summary());
  EXPECT_EQ(open.events[4].summary().stream().name(), "events");
}

TEST_F(StreamOutputTest, ACdcSnapshotsBatchesCarryItsPosition) {
  StreamOutput plain(plan_, &sink_, nullptr);
  ASSERT_TRUE(plain.Start().ok());
  EXPECT_FALSE(sink_.events[2].stream_start().changes());
  ASSERT_TRUE(plain.Batch(Batch({1})).ok());
  EXPECT_FALSE(sink_.events.back().records().has_changes());

  plan_.snapshot_changes = SnapshotChanges{42, 1700};
  Collector snapshot_sink;
  StreamOutput snapshot(plan_, &snapshot_sink, nullptr);
  ASSERT_TRUE(snapshot.Start().ok());
  EXPECT_TRUE(snapshot_sink.events[2].stream_start().changes());
  v1::RecordBatch reused = Batch({1, 2});
  reused.mutable_changes()->add_lsn(7);  // left over from the storage's last use
  ASSERT_TRUE(snapshot.Batch(std::move(reused)).ok());
  const v1::ChangeMetadata& changes = snapshot_sink.events.back().records().changes();
  ASSERT_EQ(changes.lsn_size(), 1) << "one entry for the whole batch";
  EXPECT_EQ(changes.lsn(0), 42u);
  EXPECT_EQ(changes.commit_time(0), 1700);
}

TEST_F(StreamOutputTest, CompleteThenTheSummary) {
  StreamOutput out(plan_, &sink_, nullptr);
  ASSERT_TRUE(out.Start().ok());
  out.summary().set_chunks_read(3);
  ASSERT_TRUE(out.Complete().ok());
  ASSERT_EQ(sink_.events.size(), 5u);
  EXPECT_EQ(sink_.events[3].status().status(), v1::STREAM_STATUS_KIND_COMPLETE);
  EXPECT_EQ(sink_.events[4].summary().chunks_read(), 3u);
  EXPECT_GE(sink_.events[4].summary().seconds(), 0.0);
}

}  // namespace
}  // namespace tsdb_source
