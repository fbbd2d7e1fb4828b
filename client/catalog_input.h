// The configured catalog file Airbyte hands a connector -> ConfiguredCatalog. Errors name
// the file and the problem (inputs.h).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source::client {

// Airbyte ConfiguredAirbyteCatalog JSON -> ConfiguredCatalog.
absl::StatusOr<v1::ConfiguredCatalog> ParseConfiguredCatalog(const std::string& json,
                                                             const std::string& path);

}  // namespace tsdb_source::client
