// An SSH tunnel to the database through a bastion: one SSH session (libssh) and a listener
// on 127.0.0.1:<ephemeral port>, each of whose connections is forwarded over its own
// direct-tcpip channel of the session to the target host and port, as the bastion resolves
// and reaches them. libpq connects to the listener; nothing else changes for it.
//
// Start() connects, checks the bastion's host key (before sending any credential) and
// authenticates in the caller's thread, then hands the session to one forwarding thread,
// which owns it from then on (libssh sessions are not thread-safe). Destruction stops that
// thread and closes every forwarded connection, the listener and the session. Failures of
// forwarding (a channel the bastion refuses, the session ending) are recorded for
// Connection::Open to report instead of libpq's "server closed the connection".
// Thread-safe: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/pg/known_host_keys.h"
#include "service/pg/tunnel_spec.h"

namespace tsdb_source::pg {

class SshTunnel final {
 public:
  // Opens a tunnel to `target_host`:`target_port` through the bastion of `spec`. Each step
  // (TCP connect, key exchange, authentication, later each channel open) is bounded by
  // `timeout`. The host key must be `spec.host_key_fingerprint` when set, else pass `known`.
  // Errors carry reasons TUNNEL_KEY_INVALID, TUNNEL_UNKNOWN_HOST, TUNNEL_CONNECTION_REFUSED,
  // TUNNEL_CONNECT_TIMEOUT, TUNNEL_CONNECT_FAILED, TUNNEL_HOST_KEY_CHANGED,
  // TUNNEL_HOST_KEY_MISMATCH, TUNNEL_AUTH_FAILED; messages never hold the key or password.
  static absl::StatusOr<std::unique_ptr<SshTunnel>> Start(const TunnelSpec& spec,
                                                          const std::string& target_host,
                                                          int target_port, absl::Duration timeout,
                                                          KnownHostKeys* known);

  SshTunnel(const SshTunnel&) = delete;
  SshTunnel& operator=(const SshTunnel&) = delete;
  ~SshTunnel();

  // The listener's port on 127.0.0.1.
  int local_port() const { return local_port_; }
  // "user@host:port" of the bastion, for messages.
  const std::string& bastion() const { return bastion_; }
  // The bastion's host key, "SHA256:...".
  const std::string& host_key_fingerprint() const { return fingerprint_; }

  // False once the session ended (the bastion went away); a dead tunnel accepts nothing.
  bool alive() const { return alive_.load(std::memory_order_acquire); }
  // How many forwarding failures happened so far, and the last one (reasons
  // TUNNEL_FORWARD_FAILED: the bastion could not reach the target; TUNNEL_LOST: the session
  // ended).
  uint64_t failures() const;
  absl::Status last_failure() const;

 private:
  struct Session;
  SshTunnel(std::unique_ptr<Session> session, int listener, int wake, std::string target_host,
            int target_port, absl::Duration timeout, std::string bastion,
            std::string fingerprint);
  void Forward();  // the forwarding thread's loop
  void Fail(absl::Status status);

  std::unique_ptr<Session> session_;  // owned by the forwarding thread while it runs
  int listener_ = -1;                 // closed by the forwarding thread when it ends
  int wake_ = -1;                     // eventfd that stops the forwarding thread
  const std::string target_host_;
  const int target_port_;
  const absl::Duration timeout_;
  const std::string bastion_;
  const std::string fingerprint_;
  int local_port_ = 0;
  std::atomic<bool> alive_{true};
  // std::mutex, not absl::Mutex: Debian's abseil is not built for ThreadSanitizer.
  mutable std::mutex mu_;
  uint64_t failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status last_failure_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace tsdb_source::pg
