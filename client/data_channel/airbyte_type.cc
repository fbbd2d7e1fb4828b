#include "client/data_channel/airbyte_type.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/json/json_syntax.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"

namespace tsdb_source::client {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// The string member `name` of `schema`, "" when absent or not a string.
std::string StringMember(const Struct& schema, const char* name) {
  auto it = schema.fields().find(name);
  if (it == schema.fields().end() || it->second.kind_case() != Value::kStringValue) return "";
  return it->second.string_value();
}

AirbyteType OfTypeName(const std::string& type, const Struct& schema) {
  const std::string airbyte_type = StringMember(schema, "airbyte_type");
  if (type == "boolean") return AirbyteType::kBoolean;
  if (type == "integer") return AirbyteType::kInteger;
  if (type == "number") {
    return airbyte_type == "integer" ? AirbyteType::kInteger : AirbyteType::kNumber;
  }
  if (type == "string") {
    const std::string format = StringMember(schema, "format");
    if (format == "date") return AirbyteType::kDate;
    if (format == "time") {
      return airbyte_type == "time_without_timezone" ? AirbyteType::kTimeWithoutTimezone
                                                     : AirbyteType::kTimeWithTimezone;
    }
    if (format == "date-time") {
      return airbyte_type == "timestamp_without_timezone"
                 ? AirbyteType::kTimestampWithoutTimezone
                 : AirbyteType::kTimestampWithTimezone;
    }
    return AirbyteType::kString;
  }
  if (type == "array") return AirbyteType::kArray;
  if (type == "object") return AirbyteType::kObject;
  return AirbyteType::kUnknown;
}

}  // namespace

absl::StatusOr<AirbyteType> AirbyteTypeOfSchema(std::string_view json_schema) {
  absl::Status syntax = CheckJsonSyntax(json_schema);
  if (!syntax.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON schema is not JSON: ", syntax.message()));
  }
  Value value;
  const std::string text(json_schema);
  auto parsed = google::protobuf::util::JsonStringToMessage(text, &value);
  if (!parsed.ok() || value.kind_case() != Value::kStructValue) {
    return absl::InvalidArgumentError("JSON schema is not a JSON object");
  }
  const Struct& schema = value.struct_value();
  auto type = schema.fields().find("type");
  if (type == schema.fields().end()) {
    const bool union_of =
        schema.fields().count("oneOf") != 0 || schema.fields().count("anyOf") != 0;
    return union_of ? AirbyteType::kUnion : AirbyteType::kUnknown;
  }
  if (type->second.kind_case() == Value::kStringValue) {
    return OfTypeName(type->second.string_value(), schema);
  }
  if (type->second.kind_case() != Value::kListValue) return AirbyteType::kUnknown;
  std::vector<std::string> names;
  for (const Value& v : type->second.list_value().values()) {
    if (v.kind_case() != Value::kStringValue) return AirbyteType::kUnknown;
    if (v.string_value() != "null") names.push_back(v.string_value());
  }
  if (names.size() == 1) return OfTypeName(names[0], schema);
  return names.empty() ? AirbyteType::kUnknown : AirbyteType::kUnion;
}

const char* AirbyteTypeName(AirbyteType type) {
  switch (type) {
    case AirbyteType::kBoolean: return "boolean";
    case AirbyteType::kInteger: return "integer";
    case AirbyteType::kNumber: return "number";
    case AirbyteType::kString: return "string";
    case AirbyteType::kDate: return "date";
    case AirbyteType::kTimeWithoutTimezone: return "time_without_timezone";
    case AirbyteType::kTimeWithTimezone: return "time_with_timezone";
    case AirbyteType::kTimestampWithoutTimezone: return "timestamp_without_timezone";
    case AirbyteType::kTimestampWithTimezone: return "timestamp_with_timezone";
    case AirbyteType::kArray: return "array";
    case AirbyteType::kObject: return "object";
    case AirbyteType::kUnion: return "union";
    case AirbyteType::kUnknown: break;
  }
  return "unknown";
}

}  // namespace tsdb_source::client
