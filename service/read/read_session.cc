#include "service/read/read_session.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/catalog/discover.h"
#include "service/catalog/type_mapping.h"
#include "service/common/errors.h"
#include "service/common/status_macros.h"
#include "service/config/source_config.h"
#include "service/pg/connection.h"
#include "service/pg/copy/batch_builder.h"
#include "service/pg/copy/copy_binary_parser.h"
#include "service/pg/copy_out.h"
#include "service/pg/quote.h"
#include "service/read/chunks.h"

namespace tsdb_source {
namespace {

constexpr uint32_t kStateVersion = 1;
constexpr uint32_t kDefaultBatchRows = 4096;
constexpr uint32_t kDefaultBatchBytes = 1 << 20;

using Clock = std::chrono::steady_clock;

absl::Status InvalidRequest(absl::string_view reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason, message);
}

std::string StreamName(const v1::StreamDescriptor& d) {
  return d.namespace_().empty() ? d.name() : absl::StrCat(d.namespace_(), ".", d.name());
}

bool IsCursorKind(v1::ValueKind kind) {
  return kind == v1::VALUE_KIND_INT64 || kind == v1::VALUE_KIND_TIMESTAMP ||
         kind == v1::VALUE_KIND_TIMESTAMPTZ || kind == v1::VALUE_KIND_DATE;
}

// Microseconds since 1970 of an integer-encoded cursor value of `kind`, to compare with
// chunk ranges (integer time: the value itself).
int64_t RangeUnits(v1::ValueKind kind, int64_t value) {
  if (kind == v1::VALUE_KIND_DATE) {
    if (value >= INT32_MAX) return INT64_MAX;
    if (value <= INT32_MIN) return INT64_MIN;
    return value * 86400000000LL;
  }
  return value;
}

// SQL expression of a cursor value bound as $1.
std::string CursorExpression(const v1::Column& column, const v1::ScalarValue& value) {
  if (value.value_case() == v1::ScalarValue::kTextValue) {
    return absl::StrCat("CAST($1::text AS ", column.pg_type(), ")");
  }
  switch (column.kind()) {
    case v1::VALUE_KIND_TIMESTAMPTZ:
      return "(CASE $1::bigint WHEN 9223372036854775807 THEN 'infinity'::timestamptz "
             "WHEN -9223372036854775808 THEN '-infinity'::timestamptz ELSE "
             "'1970-01-01 00:00:00+00'::timestamptz + $1::bigint * interval '1 microsecond' END)";
    case v1::VALUE_KIND_TIMESTAMP:
      return "(CASE $1::bigint WHEN 9223372036854775807 THEN 'infinity'::timestamp "
             "WHEN -9223372036854775808 THEN '-infinity'::timestamp ELSE "
             "'1970-01-01 00:00:00'::timestamp + $1::bigint * interval '1 microsecond' END)";
    case v1::VALUE_KIND_DATE:
      return "(CASE $1::bigint WHEN 2147483647 THEN 'infinity'::date "
             "WHEN -2147483648 THEN '-infinity'::date ELSE "
             "'1970-01-01'::date + $1::integer END)";
    default:
      return "$1::bigint";
  }
}

// Everything decided about one configured stream before reading.
struct StreamPlan {
  const v1::Stream* stream = nullptr;
  v1::ConfiguredStream configured;
  bool incremental = false;
  int cursor_index = -1;            // column index of the cursor (incremental)
  std::optional<v1::ScalarValue> cursor;  // saved cursor: read rows with cursor >= it
  bool chunked = false;
  v1::ChunkProgress progress;       // chunks done in an interrupted earlier read
  bool cursor_is_time = false;      // cursor is the hypertable's time column: prune chunks
};

bool KeyLess(int64_t a_start, const std::string& a_name, int64_t b_start,
             const std::string& b_name) {
  return a_start != b_start ? a_start < b_start : a_name < b_name;
}

class StreamReader {
 public:
  StreamReader(pg::Connection& conn, const StreamPlan& plan, const v1::ReadOptions& options,
               ReadSink* sink, ReadControl* control)
      : conn_(conn), plan_(plan), sink_(sink), control_(control) {
    max_rows_ = options.batch_max_rows() ? options.batch_max_rows() : kDefaultBatchRows;
    max_bytes_ = options.batch_max_bytes() ? options.batch_max_bytes() : kDefaultBatchBytes;
    summary_.mutable_stream()->CopyFrom(plan.stream->stream());
  }

