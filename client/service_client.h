// How the shim reaches SourceService: in-process (the default: the same service code, in
// this process) or a remote server. In process, Spec, Check and Discover go through an
// in-process gRPC channel (one path for both modes), and Read hands the core's typed
// batches straight to the shim (SourceServiceImpl::ReadInProcess): the same responses the
// RPC would carry, without serialising and parsing every batch.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "tsdb_source/v1/source_service.grpc.pb.h"

namespace tsdb_source {
class SourceServiceImpl;
}  // namespace tsdb_source

namespace tsdb_source::client {

// Options of a remote connection.
struct RemoteOptions {
  std::string target;       // host:port
  bool tls = false;         // use TLS
  std::string ca_file;      // PEM roots for TLS (default: system roots)
  std::string cert_file;    // PEM client certificate chain, for servers that ask for one (mTLS)
  std::string key_file;     // PEM private key of cert_file
  std::string token_file;   // bearer token sent as "authorization: Bearer <token>"
};

// A stub plus whatever keeps it alive (the in-process server).
class ServiceClient {
 public:
  virtual ~ServiceClient() = default;
  virtual v1::SourceService::StubInterface* stub() = 0;
  // Prepares a context for one call (adds the token, if any).
  virtual void Prepare(grpc::ClientContext* context) = 0;
  // The service itself when it runs in this process (for ReadInProcess); null when remote.
  virtual SourceServiceImpl* in_process() { return nullptr; }
};

// Starts the service in this process.
absl::StatusOr<std::unique_ptr<ServiceClient>> InProcessClient();

// Connects to a running server.
absl::StatusOr<std::unique_ptr<ServiceClient>> RemoteClient(const RemoteOptions& options);

}  // namespace tsdb_source::client
