// The connection specification (what SpecResponse offers): Airbyte's connectionSpecification JSON schema, field for
// field the SourceConfig message (proto/tsdb_source/v1/config.proto).
#pragma once

#include "absl/strings/string_view.h"

namespace tsdb_source::airbyte {

// The JSON schema (draft-07) of a source config, as JSON text.
absl::string_view ConnectionSpecificationJson();

// Where the connector is documented.
inline constexpr absl::string_view kDocumentationUrl =
    "https://github.com/tsdb-source/tsdb-source#readme";

}  // namespace tsdb_source::airbyte
