#include "service/server/read_tracker.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "service/common/errors.h"

namespace tsdb_source {

struct ReadTracker::Registration::Entry {
  ReadControl* control;
  std::atomic<bool> forced{false};
};

ReadTracker::Registration::~Registration() { tracker_->Unregister(entry_); }

bool ReadTracker::Registration::forced_stop() const { return entry_->forced.load(); }

absl::StatusOr<std::unique_ptr<ReadTracker::Registration>> ReadTracker::Register(
    ReadControl* control) {
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_SERVER_SHUTTING_DOWN,
                     "the server is shutting down; retry on another instance");
  }
  if (max_reads_ > 0 && static_cast<int>(entries_.size()) >= max_reads_) {
    return MakeError(absl::StatusCode::kResourceExhausted, v1::ERROR_REASON_TOO_MANY_READS,
                     absl::StrCat("the server already runs ", entries_.size(),
                                  " reads, its limit (--max_concurrent_reads); retry later"));
  }
  auto* entry = new Registration::Entry{control};
  entries_.insert(entry);
  return std::unique_ptr<Registration>(new Registration(this, entry));
}

void ReadTracker::Unregister(Registration::Entry* entry) {
  {
    absl::MutexLock lock(&mu_);
    entries_.erase(entry);
  }
  delete entry;
}

int ReadTracker::StopAll() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
  for (Registration::Entry* entry : entries_) entry->control->RequestStop();
  return static_cast<int>(entries_.size());
}

int ReadTracker::CancelAll() {
  absl::MutexLock lock(&mu_);
  for (Registration::Entry* entry : entries_) {
    entry->forced.store(true);
    entry->control->Cancel();
  }
  return static_cast<int>(entries_.size());
}

bool ReadTracker::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return entries_.empty(); };
  return mu_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

int ReadTracker::running() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(entries_.size());
}

bool ReadTracker::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

}  // namespace tsdb_source
