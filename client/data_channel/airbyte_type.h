// The Airbyte type of a field, read from its JSON schema as Airbyte's destinations read it
// (the load CDK's JSON schema to AirbyteType conversion): on the PROTOBUF socket channel
// the destination takes each value from the member of AirbyteValueProtobuf its type
// names, and fails the sync on any other (docs/design/speed-mode.md 1.2, 2.4), so the
// source picks members by this type, not by the database's.
//
//   "type": "boolean"                                      kBoolean
//   "type": "integer", or "number" with airbyte_type integer kInteger
//   "type": "number"                                       kNumber
//   "type": "string"                                       kString, or by format:
//     "format": "date"                                     kDate
//     "format": "time", airbyte_type time_without_timezone kTimeWithoutTimezone
//     "format": "time" (otherwise)                         kTimeWithTimezone
//     "format": "date-time", airbyte_type
//       timestamp_without_timezone                         kTimestampWithoutTimezone
//     "format": "date-time" (otherwise)                    kTimestampWithTimezone
//   "type": "array"                                        kArray
//   "type": "object"                                       kObject
//   a list of types: "null" dropped, one left -> as above, several -> kUnion
//   "oneOf" / "anyOf" without "type"                       kUnion
//   anything else (no type, an unknown name)               kUnknown
// Thread-safety: pure functions.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"

namespace tsdb_source::client {

enum class AirbyteType {
  kBoolean,
  kInteger,
  kNumber,
  kString,
  kDate,
  kTimeWithoutTimezone,
  kTimeWithTimezone,
  kTimestampWithoutTimezone,
  kTimestampWithTimezone,
  kArray,
  kObject,
  kUnion,
  kUnknown,
};

// The type of the schema `json_schema` (a JSON object as text). InvalidArgument when it is
// not JSON or not an object.
absl::StatusOr<AirbyteType> AirbyteTypeOfSchema(std::string_view json_schema);

// "boolean", "integer", ..., "timestamp_with_timezone", "union", "unknown": for messages.
const char* AirbyteTypeName(AirbyteType type);

}  // namespace tsdb_source::client
