#include "service/cdc/pgoutput.h"

#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "service/common/errors.h"
#include "service/pg/copy/pg_epoch.h"
#include "service/pg/copy/wire_reader.h"

namespace tsdb_source::cdc {
namespace {

// Microseconds between 2000-01-01 (PostgreSQL's epoch) and 1970-01-01.

// Smallest encodings, used to reject counts the remaining bytes cannot hold before any
// vector grows (a corrupt count must not make the decoder allocate gigabytes).
constexpr size_t kMinTupleValueBytes = 1;       // 'n' or 'u'
constexpr size_t kMinRelationColumnBytes = 10;  // flags, "" name, type oid, typmod

constexpr absl::string_view kPgCatalog = "pg_catalog";

// A bounds-checked cursor over one message that turns short reads into errors naming the
// message kind, the field and the offset.
class MessageReader {
 public:
  MessageReader(absl::string_view message, absl::string_view kind)
      : reader_(message), kind_(kind) {}

  absl::Status Truncated(absl::string_view field) const {
    return MakeError(absl::StatusCode::kDataLoss, v1::ERROR_REASON_PGOUTPUT_TRUNCATED,
                     absl::StrFormat("pgoutput %s message ends at byte %d, before its %s", kind_,
                                     reader_.position(), field));
  }
  absl::Status Invalid(absl::string_view what) const {
    return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_PGOUTPUT_MALFORMED,
                     absl::StrFormat("pgoutput %s message, byte %d: %s", kind_,
                                     reader_.position(), what));
  }

  absl::Status U8(absl::string_view field, uint8_t* out) {
    return reader_.ReadU8(out) ? absl::OkStatus() : Truncated(field);
  }
  absl::Status U16(absl::string_view field, uint16_t* out) {
    return reader_.ReadU16(out) ? absl::OkStatus() : Truncated(field);
  }
  absl::Status I16(absl::string_view field, int16_t* out) {
    return reader_.ReadI16(out) ? absl::OkStatus() : Truncated(field);
  }
  absl::Status U32(absl::string_view field, uint32_t* out) {
    return reader_.ReadU32(out) ? absl::OkStatus() : Truncated(field);
  }
  absl::Status I32(absl::string_view field, int32_t* out) {
    return reader_.ReadI32(out) ? absl::OkStatus() : Truncated(field);
  }
  absl::Status U64(absl::string_view field, uint64_t* out) {
    return reader_.ReadU64(out) ? absl::OkStatus() : Truncated(field);
  }
  // A PostgreSQL timestamp (microseconds since 2000) as microseconds since 1970.
  absl::Status Timestamp(absl::string_view field, int64_t* out) {
    int64_t raw;
    if (!reader_.ReadI64(&raw)) return Truncated(field);
    if (raw > std::numeric_limits<int64_t>::max() - pg::kPgEpochOffsetMicros) {
      return Invalid(absl::StrCat(field, " ", raw, " is out of range"));
    }
    *out = raw + pg::kPgEpochOffsetMicros;
    return absl::OkStatus();
  }
  // A NUL-terminated string (the terminator is consumed, not part of the view).
  absl::Status CString(absl::string_view field, absl::string_view* out) {
    const char* start = reader_.cursor();
    const void* nul = std::memchr(start, '\0', reader_.remaining());
    if (nul == nullptr) return Truncated(absl::StrCat(field, " (no terminating NUL)"));
    size_t length = static_cast<size_t>(static_cast<const char*>(nul) - start);
    reader_.ReadBytes(length, out);
    reader_.Skip(1);
    return absl::OkStatus();
  }
  // An Int32 length (>= 0) followed by that many bytes.
  absl::Status LengthPrefixed(absl::string_view field, absl::string_view* out) {
    int32_t length;
    if (!reader_.ReadI32(&length)) return Truncated(absl::StrCat(field, " length"));
    if (length < 0) return Invalid(absl::StrCat(field, " has negative length ", length));
    if (!reader_.ReadBytes(static_cast<size_t>(length), out)) return Truncated(field);
    return absl::OkStatus();
  }
  absl::Status Namespace(absl::string_view field, absl::string_view* out) {
    absl::Status status = CString(field, out);
    if (status.ok() && out->empty()) *out = kPgCatalog;
    return status;
  }

