#include "service/read/chunk_reader.h"

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/message_differencer.h"
#include "service/catalog/type_mapping.h"
#include "service/common/errors.h"
#include "service/common/status_macros.h"
#include "service/pg/copy/copy_binary_parser.h"
#include "service/pg/copy_out.h"
#include "service/pg/quote.h"
#include "service/config/read_options.h"
#include "service/read/bounded_queue.h"
#include "service/read/sql_values.h"
#include "service/read/xmin_facts.h"

namespace tsdb_source {
namespace {

// Events (batches of up to batch_max_bytes) queued between the COPY thread and the
// emitting thread.
constexpr size_t kPipeDepth = 4;

bool SameValue(const v1::ScalarValue& a, const v1::ScalarValue& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

}  // namespace

std::vector<pg::ColumnSpec> ColumnSpecsFor(const v1::Stream& stream) {
  std::vector<pg::ColumnSpec> specs;
  for (const v1::Column& c : stream.columns()) {
    pg::ColumnSpec spec;
    spec.name = c.name();
    const ReadCast cast = ReadCastFor(c);
    spec.type_oid = cast.type_oid != 0 ? cast.type_oid : c.type_oid();
    if (c.kind() == v1::VALUE_KIND_ARRAY) spec.element_type_oid = pg::ElementTypeForArray(spec.type_oid);
    specs.push_back(std::move(spec));
  }
  return specs;
}

absl::StatusOr<std::unique_ptr<ChunkReader>> ChunkReader::Create(pg::Connection* conn,
                                                                const StreamPlan& plan,
                                                                const v1::ReadOptions& options,
                                                                std::string cursor_filter,
                                                                ReadControl* control) {
  std::vector<pg::ColumnSpec> specs = ColumnSpecsFor(*plan.stream);
  std::vector<std::string> select;
  for (const v1::Column& c : plan.stream->columns()) {
    select.push_back(absl::StrCat(pg::QuoteIdent(c.name()), ReadCastFor(c).sql));
  }
  ASSIGN_OR_RETURN(pg::BatchBuilder builder,
                   pg::BatchBuilder::Create(std::move(specs), PQserverVersion(conn->raw())));
  builder.set_stream(plan.stream->stream());
  std::unique_ptr<ChunkReader> reader(new ChunkReader(conn, plan, std::move(builder)));
  reader->select_list_ = absl::StrJoin(select, ", ");
  reader->cursor_filter_ = std::move(cursor_filter);
  const ResolvedReadOptions resolved = ResolveReadOptions(options);
  reader->max_rows_ = resolved.batch_max_rows;
  reader->max_bytes_ = resolved.batch_max_bytes;
  reader->checkpoint_records_ = resolved.checkpoint_every_records;
  reader->copy_options_.idle_timeout = resolved.idle_timeout;
  if (control != nullptr) reader->copy_options_.stop = [control] { return control->cancelled(); };
  reader->checkpoint_seconds_ = static_cast<double>(resolved.checkpoint_every.count());
  return reader;
}

ChunkReader::ChunkReader(pg::Connection* conn, const StreamPlan& plan, pg::BatchBuilder builder)
    : conn_(conn), plan_(plan), builder_(std::move(builder)) {}

absl::StatusOr<std::vector<std::string>> ChunkReader::CopySqls(const ChunkTask& task) const {
  std::vector<std::string> base;
  if (!cursor_filter_.empty()) base.push_back(cursor_filter_);
  if (!task.filter.empty()) base.push_back(task.filter);
  if (!task.resume_key.empty()) {
    if (task.resume_key.size() != plan_.order_columns.size()) {
      return absl::InvalidArgumentError("a saved position does not match the ordering key");
    }
    std::vector<std::string> columns, values;
    for (size_t i = 0; i < plan_.order_columns.size(); ++i) {
      const v1::Column& column = plan_.stream->columns(plan_.order_columns[i]);
      columns.push_back(pg::QuoteIdent(column.name()));
      ASSIGN_OR_RETURN(std::string value, SqlValue(column, task.resume_key[i]));
      values.push_back(std::move(value));
    }
    base.push_back(absl::StrCat("(", absl::StrJoin(columns, ", "), ") ",
                                plan_.strict_order ? ">" : ">=", " (",
                                absl::StrJoin(values, ", "), ")"));
  }
  std::string order;
  if (!plan_.order_columns.empty()) {
    std::vector<std::string> names;
    for (int i : plan_.order_columns) names.push_back(pg::QuoteIdent(plan_.stream->columns(i).name()));
    order = absl::StrCat(" ORDER BY ", absl::StrJoin(names, ", "));
  }
  auto statement = [&](const std::vector<std::string>& conditions) {
    std::string sql = absl::StrCat("COPY (SELECT ", select_list_, " FROM ", task.relation);
    if (!conditions.empty()) absl::StrAppend(&sql, " WHERE ", absl::StrJoin(conditions, " AND "));
    absl::StrAppend(&sql, order, ") TO STDOUT (FORMAT binary)");
    return sql;
  };
  if (task.slices.empty()) return std::vector<std::string>{statement(base)};
  if (plan_.slice_column < 0) return absl::InvalidArgumentError("slices without a slice column");
  const v1::Column& column = plan_.stream->columns(plan_.slice_column);
  std::vector<std::string> sqls;
  for (const TimeSlice& slice : task.slices) {
    std::vector<std::string> conditions = base;
    for (const auto& [bound, op] : {std::make_pair(slice.lower, " >= "), std::make_pair(slice.upper, " < ")}) {
      if (!bound.has_value()) continue;
      ASSIGN_OR_RETURN(std::string value, SqlValue(column, SliceValue(*bound)));
      conditions.push_back(absl::StrCat(pg::QuoteIdent(column.name()), op, value));
    }
    sqls.push_back(statement(conditions));
  }
  return sqls;
}

v1::ScalarValue ChunkReader::SliceValue(int64_t bound) const {
  v1::ScalarValue value;
  value.set_kind(plan_.stream->columns(plan_.slice_column).kind());
  value.set_int64_value(bound);
  return value;
}

// Follows the ordering key through the current batch: its last row's key, and how many
// rows in a row (across batches) carried exactly that key. Rows with a NULL key are passed
// over (they cannot position a resume; the key before them stands). Only the run of equal
// keys at the end of the batch matters, so the batch is walked backwards from its last row
// and values are compared in place: one ScalarValue per key column per batch, not per row.
void ChunkReader::TrackKey() {
  if (plan_.order_columns.empty()) return;
  const v1::RecordBatch& batch = builder_.batch();
  std::vector<const v1::ColumnValues*> columns;
  std::vector<bool> text;
  for (int c : plan_.order_columns) {
    const v1::ValueKind kind = plan_.stream->columns(c).kind();
    if (!IsPositionKind(kind)) return;  // ValueAt gives nothing: no row has a usable key
    columns.push_back(&batch.columns(c));
    text.push_back(kind == v1::VALUE_KIND_TEXT || kind == v1::VALUE_KIND_NUMERIC);
  }
  const size_t n = columns.size();
  // As ValueAt: NULL, or no value at that index.
  auto no_key = [&](uint32_t row) {
    for (size_t i = 0; i < n; ++i) {
      const v1::ColumnValues& v = *columns[i];
      if (IsNullAt(v, row)) return true;
      const int size = text[i] ? v.strings().values_size() : v.int64s().values_size();
      if (static_cast<int>(row) >= size) return true;
    }
    return false;
  };
  auto same_rows = [&](uint32_t a, uint32_t b) {
    for (size_t i = 0; i < n; ++i) {
      const v1::ColumnValues& v = *columns[i];
      if (text[i] ? v.strings().values(a) != v.strings().values(b)
                  : v.int64s().values(a) != v.int64s().values(b)) {
        return false;
      }
    }
    return true;
  };
  uint32_t last = batch.row_count();
  while (last > 0 && no_key(last - 1)) --last;
  if (last == 0) return;  // no row with a key: the last key stands
  const uint32_t key_row = last - 1;
  uint64_t run = 1;
  bool run_reaches_start = true;
  for (uint32_t row = key_row; row > 0; --row) {
    if (no_key(row - 1)) continue;
    if (!same_rows(row - 1, key_row)) {
      run_reaches_start = false;
      break;
    }
    ++run;
  }
  std::vector<v1::ScalarValue> key;
  for (size_t i = 0; i < n; ++i) {
    const int c = plan_.order_columns[i];
    key.push_back(*ValueAt(*columns[i], plan_.stream->columns(c).kind(), key_row));
  }
  bool same = run_reaches_start && key.size() == last_key_.size();
  for (size_t i = 0; same && i < key.size(); ++i) same = SameValue(key[i], last_key_[i]);
  if (same) {
    rows_at_key_ += run;
  } else {
    last_key_ = std::move(key);
    rows_at_key_ = run;
  }
}

absl::Status ChunkReader::Read(const ChunkTask& task,
                               const std::function<absl::Status(ChunkEvent)>& emit) {
  ASSIGN_OR_RETURN(std::vector<std::string> sqls, CopySqls(task));
  if (!pipelined_) return ReadTask(task, sqls, emit);
  // The COPY is received, parsed and batched on a thread of its own while this thread
  // emits (serialises and sends) the batches before it, so that the database, the
  // decoding and the sending overlap instead of taking turns. Events keep their order.
  BoundedQueue<ChunkEvent> pipe(kPipeDepth);
  pipe.AddProducer();
  absl::Status copy_status;
  std::thread copier([&] {
    copy_status = ReadTask(task, sqls, [&](ChunkEvent event) -> absl::Status {
      if (!pipe.Push(std::move(event))) return absl::CancelledError("the read stopped");
      return absl::OkStatus();
    });
    pipe.ProducerDone();
  });
  absl::Status emit_status;
  ChunkEvent event;
  while (pipe.Pop(&event)) {
    emit_status = emit(std::move(event));
    if (!emit_status.ok()) {
      pipe.Close();     // the copier's next push fails, which ends its COPY
      conn_->Cancel();  // and a COPY waiting for the database stops as well
      break;
    }
  }
  copier.join();
  if (!emit_status.ok()) return emit_status;
  return copy_status;
}

absl::Status ChunkReader::ReadTask(const ChunkTask& task, const std::vector<std::string>& sqls,
                                   const std::function<absl::Status(ChunkEvent)>& emit) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  uint64_t bytes = 0;
  if (task.heap_only) {
    if (sqls.size() != 1) return absl::InternalError("a heap-only read is one statement");
    RETURN_IF_ERROR(conn_->Exec("BEGIN").status());
    absl::Status setup = conn_->Exec(kHeapOnlySetup).status();
    if (!setup.ok()) {
      (void)conn_->Exec("ROLLBACK");
      return setup;
    }
  }
  for (size_t i = 0; i < sqls.size(); ++i) {
    absl::Status status = ReadCopy(task, sqls[i], &bytes, emit);
    if (task.heap_only) {
      // Ends the transaction whatever happened (a failed COPY leaves it aborted).
      absl::Status end = conn_->Exec(status.ok() ? "COMMIT" : "ROLLBACK").status();
      if (status.ok()) status = end;
    }
    if (!status.ok() && SqlStateOf(status) == "42P01" && !task.label.empty()) {
      // The chunk was dropped (retention, drop_chunks) before or while it was read.
      builder_.Reset();
      ChunkEvent dropped;
      dropped.kind = ChunkEvent::Kind::kDropped;
      dropped.index = task.index;
      return emit(std::move(dropped));
    }
    RETURN_IF_ERROR(status);
    if (i + 1 < sqls.size() && i < task.slices.size() && task.slices[i].upper.has_value()) {
      // Every row of the chunk below the slice's upper bound has been emitted.
      ChunkEvent position;
      position.kind = ChunkEvent::Kind::kPosition;
      position.index = task.index;
      position.position.set_chunk(task.label);
      *position.position.add_last_key() = SliceValue(*task.slices[i].upper);
      RETURN_IF_ERROR(emit(std::move(position)));
    }
  }
  ChunkEvent done;
  done.kind = ChunkEvent::Kind::kDone;
  done.index = task.index;
  done.bytes = bytes;
  done.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return emit(std::move(done));
}

absl::Status ChunkReader::ReadCopy(const ChunkTask& task, const std::string& sql, uint64_t* bytes,
                                   const std::function<absl::Status(ChunkEvent)>& emit) {
  using Clock = std::chrono::steady_clock;
  builder_.Reset();
  builder_.set_chunk(task.label);
  last_key_.clear();
  rows_at_key_ = 0;
  auto last_position = Clock::now();
  uint64_t rows_since_position = 0;
  const bool key_positions = !plan_.order_columns.empty();

  auto flush = [&]() -> absl::Status {
    if (builder_.row_count() == 0) return absl::OkStatus();
    if (key_positions) TrackKey();
    rows_since_position += builder_.row_count();
    ChunkEvent event;
    event.kind = ChunkEvent::Kind::kBatch;
    event.index = task.index;
    pool_->Take(&event.batch);  // the builder continues in recycled storage, if any
    event.pool = pool_;
    builder_.Release(&event.batch);
    builder_.Reset();
    builder_.set_chunk(task.label);
    RETURN_IF_ERROR(emit(std::move(event)));
    if (!key_positions || last_key_.empty()) return absl::OkStatus();
    auto now = Clock::now();
    if (rows_since_position >= checkpoint_records_ ||
        std::chrono::duration<double>(now - last_position).count() >= checkpoint_seconds_) {
      ChunkEvent position;
      position.kind = ChunkEvent::Kind::kPosition;
      position.index = task.index;
      position.position.set_chunk(task.label);
      for (const v1::ScalarValue& v : last_key_) *position.position.add_last_key() = v;
      position.position.set_rows_at_key(rows_at_key_);
      rows_since_position = 0;
      last_position = now;
      RETURN_IF_ERROR(emit(std::move(position)));
    }
    return absl::OkStatus();
  };

  pg::CopyBinaryParser parser(plan_.stream->columns_size());
  std::vector<pg::FieldView> fields;
  uint64_t copied = 0;
  absl::Status status = pg::CopyOut(
      *conn_, sql,
      [&](absl::string_view buffer) -> absl::Status {
        ASSIGN_OR_RETURN(bool row, parser.NextRow(buffer, &fields));
        if (!row) return absl::OkStatus();
        absl::Status appended = builder_.AppendRow(fields);
        if (appended.code() == absl::StatusCode::kFailedPrecondition && builder_.row_count() > 0) {
          // An array of another dimension count than the batch's: it starts a new batch.
          RETURN_IF_ERROR(flush());
          appended = builder_.AppendRow(fields);
        }
        RETURN_IF_ERROR(appended);
        if (builder_.row_count() >= max_rows_ || builder_.approx_bytes() >= max_bytes_) {
          return flush();
        }
        return absl::OkStatus();
      },
      &copied, copy_options_);
  *bytes += copied;
  RETURN_IF_ERROR(status);
  return flush();
}

}  // namespace tsdb_source
