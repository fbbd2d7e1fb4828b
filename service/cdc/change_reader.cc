#include "service/cdc/change_reader.h"

#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "service/catalog/discover.h"
#include "service/catalog/type_mapping.h"
#include "service/cdc/pgoutput.h"
#include "service/cdc/relation_map.h"
#include "service/cdc/replication_stream.h"
#include "service/common/errors.h"
#include "service/common/status_macros.h"
#include "service/config/read_options.h"
#include "service/pg/copy/batch_builder.h"
#include "service/pg/copy/big_endian.h"
#include "service/pg/lsn.h"
#include "service/read/chunk_reader.h"
#include "service/read/event_emitter.h"

namespace tsdb_source::cdc {
namespace {

using Clock = std::chrono::steady_clock;

bool IsMarker(absl::string_view prefix, absl::string_view suffix) {
  return prefix == absl::StrCat("::timescaledb-compression-", suffix) ||
         prefix == absl::StrCat("::timescaledb-decompression-", suffix);
}

// The batches of one stream and how relation tuples map onto its columns.
struct StreamOut {
  const v1::Stream* stream = nullptr;
  std::unique_ptr<pg::BatchBuilder> builder;
  // RecordBatch.changes of the rows in `builder`: one entry per row.
  v1::ChangeMetadata changes;
  bool any_deleted = false;
  bool running = false;
  bool warned_toast = false;
  bool warned_text = false;
};

class ChangeReader {
 public:
  ChangeReader(pg::Connection& conn, const ResolvedConfig& config,
               const std::vector<const v1::Stream*>& streams, const v1::ReadRequest& request,
               ReadSink* sink, ReadControl* control, CdcCheckpoints* checkpoints,
               ChangeReadStats* stats)
      : conn_(conn), config_(config), request_(request), sink_(sink), control_(control),
        events_(sink, control),
        checkpoints_(checkpoints), stats_(stats) {
    std::vector<v1::StreamDescriptor> descriptors;
    for (const v1::Stream* s : streams) {
      descriptors.push_back(s->stream());
      StreamOut out;
      out.stream = s;
      outs_.push_back(std::move(out));
    }
    map_ = std::make_unique<RelationMap>(descriptors, config.timescaledb_support);
    const ResolvedReadOptions o = ResolveReadOptions(request.options());
    max_rows_ = o.batch_max_rows;
    checkpoint_records_ = o.checkpoint_every_records;
    checkpoint_seconds_ = o.checkpoint_every.count();
  }

  absl::Status Run(uint64_t start_lsn, uint64_t ack_lsn) {
    ASSIGN_OR_RETURN(bool timescale, TimescaleInstalled(conn_));
    if (!timescale) map_ = std::make_unique<RelationMap>(Descriptors(), false);
    RETURN_IF_ERROR(LoadEnumTypes());
    RETURN_IF_ERROR(LoadMoneyScale());
    // Where "caught up" is: the server's WAL position now.
    ASSIGN_OR_RETURN(pg::Result now, conn_.Exec("SELECT pg_catalog.pg_current_wal_lsn()::text"));
    ASSIGN_OR_RETURN(uint64_t target, pg::ParseLsn(now.Get(0, 0)));

    ReplicationOptions options;
    options.connect = config_.connect;
    options.slot = config_.replication_slot;
    options.publications = {config_.publication};
    options.start_lsn = start_lsn;
    ASSIGN_OR_RETURN(std::unique_ptr<ReplicationStream> stream, ReplicationStream::Start(options));
    if (ack_lsn > 0) {
      // Only now, with the client holding a state at ack_lsn, may the slot forget what
      // comes before it.
      RETURN_IF_ERROR(stream->SendStatus(ack_lsn, ack_lsn, ack_lsn));
    }
    absl::Status status = Stream(*stream, target);
    absl::Status closed = stream->Close(absl::Seconds(5));
    if (!status.ok()) return status;
    (void)closed;  // a slow CopyDone handshake does not fail a complete read
    return absl::OkStatus();
  }

 private:
  std::vector<v1::StreamDescriptor> Descriptors() const {
    std::vector<v1::StreamDescriptor> out;
    for (const StreamOut& s : outs_) out.push_back(s.stream->stream());
    return out;
  }

  absl::Status LoadEnumTypes() {
    ASSIGN_OR_RETURN(pg::Result r, conn_.Exec("SELECT oid FROM pg_catalog.pg_type WHERE typtype = 'e'"));
    for (int i = 0; i < r.rows(); ++i) {
      uint32_t oid = 0;
      if (absl::SimpleAtoi(r.Get(i, 0), &oid)) enum_types_.insert(oid);
    }
    return absl::OkStatus();
  }

