// Maps core errors (absl::Status with a reason payload) to gRPC statuses at the service
// edge: the same canonical code and message, plus
//   - structured details: "grpc-status-details-bin" holds a google.rpc.Status with a
//     google.rpc.ErrorInfo{reason, domain "tsdb-source", metadata{stream, chunk, ...}}
//     (error_details.h);
//   - the reason alone in the trailing metadata "tsdb-source-reason", for clients that
//     do not decode details.
// Metadata comes from the caller (the stream a read was on) and from any other
// "type.tsdb-source/<key>" payload of the status (e.g. "type.tsdb-source/chunk").
#pragma once

#include <map>
#include <string>

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"

namespace tsdb_source {

// Trailing metadata key carrying the machine-readable reason of an error.
inline constexpr char kReasonMetadataKey[] = "tsdb-source-reason";

// The gRPC status for `status` with its details; when `context` is given, the reason is
// added to its trailing metadata. `metadata` is added to the ErrorInfo (empty values are
// left out; a payload of the status wins over an entry of the same key).
grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context,
                          const std::map<std::string, std::string>& metadata = {});

}  // namespace tsdb_source
