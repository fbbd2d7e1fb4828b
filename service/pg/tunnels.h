// The process's SSH tunnels, shared: connections with the same tunnel settings and target
// (a check's, a discover's, every reader and the replication connection of a read) use one
// tunnel, i.e. one SSH session, started by the first of them. A tunnel lives while a
// connection uses it or while a TunnelScope for its settings lives: an operation (a Check,
// Discover or Read call) holds a scope so that its successive connections reuse its tunnel
// instead of logging in to the bastion again, and the tunnel closes when the operation
// ends. A tunnel whose session ended is replaced by a new one (its host key checked again
// against the one this process saw). Thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "service/pg/ssh_tunnel.h"
#include "service/pg/tunnel_spec.h"

namespace tsdb_source::pg {

// The running tunnel through `spec`'s bastion to `host`:`port`, or a new one (its start
// bounded by `timeout`; errors as SshTunnel::Start's).
absl::StatusOr<std::shared_ptr<SshTunnel>> AcquireTunnel(const TunnelSpec& spec,
                                                         const std::string& host, int port,
                                                         absl::Duration timeout);

// Keeps the tunnel of `spec` to `host`:`port`, once a connection started it, open while the
// scope lives. Starts nothing itself, so it cannot fail; without a spec it does nothing.
class TunnelScope final {
 public:
  TunnelScope() = default;
  TunnelScope(const std::optional<TunnelSpec>& spec, const std::string& host, int port);
  TunnelScope(TunnelScope&& other) noexcept : key_(std::move(other.key_)) { other.key_.clear(); }
  TunnelScope& operator=(TunnelScope&& other) noexcept;
  TunnelScope(const TunnelScope&) = delete;
  TunnelScope& operator=(const TunnelScope&) = delete;
  ~TunnelScope() { Release(); }

 private:
  void Release();
  std::string key_;  // empty: no tunnel
};

}  // namespace tsdb_source::pg
