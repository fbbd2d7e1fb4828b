// Structured error details in gRPC's standard form: a serialized google.rpc.Status
// (code, message, details) whose one detail is a google.rpc.ErrorInfo (reason, domain,
// metadata), sent by gRPC as the "grpc-status-details-bin" trailer. Every gRPC language
// decodes it with its usual helpers (Go status.FromError(err).Details(), Java
// StatusProto.fromThrowable, Python grpc_status.rpc_status.from_call) and the
// googleapis protos, which tsdb-source's own contract therefore does not duplicate.
//
// Debian ships neither google/rpc/*.proto nor their C++ classes, so the two small messages
// are encoded here by hand, field numbers as in googleapis:
//   Status    { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }
//   Any       { string type_url = 1; bytes value = 2; }
//   ErrorInfo { string reason = 1; string domain = 2; map<string, string> metadata = 3; }
#pragma once

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace tsdb_source {

// ErrorInfo.domain of tsdb-source's errors.
inline constexpr absl::string_view kErrorDomain = "tsdb-source";
// Any.type_url of a google.rpc.ErrorInfo.
inline constexpr absl::string_view kErrorInfoTypeUrl = "type.googleapis.com/google.rpc.ErrorInfo";

// The serialized google.rpc.Status with one ErrorInfo detail. `metadata` entries with an
// empty value are left out.
std::string EncodeStatusDetails(int code, absl::string_view message, absl::string_view reason,
                                const std::map<std::string, std::string>& metadata);

}  // namespace tsdb_source
