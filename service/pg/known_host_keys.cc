#include "service/pg/known_host_keys.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "service/common/errors.h"

namespace tsdb_source::pg {

KnownHostKeys& KnownHostKeys::Process() {
  static KnownHostKeys* keys = new KnownHostKeys();
  return *keys;
}

absl::Status KnownHostKeys::Check(const std::string& bastion, const std::string& fingerprint) {
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, first] = fingerprints_.emplace(bastion, fingerprint);
  if (first || it->second == fingerprint) return absl::OkStatus();
  return MakeError(
      absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_TUNNEL_HOST_KEY_CHANGED,
      absl::StrCat("the SSH bastion at ", bastion, " presented host key ", fingerprint,
                   ", but earlier in this process it presented ", it->second,
                   ": its key changed (a reinstalled bastion, or someone in between); not "
                   "connecting. If the new key is expected, restart tsdb-source, or set "
                   "tunnel_method.tunnel_host_key_fingerprint to the bastion's fingerprint"));
}

absl::Status CheckPinnedHostKey(const std::string& bastion, const std::string& fingerprint,
                                const std::string& pinned) {
  if (fingerprint == pinned) return absl::OkStatus();
  return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_TUNNEL_HOST_KEY_MISMATCH,
                   absl::StrCat("the SSH bastion at ", bastion, " presented host key ",
                                fingerprint, ", not the configured "
                                "tunnel_method.tunnel_host_key_fingerprint ", pinned,
                                "; not connecting"));
}

bool IsSha256Fingerprint(const std::string& text) {
  constexpr absl::string_view kPrefix = "SHA256:";
  if (!absl::StartsWith(text, kPrefix) || text.size() != kPrefix.size() + 43) return false;
  for (size_t i = kPrefix.size(); i < text.size(); ++i) {
    const char c = text[i];
    if (!absl::ascii_isalnum(c) && c != '+' && c != '/') return false;
  }
  return true;
}

}  // namespace tsdb_source::pg
