#include "service/read/stream_reader.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/common/status_macros.h"
#include "service/config/read_options.h"
#include "service/pg/quote.h"
#include "service/read/chunk_cache.h"
#include "service/read/chunk_reader.h"
#include "service/read/chunk_scheduler.h"
#include "service/read/chunk_task.h"
#include "service/read/retry_loop.h"
#include "service/read/sql_values.h"
#include "service/read/stream_chunks.h"
#include "service/read/stream_output.h"
#include "service/read/xmin_read.h"

namespace tsdb_source {
namespace {

using Clock = std::chrono::steady_clock;

// Seconds a reader waits for an extra connection before the read goes on with fewer
// readers (a server that serves one connection at a time makes the attempt wait).
constexpr int kExtraConnectTimeoutSeconds = 3;

// One stream's read, orchestrated: plan (the cursor filter, an Xmin plan), list the chunks,
// schedule their reading (one reader on the main connection, or several), checkpoint after
// each chunk, retry from the last checkpoint.
class StreamReader final {
 public:
  StreamReader(MainConnection& conn, const ResolvedConfig& config, const StreamPlan& plan,
               const v1::ReadOptions& options, ReadSink* sink, ReadControl* control)
      : conn_(conn), config_(config), plan_(plan), options_(options),
        resolved_(ResolveReadOptions(options)), control_(control), out_(plan, sink, control),
        chunks_(plan), xmin_(plan, resolved_) {}

  absl::Status Run() {
    RETURN_IF_ERROR(out_.Start());
    absl::Status status = CursorFilter(&cursor_filter_);
    if (status.ok()) status = ReadWithRetries();
    if (!status.ok()) {
      out_.Incomplete(status);
      return status;
    }
    RETURN_IF_ERROR(ReportColumnChanges());
    v1::StreamState state = out_.BaseState();
    state.set_completed(true);
    if (plan_.xmin) {
      *state.mutable_xmin() = xmin_.Progress(chunks_, /*final=*/true);
    } else if (plan_.incremental && out_.max_cursor().has_value()) {
      *state.mutable_cursor() = *out_.max_cursor();
    }
    RETURN_IF_ERROR(out_.Checkpoint(std::move(state)));
    return out_.Complete();
  }

  // A column added while the stream was read is not in this sync (every chunk was read with
  // the columns the read started with): say so, so the next discover picks it up.
  absl::Status ReportColumnChanges() {
    const v1::StreamDescriptor& d = plan_.stream->stream();
    auto columns = conn_.get().ExecParams(
        "SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = $1::regclass "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        {pg::QuoteQualified(d.namespace_(), d.name())});
    if (!columns.ok()) return absl::OkStatus();  // best effort: the rows are all emitted
    std::set<std::string> known;
    for (const v1::Column& c : plan_.stream->columns()) known.insert(c.name());
    std::vector<std::string> added;
    for (int r = 0; r < columns->rows(); ++r) {
      if (known.count(columns->GetString(r, 0)) == 0) added.push_back(columns->GetString(r, 0));
    }
    if (added.empty()) return absl::OkStatus();
    return Log(v1::LOG_LEVEL_WARN,
               absl::StrCat("stream ", d.name(), ": column(s) ", absl::StrJoin(added, ", "),
                            " appeared during the read; this sync has the columns it started "
                            "with (run discover to include them)"));
  }

 private:
  absl::Status Log(v1::LogLevel level, std::string message) {
    return out_.Log(level, std::move(message));
  }
  v1::StreamSummary& summary() { return out_.summary(); }

  absl::Status CursorFilter(std::string* out) {
    out->clear();
    if (!plan_.incremental || plan_.xmin || !plan_.cursor.has_value()) return absl::OkStatus();
    const v1::Column& column = plan_.stream->columns(plan_.cursor_index);
    ASSIGN_OR_RETURN(std::string value, SqlValue(column, *plan_.cursor));
    *out = absl::StrCat(pg::QuoteIdent(column.name()), " >= ", value);
    return absl::OkStatus();
  }