  absl::Status Run() {
    const v1::StreamDescriptor& d = plan_.stream->stream();
    start_ = Clock::now();
    RETURN_IF_ERROR(Status(v1::STREAM_STATUS_KIND_STARTED));
    {
      v1::ReadResponse r;
      v1::Estimate* e = r.mutable_estimate();
      *e->mutable_stream() = d;
      e->set_row_estimate(plan_.stream->row_estimate());
      e->set_byte_estimate(plan_.stream->byte_estimate());
      RETURN_IF_ERROR(Send(r));
    }
    {
      v1::ReadResponse r;
      *r.mutable_stream_start()->mutable_stream() = d;
      *r.mutable_stream_start()->mutable_columns() = plan_.stream->columns();
      RETURN_IF_ERROR(Send(r));
    }
    std::vector<pg::ColumnSpec> specs;
    for (const v1::Column& c : plan_.stream->columns()) {
      pg::ColumnSpec spec;
      spec.name = c.name();
      if (ReadAsText(c)) {
        spec.type_oid = 25;  // text
      } else {
        spec.type_oid = c.type_oid();
        if (c.kind() == v1::VALUE_KIND_ARRAY) {
          spec.element_type_oid = pg::ElementTypeForArray(c.type_oid());
        }
      }
      specs.push_back(std::move(spec));
    }
    ASSIGN_OR_RETURN(builder_, pg::BatchBuilder::Create(std::move(specs)));
    builder_->set_stream(d);

    if (plan_.cursor.has_value()) max_cursor_ = *plan_.cursor;
    ASSIGN_OR_RETURN(cursor_filter_, CursorFilter());
    absl::Status status = plan_.chunked ? ReadChunks() : ReadWhole();
    if (!status.ok()) {
      v1::ReadResponse r;
      v1::StreamStatus* s = r.mutable_status();
      *s->mutable_stream() = d;
      s->set_status(v1::STREAM_STATUS_KIND_INCOMPLETE);
      s->set_reason(std::string(status.message()));
      sink_->Emit(r);
      EmitSummary();
      return status;
    }
    // Final checkpoint: the stream is complete.
    v1::StreamState state = BaseState();
    state.set_completed(true);
    if (plan_.incremental && max_cursor_.has_value()) *state.mutable_cursor() = *max_cursor_;
    RETURN_IF_ERROR(Checkpoint(std::move(state)));
    RETURN_IF_ERROR(Status(v1::STREAM_STATUS_KIND_COMPLETE));
    return EmitSummary();
  }

 private:
  absl::Status Send(const v1::ReadResponse& r) {
    if (control_ != nullptr && control_->cancelled()) {
      return absl::CancelledError("the read was cancelled");
    }
    if (!sink_->Emit(r)) return absl::CancelledError("the client cancelled the read");
    return absl::OkStatus();
  }

  absl::Status Status(v1::StreamStatusKind kind) {
    v1::ReadResponse r;
    *r.mutable_status()->mutable_stream() = plan_.stream->stream();
    r.mutable_status()->set_status(kind);
    return Send(r);
  }

  absl::Status Log(v1::LogLevel level, std::string message) {
    v1::ReadResponse r;
    r.mutable_log()->set_level(level);
    r.mutable_log()->set_message(std::move(message));
    return Send(r);
  }

  absl::Status EmitSummary() {
    summary_.set_seconds(std::chrono::duration<double>(Clock::now() - start_).count());
    v1::ReadResponse r;
    *r.mutable_summary() = summary_;
    return Send(r);
  }

  v1::StreamState BaseState() const {
    v1::StreamState state;
    state.set_version(kStateVersion);
    *state.mutable_stream() = plan_.stream->stream();
    state.set_sync_mode(plan_.incremental ? v1::SYNC_MODE_INCREMENTAL : v1::SYNC_MODE_FULL_REFRESH);
    if (plan_.incremental) {
      state.add_cursor_field(plan_.stream->columns(plan_.cursor_index).name());
      if (plan_.cursor.has_value()) *state.mutable_cursor() = *plan_.cursor;
    }
    return state;
  }

  absl::Status Checkpoint(v1::StreamState state) {
    RETURN_IF_ERROR(Flush());
    v1::ReadResponse r;
    v1::Checkpoint* c = r.mutable_checkpoint();
    *c->mutable_state() = std::move(state);
    c->set_records_since_last_checkpoint(summary_.rows() - rows_at_checkpoint_);
    c->set_records_total(summary_.rows());
    rows_at_checkpoint_ = summary_.rows();
    bool final_checkpoint = c->state().completed();
    RETURN_IF_ERROR(Send(r));
    if (!final_checkpoint && control_ != nullptr && control_->stop_requested()) {
      return MakeError(absl::StatusCode::kUnavailable, "SERVER_SHUTTING_DOWN",
                       "the server is shutting down; resume from the last checkpoint");
    }
    return absl::OkStatus();
  }

