// Fuzz target: a sequence of pgoutput messages through DecodePgoutput, the RelationCache and
// TupleFieldViews into a BatchBuilder per relation, as the change reader uses them.
//
// Input layout (tests/fuzz/make_corpus.py writes seeds in it): messages one after another,
// each a 2-byte big-endian length and that many bytes; a last length that overruns the input
// takes what is left. Each message is decoded from an exactly sized heap copy (ASan reports
// any read outside it).
//
// Checked besides memory safety and undefined behaviour:
// - decoding into a reused Change (capacity kept) and into a fresh one give the same status
//   and the same Change: nothing of the previous message survives;
// - errors carry the documented codes (DataLoss, InvalidArgument);
// - RelationCache: Apply takes exactly the Relation messages; a Relation applied twice is
//   "unchanged" the second time; Find returns what was applied; Resolve takes exactly
//   Insert, Update and Delete and, when it succeeds, every tuple has the relation's width;
// - TupleFieldViews fails exactly for tuples holding a text or unchanged-TOAST value;
// - the BatchBuilder contract (checked_builder.h) for rows of the relation's column types.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "service/cdc/pgoutput.h"
#include "service/pg/copy/batch_builder.h"
#include "tests/fuzz/checked_builder.h"
#include "tests/fuzz/exact_fields.h"
#include "tests/fuzz/fuzz_check.h"

namespace tsdb_source::fuzz {
namespace {

using cdc::Change;
using cdc::TupleValue;
using cdc::TupleValueKind;

bool SameTuple(const std::vector<TupleValue>& a, const std::vector<TupleValue>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].kind != b[i].kind || a[i].data != b[i].data) return false;
  }
  return true;
}

bool SameChange(const Change& a, const Change& b) {
  if (a.kind != b.kind || a.final_lsn != b.final_lsn || a.xid != b.xid ||
      a.commit_lsn != b.commit_lsn || a.end_lsn != b.end_lsn ||
      a.commit_flags != b.commit_flags || a.commit_time_micros != b.commit_time_micros ||
      a.origin_lsn != b.origin_lsn || a.origin_name != b.origin_name ||
      a.relation_oid != b.relation_oid || a.type_oid != b.type_oid ||
      a.namespace_name != b.namespace_name || a.name != b.name ||
      a.replica_identity != b.replica_identity || a.columns.size() != b.columns.size() ||
      a.old_tuple_kind != b.old_tuple_kind || !SameTuple(a.old_tuple, b.old_tuple) ||
      !SameTuple(a.new_tuple, b.new_tuple) || a.relation_oids != b.relation_oids ||
      a.cascade != b.cascade || a.restart_identity != b.restart_identity ||
      a.transactional != b.transactional || a.message_lsn != b.message_lsn ||
      a.prefix != b.prefix || a.content != b.content) {
    return false;
  }
  for (size_t i = 0; i < a.columns.size(); ++i) {
    const cdc::RelationColumn& x = a.columns[i];
    const cdc::RelationColumn& y = b.columns[i];
    if (x.key != y.key || x.name != y.name || x.type_oid != y.type_oid ||
        x.type_modifier != y.type_modifier) {
      return false;
    }
  }
  return true;
}

bool HasNonBinary(const std::vector<TupleValue>& tuple) {
  for (const TupleValue& value : tuple) {
    if (value.kind == TupleValueKind::kText || value.kind == TupleValueKind::kUnchangedToast) {
      return true;
    }
  }
  return false;
}

bool IsRowChange(Change::Kind kind) {
  return kind == Change::Kind::kInsert || kind == Change::Kind::kUpdate ||
         kind == Change::Kind::kDelete;
}

