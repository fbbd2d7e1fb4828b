// Host keys of SSH bastions seen by this process: trust on first use, per process. The first
// key a bastion (host:port) presents is recorded; a later session to the same bastion that
// presents another key is refused, so a bastion whose key changes in the middle of an
// operation (or, in a long-running server, between operations) is never used. Thread-safe.
//
// Why not more: Airbyte's Postgres source accepts any host key, and a connector process has
// no place to keep a known_hosts file between runs. A config that pins the key
// (tunnel_method.tunnel_host_key_fingerprint) is checked against that pin instead, in every
// process.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"

namespace tsdb_source::pg {

class KnownHostKeys final {
 public:
  // The process's store.
  static KnownHostKeys& Process();

  // Records `fingerprint` for `bastion` ("host:port") when it is the first one seen; fails
  // with FAILED_PRECONDITION, reason TUNNEL_HOST_KEY_CHANGED, naming both fingerprints, when
  // another one was seen before.
  absl::Status Check(const std::string& bastion, const std::string& fingerprint);

 private:
  // std::mutex, not absl::Mutex: Debian's abseil is not built for ThreadSanitizer, which then
  // cannot see its synchronisation (`bazel test --config=tsan`).
  std::mutex mu_;
  std::map<std::string, std::string> fingerprints_ ABSL_GUARDED_BY(mu_);
};

// OK when `fingerprint` is the `pinned` one (the config's "SHA256:..."); else
// FAILED_PRECONDITION, reason TUNNEL_HOST_KEY_MISMATCH, naming both.
absl::Status CheckPinnedHostKey(const std::string& bastion, const std::string& fingerprint,
                                const std::string& pinned);

// True for the form OpenSSH prints a SHA256 fingerprint in: "SHA256:" and 43 base64
// characters without padding.
bool IsSha256Fingerprint(const std::string& text);

}  // namespace tsdb_source::pg
