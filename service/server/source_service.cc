#include "service/server/source_service.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "service/session/check.h"
#include "service/common/errors.h"
#include "service/config/jdbc_url_params.h"
#include "service/config/source_config.h"
#include "service/airbyte/spec.h"
#include "service/pg/connection.h"
#include "service/pg/tunnels.h"
#include "service/read/read_control.h"
#include "service/session/read_session.h"
#include "service/server/read_defaults.h"
#include "service/session/discover_streams.h"
#include "service/server/read_watcher.h"
#include "service/server/rpc_scope.h"

namespace tsdb_source {
namespace {

std::string StreamName(const v1::StreamDescriptor& d) {
  return d.namespace_().empty() ? d.name() : absl::StrCat(d.namespace_(), ".", d.name());
}

// Where a call connects to, for its rpc_start line (never the password), and through
// which SSH bastion.
LogFields Target(const v1::SourceConfig& config) {
  LogFields fields;
  fields.Add("db_host", config.host())
      .Add("db_port", config.has_port() ? config.port() : 5432)
      .Add("database", config.database())
      .Add("db_user", config.username());
  const v1::TunnelMethod& tunnel = config.tunnel_method();
  if (!tunnel.tunnel_method().empty() && tunnel.tunnel_method() != "NO_TUNNEL") {
    fields.Add("tunnel", tunnel.tunnel_method())
        .Add("tunnel_host", tunnel.tunnel_host())
        .Add("tunnel_port", tunnel.has_tunnel_port() ? tunnel.tunnel_port() : 22)
        .Add("tunnel_user", tunnel.tunnel_user());
  }
  return fields;
}

// Keeps the SSH tunnel of the config's connections open for the whole call, so that its
// successive connections share one SSH session (pg/tunnels.h). A config that does not
// resolve gets none: the call reports why.
pg::TunnelScope TunnelFor(const v1::SourceConfig& config) {
  auto resolved = ResolveConfig(config);
  if (!resolved.ok()) return pg::TunnelScope();
  return pg::TunnelScope(resolved->connect.tunnel, resolved->connect.host,
                         resolved->connect.port);
}

// The gRPC stream as a ReadSink. Write blocks while the client's flow-control window is
// full, so a slow client slows the database read instead of growing memory.
class StreamSink final : public ReadSink {
 public:
  StreamSink(grpc::ServerContext* context, grpc::ServerWriter<v1::ReadResponse>* writer)
      : context_(context), writer_(writer) {}
  bool Emit(const v1::ReadResponse& response) override {
    if (context_->IsCancelled()) return false;
    return writer_->Write(response);
  }

 private:
  grpc::ServerContext* context_;
  grpc::ServerWriter<v1::ReadResponse>* writer_;
};

// Passes the core's responses on to `out` (the gRPC stream, or an in-process caller) and
// watches what passes: the stream and chunk being read (for error details), figures for
// the log, and each stream's summary, logged as "stream_summary".
class ObservingSink final : public ReadSink {
 public:
  ObservingSink(RpcScope* scope, ReadSink* out) : scope_(scope), out_(out) {}

  bool Emit(const v1::ReadResponse& response) override {
    Observe(response);
    return out_->Emit(response);
  }

  // ErrorInfo metadata of a failed read: the stream it was on and, when rows of a chunk
  // were sent after the last checkpoint, that chunk.
  std::map<std::string, std::string> ErrorMetadata() const {
    return {{"stream", stream_}, {"chunk", chunk_}};
  }

  // Figures of the whole read for the rpc_end line.
  LogFields Totals() const {
    return LogFields()
        .Add("streams", streams_)
        .Add("rows", rows_)
        .Add("batches", batches_)
        .Add("checkpoints", checkpoints_)
        .Add("chunks_read", chunks_read_)
        .Add("chunks_skipped", chunks_skipped_)
        .Add("bytes", bytes_)
        .Add("retries", retries_);
  }

