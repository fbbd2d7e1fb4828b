#include "service/read/xmin_read.h"

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/common/errors.h"
#include "service/common/status_macros.h"
#include "service/pg/quote.h"
#include "service/read/chunks.h"
#include "service/read/xmin_plan.h"

namespace tsdb_source {

XminRead::XminRead(const StreamPlan& plan, const ResolvedReadOptions& options)
    : plan_(plan),
      checkpoint_every_records_(options.checkpoint_every_records),
      checkpoint_every_(options.checkpoint_every) {}

absl::Status XminRead::Prepare(pg::Connection& conn, const EventEmitter& events,
                               StreamChunks* chunks, v1::StreamSummary* summary) {
  // A retry on a new main connection: it must see what the plan was made from.
  if (planned_) return VerifyXminReader(conn, start_.facts);
  RETURN_IF_ERROR(Plan(conn, events, chunks, summary));
  planned_ = true;
  return absl::OkStatus();
}

absl::Status XminRead::VerifyReader(pg::Connection& conn) const {
  return VerifyXminReader(conn, start_.facts);
}

absl::Status XminRead::Plan(pg::Connection& conn, const EventEmitter& events,
                            StreamChunks* chunks, v1::StreamSummary* summary) {
  chunks->Clear();
  summary->set_chunks_skipped(0);
  ASSIGN_OR_RETURN(start_, ReadXminStart(conn, *plan_.stream));
  if (!start_.counters_note.empty()) {
    RETURN_IF_ERROR(events.Log(v1::LOG_LEVEL_INFO,
                               absl::StrCat("stream ", plan_.stream->stream().name(),
                                            ": every relation is read for changed rows (",
                                            start_.counters_note,
                                            "), none is skipped by its write counters")));
  }
  // Listed after the horizon was taken: a relation created later is new to the next sync.
  std::vector<ChunkInfo> listed;
  if (plan_.chunked) {
    ASSIGN_OR_RETURN(listed, ListChunks(conn, *plan_.stream));
  } else {
    ChunkInfo self;
    const v1::StreamDescriptor& d = plan_.stream->stream();
    self.schema = d.namespace_();
    self.name = d.name();
    self.qualified = pg::QuoteQualified(d.namespace_(), d.name());
    listed.push_back(std::move(self));
  }
  std::map<std::string, const v1::XminRelation*> saved;
  for (const v1::XminRelation& e : plan_.xmin_state.relations()) saved[e.relation()] = &e;
  std::vector<std::string> changed_chunks;
  for (const ChunkInfo& c : listed) {
    if (chunks->Known(c.qualified)) continue;
    XminRelationNow now;
    now.relation = c.qualified;
    auto counted = start_.relations.find(c.qualified);
    if (counted != start_.relations.end()) now = counted->second;
    auto entry = saved.find(c.qualified);
    const v1::XminRelation* e = entry == saved.end() ? nullptr : entry->second;
    ChunkState st;
    st.info = c;
    st.xmin_now = now;
    st.xmin_saved = e;
    st.xmin = DecideXmin(plan_.xmin_state, e, now, start_.facts);
    if (st.xmin.action == XminAction::kSkip) {
      st.done = true;
      summary->set_chunks_skipped(summary->chunks_skipped() + 1);
    } else if (st.xmin.action == XminAction::kReadChanged &&
               plan_.stream->kind() == v1::RELATION_KIND_HYPERTABLE) {
      changed_chunks.push_back(c.qualified);
    }
    chunks->Append(std::move(st));
  }
  return DecideCompressed(conn, events, changed_chunks, chunks);
}

absl::Status XminRead::DecideCompressed(pg::Connection& conn, const EventEmitter& events,
                                        const std::vector<std::string>& changed_chunks,
                                        StreamChunks* chunks) {
  // A chunk with compressed data written since its horizon (compressed, recompressed,
  // or written compressed) is read whole: the rows' own xmins are gone.
  ASSIGN_OR_RETURN(auto compressed, CompressedRelations(conn, changed_chunks));
  for (ChunkState& st : *chunks) {
    if (st.done || st.xmin.action != XminAction::kReadChanged) continue;
    if (plan_.stream->kind() != v1::RELATION_KIND_HYPERTABLE) continue;
    auto it = compressed.find(st.info.qualified);
    if (it != compressed.end()) {
      absl::StatusOr<bool> written = WrittenSince(conn, it->second, st.xmin.since);
      if (!written.ok() && SqlStateOf(written.status()) == "42P01") {
        written = true;  // dropped since the lookup (decompressed, recompressed): read whole
      }
      if (!written.ok() && written.status().code() == absl::StatusCode::kPermissionDenied) {
        // A user who may read the hypertable but not its compressed data directly.
        RETURN_IF_ERROR(events.Log(v1::LOG_LEVEL_INFO,
                                   absl::StrCat("chunk ", st.info.qualified, " is read whole: ",
                                                written.status().message())));
        written = true;
      }
      RETURN_IF_ERROR(written.status());
      if (*written) {
        st.xmin.action = XminAction::kReadAll;
        continue;
      }
    }
    st.xmin_heap_only = true;
  }
  return absl::OkStatus();
}

v1::XminState XminRead::Progress(const StreamChunks& chunks, bool final) const {
  v1::XminState out;
  // Before the end, saved entries of the previous epoch may remain beside this sync's: the
  // state keeps the old epoch then, so that the next sync trusts neither.
  const bool same_epoch = plan_.xmin_state.stats_epoch() == start_.facts.stats_epoch ||
                          plan_.xmin_state.relations_size() == 0;
  out.set_horizon(final ? start_.facts.horizon : plan_.xmin_state.horizon());
  // Until the end, entries of another server may remain: they keep their server's mark.
  out.set_server(final || plan_.xmin_state.server().empty() ||
                         plan_.xmin_state.relations_size() == 0
                     ? start_.facts.server
                     : plan_.xmin_state.server());
  out.set_stats_epoch(final || same_epoch ? start_.facts.stats_epoch
                                          : plan_.xmin_state.stats_epoch());
  for (const ChunkState& s : chunks) {
    if (s.xmin_dropped) continue;
    if (s.done && s.xmin.action != XminAction::kSkip) {
      *out.add_relations() = EntryAfterRead(s.xmin_now, start_.facts);
    } else if (s.xmin_saved != nullptr) {
      *out.add_relations() = *s.xmin_saved;  // skipped, or not read yet: as it was
    }
  }
  return out;
}

bool XminRead::CheckpointDue(uint64_t records_since_checkpoint) {
  using Clock = std::chrono::steady_clock;
  const double seconds = std::chrono::duration<double>(Clock::now() - last_checkpoint_).count();
  if (records_since_checkpoint < checkpoint_every_records_ &&
      seconds < static_cast<double>(checkpoint_every_.count())) {
    return false;
  }
  last_checkpoint_ = Clock::now();
  return true;
}

}  // namespace tsdb_source