// The session's state: the relation cache and one builder per relation (none when the
// relation has a column type the builder refuses, such as OID 0).
class Session final {
 public:
  void Consume(absl::string_view message) {
    absl::Status status = cdc::DecodePgoutput(message, &reused_);
    absl::StatusOr<Change> fresh = cdc::DecodePgoutput(message);
    FUZZ_CHECK(status.code() == fresh.status().code(),
               "a reused Change decodes differently: %s vs %s", status.ToString().c_str(),
               fresh.status().ToString().c_str());
    if (!status.ok()) {
      FUZZ_CHECK(status.code() == absl::StatusCode::kDataLoss ||
                     status.code() == absl::StatusCode::kInvalidArgument,
                 "unexpected decoder error: %s", status.ToString().c_str());
      return;
    }
    FUZZ_CHECK(SameChange(reused_, *fresh), "a reused Change keeps parts of an older message");
    const Change& change = reused_;

    absl::StatusOr<bool> applied = cache_.Apply(change);
    FUZZ_CHECK(applied.ok() == (change.kind == Change::Kind::kRelation),
               "Apply of a %s message: %s", std::string(cdc::ChangeKindName(change.kind)).c_str(),
               applied.status().ToString().c_str());
    if (applied.ok()) {
      absl::StatusOr<bool> again = cache_.Apply(change);
      FUZZ_CHECK(again.ok() && !*again, "the same Relation message changed the cache twice");
      const cdc::RelationInfo* info = cache_.Find(change.relation_oid);
      FUZZ_CHECK(info != nullptr && info->columns.size() == change.columns.size() &&
                     info->name == change.name && info->namespace_name == change.namespace_name,
                 "Find does not return the applied relation");
      if (*applied) NewBuilder(*info);
      return;
    }

    absl::StatusOr<const cdc::RelationInfo*> relation = cache_.Resolve(change);
    if (!IsRowChange(change.kind)) {
      FUZZ_CHECK(relation.status().code() == absl::StatusCode::kInvalidArgument,
                 "Resolve of a %s message: %s",
                 std::string(cdc::ChangeKindName(change.kind)).c_str(),
                 relation.status().ToString().c_str());
      return;
    }
    if (!relation.ok()) {
      const absl::StatusCode code = relation.status().code();
      FUZZ_CHECK(code == absl::StatusCode::kFailedPrecondition ||
                     code == absl::StatusCode::kDataLoss,
                 "unexpected Resolve error: %s", relation.status().ToString().c_str());
      return;
    }
    const size_t width = (*relation)->columns.size();
    if (change.old_tuple_kind != cdc::OldTupleKind::kNone) {
      FUZZ_CHECK(change.old_tuple.size() == width, "Resolve passed a wrong-width old tuple");
      AppendTuple(change.relation_oid, change.old_tuple);
    }
    if (change.kind != Change::Kind::kDelete) {
      FUZZ_CHECK(change.new_tuple.size() == width, "Resolve passed a wrong-width new tuple");
      AppendTuple(change.relation_oid, change.new_tuple);
    }
  }

 private:
  void NewBuilder(const cdc::RelationInfo& info) {
    builders_.erase(info.oid);
    std::vector<pg::ColumnSpec> specs;
    for (const cdc::RelationInfo::Column& column : info.columns) {
      specs.push_back({column.name, column.type_oid, 0});
    }
    absl::StatusOr<pg::BatchBuilder> builder = pg::BatchBuilder::Create(std::move(specs));
    if (builder.ok()) builders_.emplace(info.oid, CheckedBuilder(*std::move(builder)));
  }

  void AppendTuple(uint32_t oid, const std::vector<TupleValue>& tuple) {
    absl::Status views = cdc::TupleFieldViews(tuple, &fields_);
    FUZZ_CHECK(views.ok() == !HasNonBinary(tuple), "TupleFieldViews: %s",
               views.ToString().c_str());
    if (!views.ok()) {
      FUZZ_CHECK(views.code() == absl::StatusCode::kFailedPrecondition,
                 "unexpected TupleFieldViews error: %s", views.ToString().c_str());
      return;
    }
    FUZZ_CHECK(fields_.size() == tuple.size(), "TupleFieldViews changed the width");
    auto it = builders_.find(oid);
    if (it == builders_.end()) return;
    it->second.Append(exact_.Copy(fields_)).IgnoreError();
  }

  Change reused_;
  cdc::RelationCache cache_;
  absl::flat_hash_map<uint32_t, CheckedBuilder> builders_;
  std::vector<pg::FieldView> fields_;
  ExactFields exact_;
};

}  // namespace
}  // namespace tsdb_source::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tsdb_source::fuzz::Session session;
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  while (input.size() >= 2) {
    const size_t length = (static_cast<size_t>(static_cast<uint8_t>(input[0])) << 8) |
                          static_cast<uint8_t>(input[1]);
    input.remove_prefix(2);
    const absl::string_view message = input.substr(0, length);
    input.remove_prefix(message.size());
    std::unique_ptr<char[]> storage;
    session.Consume(tsdb_source::fuzz::ExactCopy(message, &storage));
  }
  return 0;
}