 private:
  void Observe(const v1::ReadResponse& response) {
    switch (response.event_case()) {
      case v1::ReadResponse::kStatus:
        if (response.status().status() == v1::STREAM_STATUS_KIND_STARTED) {
          stream_ = StreamName(response.status().stream());
          chunk_.clear();
          ++streams_;
        }
        break;
      case v1::ReadResponse::kRecords:
        chunk_ = response.records().chunk();
        rows_ += response.records().row_count();
        ++batches_;
        break;
      case v1::ReadResponse::kCheckpoint:
        chunk_.clear();  // everything sent so far is covered
        ++checkpoints_;
        break;
      case v1::ReadResponse::kSummary: {
        const v1::StreamSummary& s = response.summary();
        chunks_read_ += s.chunks_read();
        chunks_skipped_ += s.chunks_skipped();
        bytes_ += s.bytes();
        retries_ += s.retries();
        if (scope_->log() != nullptr) {
          scope_->log()->Info("stream_summary", LogFields()
                                                    .Add("rid", scope_->id())
                                                    .Add("stream", StreamName(s.stream()))
                                                    .Add("chunks_read", s.chunks_read())
                                                    .Add("chunks_skipped", s.chunks_skipped())
                                                    .Add("rows", s.rows())
                                                    .Add("bytes", s.bytes())
                                                    .Add("seconds", s.seconds())
                                                    .Add("retries", s.retries()));
        }
        break;
      }
      default:
        break;
    }
  }

  RpcScope* scope_;
  ReadSink* out_;
  std::string stream_;
  std::string chunk_;
  uint64_t streams_ = 0, rows_ = 0, batches_ = 0, checkpoints_ = 0;
  uint64_t chunks_read_ = 0, chunks_skipped_ = 0, bytes_ = 0, retries_ = 0;
};

// Whether the call behind `context` ended (thread-safe: IsCancelled is).
// A client whose deadline passes cancels the call itself, and the server's copy of the
// deadline (taken when the call arrived) is later by the call's transit time: a cancel that
// comes this close to the deadline is the deadline's.
constexpr auto kDeadlineSkew = std::chrono::milliseconds(250);

CallEnd ProbeCall(grpc::ServerContext* context) {
  const auto now = std::chrono::system_clock::now();
  const auto deadline = context->deadline();
  if (deadline <= now) return CallEnd::kDeadlineExceeded;
  if (!context->IsCancelled()) return CallEnd::kRunning;
  return deadline - now <= kDeadlineSkew ? CallEnd::kDeadlineExceeded : CallEnd::kClientCancelled;
}

// A call with a deadline connects for at most the time it has left (rounded up; libpq
// waits at least 2 s), when that is shorter than the config's connect timeout. A config
// whose timeout is out of range is left as is, so that validation names it.
v1::SourceConfig WithinDeadline(grpc::ServerContext* context, const v1::SourceConfig& config) {
  v1::SourceConfig bounded = config;
  const auto deadline = context->deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return bounded;
  int configured =
      config.has_connect_timeout_seconds() ? static_cast<int>(config.connect_timeout_seconds())
                                           : pg::ConnectOptions().connect_timeout_seconds;
  if (configured < 1 || configured > 300) return bounded;
  // A connect timeout in jdbc_url_params bounds the attempt too (the smallest applies).
  if (std::optional<int> jdbc = JdbcUrlConnectTimeout(config.jdbc_url_params())) {
    configured = config.has_connect_timeout_seconds() ? std::min(configured, *jdbc) : *jdbc;
  }
  const double left =
      std::chrono::duration<double>(deadline - std::chrono::system_clock::now()).count();
  const int seconds = static_cast<int>(std::max(1.0, std::ceil(left)));
  if (seconds < configured) bounded.set_connect_timeout_seconds(seconds);
  return bounded;
}

// Runs `work` while a watcher cancels the queries of the connections attached to `control`
// once the client cancels or the deadline passes. Returns how the call ended, looked at
// once more after `work`: a connect timeout bounded by the deadline may end just before the
// watcher's next look.
CallEnd RunWatched(grpc::ServerContext* context, absl::Duration poll, ReadControl* control,
                   const std::function<void()>& work) {
  ReadWatcher watcher([context] { return ProbeCall(context); }, control, poll);
  work();
  const CallEnd end = watcher.why();
  return end != CallEnd::kRunning ? end : ProbeCall(context);
}

// The status of a call that `watcher` saw end early (the core only saw its queries
// cancelled), else `status`.
absl::Status EndedEarly(CallEnd end, const char* what, absl::Status status) {
  if (end == CallEnd::kDeadlineExceeded) {
    return MakeError(absl::StatusCode::kDeadlineExceeded, v1::ERROR_REASON_DEADLINE_EXCEEDED,
                     absl::StrCat("the call's deadline passed; the ", what, " was cancelled"));
  }
  if (end == CallEnd::kClientCancelled) {
    return MakeError(absl::StatusCode::kCancelled, v1::ERROR_REASON_CLIENT_CANCELLED,
                     absl::StrCat("the client cancelled the ", what));
  }
  return status;
}

}  // namespace

bool SourceServiceImpl::ShuttingDown() const {
  return options_.reads != nullptr && options_.reads->stopping();
}

// Shutting down: new calls are refused even before gRPC closes the port.
absl::Status SourceServiceImpl::ShuttingDownError() {
  return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_SERVER_SHUTTING_DOWN,
                   "the server is shutting down; retry on another instance");
}

