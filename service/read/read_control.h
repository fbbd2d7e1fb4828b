// Lets another thread stop a running read. Cancel() aborts at once: every query the read
// is running is cancelled on the server (PQcancel) and the read returns CANCELLED.
// RequestStop() is the graceful form: the read ends right after its next checkpoint with
// UNAVAILABLE (reason SERVER_SHUTTING_DOWN), so the client holds a state to resume from.
// Thread-safe.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "service/pg/connection.h"

namespace tsdb_source {

class ReadControl final {
 public:
  void Cancel();
  void RequestStop() { stop_.store(true); }
  bool cancelled() const { return cancelled_.load(); }
  bool stop_requested() const { return stop_.load(); }

  // The reader registers each connection while it may run queries on it.
  void Attach(pg::Connection* conn);
  void Detach(pg::Connection* conn);

 private:
  std::atomic<bool> cancelled_{false};
  std::atomic<bool> stop_{false};
  // std::mutex, not absl::Mutex: Debian's abseil is not built for ThreadSanitizer, which then
  // cannot see its synchronisation (`bazel test --config=tsan`).
  std::mutex mu_;
  std::vector<pg::Connection*> connections_ ABSL_GUARDED_BY(mu_);
};

// Attaches a connection to a control for the lifetime of the guard (no-op without control).
class AttachedConnection final {
 public:
  AttachedConnection(ReadControl* control, pg::Connection* conn) : control_(control), conn_(conn) {
    if (control_ != nullptr) control_->Attach(conn_);
  }
  ~AttachedConnection() {
    if (control_ != nullptr) control_->Detach(conn_);
  }
  AttachedConnection(const AttachedConnection&) = delete;
  AttachedConnection& operator=(const AttachedConnection&) = delete;

 private:
  ReadControl* control_;
  pg::Connection* conn_;
};

// The read's main connection (catalog queries, and reading when there is one reader):
// attached to the control, and replaced by a new one after a transient failure.
class MainConnection final {
 public:
  static absl::StatusOr<std::unique_ptr<MainConnection>> Open(const pg::ConnectOptions& options,
                                                              ReadControl* control);
  ~MainConnection();
  pg::Connection& get() { return *conn_; }
  // Opens a new connection and, once it is ready, closes the current one.
  absl::Status Reconnect();

 private:
  MainConnection(pg::ConnectOptions options, ReadControl* control)
      : options_(std::move(options)), control_(control) {}
  absl::Status Connect();
  pg::ConnectOptions options_;
  ReadControl* control_;
  std::unique_ptr<pg::Connection> conn_;
};

// Sets what every reading connection relies on: UTC for times and chunk ranges, and
// standard_conforming_strings for the literals built by sql_values.
absl::Status PrepareReadingConnection(pg::Connection& conn);

}  // namespace tsdb_source
