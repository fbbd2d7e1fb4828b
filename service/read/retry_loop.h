// The retry loop of a stream read: runs an attempt and, while it fails transiently
// (errors.h, IsTransient), waits with a doubling backoff, readies the next attempt and runs
// it, up to a number of attempts in all; then it returns the last error, saying it gave up.
// It only decides: the work, the waiting, the reconnecting and the logging are its caller's
// (RetrySteps), so it runs and is tested without a database or a clock. One loop runs on
// one thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "absl/status/status.h"

namespace tsdb_source {

struct RetryPolicy {
  // Attempts in all, the first one included.
  int max_attempts = 1;
  // The wait before the first retry; each later one waits twice the one before, at most
  // max_backoff.
  std::chrono::milliseconds initial_backoff{0};
  std::chrono::milliseconds max_backoff = std::chrono::seconds(30);
};

// What the loop does through its caller, in this order for each retry: announce, wait,
// prepare, attempt.
struct RetrySteps {
  // One attempt at the work.
  std::function<absl::Status()> attempt;
  // True when a failed attempt is to end the work without retrying (a cancelled read, or a
  // stop requested): its error is returned as it is.
  std::function<bool()> stopping;
  // Told before each wait, with the warning that says which retry comes when; an error from
  // it ends the loop with that error.
  std::function<absl::Status(std::string warning)> announce;
  // Waits `backoff`; an error (cancelled while waiting) ends the loop with that error.
  std::function<absl::Status(std::chrono::milliseconds backoff)> wait;
  // Readies the next attempt after the wait (a new connection, say); its error counts as
  // that attempt's failure.
  std::function<absl::Status()> prepare;
};

// Runs `steps.attempt` until it succeeds, fails permanently, `steps.stopping` says so or
// `policy.max_attempts` attempts failed transiently. In the last case the error keeps the
// last failure's code, reason and payloads, its message followed by " (gave up after N
// attempts; resume from the last checkpoint)".
absl::Status RunWithRetries(const RetryPolicy& policy, const RetrySteps& steps);

// Waits `duration` in steps of 50 ms; CANCELLED ("the read was cancelled") as soon as
// `cancelled` says so.
absl::Status WaitUnlessCancelled(std::chrono::milliseconds duration,
                                 const std::function<bool()>& cancelled);

}  // namespace tsdb_source