grpc::Status SourceServiceImpl::Spec(grpc::ServerContext* context, const v1::SpecRequest*,
                                     v1::SpecResponse* response) {
  RpcScope scope(context, "Spec", options_.auth, options_.log);
  if (!scope.Authorize()) return RpcScope::Unauthenticated();
  if (ShuttingDown()) return scope.Finish(ShuttingDownError());
  scope.Started();
  response->set_connection_specification_json(std::string(airbyte::ConnectionSpecificationJson()));
  response->set_documentation_url(std::string(airbyte::kDocumentationUrl));
  response->set_supports_incremental(true);
  response->add_supported_destination_sync_modes(v1::DESTINATION_SYNC_MODE_OVERWRITE);
  response->add_supported_destination_sync_modes(v1::DESTINATION_SYNC_MODE_APPEND);
  response->add_supported_destination_sync_modes(v1::DESTINATION_SYNC_MODE_APPEND_DEDUP);
  return scope.Finish(absl::OkStatus());
}

grpc::Status SourceServiceImpl::Check(grpc::ServerContext* context, const v1::CheckRequest* request,
                                      v1::CheckResponse* response) {
  RpcScope scope(context, "Check", options_.auth, options_.log);
  if (!scope.Authorize()) return RpcScope::Unauthenticated();
  if (ShuttingDown()) return scope.Finish(ShuttingDownError());
  scope.AddSecrets(request->config());
  scope.Started(Target(request->config()));
  const pg::TunnelScope tunnel = TunnelFor(request->config());
  // The check's queries stop when the client cancels or the deadline passes.
  ReadControl control;
  const CallEnd end = RunWatched(context, options_.cancel_poll, &control, [&] {
    *response = RunCheck(WithinDeadline(context, request->config()), &control);
  });
  if (end != CallEnd::kRunning) return scope.Finish(EndedEarly(end, "check", absl::OkStatus()));
  response->set_message(scope.Redact(response->message()));
  LogFields outcome;
  outcome.Add("succeeded", response->succeeded());
  if (!response->succeeded()) outcome.Add("check_reason", response->reason());
  return scope.Finish(absl::OkStatus(), {}, outcome);
}