  // ---- retries (retry_loop.h) ----
  absl::Status ReadWithRetries() {
    RetrySteps steps;
    steps.attempt = [this] { return ReadOnce(); };
    steps.stopping = [this] {
      return control_ != nullptr && (control_->cancelled() || control_->stop_requested());
    };
    steps.announce = [this](std::string warning) {
      summary().set_retries(summary().retries() + 1);
      return Log(v1::LOG_LEVEL_WARN, std::move(warning));
    };
    steps.wait = [this](std::chrono::milliseconds backoff) {
      return WaitUnlessCancelled(backoff,
                                 [this] { return control_ != nullptr && control_->cancelled(); });
    };
    steps.prepare = [this] {
      RETURN_IF_ERROR(conn_.Reconnect());
      // Everything not covered by the last checkpoint is read again.
      for (size_t i = 0; i < chunks_.size(); ++i) {
        if (chunks_[i].done) continue;
        chunks_[i].scheduled = false;
        chunk_rows_.erase(i);
      }
      return absl::OkStatus();
    };
    RetryPolicy policy;
    policy.max_attempts = resolved_.max_attempts;
    policy.initial_backoff = resolved_.retry_initial_backoff;
    return RunWithRetries(policy, steps);
  }

  absl::Status ReadOnce() {
    if (plan_.xmin) return ReadXmin();
    return plan_.chunked ? ReadChunks() : ReadWhole();
  }

  // ---- Xmin reads (xmin_read.h) ----
  // The first attempt plans the read; a retry reads what is not done yet with the same plan.
  absl::Status ReadXmin() {
    RETURN_IF_ERROR(xmin_.Prepare(conn_.get(), out_.events(), &chunks_, &summary()));
    return ReadPending();
  }

  // ---- whole relations ----
  absl::Status ReadWhole() {
    ASSIGN_OR_RETURN(auto reader, ChunkReader::Create(&conn_.get(), plan_, options_, cursor_filter_, control_));
    ChunkTask task;
    const v1::StreamDescriptor& d = plan_.stream->stream();
    task.relation = pg::QuoteQualified(d.namespace_(), d.name());
    task.resume_key = checkpointed_key_.empty() ? plan_.last_primary_key : checkpointed_key_;
    return reader->Read(task, [&](ChunkEvent event) -> absl::Status {
      switch (event.kind) {
        case ChunkEvent::Kind::kBatch:
          return out_.Batch(std::move(event.batch));
        case ChunkEvent::Kind::kPosition: {
          if (!plan_.strict_order) return absl::OkStatus();  // no unique key: no resume point
          v1::StreamState state = out_.BaseState();
          *state.mutable_last_primary_key() = event.position.last_key();
          checkpointed_key_.assign(event.position.last_key().begin(), event.position.last_key().end());
          out_.Cover(task.label);  // every row emitted so far is at or before the key
          return out_.Checkpoint(std::move(state));
        }
        case ChunkEvent::Kind::kDone:
          summary().set_bytes(summary().bytes() + event.bytes);
          // The final checkpoint (completed) covers what no key position did.
          return out_.ChunkEnd(task.label);
        default:
          summary().set_bytes(summary().bytes() + event.bytes);
          return absl::OkStatus();
      }
    });
  }

  // ---- chunks ----
  // Merges a (re)listed set of chunks into chunks_. Returns how many were new.
  size_t Merge(const std::vector<ChunkInfo>& listed) {
    const StreamChunks::Merged merged = chunks_.Merge(listed);
    summary().set_chunks_skipped(summary().chunks_skipped() + merged.skipped);
    return merged.added;
  }

  absl::Status ChunkCheckpoint() {
    v1::StreamState state = out_.BaseState();
    if (plan_.xmin) {
      if (!xmin_.CheckpointDue(out_.records_since_checkpoint())) return absl::OkStatus();
      *state.mutable_xmin() = xmin_.Progress(chunks_, /*final=*/false);
      return out_.Checkpoint(std::move(state));
    }
    *state.mutable_chunks() = chunks_.Progress();
    return out_.Checkpoint(std::move(state));
  }

