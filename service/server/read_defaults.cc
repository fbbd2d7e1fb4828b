#include "service/server/read_defaults.h"

#include <cstdint>

namespace tsdb_source {

const v1::ReadRequest& WithConfigReadDefaults(const v1::ReadRequest& request,
                                              v1::ReadRequest* storage) {
  const v1::SourceConfig& config = request.config();
  if (!config.has_checkpoint_target_interval_seconds() ||
      config.checkpoint_target_interval_seconds() < 1 ||
      request.options().checkpoint_every_seconds() != 0) {
    return request;
  }
  *storage = request;
  storage->mutable_options()->set_checkpoint_every_seconds(
      static_cast<uint32_t>(config.checkpoint_target_interval_seconds()));
  return *storage;
}

}  // namespace tsdb_source
