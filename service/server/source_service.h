// The gRPC layer: a thin SourceService that validates nothing itself, calls the core
// (check, catalog, read) and maps its absl::Status to gRPC. No SQL lives here.
#pragma once

#include "tsdb_source/v1/source_service.grpc.pb.h"

namespace tsdb_source {

class SourceServiceImpl final : public v1::SourceService::Service {
 public:
  grpc::Status Spec(grpc::ServerContext* context, const v1::SpecRequest* request,
                    v1::SpecResponse* response) override;
  grpc::Status Check(grpc::ServerContext* context, const v1::CheckRequest* request,
                     v1::CheckResponse* response) override;
  grpc::Status Discover(grpc::ServerContext* context, const v1::DiscoverRequest* request,
                        v1::DiscoverResponse* response) override;
  grpc::Status Read(grpc::ServerContext* context, const v1::ReadRequest* request,
                    grpc::ServerWriter<v1::ReadResponse>* writer) override;
};

}  // namespace tsdb_source
