// Reading the files Airbyte hands a connector: config, configured catalog and state, one
// parser each (config_input.h, catalog_input.h, state_input.h, included here). Each parser
// names the file and the problem on failure (INVALID_ARGUMENT: "invalid state file
// 's.json': line 1, column 9: unexpected end of the file (truncated JSON?)"), and never
// echoes a secret from the file. Every file first passes a strict JSON syntax check
// (json/json_syntax.h): nesting deeper than 64 levels, numbers beyond a double, invalid
// UTF-8 and trailing data are rejected before any parser sees them.
#pragma once

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "client/catalog_input.h"  // IWYU pragma: export
#include "client/config_input.h"   // IWYU pragma: export
#include "client/state_input.h"    // IWYU pragma: export

namespace tsdb_source::client {

// Inputs larger than this are rejected before parsing.
inline constexpr size_t kMaxInputBytes = 64 << 20;

// Reads a whole file (bounded by kMaxInputBytes). `kind` ("config", ...) names the file in
// errors: "cannot open the config file 'c.json': No such file or directory".
absl::StatusOr<std::string> ReadInputFile(const std::string& path, absl::string_view kind = "");

}  // namespace tsdb_source::client
