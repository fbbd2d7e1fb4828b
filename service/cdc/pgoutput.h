// Decoder of pgoutput messages, the payloads of the XLogData messages of a logical
// replication stream (see replication_stream.h) started with proto_version '1', and the
// options binary 'true' (tuple values in the types' binary send format, 'b') and messages
// 'true' (logical decoding messages, 'M').
//
// Contract: DecodePgoutput reads exactly one message and never reads outside it. A message
// that ends early is DataLoss; an unknown message or tuple value kind, a negative count or
// length, an out-of-range timestamp or bytes after the end is InvalidArgument; a message of a
// later protocol version (streaming, two-phase) is InvalidArgument with reason
// PGOUTPUT_UNSUPPORTED. Every error names the message kind and the byte offset.
//
// Lifetime: every absl::string_view in a Change (names, tuple values, message content) points
// into the decoded input, except namespace "pg_catalog", which points to static storage. The
// views are valid while that input buffer is alive and unchanged: copy what must outlive it
// (RelationCache does this for Relation messages). Decoding into an existing Change reuses its
// vectors' capacity, so a loop decoding a stream does not allocate in the steady state.
//
// Stateless functions, thread-safe; a Change or RelationCache is used by one thread at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "service/pg/copy/field_view.h"

namespace tsdb_source::cdc {

// pg_class.relreplident as the Relation message carries it.
enum class ReplicaIdentity : char {
  kDefault = 'd',  // the primary key
  kNothing = 'n',
  kFull = 'f',     // all columns: old tuples come as 'O' with every column
  kIndex = 'i',    // the columns of a chosen unique index
};

// One column of a Relation message.
struct RelationColumn {
  bool key = false;  // part of the replica identity (all columns under REPLICA IDENTITY FULL)
  absl::string_view name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;  // atttypmod: -1 when the type has none
};

// How one column of a tuple was sent.
enum class TupleValueKind : uint8_t {
  kNull,            // 'n': SQL NULL (also every non-key column of an old key tuple)
  kUnchangedToast,  // 'u': an out-of-line TOAST value an UPDATE did not change: NOT sent
  kText,            // 't': the type's text output
  kBinary,          // 'b': the type's binary send format (as in binary COPY)
};

struct TupleValue {
  TupleValueKind kind = TupleValueKind::kNull;
  absl::string_view data;  // the bytes for kText and kBinary; empty otherwise
};

// Which old tuple an Update or Delete carries.
enum class OldTupleKind : uint8_t {
  kNone,  // Update only: no old tuple (the replica identity did not change)
  kKey,   // 'K': the replica identity columns; all others kNull
  kFull,  // 'O': the whole old row (REPLICA IDENTITY FULL)
};

// One decoded pgoutput message. Which fields are meaningful depends on `kind` (listed per
// field); the others are zero or empty. LSNs are WAL positions as uint64 (format them with
// pg::FormatLsn from service/pg/lsn.h).
struct Change {
  enum class Kind : uint8_t {
    kBegin,     // 'B'
    kCommit,    // 'C'
    kOrigin,    // 'O'
    kRelation,  // 'R'
    kType,      // 'Y'
    kInsert,    // 'I'
    kUpdate,    // 'U'
    kDelete,    // 'D'
    kTruncate,  // 'T'
    kMessage,   // 'M'
  };
  Kind kind = Kind::kBegin;

  // kBegin: the LSN of the transaction's commit record (== the Commit's commit_lsn).
  uint64_t final_lsn = 0;
  // kBegin.
  uint32_t xid = 0;
  // kCommit: the commit record's LSN, and the end of it: end_lsn is the position a consumer
  // confirms once everything up to this commit is safely stored.
  uint64_t commit_lsn = 0;
  uint64_t end_lsn = 0;
  uint8_t commit_flags = 0;  // currently always 0
  // kBegin, kCommit: commit time, microseconds since 1970-01-01 UTC. For a transaction
  // replayed with a replication origin this is the origin's commit time.
  int64_t commit_time_micros = 0;