  // money travels as an int64 of the currency's smallest unit; its decimal places are
  // the locale's (lc_monetary), which money::numeric applies in the snapshot too.
  absl::Status LoadMoneyScale() {
    ASSIGN_OR_RETURN(pg::Result r,
                     conn_.Exec("SELECT pg_catalog.scale('0'::pg_catalog.money::pg_catalog.numeric)"));
    if (r.rows() != 1 || !absl::SimpleAtoi(r.Get(0, 0), &money_scale_) || money_scale_ < 0 ||
        money_scale_ > 18) {
      return absl::InternalError("could not read the decimal places of money (lc_monetary)");
    }
    return absl::OkStatus();
  }

  // The decimal text of a money value in its binary form (8 bytes): what money::numeric
  // prints, e.g. -100050 with 2 places is "-1000.50". False for a malformed value.
  bool MoneyText(absl::string_view binary, std::string* out) const {
    if (binary.size() != 8) return false;
    const int64_t v = static_cast<int64_t>(pg::LoadBigEndian64(binary.data()));
    uint64_t magnitude = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    std::string digits = absl::StrCat(magnitude);
    if (digits.size() <= static_cast<size_t>(money_scale_)) {
      digits.insert(0, static_cast<size_t>(money_scale_) + 1 - digits.size(), '0');
    }
    out->assign(v < 0 ? "-" : "");
    out->append(digits, 0, digits.size() - static_cast<size_t>(money_scale_));
    if (money_scale_ > 0) {
      out->push_back('.');
      out->append(digits, digits.size() - static_cast<size_t>(money_scale_), std::string::npos);
    }
    return true;
  }

  static bool IsMoney(const v1::Column& column) {
    return column.type_oid() == kMoneyOid && column.kind() == v1::VALUE_KIND_NUMERIC;
  }

  bool Cancelled() const { return control_ != nullptr && control_->cancelled(); }

  absl::Status Send(const v1::ReadResponse& r) { return events_.Send(r); }

  absl::Status Log(v1::LogLevel level, std::string message) {
    return events_.Log(level, std::move(message));
  }

  absl::Status Stream(ReplicationStream& stream, uint64_t target) {
    const bool follow = request_.follow();
    const auto started = Clock::now();
    const auto first_change_deadline = started + std::chrono::seconds(config_.initial_waiting_seconds);
    auto last_checkpoint = Clock::now();
    auto last_ping = Clock::now();
    bool in_transaction = false;
    bool seen_change = false;
    uint64_t records_since_checkpoint = 0;
    for (;;) {
      if (Cancelled()) return absl::CancelledError("the read was cancelled");
      ASSIGN_OR_RETURN(std::optional<XLogData> data, stream.Next(absl::Milliseconds(200)));
      if (!data.has_value()) {
        if (!in_transaction) {
          // Everything the server sent before its last keepalive was handled, and no
          // transaction is open: the position the keepalive names is covered.
          pending_lsn_ = std::max(pending_lsn_, stream.server_wal_end());
          if (!follow && pending_lsn_ >= target) return Finish();
          if (!follow && !seen_change && Clock::now() >= first_change_deadline) return Finish();
        }
        if (Clock::now() - last_ping > std::chrono::milliseconds(500)) {
          // Ask for a keepalive: it tells how far the server's WAL has been sent.
          RETURN_IF_ERROR(stream.SendStatus(0, 0, 0, /*reply_requested=*/true));
          last_ping = Clock::now();
        }
        continue;
      }
      ASSIGN_OR_RETURN(Change change, DecodePgoutput(data->payload));
      switch (change.kind) {
        case Change::Kind::kBegin:
          in_transaction = true;
          in_compression_ = false;
          commit_lsn_ = change.final_lsn;
          commit_time_ = change.commit_time_micros;
          break;
        case Change::Kind::kRelation:
          RETURN_IF_ERROR(relations_.Apply(change).status());
          column_maps_.erase(change.relation_oid);  // its columns may have changed
          break;
        case Change::Kind::kMessage:
          if (change.transactional && IsMarker(change.prefix, "start")) in_compression_ = true;
          if (change.transactional && IsMarker(change.prefix, "end")) in_compression_ = false;
          break;
        case Change::Kind::kInsert:
        case Change::Kind::kUpdate:
        case Change::Kind::kDelete: {
          if (in_compression_) {
            ++stats_->compression_dropped;
            break;
          }
          ASSIGN_OR_RETURN(bool emitted, Row(change));
          if (emitted) {
            seen_change = true;
            ++records_since_checkpoint;
          }
          break;
        }
        case Change::Kind::kTruncate:
          for (uint32_t oid : change.relation_oids) {
            const RelationInfo* rel = relations_.Find(oid);
            if (rel == nullptr) continue;
            ASSIGN_OR_RETURN(auto index, map_->Resolve(conn_, rel->namespace_name, rel->name));
            if (!index.has_value()) continue;
            RETURN_IF_ERROR(Log(v1::LOG_LEVEL_WARN,
                                absl::StrCat("TRUNCATE of ", rel->namespace_name, ".", rel->name,
                                             " (stream ", outs_[*index].stream->stream().name(),
                                             "): its rows were removed without per-row deletes; "
                                             "run a full refresh of the stream to reflect it")));
          }
          break;
        case Change::Kind::kCommit: {
          in_transaction = false;
          in_compression_ = false;
          uint64_t end = change.end_lsn;
          bool due = records_since_checkpoint >= checkpoint_records_ ||
                     Clock::now() - last_checkpoint >= std::chrono::seconds(checkpoint_seconds_);
          if (due || end >= target) {
            RETURN_IF_ERROR(FlushAll());
            checkpoints_->set_lsn(std::max(checkpoints_->lsn(), end));
            if (!checkpoints_->Emit()) return absl::CancelledError("the read was cancelled");
            records_since_checkpoint = 0;
            last_checkpoint = Clock::now();
          } else {
            pending_lsn_ = std::max(pending_lsn_, end);
          }
          if (!follow && end >= target) return Finish();
          break;
        }
        default:
          break;
      }
    }
  }

