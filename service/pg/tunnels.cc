#include "service/pg/tunnels.h"

#include <map>
#include <mutex>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"

namespace tsdb_source::pg {
namespace {

// Every setting that makes two tunnels different, secrets included (in memory only: the
// key is never printed).
std::string KeyOf(const TunnelSpec& spec, const std::string& host, int port) {
  std::string key;
  for (const std::string& part :
       {std::to_string(static_cast<int>(spec.auth)), spec.host, std::to_string(spec.port),
        spec.user, spec.private_key, spec.password, spec.host_key_fingerprint, host,
        std::to_string(port)}) {
    absl::StrAppend(&key, part.size(), ":", part, ";");
  }
  return key;
}

class Registry {
 public:
  static Registry& Process() {
    static Registry* registry = new Registry();
    return *registry;
  }

  absl::StatusOr<std::shared_ptr<SshTunnel>> Acquire(const TunnelSpec& spec,
                                                     const std::string& host, int port,
                                                     absl::Duration timeout) {
    const std::string key = KeyOf(spec, host, port);
    std::shared_ptr<Entry> entry;
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::shared_ptr<Entry>& slot = entries_[key];
      if (slot == nullptr) slot = std::make_shared<Entry>();
      entry = slot;
      if (auto running = LiveTunnel(*entry)) return running;
    }
    // One start at a time per key: the readers of a read that connect together share the
    // session the first of them starts.
    std::lock_guard<std::mutex> starting(entry->start_mu);
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (auto running = LiveTunnel(*entry)) return running;
    }
    auto started = SshTunnel::Start(spec, host, port, timeout, &KnownHostKeys::Process());
    if (!started.ok()) return started.status();
    std::shared_ptr<SshTunnel> tunnel = *std::move(started);
    std::shared_ptr<SshTunnel> replaced;  // a dead one, destroyed outside the lock
    {
      std::lock_guard<std::mutex> lock(mu_);
      entry->tunnel = tunnel;
      if (entry->scopes > 0) replaced = std::exchange(entry->held, tunnel);
    }
    return tunnel;
  }

  void Enter(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    std::shared_ptr<Entry>& slot = entries_[key];
    if (slot == nullptr) slot = std::make_shared<Entry>();
    if (slot->scopes++ == 0) slot->held = slot->tunnel.lock();
  }

  void Leave(const std::string& key) {
    std::shared_ptr<SshTunnel> released;  // destroyed outside the lock (joins its thread)
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(key);
      if (it == entries_.end()) return;
      if (--it->second->scopes == 0) released = std::move(it->second->held);
    }
  }

 private:
  struct Entry {
    std::mutex start_mu;
    std::weak_ptr<SshTunnel> tunnel;    // guarded by Registry::mu_
    std::shared_ptr<SshTunnel> held;    // while scopes > 0; guarded by Registry::mu_
    int scopes = 0;                     // guarded by Registry::mu_
  };

  static std::shared_ptr<SshTunnel> LiveTunnel(const Entry& entry) {
    std::shared_ptr<SshTunnel> tunnel = entry.tunnel.lock();
    return tunnel != nullptr && tunnel->alive() ? tunnel : nullptr;
  }

  // std::mutex, not absl::Mutex: Debian's abseil is not built for ThreadSanitizer, which then
  // cannot see its synchronisation (`bazel test --config=tsan`).
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

absl::StatusOr<std::shared_ptr<SshTunnel>> AcquireTunnel(const TunnelSpec& spec,
                                                         const std::string& host, int port,
                                                         absl::Duration timeout) {
  return Registry::Process().Acquire(spec, host, port, timeout);
}

TunnelScope::TunnelScope(const std::optional<TunnelSpec>& spec, const std::string& host,
                         int port) {
  if (!spec.has_value()) return;
  key_ = KeyOf(*spec, host, port);
  Registry::Process().Enter(key_);
}

TunnelScope& TunnelScope::operator=(TunnelScope&& other) noexcept {
  if (this != &other) {
    Release();
    key_ = std::exchange(other.key_, std::string());
  }
  return *this;
}

void TunnelScope::Release() {
  if (key_.empty()) return;
  Registry::Process().Leave(key_);
  key_.clear();
}

}  // namespace tsdb_source::pg
