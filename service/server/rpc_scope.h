// One call as the service layer sees it, from the first line of a handler to its return:
//   - a request id: the client's "x-request-id" metadata when it is a plain token of at
//     most 64 characters, otherwise a random 16-hex-digit id; echoed to the client in the
//     initial metadata "x-request-id" and put on every log line of the call;
//   - the bearer-token check (when the server has a TokenAuth): a refused call gets
//     UNAUTHENTICATED with a fixed message and nothing else — no metadata, no details;
//   - the log lines "rpc_start" and "rpc_end" (code, reason, seconds, extra figures);
//   - redaction: the secrets of the request (password, client key, the secret values of
//     jdbc_url_params, the SSH tunnel's key and password) are replaced by "****" in every
//     message that is logged or returned.
// Not thread-safe: used by the handler's thread (the log itself is thread-safe).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "service/server/event_log.h"
#include "service/server/token_auth.h"
#include "tsdb_source/v1/config.pb.h"

namespace tsdb_source {

// Metadata key of the request id, both ways.
inline constexpr char kRequestIdKey[] = "x-request-id";

// The message of every refused call.
inline constexpr char kUnauthenticatedMessage[] =
    "missing or invalid bearer token (metadata \"authorization: Bearer <token>\")";

class RpcScope final {
 public:
  // `auth` and `log` may be null (no token check, no log lines); `context` is null for a
  // call from this process (no metadata, no token, peer "in-process"; Authorize is not
  // called).
  RpcScope(grpc::ServerContext* context, absl::string_view method, const TokenAuth* auth,
           EventLog* log);

  // Checks the token. On refusal logs "auth_refused" and returns false; the handler then
  // returns Unauthenticated().
  bool Authorize();
  static grpc::Status Unauthenticated();

  // Notes the secrets of `config` for redaction.
  void AddSecrets(const v1::SourceConfig& config);
  // `text` with every noted secret replaced by "****".
  std::string Redact(absl::string_view text) const;

  // Logs "rpc_start" with the method, the peer and `fields`.
  void Started(const LogFields& fields = LogFields());
  // Logs "rpc_end" with the code, reason, redacted message (on error), seconds and
  // `fields`, and returns the gRPC status with details (status_mapping.h).
  grpc::Status Finish(const absl::Status& status,
                      const std::map<std::string, std::string>& error_metadata = {},
                      const LogFields& fields = LogFields());

  const std::string& id() const { return id_; }
  EventLog* log() const { return log_; }
  grpc::ServerContext* context() const { return context_; }

 private:
  grpc::ServerContext* context_;
  std::string method_;
  const TokenAuth* auth_;
  EventLog* log_;
  std::string id_;
  absl::Time start_;
  std::vector<std::string> secrets_;
};

// A fresh random request id (16 hex digits). Thread-safe.
std::string NewRequestId();

// True when `id` is usable as a request id: 1 to 64 of [A-Za-z0-9._:-].
bool IsValidRequestId(absl::string_view id);

}  // namespace tsdb_source
