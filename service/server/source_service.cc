#include "service/server/source_service.h"

#include "service/catalog/discover.h"
#include "service/check/check.h"
#include "service/config/source_config.h"
#include "service/pg/connection.h"
#include "service/read/read_session.h"
#include "service/config/spec.h"
#include "service/server/status_mapping.h"

namespace tsdb_source {

grpc::Status SourceServiceImpl::Spec(grpc::ServerContext*, const v1::SpecRequest*,
                                     v1::SpecResponse* response) {
  response->set_connection_specification_json(std::string(ConnectionSpecificationJson()));
  response->set_documentation_url(std::string(kDocumentationUrl));
  response->set_supports_incremental(true);
  response->add_supported_destination_sync_modes(v1::DESTINATION_SYNC_MODE_OVERWRITE);
  response->add_supported_destination_sync_modes(v1::DESTINATION_SYNC_MODE_APPEND);
  response->add_supported_destination_sync_modes(v1::DESTINATION_SYNC_MODE_APPEND_DEDUP);
  return grpc::Status::OK;
}

grpc::Status SourceServiceImpl::Check(grpc::ServerContext*, const v1::CheckRequest* request,
                                      v1::CheckResponse* response) {
  *response = RunCheck(request->config());
  return grpc::Status::OK;
}

grpc::Status SourceServiceImpl::Discover(grpc::ServerContext* context,
                                         const v1::DiscoverRequest* request,
                                         v1::DiscoverResponse* response) {
  auto config = ResolveConfig(request->config());
  if (!config.ok()) return ToGrpcStatus(config.status(), context);
  auto conn = pg::Connection::Open(config->connect);
  if (!conn.ok()) return ToGrpcStatus(conn.status(), context);
  auto catalog = DiscoverCatalog(*conn, *config);
  if (!catalog.ok()) return ToGrpcStatus(catalog.status(), context);
  *response->mutable_catalog() = *std::move(catalog);
  return grpc::Status::OK;
}

namespace {

// Adapts the core's sink to the gRPC stream. Write blocks while the client's flow-control
// window is full, so a slow client slows the database read instead of growing memory.
class WriterSink final : public ReadSink {
 public:
  WriterSink(grpc::ServerContext* context, grpc::ServerWriter<v1::ReadResponse>* writer)
      : context_(context), writer_(writer) {}
  bool Emit(const v1::ReadResponse& response) override {
    if (context_->IsCancelled()) return false;
    return writer_->Write(response);
  }

 private:
  grpc::ServerContext* context_;
  grpc::ServerWriter<v1::ReadResponse>* writer_;
};

}  // namespace

grpc::Status SourceServiceImpl::Read(grpc::ServerContext* context, const v1::ReadRequest* request,
                                     grpc::ServerWriter<v1::ReadResponse>* writer) {
  WriterSink sink(context, writer);
  return ToGrpcStatus(RunRead(*request, &sink), context);
}

}  // namespace tsdb_source
