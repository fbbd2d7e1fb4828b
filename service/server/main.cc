// tsdb-source-server: serves SourceService over gRPC.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/server/source_service.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "address to listen on (host:port)");

namespace {

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Serves tsdb_source.v1.SourceService over gRPC.");
  absl::ParseCommandLine(argc, argv);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  tsdb_source::SourceServiceImpl service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "tsdb-source-server: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  std::fprintf(stderr, "tsdb-source-server: listening on %s (port %d)\n",
               absl::GetFlag(FLAGS_listen).c_str(), port);

  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  while (!g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::fprintf(stderr, "tsdb-source-server: shutting down\n");
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return 0;
}