  // Emits the rows gathered so far as one batch.
  absl::Status Flush() {
    if (builder_->row_count() == 0) return absl::OkStatus();
    if (!running_) {
      running_ = true;
      RETURN_IF_ERROR(Status(v1::STREAM_STATUS_KIND_RUNNING));
    }
    if (plan_.incremental) TrackCursor();
    summary_.set_rows(summary_.rows() + builder_->row_count());
    v1::ReadResponse r;
    builder_->Release(r.mutable_records());
    absl::Status status = Send(r);
    builder_->Reset();
    return status;
  }

  // Keeps the highest cursor value of the batch (integer-encoded kinds). A migrated text
  // cursor is replaced by the first value read: every row read is at or after it.
  void TrackCursor() {
    const v1::ColumnValues& column = builder_->batch().columns(plan_.cursor_index);
    const std::string& nulls = column.null_bitmap();
    for (int i = 0; i < column.int64s().values_size(); ++i) {
      if (!nulls.empty() && ((static_cast<unsigned char>(nulls[i / 8]) >> (i % 8)) & 1)) continue;
      int64_t v = column.int64s().values(i);
      if (!max_cursor_.has_value() || max_cursor_->value_case() != v1::ScalarValue::kInt64Value ||
          v > max_cursor_->int64_value()) {
        v1::ScalarValue value;
        value.set_kind(plan_.stream->columns(plan_.cursor_index).kind());
        value.set_int64_value(v);
        max_cursor_ = value;
      }
    }
  }

  std::string SelectList() const {
    std::vector<std::string> parts;
    for (const v1::Column& c : plan_.stream->columns()) {
      parts.push_back(ReadAsText(c) ? absl::StrCat(pg::QuoteIdent(c.name()), "::text")
                                    : pg::QuoteIdent(c.name()));
    }
    return absl::StrJoin(parts, ", ");
  }

  // The WHERE clause of an incremental read from a saved cursor ("" otherwise). COPY takes
  // no parameters, so the cursor value becomes a literal quoted by the server itself.
  absl::StatusOr<std::string> CursorFilter() {
    if (!plan_.incremental || !plan_.cursor.has_value()) return std::string();
    const v1::Column& column = plan_.stream->columns(plan_.cursor_index);
    const v1::ScalarValue& cursor = *plan_.cursor;
    std::string value = cursor.value_case() == v1::ScalarValue::kTextValue
                            ? cursor.text_value()
                            : std::to_string(cursor.int64_value());
    ASSIGN_OR_RETURN(pg::Result quoted, conn_.ExecParams("SELECT quote_literal($1::text)", {value}));
    std::string filter = absl::StrCat(" WHERE ", pg::QuoteIdent(column.name()), " >= ",
                                      CursorExpression(column, cursor));
    std::string literal = quoted.GetString(0, 0);
    size_t at;
    while ((at = filter.find("$1")) != std::string::npos) filter.replace(at, 2, literal);
    return filter;
  }

  // COPY of `relation` with the cursor filter; ORDER BY `order_column` when not empty.
  absl::Status CopyRelation(const std::string& relation, const std::string& order_column,
                            const std::string& chunk_label) {
    std::string select = absl::StrCat("SELECT ", SelectList(), " FROM ", relation, cursor_filter_);
    if (!order_column.empty()) absl::StrAppend(&select, " ORDER BY ", pg::QuoteIdent(order_column));
    std::string copy = absl::StrCat("COPY (", select, ") TO STDOUT (FORMAT binary)");
    builder_->set_chunk(chunk_label);
    pg::CopyBinaryParser parser(plan_.stream->columns_size());
    std::vector<pg::FieldView> fields;
    uint64_t bytes = 0;
    absl::Status status = pg::CopyOut(
        conn_, copy,
        [&](absl::string_view buffer) -> absl::Status {
          ASSIGN_OR_RETURN(bool row, parser.NextRow(buffer, &fields));
          if (!row) return absl::OkStatus();
          RETURN_IF_ERROR(builder_->AppendRow(fields));
          if (builder_->row_count() >= max_rows_ || builder_->approx_bytes() >= max_bytes_) {
            return Flush();
          }
          return absl::OkStatus();
        },
        &bytes);
    summary_.set_bytes(summary_.bytes() + bytes);
    return status;
  }

