// Strict syntax check of a whole JSON document (RFC 8259), run on the files Airbyte hands
// the connector before any parser sees them.
//
// Why: the protobuf JSON parser has no nesting limit (a deeply nested file costs it time
// quadratic in the depth: 200 000 levels run for minutes) and its messages carry no
// position. This check is linear, bounds the nesting, and says where and what:
//
//   "line 3, column 17: unexpected end of the file (truncated JSON?)"
//   "line 1, column 4097: nested deeper than 64 levels"
//   "line 2, column 9: number 1e999 is out of range"
//
// Contract:
// - Accepts exactly one JSON value with optional whitespace around it, valid UTF-8
//   throughout, strings without raw control characters and with valid escapes (a lone
//   surrogate escape such as \ud800 is a syntax error here, as it is to strict parsers),
//   numbers per the RFC grammar whose magnitude fits a double (1e999 and -1e999 are
//   rejected; underflow to 0 is fine).
// - Depth counts open arrays and objects: "[]" is depth 1, "{"a":[1]}" depth 2.
// - Line and column are 1-based; the column counts bytes.
// - Never echoes more than a few bytes of the input: the document may hold secrets.
// Thread-safety: a pure function.
#pragma once

#include <string_view>

#include "absl/status/status.h"

namespace tsdb_source::client {

// Deeper nesting than this is rejected: Airbyte configs, catalogs and states are a handful
// of levels deep (a catalog's json_schema of a jsonb column adds a few more).
inline constexpr int kMaxJsonDepth = 64;

// OK, or InvalidArgument "line L, column C: <problem>".
absl::Status CheckJsonSyntax(std::string_view text, int max_depth = kMaxJsonDepth);

}  // namespace tsdb_source::client
