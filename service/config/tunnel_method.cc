#include "service/config/tunnel_method.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/common/errors.h"
#include "service/pg/known_host_keys.h"

namespace tsdb_source {
namespace {

absl::Status Invalid(absl::string_view key, absl::string_view rule) {
  return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_INVALID_CONFIG,
                   absl::StrCat("config field '", key, "' ", rule));
}

std::string Trimmed(const std::string& value) {
  return std::string(absl::StripAsciiWhitespace(value));
}

}  // namespace

absl::Status ApplyTunnelMethod(const v1::SourceConfig& config, pg::ConnectOptions* connect) {
  connect->tunnel.reset();
  if (!config.has_tunnel_method()) return absl::OkStatus();
  const v1::TunnelMethod& tm = config.tunnel_method();
  const std::string method = Trimmed(tm.tunnel_method());
  if (method == "NO_TUNNEL") return absl::OkStatus();
  if (method.empty()) {
    // source-postgres takes a missing method as NO_TUNNEL; settings without one would then
    // be ignored, and a bastion the user meant to go through silently skipped.
    if (!Trimmed(tm.tunnel_host()).empty()) {
      return Invalid("tunnel_method.tunnel_method",
                     "is required with tunnel_host: 'SSH_KEY_AUTH' or 'SSH_PASSWORD_AUTH' (or "
                     "'NO_TUNNEL' for none)");
    }
    return absl::OkStatus();
  }
  pg::TunnelSpec spec;
  if (method == "SSH_KEY_AUTH") {
    spec.auth = pg::TunnelSpec::Auth::kKey;
  } else if (method == "SSH_PASSWORD_AUTH") {
    spec.auth = pg::TunnelSpec::Auth::kPassword;
  } else {
    return Invalid("tunnel_method.tunnel_method",
                   absl::StrCat("must be 'NO_TUNNEL', 'SSH_KEY_AUTH' or 'SSH_PASSWORD_AUTH'; got '",
                                tm.tunnel_method(), "'"));
  }
  const std::string required = absl::StrCat("is required with tunnel_method ", method);
  const std::string with = absl::StrCat("with tunnel_method ", method);
  spec.host = Trimmed(tm.tunnel_host());
  if (spec.host.empty()) return Invalid("tunnel_method.tunnel_host", required);
  if (absl::StrContains(spec.host, "@")) {
    return Invalid("tunnel_method.tunnel_host",
                   "must be the bastion's host name or address; the user goes in tunnel_user");
  }
  if (tm.has_tunnel_port()) {
    if (tm.tunnel_port() < 1 || tm.tunnel_port() > 65535) {
      return Invalid("tunnel_method.tunnel_port",
                     absl::StrCat("must be between 1 and 65535, got ", tm.tunnel_port()));
    }
    spec.port = tm.tunnel_port();
  }
  spec.user = Trimmed(tm.tunnel_user());
  if (spec.user.empty()) return Invalid("tunnel_method.tunnel_user", required);
  if (spec.auth == pg::TunnelSpec::Auth::kKey) {
    spec.private_key = Trimmed(tm.ssh_key());
    if (spec.private_key.empty()) return Invalid("tunnel_method.ssh_key", required);
  } else {
    spec.password = Trimmed(tm.tunnel_user_password());
    if (spec.password.empty()) {
      return Invalid("tunnel_method.tunnel_user_password", required);
    }
  }
  spec.host_key_fingerprint = Trimmed(tm.tunnel_host_key_fingerprint());
  if (!spec.host_key_fingerprint.empty() && !pg::IsSha256Fingerprint(spec.host_key_fingerprint)) {
    return Invalid("tunnel_method.tunnel_host_key_fingerprint",
                   absl::StrCat("must be a SHA256 fingerprint as `ssh-keygen -lf` prints it "
                                "(\"SHA256:\" and 43 base64 characters); got '",
                                spec.host_key_fingerprint, "'"));
  }
  // The bastion connects to the database by name and port: one host, no socket directory.
  if (absl::StartsWith(connect->host, "/") || absl::StrContains(connect->host, ",")) {
    return Invalid("host", absl::StrCat("must be one host name or address ", with,
                                        " (the database as the bastion reaches it), not a "
                                        "socket directory or a list"));
  }
  connect->tunnel = std::move(spec);
  return absl::OkStatus();
}

}  // namespace tsdb_source