grpc::Status SourceServiceImpl::Discover(grpc::ServerContext* context,
                                         const v1::DiscoverRequest* request,
                                         v1::DiscoverResponse* response) {
  RpcScope scope(context, "Discover", options_.auth, options_.log);
  if (!scope.Authorize()) return RpcScope::Unauthenticated();
  if (ShuttingDown()) return scope.Finish(ShuttingDownError());
  scope.AddSecrets(request->config());
  scope.Started(Target(request->config()));
  auto config = ResolveConfig(WithinDeadline(context, request->config()));
  if (!config.ok()) return scope.Finish(config.status());
  const pg::TunnelScope tunnel(config->connect.tunnel, config->connect.host,
                               config->connect.port);
  // Discover's queries stop when the client cancels or the deadline passes.
  ReadControl control;
  absl::StatusOr<v1::Catalog> catalog;
  const CallEnd end = RunWatched(context, options_.cancel_poll, &control, [&] {
    auto conn = pg::Connection::Open(config->connect);
    if (!conn.ok()) {
      catalog = conn.status();
      return;
    }
    AttachedConnection attached(&control, &*conn);
    catalog = DiscoverStreams(*conn, *config);
  });
  if (!catalog.ok() || end != CallEnd::kRunning) {
    return scope.Finish(EndedEarly(end, "discover", catalog.status()));
  }
  *response->mutable_catalog() = *std::move(catalog);
  return scope.Finish(absl::OkStatus(), {},
                      LogFields().Add("streams", response->catalog().streams_size()));
}

grpc::Status SourceServiceImpl::Read(grpc::ServerContext* context, const v1::ReadRequest* request,
                                     grpc::ServerWriter<v1::ReadResponse>* writer) {
  RpcScope scope(context, "Read", options_.auth, options_.log);
  if (!scope.Authorize()) return RpcScope::Unauthenticated();
  StreamSink out(context, writer);
  return ReadTo(scope, *request, &out);
}

grpc::Status SourceServiceImpl::ReadInProcess(const v1::ReadRequest& request, ReadSink* sink) {
  RpcScope scope(/*context=*/nullptr, "Read", /*auth=*/nullptr, options_.log);
  return ReadTo(scope, request, sink);
}

grpc::Status SourceServiceImpl::ReadTo(RpcScope& scope, const v1::ReadRequest& original,
                                       ReadSink* out) {
  v1::ReadRequest with_defaults;
  const v1::ReadRequest& request = WithConfigReadDefaults(original, &with_defaults);
  grpc::ServerContext* context = scope.context();
  if (ShuttingDown()) return scope.Finish(ShuttingDownError());
  scope.AddSecrets(request.config());
  scope.Started(LogFields()
                    .Append(Target(request.config()))
                    .Add("streams", request.catalog().streams_size())
                    .Add("states", request.state_size()));

  const pg::TunnelScope tunnel = TunnelFor(request.config());
  ReadControl control;
  std::unique_ptr<ReadTracker::Registration> registration;
  if (options_.reads != nullptr) {
    auto registered = options_.reads->Register(&control);
    if (!registered.ok()) return scope.Finish(registered.status());
    registration = *std::move(registered);
  }

  ObservingSink sink(&scope, out);
  absl::Status status;
  CallEnd end = CallEnd::kRunning;
  if (context == nullptr) {
    // In process: no deadline, no client to go away (the caller's sink stops the read).
    status = RunRead(request, &sink, &control);
  } else {
    ReadWatcher watcher([context] { return ProbeCall(context); }, &control, options_.cancel_poll);
    // Connecting is bounded by the time left before the deadline, as for Check and Discover
    // (the request is copied only then).
    v1::SourceConfig within = WithinDeadline(context, request.config());
    v1::ReadRequest bounded;
    const v1::ReadRequest* effective = &request;
    if (within.connect_timeout_seconds() != request.config().connect_timeout_seconds()) {
      bounded = request;
      *bounded.mutable_config() = std::move(within);
      effective = &bounded;
    }
    status = RunRead(*effective, &sink, &control);
    end = watcher.why();
  }
  if (!status.ok()) {
    // Say why the read really stopped: the core only saw its queries cancelled.
    if (registration != nullptr && registration->forced_stop()) {
      status = MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_SERVER_SHUTTING_DOWN,
                         "the server shut down before the read reached its next checkpoint; "
                         "resume from the last checkpoint received");
    } else {
      status = EndedEarly(end, "read", std::move(status));
    }
  }
  // The read's slot is free before its end is logged: a client that saw the end may start
  // the next read at once.
  registration.reset();
  return scope.Finish(status, status.ok() ? std::map<std::string, std::string>{}
                                          : sink.ErrorMetadata(),
                      sink.Totals());
}

}  // namespace tsdb_source