  absl::Status ReadWhole() {
    const v1::StreamDescriptor& d = plan_.stream->stream();
    RETURN_IF_ERROR(CopyRelation(pg::QuoteQualified(d.namespace_(), d.name()), "", ""));
    return Flush();
  }

  absl::Status ReadChunks() {
    ASSIGN_OR_RETURN(std::vector<ChunkInfo> chunks, ListChunks(conn_, *plan_.stream));
    std::sort(chunks.begin(), chunks.end(), [](const ChunkInfo& a, const ChunkInfo& b) {
      return KeyLess(a.range_start, a.qualified, b.range_start, b.qualified);
    });
    const v1::ChunkProgress& previous = plan_.progress;
    std::set<std::string> done_before(previous.done().begin(), previous.done().end());
    std::string order_column;
    if (plan_.stream->has_hypertable()) {
      order_column = plan_.stream->hypertable().time_dimension().column_name();
    }
    v1::ChunkProgress progress = previous;
    for (const ChunkInfo& chunk : chunks) {
      bool done = done_before.count(chunk.qualified) > 0 ||
                  (previous.has_watermark() &&
                   !KeyLess(previous.watermark().range_start(), previous.watermark().chunk(),
                            chunk.range_start, chunk.qualified));
      if (done) {
        summary_.set_chunks_skipped(summary_.chunks_skipped() + 1);
        continue;
      }
      if (plan_.cursor_is_time && plan_.cursor.has_value() && chunk.has_range &&
          plan_.cursor->value_case() == v1::ScalarValue::kInt64Value &&
          chunk.range_end <= RangeUnits(plan_.stream->columns(plan_.cursor_index).kind(),
                                        plan_.cursor->int64_value())) {
        // Every row of the chunk is older than the cursor: not read at all.
        summary_.set_chunks_skipped(summary_.chunks_skipped() + 1);
        MarkDone(&progress, chunk);
        continue;
      }
      auto chunk_start = Clock::now();
      uint64_t rows_before = summary_.rows() + builder_->row_count();
      uint64_t bytes_before = summary_.bytes();
      absl::Status status = CopyRelation(chunk.qualified, order_column, chunk.qualified);
      if (!status.ok() && ReasonOf(status) == "SQLSTATE_42P01") {
        // Dropped while the read ran (retention, drop_chunks): a normal event.
        RETURN_IF_ERROR(Log(v1::LOG_LEVEL_WARN,
                            absl::StrCat("chunk ", chunk.qualified,
                                         " was dropped during the read; skipped")));
        summary_.set_chunks_skipped(summary_.chunks_skipped() + 1);
        builder_->Reset();
        MarkDone(&progress, chunk);
        continue;
      }
      RETURN_IF_ERROR(status);
      summary_.set_chunks_read(summary_.chunks_read() + 1);
      RETURN_IF_ERROR(Flush());
      RETURN_IF_ERROR(Log(
          v1::LOG_LEVEL_INFO,
          absl::StrCat("chunk ", chunk.qualified, chunk.compressed ? " (compressed)" : "", ": ",
                       summary_.rows() - rows_before, " rows, ", summary_.bytes() - bytes_before,
                       " bytes, ",
                       std::chrono::duration<double>(Clock::now() - chunk_start).count(), " s")));
      MarkDone(&progress, chunk);
      v1::StreamState state = BaseState();
      *state.mutable_chunks() = progress;
      RETURN_IF_ERROR(Checkpoint(std::move(state)));
    }
    return absl::OkStatus();
  }

  // Records `chunk` as done: chunks are read in key order, so the watermark moves to it
  // and the explicit list keeps only the entries beyond it.
  static void MarkDone(v1::ChunkProgress* progress, const ChunkInfo& chunk) {
    progress->mutable_watermark()->set_range_start(chunk.range_start);
    progress->mutable_watermark()->set_chunk(chunk.qualified);
    google::protobuf::RepeatedPtrField<std::string> kept;
    for (const std::string& name : progress->done()) {
      if (name != chunk.qualified) kept.Add(std::string(name));
    }
    progress->mutable_done()->Swap(&kept);
  }

