// Honours a Read call's cancellation and deadline while the read runs. A helper thread
// asks `probe` every `period` (100 ms in the server) whether the client cancelled or the
// deadline passed; from then on it calls ReadControl::Cancel() at every tick until the
// read ends, so the query running at that moment is cancelled (PQcancel) and so is one
// that started just after a cancel request arrived between two queries. A cancelled read
// therefore stops its database work within about one period plus PostgreSQL's reaction.
// The destructor stops and joins the thread; create it before the read starts and
// destroy it once the read returned. why() is safe from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "service/read/read_control.h"

namespace tsdb_source {

// Why a call should stop.
enum class CallEnd { kRunning, kClientCancelled, kDeadlineExceeded };

class ReadWatcher final {
 public:
  // `probe` must be thread-safe (grpc::ServerContext::IsCancelled() is).
  ReadWatcher(std::function<CallEnd()> probe, ReadControl* control,
              absl::Duration period = absl::Milliseconds(100));
  ~ReadWatcher();
  ReadWatcher(const ReadWatcher&) = delete;
  ReadWatcher& operator=(const ReadWatcher&) = delete;

  // kRunning until the probe reported an end.
  CallEnd why() const { return why_.load(); }

 private:
  void Loop();

  std::function<CallEnd()> probe_;
  ReadControl* control_;
  absl::Duration period_;
  std::atomic<CallEnd> why_{CallEnd::kRunning};
  absl::Notification done_;
  std::thread thread_;
};

}  // namespace tsdb_source
