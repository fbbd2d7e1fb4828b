#include "service/read/retry_loop.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "service/common/errors.h"
#include "service/common/status_macros.h"

namespace tsdb_source {

absl::Status RunWithRetries(const RetryPolicy& policy, const RetrySteps& steps) {
  std::chrono::milliseconds backoff = policy.initial_backoff;
  absl::Status status = steps.attempt();
  for (int attempt = 1;; ++attempt) {
    if (status.ok() || !IsTransient(status) || steps.stopping()) return status;
    if (attempt >= policy.max_attempts) {
      return WithMessage(status, absl::StrCat(status.message(), " (gave up after ", attempt,
                                              " attempts; resume from the last checkpoint)"));
    }
    RETURN_IF_ERROR(steps.announce(absl::StrCat("transient failure (", status.message(),
                                                "); attempt ", attempt + 1, " of ",
                                                policy.max_attempts, " in ", backoff.count(),
                                                " ms, from the last checkpoint")));
    RETURN_IF_ERROR(steps.wait(backoff));
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, policy.max_backoff);
    status = steps.prepare();
    if (!status.ok()) continue;  // a failed preparation counts as an attempt
    status = steps.attempt();
  }
}

absl::Status WaitUnlessCancelled(std::chrono::milliseconds duration,
                                 const std::function<bool()>& cancelled) {
  const auto until = std::chrono::steady_clock::now() + duration;
  while (std::chrono::steady_clock::now() < until) {
    if (cancelled()) return absl::CancelledError("the read was cancelled");
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return absl::OkStatus();
}

}  // namespace tsdb_source
