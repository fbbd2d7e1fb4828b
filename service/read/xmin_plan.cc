#include "service/read/xmin_plan.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace tsdb_source {

XminDecision DecideXmin(const v1::XminState& saved, const v1::XminRelation* entry,
                        const XminRelationNow& now, const XminFacts& facts) {
  XminDecision d;
  if (now.no_xmin) return d;  // read whole
  if (!saved.server().empty() && !facts.server.empty() && saved.server() != facts.server) {
    return d;  // the horizons belong to another server's transaction IDs
  }
  if (entry != nullptr && entry->oid() != 0 && now.oid != 0 && entry->oid() != now.oid) {
    entry = nullptr;  // another relation of the same name: a new one
  }
  uint64_t since = 0;
  if (entry == nullptr) {
    // A relation the previous sync did not know (or no sync finished yet): read whole,
    // unless the state came from source-postgres, which knows no relation, only a horizon.
    if (saved.relations_size() > 0) {
      d.action = XminAction::kReadAll;
      return d;
    }
    since = saved.horizon();
  } else {
    const bool comparable = facts.counters_live && !saved.stats_epoch().empty() &&
                            saved.stats_epoch() == facts.stats_epoch && entry->writes_known() &&
                            now.writes_known;
    const bool rewritten = now.filenode != entry->filenode();
    if (comparable && !rewritten && now.writes == entry->writes() &&
        now.compressed_oid == entry->compressed_oid() &&
        now.compressed_writes == entry->compressed_writes()) {
      d.action = XminAction::kSkip;
      return d;
    }
    since = entry->horizon();
    if (rewritten) {
      // Rows may have moved in from another relation (a merge of chunks), written since
      // that relation's horizon: from the oldest horizon of the state.
      if (saved.horizon() != 0) since = std::min(since, saved.horizon());
      for (const v1::XminRelation& e : saved.relations()) {
        if (e.horizon() != 0) since = std::min(since, e.horizon());
      }
    }
  }
  if (since == 0 || !XminFilterable(since, facts.next_xid)) {
    d.action = XminAction::kReadAll;
    return d;
  }
  d.action = XminAction::kReadChanged;
  d.since = since;
  return d;
}

v1::XminRelation EntryAfterRead(const XminRelationNow& now, const XminFacts& facts) {
  v1::XminRelation e;
  e.set_relation(now.relation);
  e.set_oid(now.oid);
  e.set_writes_known(now.writes_known);
  e.set_writes(now.writes);
  e.set_filenode(now.filenode);
  e.set_compressed_oid(now.compressed_oid);
  e.set_compressed_writes(now.compressed_writes);
  e.set_horizon(facts.horizon);
  return e;
}

bool XminFilterable(uint64_t since, uint64_t next_xid) {
  return since <= next_xid && next_xid - since < kXminFilterWindow;
}

std::string XminSinceCondition(uint64_t since) {
  // age(x) = (int32)(L - x) with L the reading transaction's stable next ID; for the rows it
  // can see, L - xmin is in (0, 2^31) unless the row is older than 2^31 transactions (then
  // negative, or wrapped: a frozen row, emitted at worst once more). Rows with xmin >= since
  // are exactly those with L - xmin <= L - since. The bound is computed once (a subquery).
  return absl::StrCat("pg_catalog.age(xmin) BETWEEN 0 AND (SELECT pg_catalog.age('",
                      XminXid32(since), "'::pg_catalog.xid))");
}

}  // namespace tsdb_source
