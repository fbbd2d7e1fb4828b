#include "service/server/rpc_scope.h"

#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "service/common/errors.h"
#include "service/config/jdbc_url_params.h"
#include "service/server/status_mapping.h"

namespace tsdb_source {
namespace {

// Secrets shorter than this are not redacted: a one- or two-character secret cannot be
// told apart from ordinary text, and replacing it everywhere would garble every message.
constexpr size_t kMinRedactedLength = 3;

}  // namespace

std::string NewRequestId() {
  static absl::Mutex mu(absl::kConstInit);
  static std::mt19937_64* engine ABSL_GUARDED_BY(mu) = nullptr;
  absl::MutexLock lock(&mu);
  if (engine == nullptr) {
    std::random_device device;
    engine = new std::mt19937_64((static_cast<uint64_t>(device()) << 32) ^ device());
  }
  return absl::StrFormat("%016x", (*engine)());
}

bool IsValidRequestId(absl::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' &&
        c != ':') {
      return false;
    }
  }
  return true;
}

RpcScope::RpcScope(grpc::ServerContext* context, absl::string_view method,
                   const TokenAuth* auth, EventLog* log)
    : context_(context), method_(method), auth_(auth), log_(log), start_(absl::Now()) {
  if (context != nullptr) {
    auto it = context->client_metadata().find(kRequestIdKey);
    if (it != context->client_metadata().end()) {
      absl::string_view value(it->second.data(), it->second.size());
      if (IsValidRequestId(value)) id_ = std::string(value);
    }
  }
  if (id_.empty()) id_ = NewRequestId();
}

bool RpcScope::Authorize() {
  if (auth_ != nullptr && !auth_->Allows(*context_)) {
    if (log_ != nullptr) {
      bool has_header = context_->client_metadata().count("authorization") > 0;
      log_->Warning("auth_refused", LogFields()
                                        .Add("rid", id_)
                                        .Add("method", method_)
                                        .Add("peer", context_->peer())
                                        .Add("why", has_header ? "wrong_token" : "no_token"));
    }
    return false;
  }
  context_->AddInitialMetadata(kRequestIdKey, id_);
  return true;
}

grpc::Status RpcScope::Unauthenticated() {
  return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, kUnauthenticatedMessage);
}

void RpcScope::AddSecrets(const v1::SourceConfig& config) {
  for (const std::string* secret :
       {&config.password(), &config.ssl_mode().client_key(),
        &config.ssl_mode().client_key_password(), &config.tunnel_method().ssh_key(),
        &config.tunnel_method().tunnel_user_password()}) {
    if (secret->size() >= kMinRedactedLength) secrets_.push_back(*secret);
  }
  for (std::string& secret : JdbcUrlSecrets(config.jdbc_url_params())) {
    if (secret.size() >= kMinRedactedLength) secrets_.push_back(std::move(secret));
  }
}

std::string RpcScope::Redact(absl::string_view text) const {
  std::string out(text);
  for (const std::string& secret : secrets_) out = tsdb_source::Redact(out, secret);
  return out;
}

void RpcScope::Started(const LogFields& fields) {
  if (log_ == nullptr) return;
  log_->Info("rpc_start", LogFields()
                             .Add("rid", id_)
                             .Add("method", method_)
                             .Add("peer", context_ != nullptr ? context_->peer() : "in-process")
                             .Append(fields));
}

grpc::Status RpcScope::Finish(const absl::Status& status,
                              const std::map<std::string, std::string>& error_metadata,
                              const LogFields& fields) {
  absl::Status redacted = status;
  if (!status.ok()) {
    redacted = absl::Status(status.code(), Redact(status.message()));
    status.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
      redacted.SetPayload(url, absl::Cord(Redact(std::string(payload))));
    });
  }
  if (log_ != nullptr) {
    LogFields line;
    line.Add("rid", id_)
        .Add("method", method_)
        .Add("code", absl::StatusCodeToString(status.code()))
        .Add("seconds", absl::ToDoubleSeconds(absl::Now() - start_));
    if (!status.ok()) {
      line.Add("reason", ReasonOf(redacted)).Add("message", redacted.message());
      for (const auto& [key, value] : error_metadata) {
        if (!value.empty()) line.Add(key, value);
      }
    }
    line.Append(fields);
    log_->Write(status.ok() ? LogLevel::kInfo : LogLevel::kWarning, "rpc_end", line);
  }
  return ToGrpcStatus(redacted, context_, error_metadata);
}

}  // namespace tsdb_source
