#include "service/read/stream_plan.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "service/catalog/type_mapping.h"
#include "service/common/errors.h"
#include "service/read/sql_values.h"

namespace tsdb_source {
namespace {

absl::Status Invalid(v1::ErrorReason reason, absl::string_view message) {
  return MakeError(absl::StatusCode::kInvalidArgument, reason, message);
}

std::string Name(const std::string& ns, const std::string& name) {
  return ns.empty() ? name : absl::StrCat(ns, ".", name);
}

bool IsCursorKind(v1::ValueKind kind) {
  return kind == v1::VALUE_KIND_INT64 || kind == v1::VALUE_KIND_TIMESTAMP ||
         kind == v1::VALUE_KIND_TIMESTAMPTZ || kind == v1::VALUE_KIND_DATE;
}

int ColumnIndex(const v1::Stream& stream, const std::string& name) {
  for (int i = 0; i < stream.columns_size(); ++i) {
    if (stream.columns(i).name() == name) return i;
  }
  return -1;
}

// A saved position value must be usable with its column.
bool UsableValue(const v1::Column& column, const v1::ScalarValue& value) {
  return SqlValue(column, value).ok();
}

absl::Status PlanStream(const v1::ConfiguredStream& cs, const v1::Stream* stream,
                        const ResolvedConfig& config, StreamPlan* plan) {
  std::string name = Name(stream->stream().namespace_(), stream->stream().name());
  plan->stream = stream;
  if (cs.sync_mode() == v1::SYNC_MODE_UNSPECIFIED) {
    return Invalid(v1::ERROR_REASON_INVALID_CATALOG, absl::StrCat("stream ", name, " has no sync_mode"));
  }
  plan->incremental = cs.sync_mode() == v1::SYNC_MODE_INCREMENTAL;
  plan->chunked =
      (stream->kind() == v1::RELATION_KIND_HYPERTABLE && config.timescaledb_support) ||
      stream->kind() == v1::RELATION_KIND_PARTITIONED_TABLE;
  if (plan->incremental && config.xmin) {
    // Rows are found by their xmin: only relations that store rows have one.
    switch (stream->kind()) {
      case v1::RELATION_KIND_TABLE:
      case v1::RELATION_KIND_PARTITIONED_TABLE:
      case v1::RELATION_KIND_HYPERTABLE:
        break;
      default:
        return Invalid(v1::ERROR_REASON_UNSUPPORTED_SYNC_MODE,
                       absl::StrCat("stream ", name,
                                    " is a view, materialized view, continuous aggregate or "
                                    "foreign table: it has no xmin for replication_method Xmin "
                                    "to find changed rows by (read it with full_refresh, or use "
                                    "replication_method Standard with a cursor column)"));
    }
    plan->xmin = true;
    plan->chunked = plan->chunked || stream->kind() == v1::RELATION_KIND_HYPERTABLE;
    return absl::OkStatus();
  }
  // Change data capture finds new rows itself: no cursor (the source defines it).
  plan->capture = plan->incremental && config.cdc;
  if (plan->incremental && !plan->capture) {
    if (cs.cursor_field_size() > 1) {
      return Invalid(v1::ERROR_REASON_INVALID_CURSOR,
                     absl::StrCat("stream ", name, ": nested cursor fields are not supported"));
    }
    std::string cursor = cs.cursor_field_size() == 1 ? cs.cursor_field(0) : stream->default_cursor_field();
    if (cursor.empty()) {
      return Invalid(v1::ERROR_REASON_MISSING_CURSOR, absl::StrCat("stream ", name,
                                                    " is incremental but has no cursor_field "
                                                    "and no default cursor"));
    }
    plan->cursor_index = ColumnIndex(*stream, cursor);
    if (plan->cursor_index < 0) {
      return Invalid(v1::ERROR_REASON_UNKNOWN_CURSOR,
                     absl::StrCat("stream ", name, " has no column '", cursor, "' to use as cursor"));
    }
    const v1::Column& column = stream->columns(plan->cursor_index);
    if (!IsCursorKind(column.kind())) {
      return Invalid(v1::ERROR_REASON_UNSUPPORTED_CURSOR,
                     absl::StrCat("stream ", name, ": cursor column '", cursor, "' of type ",
                                  column.pg_type(),
                                  " cannot be a cursor (use an integer, date, timestamp or "
                                  "timestamptz column)"));
    }
    plan->cursor_is_time = stream->has_hypertable() &&
                           stream->hypertable().time_dimension().column_name() == cursor;
  }
  // The column of in-chunk positions, the ordering key of in-table positions.
  if (plan->chunked && stream->has_hypertable()) {
    plan->slice_column = SliceColumn(*stream);
  } else if (!plan->chunked && (stream->kind() == v1::RELATION_KIND_TABLE ||
                                stream->kind() == v1::RELATION_KIND_HYPERTABLE)) {
    std::vector<int> key;
    for (const std::string& column : stream->primary_key()) {
      int index = ColumnIndex(*stream, column);
      if (index < 0 || !IsPositionKind(stream->columns(index).kind()) ||
          !TextReadsBack(stream->columns(index))) {
        key.clear();
        break;
      }
      key.push_back(index);
    }
    plan->order_columns = key;
    plan->strict_order = !key.empty();
  }
  return absl::OkStatus();
}

// An Xmin stream's state (XminState; a source-postgres xmin state taken over by the shim
// is one with a horizon only).
absl::Status ApplyXminState(const v1::StreamState& state, StreamPlan* plan,
                            std::vector<std::string>* warnings) {
  const v1::Stream& stream = *plan->stream;
  std::string name = Name(stream.stream().namespace_(), stream.stream().name());
  if (state.version() != kStateVersion) {
    return Invalid(v1::ERROR_REASON_INVALID_STATE, absl::StrCat("the state of stream ", name, " has version ",
                                                 state.version(), "; this release reads version ",
                                                 kStateVersion));
  }
  if (!state.has_xmin()) {
    warnings->push_back(absl::StrCat("stream ", name, ": the saved state is not an Xmin state "
                                     "(replication_method changed?); the stream is read in full"));
    return absl::OkStatus();
  }
  // (An interrupted first sync has relations and no horizon yet: the others are read whole.)
  plan->xmin_state = state.xmin();
  return absl::OkStatus();
}

// Applies a saved state to a plan, or explains in a warning why it is not used.
absl::Status ApplyState(const v1::StreamState& state, StreamPlan* plan,
                        std::vector<std::string>* warnings) {
  const v1::Stream& stream = *plan->stream;
  std::string name = Name(stream.stream().namespace_(), stream.stream().name());
  if (plan->xmin) return ApplyXminState(state, plan, warnings);
  if (plan->capture) {
    warnings->push_back(absl::StrCat("stream ", name, ": a per-stream state is ignored by change "
                                     "data capture, which continues from a GLOBAL state"));
    return absl::OkStatus();
  }
  if (state.version() != kStateVersion) {
    return Invalid(v1::ERROR_REASON_INVALID_STATE, absl::StrCat("the state of stream ", name, " has version ",
                                                 state.version(), "; this release reads version ",
                                                 kStateVersion));
  }
  bool incremental_state = state.sync_mode() == v1::SYNC_MODE_INCREMENTAL;
  if (plan->incremental != incremental_state) {
    warnings->push_back(absl::StrCat("stream ", name, ": the saved state is of another sync mode; "
                                     "the stream starts from the beginning"));
    return absl::OkStatus();
  }
  if (plan->incremental) {
    const v1::Column& column = stream.columns(plan->cursor_index);
    if (state.cursor_field_size() != 1 || state.cursor_field(0) != column.name()) {
      warnings->push_back(absl::StrCat("stream ", name, ": the saved cursor column differs from '",
                                       column.name(), "'; the stream starts from the beginning"));
      return absl::OkStatus();
    }
    if (state.has_cursor()) {
      if (!UsableValue(column, state.cursor())) {
        return Invalid(v1::ERROR_REASON_INVALID_STATE, absl::StrCat("the state of stream ", name,
                                                     " holds a cursor value unusable with column ",
                                                     column.name()));
      }
      plan->cursor = state.cursor();
      // A cursor given as text alone (a source-postgres state the shim took over) is of the
      // column's kind: the state this read writes says so.
      if (plan->cursor->kind() == v1::VALUE_KIND_UNSPECIFIED) plan->cursor->set_kind(column.kind());
    }
  }
  if (state.completed()) return absl::OkStatus();  // the next sync starts over (or from the cursor)
  if (plan->chunked) {
    for (const v1::ChunkPosition& p : state.chunks().in_flight()) {
      if (plan->slice_column < 0 || p.last_key_size() != 1 ||
          p.last_key(0).value_case() != v1::ScalarValue::kInt64Value ||
          !UsableValue(stream.columns(plan->slice_column), p.last_key(0))) {
        return Invalid(v1::ERROR_REASON_INVALID_STATE, absl::StrCat("the state of stream ", name,
                                                     " holds an unusable position in chunk ", p.chunk()));
      }
    }
    plan->progress = state.chunks();
  } else if (state.last_primary_key_size() > 0) {
    if (state.last_primary_key_size() != static_cast<int>(plan->order_columns.size())) {
      return Invalid(v1::ERROR_REASON_INVALID_STATE, absl::StrCat("the state of stream ", name,
                                                   " holds a key of another primary key"));
    }
    for (size_t i = 0; i < plan->order_columns.size(); ++i) {
      if (!UsableValue(stream.columns(plan->order_columns[i]), state.last_primary_key(i))) {
        return Invalid(v1::ERROR_REASON_INVALID_STATE, absl::StrCat("the state of stream ", name,
                                                     " holds an unusable primary key value"));
      }
    }
    plan->last_primary_key.assign(state.last_primary_key().begin(), state.last_primary_key().end());
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<StreamPlan> SnapshotPlan(const StreamPlan& plan, SnapshotChanges changes,
                                        const v1::StreamState* saved,
                                        std::vector<std::string>* warnings) {
  StreamPlan snapshot = plan;
  snapshot.incremental = false;
  snapshot.capture = false;
  snapshot.snapshot_changes = changes;
  if (saved != nullptr) {
    if (auto s = ApplyState(*saved, &snapshot, warnings); !s.ok()) return s;
  }
  return snapshot;
}

int SliceColumn(const v1::Stream& stream) {
  if (!stream.has_hypertable()) return -1;
  int time = ColumnIndex(stream, stream.hypertable().time_dimension().column_name());
  if (time < 0) return -1;
  switch (stream.columns(time).kind()) {
    case v1::VALUE_KIND_TIMESTAMPTZ:
    case v1::VALUE_KIND_TIMESTAMP:
    case v1::VALUE_KIND_DATE:
    case v1::VALUE_KIND_INT64:
      return time;
    default:
      return -1;
  }
}

absl::StatusOr<std::vector<StreamPlan>> PlanRead(const v1::ReadRequest& request,
                                                 const v1::Catalog& catalog,
                                                 const ResolvedConfig& config,
                                                 std::vector<std::string>* warnings,
                                                 std::vector<v1::StreamDescriptor>* skipped) {
  if (request.catalog().streams_size() == 0) {
    return Invalid(v1::ERROR_REASON_EMPTY_CATALOG, "the configured catalog has no streams");
  }
  std::map<std::pair<std::string, std::string>, const v1::Stream*> known;
  for (const v1::Stream& s : catalog.streams()) known[{s.stream().namespace_(), s.stream().name()}] = &s;
  std::vector<StreamPlan> plans;
  std::map<std::pair<std::string, std::string>, size_t> index;
  std::set<std::pair<std::string, std::string>> missing;
  for (const v1::ConfiguredStream& cs : request.catalog().streams()) {
    std::string ns = cs.stream().namespace_().empty() ? config.schemas.front() : cs.stream().namespace_();
    auto it = known.find({ns, cs.stream().name()});
    if (it == known.end() && request.options().skip_missing_streams()) {
      if (!missing.emplace(ns, cs.stream().name()).second) continue;
      if (skipped != nullptr) {
        v1::StreamDescriptor d = cs.stream();
        d.set_namespace_(ns);
        skipped->push_back(std::move(d));
      }
      continue;
    }
    if (it == known.end()) {
      return Invalid(v1::ERROR_REASON_UNKNOWN_STREAM, absl::StrCat("stream ", Name(ns, cs.stream().name()),
                                                    " does not exist or is not readable in the "
                                                    "configured schemas; run discover again"));
    }
    if (!index.emplace(std::make_pair(ns, cs.stream().name()), plans.size()).second) {
      return Invalid(v1::ERROR_REASON_DUPLICATE_STREAM,
                     absl::StrCat("stream ", Name(ns, cs.stream().name()), " is configured twice"));
    }
    StreamPlan plan;
    if (auto s = PlanStream(cs, it->second, config, &plan); !s.ok()) return s;
    plans.push_back(std::move(plan));
  }
  std::set<size_t> seen;
  for (const v1::StreamState& state : request.state()) {
    std::string ns = state.stream().namespace_().empty() ? config.schemas.front() : state.stream().namespace_();
    auto it = index.find({ns, state.stream().name()});
    if (it == index.end() && missing.count({ns, state.stream().name()}) != 0) {
      continue;  // a skipped stream's state: it stays the platform's until the stream is read
    }
    if (it == index.end()) {
      warnings->push_back(absl::StrCat("a state for stream ", Name(ns, state.stream().name()),
                                       ", which is not in the configured catalog, is ignored"));
      continue;
    }
    if (!seen.insert(it->second).second) {
      return Invalid(v1::ERROR_REASON_INVALID_STATE,
                     absl::StrCat("two states for stream ", Name(ns, state.stream().name())));
    }
    if (auto s = ApplyState(state, &plans[it->second], warnings); !s.ok()) return s;
  }
  return plans;
}

}  // namespace tsdb_source
