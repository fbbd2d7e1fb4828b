// The retry loop alone, its steps faked (no database, no clock): a transient failure is
// retried up to the limit with a doubling backoff and then given up with the last error's
// code and reason, a permanent one is returned at once, a stopping read is not retried, a
// failed preparation counts as an attempt, and what each retry announces.
#include "service/read/retry_loop.h"

#include <chrono>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/common/errors.h"

namespace tsdb_source {
namespace {

using std::chrono::milliseconds;

// Steps that record what the loop did; attempts return `results` in turn (then OK).
struct Fake {
  std::vector<absl::Status> results;
  std::vector<absl::Status> preparations;  // in turn (then OK)
  int attempts = 0;
  int prepared = 0;
  bool stopping = false;
  absl::Status announce_result;
  absl::Status wait_result;
  std::vector<std::string> warnings;
  std::vector<milliseconds> waits;
  std::vector<std::string> order;  // "announce", "wait", "prepare", "attempt"

  RetrySteps Steps() {
    RetrySteps steps;
    steps.attempt = [this] {
      order.push_back("attempt");
      const size_t i = static_cast<size_t>(attempts++);
      return i < results.size() ? results[i] : absl::OkStatus();
    };
    steps.stopping = [this] { return stopping; };
    steps.announce = [this](std::string warning) {
      order.push_back("announce");
      warnings.push_back(std::move(warning));
      return announce_result;
    };
    steps.wait = [this](milliseconds backoff) {
      order.push_back("wait");
      waits.push_back(backoff);
      return wait_result;
    };
    steps.prepare = [this] {
      order.push_back("prepare");
      const size_t i = static_cast<size_t>(prepared++);
      return i < preparations.size() ? preparations[i] : absl::OkStatus();
    };
    return steps;
  }
};

RetryPolicy Policy(int attempts, milliseconds initial = milliseconds(100)) {
  RetryPolicy policy;
  policy.max_attempts = attempts;
  policy.initial_backoff = initial;
  return policy;
}

absl::Status Lost() {
  return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_CONNECTION_LOST, "connection lost");
}

TEST(RetryLoop, ASuccessAtFirstIsReturnedWithoutRetrying) {
  Fake fake;
  EXPECT_TRUE(RunWithRetries(Policy(3), fake.Steps()).ok());
  EXPECT_EQ(fake.attempts, 1);
  EXPECT_TRUE(fake.warnings.empty());
  EXPECT_TRUE(fake.waits.empty());
}

TEST(RetryLoop, ATransientFailureIsRetriedUntilAnAttemptSucceeds) {
  Fake fake;
  fake.results = {Lost(), Lost()};
  EXPECT_TRUE(RunWithRetries(Policy(3), fake.Steps()).ok());
  EXPECT_EQ(fake.attempts, 3);
  EXPECT_EQ(fake.order, (std::vector<std::string>{"attempt", "announce", "wait", "prepare", "attempt",
                                                  "announce", "wait", "prepare", "attempt"}));
}

TEST(RetryLoop, GivesUpAfterTheLastAttemptWithTheLastErrorsCodeAndReason) {
  Fake fake;
  fake.results = {Lost(), Lost(), MakeSqlError(absl::StatusCode::kAborted, "40001", "conflict")};
  absl::Status status = RunWithRetries(Policy(3), fake.Steps());
  EXPECT_EQ(fake.attempts, 3);
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(SqlStateOf(status), "40001");
  EXPECT_EQ(status.message(), "conflict (gave up after 3 attempts; resume from the last checkpoint)");
}

TEST(RetryLoop, EachRetryIsAnnouncedBeforeItsWait) {
  Fake fake;
  fake.results = {Lost(), Lost(), Lost()};
  RunWithRetries(Policy(3, milliseconds(250)), fake.Steps()).IgnoreError();
  EXPECT_EQ(fake.warnings,
            (std::vector<std::string>{
                "transient failure (connection lost); attempt 2 of 3 in 250 ms, from the last checkpoint",
                "transient failure (connection lost); attempt 3 of 3 in 500 ms, from the last checkpoint"}));
}

TEST(RetryLoop, TheBackoffDoublesUpToItsLimit) {
  Fake fake;
  fake.results = std::vector<absl::Status>(8, Lost());
  RunWithRetries(Policy(8, milliseconds(5000)), fake.Steps()).IgnoreError();
  EXPECT_EQ(fake.waits, (std::vector<milliseconds>{milliseconds(5000), milliseconds(10000), milliseconds(20000),
                                                   milliseconds(30000), milliseconds(30000), milliseconds(30000),
                                                   milliseconds(30000)}));
}

TEST(RetryLoop, APermanentFailureIsReturnedAsItIs) {
  Fake fake;
  const absl::Status denied =
      MakeError(absl::StatusCode::kPermissionDenied, v1::ERROR_REASON_MISSING_PRIVILEGE, "no");
  fake.results = {denied};
  EXPECT_EQ(RunWithRetries(Policy(5), fake.Steps()), denied);
  EXPECT_EQ(fake.attempts, 1);
  EXPECT_TRUE(fake.warnings.empty());
}

TEST(RetryLoop, AStoppingReadIsNotRetried) {
  Fake fake;
  fake.results = {Lost()};
  fake.stopping = true;
  EXPECT_EQ(RunWithRetries(Policy(5), fake.Steps()), Lost());
  EXPECT_EQ(fake.attempts, 1);
  EXPECT_TRUE(fake.waits.empty());
}

TEST(RetryLoop, OneAttemptAllowedGivesUpAtOnce) {
  Fake fake;
  fake.results = {Lost()};
  absl::Status status = RunWithRetries(Policy(1), fake.Steps());
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "connection lost (gave up after 1 attempts; resume from the last checkpoint)");
  EXPECT_TRUE(fake.warnings.empty());
}

