#include "service/server/read_watcher.h"

namespace tsdb_source {

ReadWatcher::ReadWatcher(std::function<CallEnd()> probe, ReadControl* control,
                         absl::Duration period)
    : probe_(std::move(probe)), control_(control), period_(period), thread_([this] { Loop(); }) {}

ReadWatcher::~ReadWatcher() {
  done_.Notify();
  thread_.join();
}

void ReadWatcher::Loop() {
  while (!done_.WaitForNotificationWithTimeout(period_)) {
    if (why_.load() == CallEnd::kRunning) {
      CallEnd end = probe_();
      if (end != CallEnd::kRunning) why_.store(end);
    }
    // Also when another party (the shutdown) cancelled the read.
    if (why_.load() == CallEnd::kRunning && !control_->cancelled()) continue;
    // Repeated on every tick: a cancel request that reached the database between two
    // queries cancels nothing, the next tick catches the query that followed.
    control_->Cancel();
  }
}

}  // namespace tsdb_source