  // kOrigin: the commit LSN on the origin server, and the origin's name.
  uint64_t origin_lsn = 0;
  absl::string_view origin_name;

  // kRelation, kInsert, kUpdate, kDelete: pg_class.oid of the relation (a partition's own
  // OID unless the publication has publish_via_partition_root).
  uint32_t relation_oid = 0;
  // kType: pg_type.oid.
  uint32_t type_oid = 0;
  // kRelation, kType: schema and name ("pg_catalog" for objects the server sends with an
  // empty namespace).
  absl::string_view namespace_name;
  absl::string_view name;
  // kRelation.
  ReplicaIdentity replica_identity = ReplicaIdentity::kDefault;
  std::vector<RelationColumn> columns;

  // kUpdate, kDelete (kDelete: always kKey or kFull).
  OldTupleKind old_tuple_kind = OldTupleKind::kNone;
  std::vector<TupleValue> old_tuple;
  // kInsert, kUpdate.
  std::vector<TupleValue> new_tuple;

  // kTruncate: every truncated relation (cascaded ones included) and the options.
  std::vector<uint32_t> relation_oids;
  bool cascade = false;
  bool restart_identity = false;

  // kMessage (pg_logical_emit_message): a transactional message is sent inside its
  // transaction's Begin/Commit, a non-transactional one on its own, as soon as it is decoded.
  bool transactional = false;
  uint64_t message_lsn = 0;
  absl::string_view prefix;
  absl::string_view content;
};

// "Insert", "Commit", ... for logs and errors.
absl::string_view ChangeKindName(Change::Kind kind);

// Decodes one pgoutput message into *change (previous contents replaced, capacity reused).
// On error *change is left in an unspecified but valid state.
absl::Status DecodePgoutput(absl::string_view message, Change* change);
absl::StatusOr<Change> DecodePgoutput(absl::string_view message);

// The values of a tuple as pg::FieldViews for pg::BatchBuilder::AppendRow (views into the
// same input): kNull becomes FieldView::Null(), kBinary its bytes. A kUnchangedToast or kText
// value has no binary form here: FailedPrecondition naming the first such column (0-based);
// the caller fills unchanged values from elsewhere or decodes text itself.
absl::Status TupleFieldViews(absl::Span<const TupleValue> tuple,
                             std::vector<pg::FieldView>* out);

// A Relation message copied out of the stream buffer.
struct RelationInfo {
  struct Column {
    bool key = false;
    std::string name;
    uint32_t type_oid = 0;
    int32_t type_modifier = -1;
  };
  uint32_t oid = 0;
  std::string namespace_name;
  std::string name;
  ReplicaIdentity replica_identity = ReplicaIdentity::kDefault;
  std::vector<Column> columns;

  bool operator==(const RelationInfo& other) const;
  bool operator!=(const RelationInfo& other) const { return !(*this == other); }
};

// The last Relation message of each relation OID. pgoutput sends a Relation message before
// the first change of a relation in each replication session and again after the relation's
// schema changed, and later changes refer to it only by OID: a consumer keeps this cache for
// the whole session (and clears it when it reconnects). Not thread-safe.
class RelationCache final {
 public:
  // Remembers a kRelation change, replacing the entry of its OID. Returns true when the
  // relation is new or differs from the cached entry (a schema change), false for a repeat.
  // InvalidArgument for a change of any other kind.
  absl::StatusOr<bool> Apply(const Change& relation);

  // The cached relation, nullptr when unknown. The pointer stays valid until the next
  // Apply for the same OID, or Clear.
  const RelationInfo* Find(uint32_t oid) const;

  // For kInsert, kUpdate and kDelete: the relation the change refers to, with every tuple's
  // column count checked against it. FailedPrecondition when no Relation message for the
  // OID came first; DataLoss when a tuple's width differs; InvalidArgument for other kinds.
  absl::StatusOr<const RelationInfo*> Resolve(const Change& change) const;

  void Clear() { relations_.clear(); }
  size_t size() const { return relations_.size(); }

 private:
  absl::node_hash_map<uint32_t, RelationInfo> relations_;
};

}  // namespace tsdb_source::cdc
