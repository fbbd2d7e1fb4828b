#include "service/cdc/cdc_checkpoints.h"

#include "service/read/stream_plan.h"

namespace tsdb_source::cdc {

void CdcCheckpoints::SetStream(const v1::StreamState& state) {
  streams_[{state.stream().namespace_(), state.stream().name()}] = state;
}

const v1::StreamState* CdcCheckpoints::Stream(const v1::StreamDescriptor& d) const {
  auto it = streams_.find({d.namespace_(), d.name()});
  return it == streams_.end() ? nullptr : &it->second;
}

void CdcCheckpoints::AddChanges(const v1::StreamDescriptor& stream, const std::string& chunk,
                                uint64_t records) {
  AddRecords(records);
  auto it = changes_.try_emplace({stream.namespace_(), stream.name()}, stream).first;
  it->second.Emitted(chunk, records);
}

void CdcCheckpoints::AddCovered(const google::protobuf::RepeatedPtrField<v1::ChunkRecords>& chunks) {
  for (const v1::ChunkRecords& c : chunks) *snapshot_covered_.Add() = c;
}

bool CdcCheckpoints::EndChanges() {
  for (auto& [key, coverage] : changes_) {
    for (v1::ChunkEnd& end : coverage.EndAll()) {
      v1::ReadResponse r;
      *r.mutable_chunk_end() = std::move(end);
      if (!sink_->Emit(r)) return false;
    }
  }
  return true;
}

bool CdcCheckpoints::Emit() {
  v1::ReadResponse r;
  v1::Checkpoint* c = r.mutable_checkpoint();
  v1::GlobalState* global = c->mutable_global();
  global->set_version(kStateVersion);
  global->set_lsn(lsn_);
  for (const auto& [key, state] : streams_) *global->add_streams() = state;
  c->set_records_since_last_checkpoint(since_last_);
  c->set_records_total(total_);
  since_last_ = 0;
  c->mutable_chunks()->Swap(&snapshot_covered_);
  snapshot_covered_.Clear();
  // The position covers every change emitted so far.
  for (auto& [key, coverage] : changes_) {
    coverage.CoverAll();
    coverage.TakeCovered(c->mutable_chunks());
  }
  return sink_->Emit(r);
}

}  // namespace tsdb_source::cdc