  absl::Status ExpectEnd() const {
    if (reader_.remaining() == 0) return absl::OkStatus();
    return Invalid(absl::StrCat(reader_.remaining(), " unexpected bytes after the message"));
  }

  size_t remaining() const { return reader_.remaining(); }

 private:
  pg::WireReader reader_;
  absl::string_view kind_;
};

absl::Status DecodeTuple(MessageReader& in, absl::string_view which,
                         std::vector<TupleValue>* out) {
  int16_t count;
  if (auto s = in.I16(absl::StrCat(which, " column count"), &count); !s.ok()) return s;
  if (count < 0) return in.Invalid(absl::StrCat(which, " has negative column count ", count));
  if (static_cast<size_t>(count) * kMinTupleValueBytes > in.remaining()) {
    return in.Truncated(absl::StrCat(which, "'s ", count, " columns"));
  }
  out->resize(static_cast<size_t>(count));
  for (int16_t i = 0; i < count; ++i) {
    TupleValue& value = (*out)[static_cast<size_t>(i)];
    uint8_t kind;
    if (auto s = in.U8(absl::StrCat(which, " column ", i), &kind); !s.ok()) return s;
    value.data = absl::string_view();
    switch (kind) {
      case 'n':
        value.kind = TupleValueKind::kNull;
        break;
      case 'u':
        value.kind = TupleValueKind::kUnchangedToast;
        break;
      case 't':
      case 'b': {
        value.kind = kind == 't' ? TupleValueKind::kText : TupleValueKind::kBinary;
        if (auto s = in.LengthPrefixed(absl::StrCat(which, " column ", i), &value.data);
            !s.ok()) {
          return s;
        }
        break;
      }
      default:
        return in.Invalid(absl::StrFormat("%s column %d has unknown value kind 0x%02x", which, i,
                                          kind));
    }
  }
  return absl::OkStatus();
}

absl::Status DecodeBegin(MessageReader& in, Change* c) {
  if (auto s = in.U64("final LSN", &c->final_lsn); !s.ok()) return s;
  if (auto s = in.Timestamp("commit time", &c->commit_time_micros); !s.ok()) return s;
  return in.U32("xid", &c->xid);
}

absl::Status DecodeCommit(MessageReader& in, Change* c) {
  if (auto s = in.U8("flags", &c->commit_flags); !s.ok()) return s;
  if (auto s = in.U64("commit LSN", &c->commit_lsn); !s.ok()) return s;
  if (auto s = in.U64("end LSN", &c->end_lsn); !s.ok()) return s;
  return in.Timestamp("commit time", &c->commit_time_micros);
}

absl::Status DecodeOrigin(MessageReader& in, Change* c) {
  if (auto s = in.U64("origin LSN", &c->origin_lsn); !s.ok()) return s;
  return in.CString("origin name", &c->origin_name);
}

absl::Status DecodeRelation(MessageReader& in, Change* c) {
  if (auto s = in.U32("relation OID", &c->relation_oid); !s.ok()) return s;
  if (auto s = in.Namespace("namespace", &c->namespace_name); !s.ok()) return s;
  if (auto s = in.CString("relation name", &c->name); !s.ok()) return s;
  uint8_t identity;
  if (auto s = in.U8("replica identity", &identity); !s.ok()) return s;
  switch (identity) {
    case 'd':
    case 'n':
    case 'f':
    case 'i':
      c->replica_identity = static_cast<ReplicaIdentity>(identity);
      break;
    default:
      return in.Invalid(absl::StrFormat("unknown replica identity 0x%02x", identity));
  }
  int16_t count;
  if (auto s = in.I16("column count", &count); !s.ok()) return s;
  if (count < 0) return in.Invalid(absl::StrCat("negative column count ", count));
  if (static_cast<size_t>(count) * kMinRelationColumnBytes > in.remaining()) {
    return in.Truncated(absl::StrCat(count, " columns"));
  }
  c->columns.resize(static_cast<size_t>(count));
  for (int16_t i = 0; i < count; ++i) {
    RelationColumn& column = c->columns[static_cast<size_t>(i)];
    uint8_t flags;
    std::string field = absl::StrCat("column ", i);
    if (auto s = in.U8(field, &flags); !s.ok()) return s;
    column.key = (flags & 1) != 0;  // other bits are not defined: ignored
    if (auto s = in.CString(field, &column.name); !s.ok()) return s;
    if (auto s = in.U32(field, &column.type_oid); !s.ok()) return s;
    if (auto s = in.I32(field, &column.type_modifier); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status DecodeType(MessageReader& in, Change* c) {
  if (auto s = in.U32("type OID", &c->type_oid); !s.ok()) return s;
  if (auto s = in.Namespace("namespace", &c->namespace_name); !s.ok()) return s;
  return in.CString("type name", &c->name);
}

absl::Status ExpectTupleTag(MessageReader& in, uint8_t expected) {
  uint8_t tag;
  if (auto s = in.U8("tuple tag", &tag); !s.ok()) return s;
  if (tag != expected) {
    return in.Invalid(absl::StrFormat("expected tuple tag '%c', found 0x%02x", expected, tag));
  }
  return absl::OkStatus();
}

absl::Status DecodeInsert(MessageReader& in, Change* c) {
  if (auto s = in.U32("relation OID", &c->relation_oid); !s.ok()) return s;
  if (auto s = ExpectTupleTag(in, 'N'); !s.ok()) return s;
  return DecodeTuple(in, "new tuple", &c->new_tuple);
}

absl::Status DecodeUpdate(MessageReader& in, Change* c) {
  if (auto s = in.U32("relation OID", &c->relation_oid); !s.ok()) return s;
  uint8_t tag;
  if (auto s = in.U8("tuple tag", &tag); !s.ok()) return s;
  if (tag == 'K' || tag == 'O') {
    c->old_tuple_kind = tag == 'K' ? OldTupleKind::kKey : OldTupleKind::kFull;
    if (auto s = DecodeTuple(in, "old tuple", &c->old_tuple); !s.ok()) return s;
    if (auto s = in.U8("tuple tag", &tag); !s.ok()) return s;
  }
  if (tag != 'N') {
    return in.Invalid(absl::StrFormat("expected tuple tag 'N', found 0x%02x", tag));
  }
  return DecodeTuple(in, "new tuple", &c->new_tuple);
}

absl::Status DecodeDelete(MessageReader& in, Change* c) {
  if (auto s = in.U32("relation OID", &c->relation_oid); !s.ok()) return s;
  uint8_t tag;
  if (auto s = in.U8("tuple tag", &tag); !s.ok()) return s;
  if (tag != 'K' && tag != 'O') {
    return in.Invalid(absl::StrFormat("expected tuple tag 'K' or 'O', found 0x%02x", tag));
  }
  c->old_tuple_kind = tag == 'K' ? OldTupleKind::kKey : OldTupleKind::kFull;
  return DecodeTuple(in, "old tuple", &c->old_tuple);
}

absl::Status DecodeTruncate(MessageReader& in, Change* c) {
  uint32_t count;
  if (auto s = in.U32("relation count", &count); !s.ok()) return s;
  uint8_t options;
  if (auto s = in.U8("options", &options); !s.ok()) return s;
  c->cascade = (options & 1) != 0;
  c->restart_identity = (options & 2) != 0;
  if (count > in.remaining() / 4) return in.Truncated(absl::StrCat(count, " relation OIDs"));
  c->relation_oids.resize(count);
  for (uint32_t& oid : c->relation_oids) {
    if (auto s = in.U32("relation OID", &oid); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status DecodeMessage(MessageReader& in, Change* c) {
  uint8_t flags;
  if (auto s = in.U8("flags", &flags); !s.ok()) return s;
  c->transactional = (flags & 1) != 0;
  if (auto s = in.U64("LSN", &c->message_lsn); !s.ok()) return s;
  if (auto s = in.CString("prefix", &c->prefix); !s.ok()) return s;
  return in.LengthPrefixed("content", &c->content);
}

// Every field back to its default; vectors keep their capacity.
void ResetChange(Change* c) {
  c->final_lsn = 0;
  c->xid = 0;
  c->commit_lsn = 0;
  c->end_lsn = 0;
  c->commit_flags = 0;
  c->commit_time_micros = 0;
  c->origin_lsn = 0;
  c->origin_name = absl::string_view();
  c->relation_oid = 0;
  c->type_oid = 0;
  c->namespace_name = absl::string_view();
  c->name = absl::string_view();
  c->replica_identity = ReplicaIdentity::kDefault;
  c->columns.clear();
  c->old_tuple_kind = OldTupleKind::kNone;
  c->old_tuple.clear();
  c->new_tuple.clear();
  c->relation_oids.clear();
  c->cascade = false;
  c->restart_identity = false;
  c->transactional = false;
  c->message_lsn = 0;
  c->prefix = absl::string_view();
  c->content = absl::string_view();
}

// Message types of later protocol versions, named so the error says what arrived.
absl::string_view LaterProtocolMessage(uint8_t type) {
  switch (type) {
    case 'S': return "Stream Start (proto_version 2)";
    case 'E': return "Stream Stop (proto_version 2)";
    case 'c': return "Stream Commit (proto_version 2)";
    case 'A': return "Stream Abort (proto_version 2)";
    case 'b': return "Begin Prepare (proto_version 3)";
    case 'P': return "Prepare (proto_version 3)";
    case 'K': return "Commit Prepared (proto_version 3)";
    case 'r': return "Rollback Prepared (proto_version 3)";
    case 'p': return "Stream Prepare (proto_version 3)";
    default: return "";
  }
}

}  // namespace

absl::string_view ChangeKindName(Change::Kind kind) {
  switch (kind) {
    case Change::Kind::kBegin: return "Begin";
    case Change::Kind::kCommit: return "Commit";
    case Change::Kind::kOrigin: return "Origin";
    case Change::Kind::kRelation: return "Relation";
    case Change::Kind::kType: return "Type";
    case Change::Kind::kInsert: return "Insert";
    case Change::Kind::kUpdate: return "Update";
    case Change::Kind::kDelete: return "Delete";
    case Change::Kind::kTruncate: return "Truncate";
    case Change::Kind::kMessage: return "Message";
  }
  return "?";
}

absl::Status DecodePgoutput(absl::string_view message, Change* change) {
  ResetChange(change);
  if (message.empty()) {
    return MakeError(absl::StatusCode::kDataLoss, v1::ERROR_REASON_PGOUTPUT_TRUNCATED,
                     "empty pgoutput message (no message type byte)");
  }
  const uint8_t type = static_cast<uint8_t>(message[0]);
  absl::Status (*decode)(MessageReader&, Change*) = nullptr;
  switch (type) {
    case 'B': change->kind = Change::Kind::kBegin; decode = DecodeBegin; break;
    case 'C': change->kind = Change::Kind::kCommit; decode = DecodeCommit; break;
    case 'O': change->kind = Change::Kind::kOrigin; decode = DecodeOrigin; break;
    case 'R': change->kind = Change::Kind::kRelation; decode = DecodeRelation; break;
    case 'Y': change->kind = Change::Kind::kType; decode = DecodeType; break;
    case 'I': change->kind = Change::Kind::kInsert; decode = DecodeInsert; break;
    case 'U': change->kind = Change::Kind::kUpdate; decode = DecodeUpdate; break;
    case 'D': change->kind = Change::Kind::kDelete; decode = DecodeDelete; break;
    case 'T': change->kind = Change::Kind::kTruncate; decode = DecodeTruncate; break;
    case 'M': change->kind = Change::Kind::kMessage; decode = DecodeMessage; break;
    default: {
      absl::string_view later = LaterProtocolMessage(type);
      if (!later.empty()) {
        return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_PGOUTPUT_UNSUPPORTED,
                         absl::StrCat("pgoutput message ", later,
                                      " is not part of protocol version 1, which this "
                                      "decoder speaks"));
      }
      return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_PGOUTPUT_MALFORMED,
                       absl::StrFormat("unknown pgoutput message type 0x%02x", type));
    }
  }
  MessageReader in(message.substr(1), ChangeKindName(change->kind));
  if (auto s = decode(in, change); !s.ok()) return s;
  return in.ExpectEnd();
}

absl::StatusOr<Change> DecodePgoutput(absl::string_view message) {
  Change change;
  if (auto s = DecodePgoutput(message, &change); !s.ok()) return s;
  return change;
}

absl::Status TupleFieldViews(absl::Span<const TupleValue> tuple,
                             std::vector<pg::FieldView>* out) {
  out->resize(tuple.size());
  for (size_t i = 0; i < tuple.size(); ++i) {
    switch (tuple[i].kind) {
      case TupleValueKind::kNull:
        (*out)[i] = pg::FieldView::Null();
        break;
      case TupleValueKind::kBinary:
        (*out)[i] = pg::FieldView::Of(tuple[i].data);
        break;
      case TupleValueKind::kUnchangedToast:
        return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_PGOUTPUT_UNCHANGED_TOAST,
                         absl::StrCat("tuple column ", i,
                                      " is an unchanged TOAST value, which pgoutput does not "
                                      "send"));
      case TupleValueKind::kText:
        return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_PGOUTPUT_TEXT_VALUE,
                         absl::StrCat("tuple column ", i,
                                      " was sent as text, not in binary send format"));
    }
  }
  return absl::OkStatus();
}

bool RelationInfo::operator==(const RelationInfo& other) const {
  if (oid != other.oid || namespace_name != other.namespace_name || name != other.name ||
      replica_identity != other.replica_identity || columns.size() != other.columns.size()) {
    return false;
  }
  for (size_t i = 0; i < columns.size(); ++i) {
    const Column& a = columns[i];
    const Column& b = other.columns[i];
    if (a.key != b.key || a.name != b.name || a.type_oid != b.type_oid ||
        a.type_modifier != b.type_modifier) {
      return false;
    }
  }
  return true;
}

absl::StatusOr<bool> RelationCache::Apply(const Change& relation) {
  if (relation.kind != Change::Kind::kRelation) {
    return absl::InvalidArgumentError(absl::StrCat("RelationCache::Apply needs a Relation "
                                                   "message, got ",
                                                   ChangeKindName(relation.kind)));
  }
  RelationInfo info;
  info.oid = relation.relation_oid;
  info.namespace_name = std::string(relation.namespace_name);
  info.name = std::string(relation.name);
  info.replica_identity = relation.replica_identity;
  info.columns.reserve(relation.columns.size());
  for (const RelationColumn& c : relation.columns) {
    info.columns.push_back({c.key, std::string(c.name), c.type_oid, c.type_modifier});
  }
  auto it = relations_.find(info.oid);
  if (it == relations_.end()) {
    relations_.emplace(info.oid, std::move(info));
    return true;
  }
  bool changed = it->second != info;
  if (changed) it->second = std::move(info);
  return changed;
}

const RelationInfo* RelationCache::Find(uint32_t oid) const {
  auto it = relations_.find(oid);
  return it == relations_.end() ? nullptr : &it->second;
}

absl::StatusOr<const RelationInfo*> RelationCache::Resolve(const Change& change) const {
  if (change.kind != Change::Kind::kInsert && change.kind != Change::Kind::kUpdate &&
      change.kind != Change::Kind::kDelete) {
    return absl::InvalidArgumentError(absl::StrCat("RelationCache::Resolve needs an Insert, "
                                                   "Update or Delete, got ",
                                                   ChangeKindName(change.kind)));
  }
  const RelationInfo* info = Find(change.relation_oid);
  if (info == nullptr) {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_PGOUTPUT_UNKNOWN_RELATION,
                     absl::StrCat(ChangeKindName(change.kind), " for relation OID ",
                                  change.relation_oid,
                                  " arrived before any Relation message for it"));
  }
  auto check = [&](const std::vector<TupleValue>& tuple, absl::string_view which) {
    if (tuple.size() == info->columns.size()) return absl::OkStatus();
    return MakeError(absl::StatusCode::kDataLoss, v1::ERROR_REASON_PGOUTPUT_TUPLE_WIDTH,
                     absl::StrCat(ChangeKindName(change.kind), " for ", info->namespace_name,
                                  ".", info->name, " (OID ", info->oid, "): ", which, " has ",
                                  tuple.size(), " columns, the Relation message ",
                                  info->columns.size()));
  };
  if (change.old_tuple_kind != OldTupleKind::kNone) {
    if (auto s = check(change.old_tuple, "old tuple"); !s.ok()) return s;
  }
  if (change.kind != Change::Kind::kDelete) {
    if (auto s = check(change.new_tuple, "new tuple"); !s.ok()) return s;
  }
  return info;
}

}  // namespace tsdb_source::cdc
