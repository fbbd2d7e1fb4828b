// The gRPC layer: a thin SourceService that validates nothing itself, calls the core
// (check, catalog, read) and maps its absl::Status to gRPC (status_mapping.h). No SQL
// lives here. Around each call it adds what a production service needs: the bearer-token
// check, a request id and log lines (rpc_scope.h); for Read also the concurrent-read limit
// and graceful shutdown (read_tracker.h), and cancellation and deadlines honoured while
// the read runs (read_watcher.h).
// Thread-safe: gRPC calls the handlers from many threads.
#pragma once

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "service/session/read_session.h"
#include "service/server/event_log.h"
#include "service/server/read_tracker.h"
#include "service/server/token_auth.h"
#include "tsdb_source/v1/source_service.grpc.pb.h"

namespace tsdb_source {

class RpcScope;

class SourceServiceImpl final : public v1::SourceService::Service {
 public:
  struct Options {
    // Checks every call's bearer token; null: no check.
    const TokenAuth* auth = nullptr;
    // Limits concurrent reads and stops them at shutdown; null: no limit.
    ReadTracker* reads = nullptr;
    // Where call events go; null: nowhere (the shim's in-process service).
    EventLog* log = nullptr;
    // How often a running Read looks for cancellation and its deadline.
    absl::Duration cancel_poll = absl::Milliseconds(100);
  };

  SourceServiceImpl() : SourceServiceImpl(Options()) {}
  // The pointed-to objects must outlive the service.
  explicit SourceServiceImpl(Options options) : options_(options) {}

  grpc::Status Spec(grpc::ServerContext* context, const v1::SpecRequest* request,
                    v1::SpecResponse* response) override;
  grpc::Status Check(grpc::ServerContext* context, const v1::CheckRequest* request,
                     v1::CheckResponse* response) override;
  grpc::Status Discover(grpc::ServerContext* context, const v1::DiscoverRequest* request,
                        v1::DiscoverResponse* response) override;
  grpc::Status Read(grpc::ServerContext* context, const v1::ReadRequest* request,
                    grpc::ServerWriter<v1::ReadResponse>* writer) override;

  // Read for a caller in this process (the Airbyte shim): the same core, checks, logs,
  // redaction and status as the Read RPC, but each response reaches `sink` as the object
  // the core built, never serialised or parsed. `sink` returning false stops the read
  // (status CANCELLED). No deadline applies.
  grpc::Status ReadInProcess(const v1::ReadRequest& request, ReadSink* sink);

 private:
  // True once shutdown began (new calls are refused with ShuttingDownError()).
  bool ShuttingDown() const;
  static absl::Status ShuttingDownError();
  // Both Reads: `scope` is the call's (its context null in process), `out` where responses go.
  grpc::Status ReadTo(RpcScope& scope, const v1::ReadRequest& request, ReadSink* out);

  const Options options_;
};

}  // namespace tsdb_source
