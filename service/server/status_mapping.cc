#include "service/server/status_mapping.h"

#include <string>

#include "service/common/errors.h"

namespace tsdb_source {

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context) {
  if (status.ok()) return grpc::Status::OK;
  if (context != nullptr) context->AddTrailingMetadata(kReasonMetadataKey, ReasonOf(status));
  // absl and gRPC share the canonical code numbers.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

}  // namespace tsdb_source
