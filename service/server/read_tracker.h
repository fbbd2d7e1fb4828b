// The reads a server runs: enforces --max_concurrent_reads and drives the graceful
// shutdown. At shutdown StopAll() asks every running read to end right after its next
// checkpoint (ReadControl::RequestStop) and refuses new reads; WaitIdle() waits for them
// for the grace period; CancelAll() then cancels the stragglers (ReadControl::Cancel,
// PQcancel), whose Registration reports forced_stop() so that the service answers
// UNAVAILABLE (SERVER_SHUTTING_DOWN) rather than CANCELLED.
// Thread-safe. Registrations must not outlive the tracker.
#pragma once

#include <memory>
#include <set>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "service/read/read_control.h"

namespace tsdb_source {

class ReadTracker final {
 public:
  // `max_reads` reads at most at a time; 0 means no limit.
  explicit ReadTracker(int max_reads) : max_reads_(max_reads) {}

  // One running read; unregisters on destruction.
  class Registration final {
   public:
    ~Registration();
    Registration(const Registration&) = delete;
    Registration& operator=(const Registration&) = delete;
    // True when CancelAll() cancelled this read at shutdown.
    bool forced_stop() const;

   private:
    friend class ReadTracker;
    struct Entry;
    Registration(ReadTracker* tracker, Entry* entry) : tracker_(tracker), entry_(entry) {}
    ReadTracker* tracker_;
    Entry* entry_;
  };

  // Registers a read controlled by `control` (which must outlive the registration).
  // RESOURCE_EXHAUSTED (reason TOO_MANY_READS) at the limit, UNAVAILABLE (reason
  // SERVER_SHUTTING_DOWN) once StopAll() ran.
  absl::StatusOr<std::unique_ptr<Registration>> Register(ReadControl* control);

  // Refuses new reads and asks the running ones to stop at their next checkpoint.
  // Returns how many run.
  int StopAll();
  // Cancels every running read at once. Returns how many were cancelled.
  int CancelAll();
  // True when no read runs, waiting up to `timeout` for that.
  bool WaitIdle(absl::Duration timeout);

  int running() const;
  int max_reads() const { return max_reads_; }
  // True once StopAll() ran: the server is shutting down and takes no new calls.
  bool stopping() const;

 private:
  void Unregister(Registration::Entry* entry);

  const int max_reads_;
  mutable absl::Mutex mu_;
  std::set<Registration::Entry*> entries_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tsdb_source
