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
  return sink_->Emit(r);
}

}  // namespace tsdb_source::cdc
