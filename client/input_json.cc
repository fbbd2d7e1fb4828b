#include "client/input_json.h"

#include "absl/strings/str_cat.h"
#include "client/json/json_syntax.h"
#include "google/protobuf/util/json_util.h"

namespace tsdb_source::client::input_json {

absl::Status Bad(const InputFile& file, absl::string_view problem) {
  return absl::InvalidArgumentError(
      absl::StrCat("invalid ", file.kind, " file '", file.path, "': ", problem));
}

// The first line of a protobuf JSON error (later lines quote the input, which may hold
// secrets).
std::string FirstLine(absl::string_view message) {
  return std::string(message.substr(0, message.find('\n')));
}

// Checks the syntax first (bounded nesting, a position in every message), then parses.
absl::StatusOr<Value> ParseJson(const std::string& json, const InputFile& file) {
  if (absl::Status syntax = CheckJsonSyntax(json); !syntax.ok()) {
    return Bad(file, absl::StrCat("not valid JSON: ", syntax.message()));
  }
  Value value;
  auto status = google::protobuf::util::JsonStringToMessage(json, &value);
  if (!status.ok()) {
    return Bad(file,
               absl::StrCat("not valid JSON (", FirstLine(status.message().as_string()), ")"));
  }
  return value;
}

const Value* Field(const Value& object, const char* name) {
  if (object.kind_case() != Value::kStructValue) return nullptr;
  auto it = object.struct_value().fields().find(name);
  return it == object.struct_value().fields().end() ? nullptr : &it->second;
}

absl::StatusOr<std::string> StringField(const Value& object, const char* name,
                                        const std::string& where, bool required) {
  const Value* v = Field(object, name);
  if (v == nullptr || v->kind_case() == Value::kNullValue) {
    if (required) return absl::InvalidArgumentError(absl::StrCat(where, ".", name, " is required"));
    return std::string();
  }
  if (v->kind_case() != Value::kStringValue) {
    return absl::InvalidArgumentError(absl::StrCat(where, ".", name, " must be a string"));
  }
  return v->string_value();
}

const char* JsonTypeName(const Value& v) {
  switch (v.kind_case()) {
    case Value::kNullValue: return "null";
    case Value::kNumberValue: return "a number";
    case Value::kStringValue: return "a string";
    case Value::kBoolValue: return "a boolean";
    case Value::kStructValue: return "an object";
    case Value::kListValue: return "an array";
    default: return "nothing";
  }
}

}  // namespace tsdb_source::client::input_json
