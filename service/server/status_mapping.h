// Maps core errors (absl::Status with a reason payload) to gRPC statuses at the service
// edge. The reason travels in the trailing metadata "tsdb-source-reason".
#pragma once

#include "absl/status/status.h"
#include "grpcpp/grpcpp.h"

namespace tsdb_source {

// Trailing metadata key carrying the machine-readable reason of an error.
inline constexpr char kReasonMetadataKey[] = "tsdb-source-reason";

// The gRPC status for `status` (same canonical code and message); when `context` is
// given, the reason is added to its trailing metadata.
grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context);

}  // namespace tsdb_source
