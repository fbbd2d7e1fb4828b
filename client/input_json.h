// Shared by the parsers of the files Airbyte hands a connector (inputs.h): a file's name
// in errors, the strict JSON syntax check before parsing, and access to fields of a parsed
// JSON value. Internal to client/.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/struct.pb.h"

namespace tsdb_source::client::input_json {

using google::protobuf::Value;

// What a file is for, to name it in errors: "invalid state file 's.json': ...".
struct InputFile {
  const char* kind;  // "config", "catalog", "state"
  const std::string& path;
};

// INVALID_ARGUMENT "invalid <kind> file '<path>': <problem>".
absl::Status Bad(const InputFile& file, absl::string_view problem);

// The first line of a protobuf JSON error (later lines quote the input, which may hold
// secrets).
std::string FirstLine(absl::string_view message);

// Checks the syntax first (bounded nesting, a position in every message), then parses.
absl::StatusOr<Value> ParseJson(const std::string& json, const InputFile& file);

// The member `name` of an object, or null (absent, or `object` is not an object).
const Value* Field(const Value& object, const char* name);

// The string member `name` of `object` (at `where` in the file): "" when absent or null
// unless `required`; an error naming it when it is not a string.
absl::StatusOr<std::string> StringField(const Value& object, const char* name,
                                        const std::string& where, bool required);

// "null", "a number", "a string", ... for error messages.
const char* JsonTypeName(const Value& v);

}  // namespace tsdb_source::client::input_json