TEST(RetryLoop, AFailedPreparationCountsAsAnAttempt) {
  Fake fake;
  fake.results = {Lost()};
  const absl::Status refused =
      MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_CONNECTION_FAILED, "refused");
  fake.preparations = {refused, refused};
  absl::Status status = RunWithRetries(Policy(3), fake.Steps());
  EXPECT_EQ(fake.attempts, 1) << "no attempt without a preparation";
  EXPECT_EQ(fake.prepared, 2);
  EXPECT_EQ(ReasonOf(status), "CONNECTION_FAILED");
  EXPECT_EQ(status.message(), "refused (gave up after 3 attempts; resume from the last checkpoint)");
  EXPECT_EQ(fake.warnings.back(),
            "transient failure (refused); attempt 3 of 3 in 200 ms, from the last checkpoint");
}

TEST(RetryLoop, APermanentPreparationFailureEndsTheLoop) {
  Fake fake;
  fake.results = {Lost()};
  const absl::Status bad = absl::InvalidArgumentError("bad password");
  fake.preparations = {bad};
  EXPECT_EQ(RunWithRetries(Policy(5), fake.Steps()), bad);
  EXPECT_EQ(fake.attempts, 1);
}

TEST(RetryLoop, AnErrorWhileAnnouncingOrWaitingEndsTheLoop) {
  Fake announcing;
  announcing.results = {Lost()};
  announcing.announce_result = absl::CancelledError("the consumer is gone");
  EXPECT_EQ(RunWithRetries(Policy(5), announcing.Steps()), announcing.announce_result);
  EXPECT_TRUE(announcing.waits.empty());

  Fake waiting;
  waiting.results = {Lost()};
  waiting.wait_result = absl::CancelledError("the read was cancelled");
  EXPECT_EQ(RunWithRetries(Policy(5), waiting.Steps()), waiting.wait_result);
  EXPECT_EQ(waiting.prepared, 0);
  EXPECT_EQ(waiting.attempts, 1);
}

TEST(WaitUnlessCancelled, ACancelledReadStopsWaitingAtOnce) {
  const auto start = std::chrono::steady_clock::now();
  absl::Status status = WaitUnlessCancelled(std::chrono::seconds(30), [] { return true; });
  EXPECT_EQ(status, absl::CancelledError("the read was cancelled"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(WaitUnlessCancelled, ACancellationDuringTheWaitIsNoticed) {
  int asked = 0;
  absl::Status status = WaitUnlessCancelled(std::chrono::seconds(30), [&] { return ++asked == 3; });
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(asked, 3);
}

TEST(WaitUnlessCancelled, AnUncancelledWaitEndsAfterItsDuration) {
  int asked = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(WaitUnlessCancelled(milliseconds(120), [&] { return ++asked < 0; }).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - start, milliseconds(120));
  EXPECT_GE(asked, 1);
  EXPECT_TRUE(WaitUnlessCancelled(milliseconds(0), [] { return true; }).ok()) << "nothing to wait for";
}

}  // namespace
}  // namespace tsdb_source
