// tsdb-source-server: serves tsdb_source.v1.SourceService over gRPC, with the standard
// health service (grpc.health.v1) and server reflection.
//
// Shutdown on SIGTERM or SIGINT: health turns NOT_SERVING, the server stops accepting
// calls, every running read is asked to end right after its next checkpoint and gets
// --shutdown_grace to do so; reads still running then are cancelled. Either way their
// client ends with UNAVAILABLE (reason SERVER_SHUTTING_DOWN) after the last checkpoint it
// received. A second signal cancels the running reads at once.
// Exit status: 0 after a clean stop, 1 when the server cannot start, 2 for bad flags.
// --help (or -h) prints the usage (usage.h) on stdout and exits 0.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "service/server/event_log.h"
#include "service/server/listen_address.h"
#include "service/server/read_tracker.h"
#include "service/server/server_credentials.h"
#include "service/server/source_service.h"
#include "service/server/token_auth.h"
#include "service/server/usage.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "address to listen on: host:port, [ipv6]:port or unix:/path; port 0 picks a free port");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain of the server (TLS)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, client_ca, "",
          "PEM CA certificates: require client certificates signed by them (mutual TLS)");
ABSL_FLAG(bool, insecure, false,
          "allow serving a non-loopback --listen address without TLS (e.g. behind a "
          "TLS-terminating proxy); credentials then travel in clear text");
ABSL_FLAG(std::string, token_file, "",
          "file of bearer tokens, one per line: every SourceService call must send "
          "'authorization: Bearer <token>' with one of them");
ABSL_FLAG(int, max_concurrent_reads, 16,
          "Read calls running at once at most; more get RESOURCE_EXHAUSTED (0: no limit)");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(20),
          "at SIGTERM/SIGINT, how long running reads may take to reach their next checkpoint "
          "before they are cancelled");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Seconds(60),
          "idle time after which the server pings a client connection");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(20),
          "how long the server waits for a ping's answer before it closes the connection");
ABSL_FLAG(absl::Duration, keepalive_min_client_interval, absl::Seconds(10),
          "shortest interval between client keepalive pings the server accepts");
ABSL_FLAG(bool, reflection, true, "serve gRPC server reflection (grpcurl, grpcui)");

namespace {

using tsdb_source::LogFields;

constexpr char kUsageIntro[] =
    "tsdb-source-server: serves the tsdb_source.v1.SourceService gRPC API (Spec, Check,\n"
    "Discover, Read) for TimescaleDB and PostgreSQL databases: each call carries the config\n"
    "of the database it is about; hypertables are read chunk by chunk with resumable\n"
    "checkpoints. Also serves the standard gRPC health service and server reflection.\n"
    "Logs go to stderr, one line per event.\n"
    "\n"
    "usage: tsdb-source-server [--flag=value ...]\n"
    "\n"
    "flags:\n";
constexpr char kUsageEnd[] =
    "\n"
    "Without --tls_cert only loopback addresses are served (unless --insecure). SIGTERM or\n"
    "SIGINT stops the server: running reads end after their next checkpoint.\n"
    "Exit status: 0 after a clean stop, 1 when it cannot listen, 2 for bad flags.\n"
    "Every flag, absl's included: --helpfull.\n"
    "\n"
    "examples:\n"
    "  tsdb-source-server --listen 127.0.0.1:50051\n"
    "  tsdb-source-server --listen 0.0.0.0:50051 --tls_cert server.pem --tls_key server.key \\\n"
    "      --token_file tokens.txt\n";

constexpr char kServiceName[] = "tsdb_source.v1.SourceService";
constexpr int kMaxReceiveMessageBytes = 64 << 20;
// After the grace period: time for cancelled reads to send their status.
constexpr absl::Duration kStatusDelivery = absl::Seconds(5);

int Milliseconds(absl::Duration d) {
  return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT32_MAX));
}