  pg::Connection& conn_;
  const StreamPlan& plan_;
  ReadSink* sink_;
  ReadControl* control_;
  uint32_t max_rows_;
  uint32_t max_bytes_;
  std::optional<pg::BatchBuilder> builder_;
  v1::StreamSummary summary_;
  uint64_t rows_at_checkpoint_ = 0;
  bool running_ = false;
  std::string cursor_filter_;
  std::optional<v1::ScalarValue> max_cursor_;
  Clock::time_point start_;
};

// Validates the request against the discovered catalog; builds one plan per stream.
absl::StatusOr<std::vector<StreamPlan>> Plan(const v1::ReadRequest& request,
                                             const v1::Catalog& catalog,
                                             const ResolvedConfig& config,
                                             std::vector<std::string>* warnings) {
  if (request.catalog().streams_size() == 0) {
    return InvalidRequest("EMPTY_CATALOG", "the configured catalog has no streams");
  }
  std::map<std::pair<std::string, std::string>, const v1::Stream*> known;
  for (const v1::Stream& s : catalog.streams()) {
    known[{s.stream().namespace_(), s.stream().name()}] = &s;
  }
  std::vector<StreamPlan> plans;
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (const v1::ConfiguredStream& cs : request.catalog().streams()) {
    std::string ns = cs.stream().namespace_();
    if (ns.empty()) ns = config.schemas.front();
    auto it = known.find({ns, cs.stream().name()});
    if (it == known.end()) {
      return InvalidRequest("UNKNOWN_STREAM",
                            absl::StrCat("stream ", ns, ".", cs.stream().name(),
                                         " does not exist (or is not readable) in the configured "
                                         "schemas; run discover again"));
    }
    if (!index.emplace(std::make_pair(ns, cs.stream().name()), plans.size()).second) {
      return InvalidRequest("DUPLICATE_STREAM", absl::StrCat("stream ", ns, ".", cs.stream().name(),
                                                              " is configured twice"));
    }
    StreamPlan plan;
    plan.stream = it->second;
    plan.configured = cs;
    if (cs.sync_mode() == v1::SYNC_MODE_UNSPECIFIED) {
      return InvalidRequest("INVALID_CATALOG", absl::StrCat("stream ", StreamName(cs.stream()),
                                                             " has no sync_mode"));
    }
    plan.incremental = cs.sync_mode() == v1::SYNC_MODE_INCREMENTAL;
    plan.chunked = (plan.stream->kind() == v1::RELATION_KIND_HYPERTABLE && config.timescaledb_support) ||
                   plan.stream->kind() == v1::RELATION_KIND_PARTITIONED_TABLE;
    if (plan.incremental) {
      std::string cursor = cs.cursor_field_size() > 0 ? cs.cursor_field(0)
                                                       : plan.stream->default_cursor_field();
      if (cs.cursor_field_size() > 1) {
        return InvalidRequest("INVALID_CURSOR", absl::StrCat("stream ", StreamName(cs.stream()),
                                                              ": nested cursor fields are not supported"));
      }
      if (cursor.empty()) {
        return InvalidRequest("MISSING_CURSOR",
                              absl::StrCat("stream ", StreamName(cs.stream()),
                                           " is incremental but has no cursor_field and no default cursor"));
      }
      for (int i = 0; i < plan.stream->columns_size(); ++i) {
        if (plan.stream->columns(i).name() == cursor) plan.cursor_index = i;
      }
      if (plan.cursor_index < 0) {
        return InvalidRequest("UNKNOWN_CURSOR", absl::StrCat("stream ", StreamName(cs.stream()),
                                                              " has no column '", cursor, "' to use as cursor"));
      }
      const v1::Column& column = plan.stream->columns(plan.cursor_index);
      if (!IsCursorKind(column.kind())) {
        return InvalidRequest(
            "UNSUPPORTED_CURSOR",
            absl::StrCat("stream ", StreamName(cs.stream()), ": cursor column '", cursor, "' of type ",
                         column.pg_type(),
                         " is not supported (use an integer, date, timestamp or timestamptz column)"));
      }
      plan.cursor_is_time = plan.stream->has_hypertable() &&
                            plan.stream->hypertable().time_dimension().column_name() == cursor;
    }
    plans.push_back(std::move(plan));
  }

  std::set<size_t> seen_state;
  for (const v1::StreamState& state : request.state()) {
    std::string ns = state.stream().namespace_().empty() ? config.schemas.front()
                                                         : state.stream().namespace_();
    auto it = index.find({ns, state.stream().name()});
    std::string name = StreamName(state.stream());
    if (it == index.end()) {
      warnings->push_back(absl::StrCat("state for stream ", name,
                                       ", which is not in the configured catalog, is ignored"));
      continue;
    }
    if (!seen_state.insert(it->second).second) {
      return InvalidRequest("INVALID_STATE", absl::StrCat("two states for stream ", name));
    }
    StreamPlan& plan = plans[it->second];
    if (state.has_airbyte_postgres()) {
      const v1::AirbytePostgresState& pg = state.airbyte_postgres();
      if (pg.state_type() == "cursor_based" && plan.incremental && !pg.cursor().empty()) {
        if (pg.cursor_field_size() > 0 &&
            pg.cursor_field(0) != plan.stream->columns(plan.cursor_index).name()) {
          warnings->push_back(absl::StrCat("stream ", name, ": the Airbyte Postgres state's cursor '",
                                           pg.cursor_field(0),
                                           "' differs from the configured cursor; starting over"));
          continue;
        }
        v1::ScalarValue cursor;
        cursor.set_kind(plan.stream->columns(plan.cursor_index).kind());
        cursor.set_text_value(pg.cursor());
        plan.cursor = cursor;
        warnings->push_back(absl::StrCat("stream ", name,
                                         ": continuing from an Airbyte Postgres cursor state"));
      } else {
        warnings->push_back(absl::StrCat("stream ", name, ": Airbyte Postgres '", pg.state_type(),
                                         "' state cannot be continued; the stream is read in full"));
      }
      continue;
    }
    if (state.version() != kStateVersion) {
      return InvalidRequest("INVALID_STATE",
                            absl::StrCat("state of stream ", name, " has version ", state.version(),
                                         "; this release reads version ", kStateVersion));
    }
    if (plan.incremental) {
      if (state.sync_mode() != v1::SYNC_MODE_INCREMENTAL) {
        warnings->push_back(absl::StrCat("stream ", name, ": state of a full refresh; incremental "
                                         "sync starts from the beginning"));
        continue;
      }
      std::string cursor_name = plan.stream->columns(plan.cursor_index).name();
      if (state.cursor_field_size() != 1 || state.cursor_field(0) != cursor_name) {
        warnings->push_back(absl::StrCat("stream ", name, ": the saved cursor column differs from '",
                                         cursor_name, "'; starting from the beginning"));
        continue;
      }
      if (state.has_cursor()) {
        if (state.cursor().value_case() != v1::ScalarValue::kInt64Value &&
            state.cursor().value_case() != v1::ScalarValue::kTextValue) {
          return InvalidRequest("INVALID_STATE",
                                absl::StrCat("state of stream ", name, ": the cursor value is not "
                                                                     "an integer or text"));
        }
        plan.cursor = state.cursor();
      }
      if (!state.completed()) plan.progress = state.chunks();
    } else if (!state.completed()) {
      if (state.sync_mode() == v1::SYNC_MODE_FULL_REFRESH) plan.progress = state.chunks();
    }
    if (!plan.chunked && plan.progress.has_watermark()) {
      plan.progress.Clear();  // only chunked streams resume by chunk
    }
  }
  return plans;
}

}  // namespace

