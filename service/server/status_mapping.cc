#include "service/server/status_mapping.h"

#include <string>

#include "absl/strings/match.h"
#include "service/common/errors.h"
#include "service/server/error_details.h"

namespace tsdb_source {
namespace {

constexpr absl::string_view kPayloadPrefix = "type.tsdb-source/";

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status, grpc::ServerContext* context,
                          const std::map<std::string, std::string>& metadata) {
  if (status.ok()) return grpc::Status::OK;
  std::string reason = ReasonOf(status);
  if (context != nullptr) context->AddTrailingMetadata(kReasonMetadataKey, reason);
  std::map<std::string, std::string> info = metadata;
  status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    if (url == kReasonPayload || !absl::StartsWith(url, kPayloadPrefix)) return;
    info[std::string(url.substr(kPayloadPrefix.size()))] = std::string(payload);
  });
  // absl and gRPC share the canonical code numbers.
  int code = static_cast<int>(status.code());
  std::string message(status.message());
  return grpc::Status(static_cast<grpc::StatusCode>(code), message,
                      EncodeStatusDetails(code, message, reason, info));
}

}  // namespace tsdb_source