  absl::Status Finish() {
    RETURN_IF_ERROR(FlushAll());
    checkpoints_->set_lsn(std::max(checkpoints_->lsn(), pending_lsn_));
    // No more changes in this read: each chunk the batches named has ended.
    if (!checkpoints_->EndChanges()) return absl::CancelledError("the read was cancelled");
    if (!checkpoints_->Emit()) return absl::CancelledError("the read was cancelled");
    return absl::OkStatus();
  }

  absl::Status FlushAll() {
    for (StreamOut& out : outs_) RETURN_IF_ERROR(Flush(out));
    return absl::OkStatus();
  }

  absl::Status Flush(StreamOut& out) {
    if (out.builder == nullptr || out.builder->row_count() == 0) return absl::OkStatus();
    if (!out.running) {
      out.running = true;
      RETURN_IF_ERROR(events_.Status(out.stream->stream(),
                                                          v1::STREAM_STATUS_KIND_RUNNING));
    }
    stats_->changes += out.builder->row_count();
    v1::ReadResponse r;
    out.builder->Release(r.mutable_records());
    checkpoints_->AddChanges(out.stream->stream(), r.records().chunk(), r.records().row_count());
    out.builder->Reset();
    if (!out.any_deleted) out.changes.clear_deleted();
    r.mutable_records()->mutable_changes()->Swap(&out.changes);
    out.changes.Clear();
    out.any_deleted = false;
    return Send(r);
  }

  absl::StatusOr<pg::BatchBuilder*> Builder(StreamOut& out) {
    if (out.builder == nullptr) {
      std::vector<pg::ColumnSpec> specs = ColumnSpecsFor(*out.stream);
      // money arrives in its binary form and is passed on as its decimal text (MoneyText).
      for (int c = 0; c < out.stream->columns_size(); ++c) {
        if (IsMoney(out.stream->columns(c))) specs[static_cast<size_t>(c)].type_oid = 25;
      }
      ASSIGN_OR_RETURN(pg::BatchBuilder builder,
                       pg::BatchBuilder::Create(std::move(specs), PQserverVersion(conn_.raw())));
      builder.set_stream(out.stream->stream());
      out.builder = std::make_unique<pg::BatchBuilder>(std::move(builder));
    }
    return out.builder.get();
  }

  // For each of the stream's table columns, its position in the relation's tuples (-1: the
  // relation has no such column), found by name once per Relation message and stream.
  const std::vector<int>& ColumnMap(const RelationInfo& rel, size_t stream_index,
                                    const StreamOut& out, int table_columns) {
    std::vector<int>& map = column_maps_[rel.oid][stream_index];
    if (map.size() == static_cast<size_t>(table_columns)) return map;
    map.assign(static_cast<size_t>(table_columns), -1);
    for (int c = 0; c < table_columns; ++c) {
      const std::string& name = out.stream->columns(c).name();
      for (size_t t = 0; t < rel.columns.size(); ++t) {
        if (rel.columns[t].name == name) {
          map[static_cast<size_t>(c)] = static_cast<int>(t);
          break;
        }
      }
    }
    return map;
  }