  // Handles one event of chunk `event.index`, in emission order. The chunk is covered
  // (Checkpoint.chunks) once the state says where it stands: at a position (not under Xmin,
  // whose state knows only finished relations) and at its end. Its ChunkEnd goes out at its
  // end, before any later event of the same reader (the scheduler keeps each reader's order).
  absl::Status Handle(ChunkEvent event) {
    ChunkState& chunk = chunks_[event.index];
    const std::string& label = chunk.info.qualified;  // its batches' RecordBatch.chunk
    switch (event.kind) {
      case ChunkEvent::Kind::kBatch:
        chunk_rows_[event.index] += event.batch.row_count();
        return out_.Batch(std::move(event.batch));
      case ChunkEvent::Kind::kPosition:
        chunk.position = event.position;
        if (!plan_.xmin) out_.Cover(label);
        return ChunkCheckpoint();
      case ChunkEvent::Kind::kDropped:
        chunk.done = true;
        chunk.xmin_dropped = true;
        chunk.position.reset();
        summary().set_chunks_skipped(summary().chunks_skipped() + 1);
        RETURN_IF_ERROR(out_.ChunkEnd(label));
        out_.Cover(label);
        RETURN_IF_ERROR(Log(v1::LOG_LEVEL_WARN, absl::StrCat("chunk ", chunk.info.qualified,
                                                             " was dropped during the read; skipped")));
        return ChunkCheckpoint();
      case ChunkEvent::Kind::kDone:
        chunk.done = true;
        chunk.position.reset();
        summary().set_chunks_read(summary().chunks_read() + 1);
        summary().set_bytes(summary().bytes() + event.bytes);
        RETURN_IF_ERROR(out_.ChunkEnd(label));
        out_.Cover(label);
        RETURN_IF_ERROR(Log(v1::LOG_LEVEL_INFO,
                            absl::StrCat("chunk ", chunk.info.qualified,
                                         chunk.info.compressed ? " (compressed)" : "", ": ",
                                         chunk_rows_[event.index], " rows, ", event.bytes,
                                         " bytes, ", event.seconds, " s")));
        return ChunkCheckpoint();
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<ChunkInfo>> List(bool use_cache) {
    std::string server = absl::StrCat(config_.connect.host, ":", config_.connect.port, "/",
                                       config_.connect.database);
    listed_at_ = Clock::now();
    return ChunkCache::Global().Get(conn_.get(), server, *plan_.stream, use_cache && config_.chunk_caching,
                                    Interval(), &listed_from_cache_);
  }

  std::chrono::milliseconds Interval() const {
    if (resolved_.chunk_discovery_interval.count() > 0) return resolved_.chunk_discovery_interval;
    return std::chrono::minutes(config_.chunk_discovery_interval_minutes);
  }

  absl::Status ReadChunks() {
    ASSIGN_OR_RETURN(std::vector<ChunkInfo> listed, List(/*use_cache=*/true));
    Merge(listed);
    // Chunks created while the read runs are found by a new listing once the discovery
    // interval has passed, and a list served from the cache is always checked by a fresh
    // listing at the end (a cached list must never hide a chunk from a sync). The read ends
    // when a listing finds nothing new to read.
    for (;;) {
      RETURN_IF_ERROR(ReadPending());
      if (!listed_from_cache_ && Clock::now() - listed_at_ < Interval()) break;
      ASSIGN_OR_RETURN(std::vector<ChunkInfo> relisted, List(/*use_cache=*/false));
      if (Merge(relisted) == 0) break;
      RETURN_IF_ERROR(Log(v1::LOG_LEVEL_INFO, "new chunks appeared during the read; reading them"));
    }
    return absl::OkStatus();
  }

  // Measures the hypertable chunks about to be read, for their slices; only those, since
  // measuring a chunk opens it (a cached or pruned chunk list holds no sizes).
  absl::Status SizeChunks(const std::vector<size_t>& pending) {
    if (plan_.stream->kind() != v1::RELATION_KIND_HYPERTABLE || plan_.slice_column < 0 || plan_.xmin) {
      return absl::OkStatus();
    }
    std::vector<ChunkInfo*> unsized;
    for (size_t i : pending) {
      if (!chunks_[i].info.sized) unsized.push_back(&chunks_[i].info);
    }
    return AddChunkSizes(conn_.get(), *plan_.stream, unsized);
  }

  // Reads every chunk not done yet, with as many readers as allowed and available.
  absl::Status ReadPending() {
    const std::vector<size_t> pending = chunks_.Pending();
    if (pending.empty()) return absl::OkStatus();
    RETURN_IF_ERROR(SizeChunks(pending));
    for (size_t i : pending) chunks_[i].scheduled = true;
    size_t readers = std::min<size_t>(config_.max_concurrent_chunks, pending.size());
    std::vector<std::unique_ptr<pg::Connection>> extra;
    if (readers > 1) {
      pg::ConnectOptions options = config_.connect;
      options.connect_timeout_seconds = kExtraConnectTimeoutSeconds;
      for (size_t i = 0; i < readers; ++i) {
        auto conn = pg::Connection::Open(options);
        if (!conn.ok()) {
          RETURN_IF_ERROR(Log(v1::LOG_LEVEL_WARN,
                              absl::StrCat("reading with ", extra.size() > 1 ? extra.size() : 1,
                                           " reader(s) instead of ", readers,
                                           ": no further connection (", conn.status().message(), ")")));
          break;
        }
        RETURN_IF_ERROR(PrepareReadingConnection(*conn));
        if (plan_.xmin) RETURN_IF_ERROR(xmin_.VerifyReader(*conn));
        extra.push_back(std::make_unique<pg::Connection>(*std::move(conn)));
      }
      if (extra.size() < 2) extra.clear();
    }
    if (extra.empty()) {
      ASSIGN_OR_RETURN(auto reader, ChunkReader::Create(&conn_.get(), plan_, options_, cursor_filter_, control_));
      for (size_t i : pending) {
        RETURN_IF_ERROR(reader->Read(chunks_.TaskFor(i, resolved_.chunk_slice_bytes),
                                     [&](ChunkEvent e) { return Handle(std::move(e)); }));
      }
      return absl::OkStatus();
    }
    return ReadConcurrently(pending, extra);
  }

  // The pending chunks on the extra connections, one reader each (chunk_scheduler.h).
  absl::Status ReadConcurrently(const std::vector<size_t>& pending,
                                std::vector<std::unique_ptr<pg::Connection>>& connections) {
    std::vector<ChunkTask> tasks;
    for (size_t i : pending) tasks.push_back(chunks_.TaskFor(i, resolved_.chunk_slice_bytes));
    // One pool for all readers, room for every batch that can be in flight.
    auto pool = std::make_shared<BatchPool>(ChunkEventsInFlight(connections.size()));
    std::vector<std::unique_ptr<ChunkReader>> readers;
    std::vector<ChunkWorker> workers;
    for (auto& conn : connections) {
      ASSIGN_OR_RETURN(auto reader, ChunkReader::Create(conn.get(), plan_, options_, cursor_filter_, control_));
      reader->set_pipelined(false);  // each reader has a thread already
      reader->set_batch_pool(pool);
      ChunkWorker worker;
      worker.read = [r = reader.get()](const ChunkTask& task, const ChunkEventHandler& emit) {
        return r->Read(task, emit);
      };
      worker.cancel = [c = conn.get()] { c->Cancel(); };
      workers.push_back(std::move(worker));
      readers.push_back(std::move(reader));
    }
    std::vector<std::unique_ptr<AttachedConnection>> attached;
    for (auto& conn : connections) attached.push_back(std::make_unique<AttachedConnection>(control_, conn.get()));
    return RunChunkTasks(tasks, workers, [this](ChunkEvent e) { return Handle(std::move(e)); });
  }

  MainConnection& conn_;
  const ResolvedConfig& config_;
  const StreamPlan& plan_;
  const v1::ReadOptions& options_;
  const ResolvedReadOptions resolved_;
  ReadControl* control_;
  StreamOutput out_;
  std::string cursor_filter_;
  Clock::time_point listed_at_;
  bool listed_from_cache_ = false;
  StreamChunks chunks_;
  std::map<size_t, uint64_t> chunk_rows_;
  std::vector<v1::ScalarValue> checkpointed_key_;  // whole tables: the last checkpointed key
  XminRead xmin_;
};

}  // namespace

absl::Status ReadStream(MainConnection& conn, const ResolvedConfig& config, const StreamPlan& plan,
                        const v1::ReadOptions& options, ReadSink* sink, ReadControl* control) {
  StreamReader reader(conn, config, plan, options, sink, control);
  return reader.Run();
}

}  // namespace tsdb_source
