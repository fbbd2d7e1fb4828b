// Unit tests of WaitForReadable (service/pg/socket_wait.h) over a socketpair standing in for
// a connection's socket and a pipe as the cancel descriptor. No server needed.
#include "service/pg/socket_wait.h"

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tsdb_source::pg {
namespace {

// Both ends of a socketpair and of a pipe, closed at the end of the test.
class SocketWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sockets_), 0);
    ASSERT_EQ(pipe(cancel_), 0);
  }
  void TearDown() override {
    for (int fd : {sockets_[0], sockets_[1], cancel_[0], cancel_[1]}) {
      if (fd >= 0) close(fd);
    }
  }
  static void WriteByte(int fd) { ASSERT_EQ(write(fd, "x", 1), 1); }

  int socket() const { return sockets_[0]; }
  int peer() const { return sockets_[1]; }
  int cancel_read() const { return cancel_[0]; }
  int cancel_write() const { return cancel_[1]; }
  void ClosePeer() {
    close(sockets_[1]);
    sockets_[1] = -1;
  }

 private:
  int sockets_[2] = {-1, -1};
  int cancel_[2] = {-1, -1};
};

TEST_F(SocketWaitTest, ReadableWhenInputIsWaiting) {
  WriteByte(peer());
  absl::StatusOr<SocketWait> waited = WaitForReadable(socket(), absl::Seconds(10), cancel_read());
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, SocketWait::kReadable);
}

TEST_F(SocketWaitTest, ReadableWhenThePeerHangsUp) {
  ClosePeer();
  absl::StatusOr<SocketWait> waited = WaitForReadable(socket(), absl::Seconds(10));
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, SocketWait::kReadable);
}

TEST_F(SocketWaitTest, ReadableWhenInputArrivesLater) {
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    WriteByte(peer());
  });
  absl::StatusOr<SocketWait> waited = WaitForReadable(socket(), absl::Seconds(30));
  writer.join();
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, SocketWait::kReadable);
}

TEST_F(SocketWaitTest, TimesOutNoEarlierThanTheTimeout) {
  const absl::Time start = absl::Now();
  absl::StatusOr<SocketWait> waited =
      WaitForReadable(socket(), absl::Milliseconds(120), cancel_read());
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, SocketWait::kTimeout);
  EXPECT_GE(took, absl::Milliseconds(120));
}

TEST_F(SocketWaitTest, ZeroOrNegativeTimeoutChecksOnce) {
  for (absl::Duration timeout : {absl::ZeroDuration(), absl::Seconds(-1)}) {
    absl::StatusOr<SocketWait> waited = WaitForReadable(socket(), timeout);
    ASSERT_TRUE(waited.ok()) << waited.status();
    EXPECT_EQ(*waited, SocketWait::kTimeout);
  }
  WriteByte(peer());
  absl::StatusOr<SocketWait> waited = WaitForReadable(socket(), absl::ZeroDuration());
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, SocketWait::kReadable);
}

TEST_F(SocketWaitTest, CancelWakesAWaitWithoutALimit) {
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    WriteByte(cancel_write());
  });
  absl::StatusOr<SocketWait> waited =
      WaitForReadable(socket(), absl::InfiniteDuration(), cancel_read());
  canceller.join();
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, SocketWait::kCancelled);
}

TEST_F(SocketWaitTest, CancelWinsOverInput) {
  WriteByte(peer());
  WriteByte(cancel_write());
  absl::StatusOr<SocketWait> waited = WaitForReadable(socket(), absl::Seconds(10), cancel_read());
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, SocketWait::kCancelled);
}

TEST_F(SocketWaitTest, NegativeCancelDescriptorIsIgnored) {
  absl::StatusOr<SocketWait> waited = WaitForReadable(socket(), absl::Milliseconds(20), -1);
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, SocketWait::kTimeout);
}

std::atomic<int> signals_seen{0};
void CountSignal(int) { signals_seen.fetch_add(1); }

// A signal interrupts poll() with EINTR (no SA_RESTART, and poll is never restarted): the
// wait goes on for the time left instead of returning early or failing.
TEST_F(SocketWaitTest, SignalsDoNotEndTheWait) {
  struct sigaction action = {};
  struct sigaction previous = {};
  action.sa_handler = &CountSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  ASSERT_EQ(sigaction(SIGUSR1, &action, &previous), 0);
  const pthread_t waiter = pthread_self();
  std::atomic<bool> done{false};
  std::thread signaller([&] {
    for (int i = 0; i < 5 && !done.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      if (!done.load()) pthread_kill(waiter, SIGUSR1);
    }
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<SocketWait> waited = WaitForReadable(socket(), absl::Milliseconds(300));
  const absl::Duration took = absl::Now() - start;
  done.store(true);
  signaller.join();
  sigaction(SIGUSR1, &previous, nullptr);
  ASSERT_TRUE(waited.ok()) << waited.status();
  EXPECT_EQ(*waited, SocketWait::kTimeout);
  EXPECT_GE(took, absl::Milliseconds(300));
  EXPECT_GT(signals_seen.load(), 0);
}

}  // namespace
}  // namespace tsdb_source::pg
