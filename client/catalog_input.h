// The configured catalog file Airbyte hands a connector -> ConfiguredCatalog. Errors name
// the file and the problem (inputs.h).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tsdb_source/v1/catalog.pb.h"

namespace tsdb_source::client {

// The fields the configured catalog lists per stream, by (namespace, name): the keys of
// its json_schema's "properties" (Airbyte's field selection leaves only the selected ones).
// A stream whose json_schema has no properties object is absent.
using ConfiguredFields =
    std::map<std::pair<std::string, std::string>, std::vector<std::string>>;

// Airbyte ConfiguredAirbyteCatalog JSON -> ConfiguredCatalog; with `fields`, also each
// stream's configured fields (speed mode's PROTOBUF writes exactly those).
absl::StatusOr<v1::ConfiguredCatalog> ParseConfiguredCatalog(const std::string& json,
                                                             const std::string& path,
                                                             ConfiguredFields* fields = nullptr);

}  // namespace tsdb_source::client