absl::Status CheckFlags() {
  if (absl::GetFlag(FLAGS_max_concurrent_reads) < 0) {
    return absl::InvalidArgumentError("--max_concurrent_reads must be 0 (no limit) or more");
  }
  if (absl::GetFlag(FLAGS_shutdown_grace) < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--shutdown_grace must not be negative");
  }
  for (auto [name, value] : {std::make_pair("keepalive_time", absl::GetFlag(FLAGS_keepalive_time)),
                             std::make_pair("keepalive_timeout", absl::GetFlag(FLAGS_keepalive_timeout)),
                             std::make_pair("keepalive_min_client_interval",
                                            absl::GetFlag(FLAGS_keepalive_min_client_interval))}) {
    if (value < absl::Milliseconds(1)) {
      return absl::InvalidArgumentError(absl::StrCat("--", name, " must be at least 1ms"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (tsdb_source::WantsUsage(argc, argv)) {
    std::string usage = absl::StrCat(kUsageIntro, tsdb_source::FlagsUsage(__FILE__), kUsageEnd);
    std::fwrite(usage.data(), 1, usage.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  // The signals are taken by sigwait below: block them before gRPC starts any thread, so
  // that every thread inherits the mask and none of them is interrupted.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  absl::SetProgramUsageMessage("Serves tsdb_source.v1.SourceService over gRPC.");
  absl::ParseCommandLine(argc, argv);
  tsdb_source::EventLog log;
  auto bad_flags = [&log](const absl::Status& status) {
    log.Error("bad_flags", LogFields().Add("message", status.message()));
    return 2;
  };

  if (absl::Status status = CheckFlags(); !status.ok()) return bad_flags(status);
  const std::string listen = absl::GetFlag(FLAGS_listen);
  tsdb_source::TlsFiles tls{absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key),
                            absl::GetFlag(FLAGS_client_ca)};
  auto credentials = tsdb_source::MakeServerCredentials(tls);
  if (!credentials.ok()) return bad_flags(credentials.status());
  if (tls.cert.empty() && !tsdb_source::IsLoopbackListenAddress(listen)) {
    if (!absl::GetFlag(FLAGS_insecure)) {
      return bad_flags(absl::InvalidArgumentError(absl::StrCat(
          "--listen ", listen, " is not a loopback address and the server has no TLS: database "
          "passwords and tokens would cross the network in clear text. Give --tls_cert and "
          "--tls_key, or --insecure when a proxy in front provides TLS")));
    }
    log.Warning("insecure_listen",
                LogFields()
                    .Add("listen", listen)
                    .Add("message", "serving a non-loopback address without TLS (--insecure): "
                                    "database passwords and tokens travel in clear text"));
  }
  std::optional<tsdb_source::TokenAuth> auth;
  if (!absl::GetFlag(FLAGS_token_file).empty()) {
    auto loaded = tsdb_source::TokenAuth::FromFile(absl::GetFlag(FLAGS_token_file));
    if (!loaded.ok()) return bad_flags(loaded.status());
    auth = *std::move(loaded);
  }

  tsdb_source::ReadTracker reads(absl::GetFlag(FLAGS_max_concurrent_reads));
  tsdb_source::SourceServiceImpl::Options options;
  options.auth = auth.has_value() ? &*auth : nullptr;
  options.reads = &reads;
  options.log = &log;
  tsdb_source::SourceServiceImpl service(options);

  grpc::EnableDefaultHealthCheckService(true);
  if (absl::GetFlag(FLAGS_reflection)) grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, *credentials, &port);
  builder.RegisterService(&service);
  builder.SetMaxReceiveMessageSize(kMaxReceiveMessageBytes);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             Milliseconds(absl::GetFlag(FLAGS_keepalive_time)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             Milliseconds(absl::GetFlag(FLAGS_keepalive_timeout)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             Milliseconds(absl::GetFlag(FLAGS_keepalive_min_client_interval)));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    log.Error("listen_failed", LogFields().Add("listen", listen).Add(
                                   "message", "cannot listen there (address in use or invalid, "
                                              "or a TLS file gRPC could not load)"));
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus(kServiceName, true);
  log.Info("server_start", LogFields()
                               .Add("listen", listen)
                               .Add("port", port)
                               .Add("tls", !tls.cert.empty())
                               .Add("mutual_tls", !tls.client_ca.empty())
                               .Add("token_auth", auth.has_value())
                               .Add("max_concurrent_reads", reads.max_reads())
                               .Add("reflection", absl::GetFlag(FLAGS_reflection))
                               .Add("shutdown_grace", absl::FormatDuration(
                                                          absl::GetFlag(FLAGS_shutdown_grace))));

  int signal_number = 0;
  sigwait(&signals, &signal_number);
  absl::Time stop_start = absl::Now();
  absl::Duration grace = absl::GetFlag(FLAGS_shutdown_grace);
  server->GetHealthCheckService()->SetServingStatus(false);
  int running = reads.StopAll();
  log.Info("shutdown_start", LogFields()
                                 .Add("signal", signal_number == SIGTERM ? "SIGTERM" : "SIGINT")
                                 .Add("running_reads", running)
                                 .Add("grace", absl::FormatDuration(grace)));
  std::thread stopper([&server, deadline = stop_start + grace + kStatusDelivery] {
    server->Shutdown(absl::ToChronoTime(deadline));
  });
  // Wait for the reads to reach their checkpoints; cancel them after the grace period or
  // at a second signal.
  while (!reads.WaitIdle(absl::Milliseconds(100))) {
    timespec no_wait{0, 0};
    bool again = sigtimedwait(&signals, nullptr, &no_wait) > 0;
    if (again || absl::Now() - stop_start >= grace) {
      int cancelled = reads.CancelAll();
      log.Warning("shutdown_cancel_reads",
                  LogFields()
                      .Add("cancelled_reads", cancelled)
                      .Add("why", again ? "second signal" : "grace period over"));
      break;
    }
  }
  stopper.join();
  log.Info("shutdown_done", LogFields().Add("seconds", absl::ToDoubleSeconds(absl::Now() - stop_start)));
  return 0;
}