absl::Status RunRead(const v1::ReadRequest& request, ReadSink* sink, ReadControl* control) {
  ASSIGN_OR_RETURN(ResolvedConfig config, ResolveConfig(request.config()));
  if (request.catalog().streams_size() == 0) {
    return InvalidRequest("EMPTY_CATALOG", "the configured catalog has no streams");
  }
  ASSIGN_OR_RETURN(pg::Connection conn, pg::Connection::Open(config.connect));
  AttachedConnection attached(control, &conn);
  RETURN_IF_ERROR(conn.Exec("SET TimeZone = 'UTC'").status());
  ASSIGN_OR_RETURN(v1::Catalog catalog, DiscoverCatalog(conn, config));
  std::vector<std::string> warnings;
  ASSIGN_OR_RETURN(std::vector<StreamPlan> plans, Plan(request, catalog, config, &warnings));
  for (const std::string& w : warnings) {
    v1::ReadResponse r;
    r.mutable_log()->set_level(v1::LOG_LEVEL_WARN);
    r.mutable_log()->set_message(w);
    if (!sink->Emit(r)) return absl::CancelledError("the client cancelled the read");
  }
  for (const StreamPlan& plan : plans) {
    StreamReader reader(conn, plan, request.options(), sink, control);
    RETURN_IF_ERROR(reader.Run());
  }
  return absl::OkStatus();
}

}  // namespace tsdb_source