  // Appends one change as a record of its stream; false when it belongs to no stream.
  absl::StatusOr<bool> Row(const Change& change) {
    ASSIGN_OR_RETURN(const RelationInfo* rel, relations_.Resolve(change));
    ASSIGN_OR_RETURN(auto index, map_->Resolve(conn_, rel->namespace_name, rel->name));
    if (!index.has_value()) {
      ++stats_->unrelated;
      return false;
    }
    StreamOut& out = outs_[*index];
    ASSIGN_OR_RETURN(pg::BatchBuilder* builder, Builder(out));
    const bool deleted = change.kind == Change::Kind::kDelete;
    const std::vector<TupleValue>& tuple = deleted ? change.old_tuple : change.new_tuple;
    const int table_columns = out.stream->columns_size();
    fields_.assign(out.stream->columns_size(), pg::FieldView::Null());
    money_texts_.resize(static_cast<size_t>(out.stream->columns_size()));
    const std::vector<int>& tuple_index = ColumnMap(*rel, *index, out, table_columns);
    for (int c = 0; c < table_columns; ++c) {
      const v1::Column& column = out.stream->columns(c);
      {
        const int t = tuple_index[static_cast<size_t>(c)];
        if (t < 0 || static_cast<size_t>(t) >= tuple.size()) continue;
        const TupleValue& value = tuple[static_cast<size_t>(t)];
        if (value.kind == TupleValueKind::kUnchangedToast) {
          if (!out.warned_toast) {
            out.warned_toast = true;
            RETURN_IF_ERROR(Log(v1::LOG_LEVEL_WARN,
                                absl::StrCat("stream ", out.stream->stream().name(), ": an update left the "
                                             "large value of column ", column.name(),
                                             " unchanged, and logical replication does not send it; "
                                             "emitted as null (REPLICA IDENTITY FULL sends it)")));
          }
        } else if (value.kind == TupleValueKind::kBinary || value.kind == TupleValueKind::kText) {
          const ReadCast cast = ReadCastFor(column);
          const bool as_text = cast.type_oid != 0;
          bool usable = value.kind == TupleValueKind::kBinary
                            ? (!as_text || enum_types_.count(rel->columns[t].type_oid) > 0)
                            : cast.type_oid == pg::pg_oid::kText;
          if (value.kind == TupleValueKind::kBinary && IsMoney(column) &&
              MoneyText(value.data, &money_texts_[static_cast<size_t>(c)])) {
            fields_[c] = pg::FieldView::Of(money_texts_[static_cast<size_t>(c)]);
          } else if (usable) {
            fields_[c] = pg::FieldView::Of(value.data);
          } else if (!out.warned_text) {
            out.warned_text = true;
            RETURN_IF_ERROR(Log(v1::LOG_LEVEL_WARN,
                                absl::StrCat("stream ", out.stream->stream().name(), ": column ",
                                             column.name(), " of type ", column.pg_type(),
                                             " has no decoder for change data; emitted as null")));
          }
        }
      }
    }
    builder->set_chunk(absl::StrCat(rel->namespace_name, ".", rel->name));
    RETURN_IF_ERROR(builder->AppendRow(fields_));
    out.changes.add_lsn(commit_lsn_);
    out.changes.add_commit_time(commit_time_);
    out.changes.add_deleted(deleted);
    out.any_deleted = out.any_deleted || deleted;
    if (builder->row_count() >= max_rows_) RETURN_IF_ERROR(Flush(out));
    return true;
  }

  pg::Connection& conn_;
  const ResolvedConfig& config_;
  const v1::ReadRequest& request_;
  ReadSink* sink_;
  ReadControl* control_;
  const EventEmitter events_;
  CdcCheckpoints* checkpoints_;
  ChangeReadStats* stats_;
  std::vector<StreamOut> outs_;
  std::unique_ptr<RelationMap> map_;
  RelationCache relations_;
  // Relation OID -> stream index -> ColumnMap; dropped with the relation's next Relation
  // message.
  std::map<uint32_t, std::map<size_t, std::vector<int>>> column_maps_;
  std::set<uint32_t> enum_types_;
  std::vector<pg::FieldView> fields_;
  std::vector<std::string> money_texts_;  // per column: the money text fields_ points at
  int money_scale_ = 2;
  bool in_compression_ = false;
  uint64_t commit_lsn_ = 0;
  int64_t commit_time_ = 0;
  uint64_t pending_lsn_ = 0;  // commits emitted but not yet checkpointed
  uint32_t max_rows_;
  uint64_t checkpoint_records_;
  uint64_t checkpoint_seconds_;
};

}  // namespace

absl::Status ReadChanges(pg::Connection& conn, const ResolvedConfig& config,
                         const std::vector<const v1::Stream*>& streams, uint64_t start_lsn,
                         uint64_t ack_lsn, const v1::ReadRequest& request, ReadSink* sink,
                         ReadControl* control, CdcCheckpoints* checkpoints,
                         ChangeReadStats* stats) {
  ChangeReader reader(conn, config, streams, request, sink, control, checkpoints, stats);
  return reader.Run(start_lsn, ack_lsn);
}

}  // namespace tsdb_source::cdc
