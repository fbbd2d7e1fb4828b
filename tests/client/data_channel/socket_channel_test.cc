// One socket of the data channel over real Unix sockets in a temporary directory, with a
// destination of the test's (test_peer.h): exact bytes in order, Close's flush and EOF,
// back-pressure from a slow reader with nothing lost, the write timeout against a reader
// that never reads, a destination that closes, the idle probe and a failed one, the accept
// deadline, stale and foreign files at the path, Abort and Interrupt that never hang.
// Also run under ThreadSanitizer by tools/test.
#include "client/data_channel/socket_channel.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "tests/client/data_channel/test_peer.h"

namespace tsdb_source::client {
namespace {

using testing::ConnectUnix;
using testing::kLong;
using testing::Options;
using testing::Pattern;
using testing::TempDir;
using testing::TestPeer;

// The states a socket went through, as its callback reported them.
class StateLog {
 public:
  SocketStateCallback Callback() {
    return [this](SocketState state, const absl::Status& error) {
      std::lock_guard<std::mutex> lock(mu_);
      states_.push_back(state);
      errors_.push_back(error);
      changed_.notify_all();
    };
  }
  bool WaitFor(SocketState state, absl::Duration timeout = kLong) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout), [&] {
      for (SocketState s : states_) {
        if (s == state) return true;
      }
      return false;
    });
  }
  std::vector<SocketState> states() const {
    std::lock_guard<std::mutex> lock(mu_);
    return states_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<SocketState> states_;
  std::vector<absl::Status> errors_;
};

class SocketChannelTest : public ::testing::Test {
 protected:
  // Opens and starts a socket at dir_/name.
  std::unique_ptr<SocketChannel> Start(const SocketOptions& options,
                                       const std::string& name = "s.sock") {
    absl::StatusOr<std::unique_ptr<SocketChannel>> socket =
        SocketChannel::Open(dir_.Path(name), options);
    EXPECT_TRUE(socket.ok()) << socket.status();
    if (!socket.ok()) return nullptr;
    (*socket)->Start(log_.Callback());
    return *std::move(socket);
  }

  // A started socket with a destination connected to it.
  std::unique_ptr<SocketChannel> Connected(const SocketOptions& options,
                                           std::unique_ptr<TestPeer>* peer,
                                           TestPeer::Options peer_options = {}) {
    std::unique_ptr<SocketChannel> socket = Start(options);
    if (socket == nullptr) return nullptr;
    *peer = TestPeer::Connect(socket->path(), peer_options);
    EXPECT_NE(*peer, nullptr) << std::strerror(errno);
    EXPECT_TRUE(log_.WaitFor(SocketState::kConnected));
    return socket;
  }

  // Enqueues `buffer` until an Enqueue fails (at most `limit` times); its status.
  static absl::Status EnqueueUntilFailure(SocketChannel& socket, const std::string& buffer,
                                          int limit = 100000) {
    for (int i = 0; i < limit; ++i) {
      absl::Status s = socket.Enqueue(buffer);
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }

  TempDir dir_;
  StateLog log_;
};

TEST_F(SocketChannelTest, ManyBuffersArriveExactlyAndInOrderThenEof) {
  std::unique_ptr<TestPeer> peer;
  auto socket = Connected(Options(), &peer);
  ASSERT_NE(socket, nullptr);
  std::string expected;
  for (uint32_t i = 0; i < 2000; ++i) {
    std::string buffer = Pattern(1 + (i * 7919) % 20000, i);
    expected += buffer;
    ASSERT_TRUE(socket->Enqueue(std::move(buffer)).ok());
  }
  ASSERT_TRUE(socket->Close().ok());
  const std::string got = peer->ReadToEnd();
  EXPECT_TRUE(peer->eof());
  ASSERT_EQ(got.size(), expected.size());
  EXPECT_TRUE(got == expected);
  EXPECT_EQ(socket->state(), SocketState::kClosed);
  EXPECT_EQ(log_.states(),
            (std::vector<SocketState>{SocketState::kConnected, SocketState::kClosed}));
}

TEST_F(SocketChannelTest, CloseFlushesWhatIsQueuedBeforeTheDestinationReads) {
  // The destination reads only after Close was called: Close must wait for the flush.
  std::unique_ptr<TestPeer> peer;
  TestPeer::Options not_yet;
  not_yet.reading = false;
  auto socket = Connected(Options(), &peer, not_yet);
  ASSERT_NE(socket, nullptr);
  std::string expected;
  for (uint32_t i = 0; i < 2; ++i) {  // the queue's capacity: no Enqueue blocks
    std::string buffer = Pattern(1 << 20, i);
    expected += buffer;
    ASSERT_TRUE(socket->Enqueue(std::move(buffer)).ok());
  }
  absl::Status closed;
  std::thread closer([&] { closed = socket->Close(); });
  peer->StartReading();
  closer.join();
  ASSERT_TRUE(closed.ok()) << closed;
  EXPECT_TRUE(peer->ReadToEnd() == expected);
}

TEST_F(SocketChannelTest, ASlowDestinationBlocksEnqueueAndLosesNothing) {
  // The destination takes 16 KiB every millisecond; buffers are 256 KiB. Enqueue must
  // wait for it: the buffers handed over never run ahead of the whole ones it read by more
  // than the queue (2), the one being written, the one partly read and the next one, the
  // kernel's buffer (208 KiB by default) holding less than a buffer. Without back-pressure
  // the producer would be all 24 ahead.
  constexpr size_t kSize = 256 * 1024;
  constexpr int kBuffers = 24;
  std::unique_ptr<TestPeer> peer;
  TestPeer::Options slow;
  slow.chunk = 16 * 1024;
  slow.pause = absl::Milliseconds(1);
  auto socket = Connected(Options(), &peer, slow);
  ASSERT_NE(socket, nullptr);

  std::atomic<int> handed{0};
  std::atomic<int> most_ahead{0};
  std::string expected;
  for (int i = 0; i < kBuffers; ++i) expected += Pattern(kSize, i);
  std::thread producer([&] {
    for (int i = 0; i < kBuffers; ++i) {
      ASSERT_TRUE(socket->Enqueue(expected.substr(i * kSize, kSize)).ok());
      handed = i + 1;
    }
  });
  // Measured on this side while the reader reads: handed-over buffers minus read ones.
  // Handed is loaded first: what it counts was allowed by reads done before Size() looks.
  while (!peer->WaitForBytes(expected.size(), absl::Milliseconds(1))) {
    const int handed_now = handed.load();
    const int read_whole = static_cast<int>(peer->Size() / kSize);
    most_ahead = std::max(most_ahead.load(), handed_now - read_whole);
  }
  producer.join();
  ASSERT_TRUE(socket->Close().ok());
  EXPECT_TRUE(peer->ReadToEnd() == expected);
  EXPECT_LE(most_ahead.load(), 2 + 1 + 1 + 1);
  EXPECT_GE(most_ahead.load(), 2);  // and the queue was used: the producer ran ahead
}

TEST_F(SocketChannelTest, ADestinationThatReadsNothingFailsAfterTheWriteTimeout) {
  SocketOptions options = Options();
  options.write_timeout = absl::Milliseconds(300);
  std::unique_ptr<TestPeer> peer;
  TestPeer::Options never;
  never.reading = false;
  auto socket = Connected(options, &peer, never);
  ASSERT_NE(socket, nullptr);
  const absl::Time start = absl::Now();
  absl::Status failed = EnqueueUntilFailure(*socket, Pattern(64 * 1024, 1));
  const absl::Duration waited = absl::Now() - start;
  const std::string message = "the destination read nothing from " + socket->path() + " for 0.3 s";
  EXPECT_EQ(failed, absl::UnavailableError(message));
  EXPECT_GE(waited, absl::Milliseconds(300));
  EXPECT_LT(waited, absl::Seconds(30));
  EXPECT_TRUE(log_.WaitFor(SocketState::kFailed));
  EXPECT_EQ(socket->error(), absl::UnavailableError(message));
  EXPECT_EQ(socket->Close(), absl::UnavailableError(message));
  // The connection was closed on the failure: the destination sees its end.
  peer->StartReading();
  peer->ReadToEnd();
  EXPECT_TRUE(peer->eof());
}

TEST_F(SocketChannelTest, ADestinationThatClosesFailsTheSocket) {
  std::unique_ptr<TestPeer> peer;
  auto socket = Connected(Options(), &peer);
  ASSERT_NE(socket, nullptr);
  const std::string buffer = Pattern(32 * 1024, 7);
  ASSERT_TRUE(socket->Enqueue(buffer).ok());
  ASSERT_TRUE(peer->WaitForBytes(buffer.size(), kLong));
  peer->CloseNow();
  const absl::Status expected = absl::UnavailableError("the destination closed " + socket->path());
  EXPECT_EQ(EnqueueUntilFailure(*socket, buffer), expected);
  EXPECT_EQ(socket->state(), SocketState::kFailed);
  EXPECT_EQ(socket->Close(), expected);
}

TEST_F(SocketChannelTest, AnIdleSocketGetsProbesAfterItsData) {
  SocketOptions options = Options();
  options.idle_probe_interval = absl::Milliseconds(50);
  options.probe = std::string("\x02\x1A\x00", 3);
  std::unique_ptr<TestPeer> peer;
  auto socket = Connected(options, &peer);
  ASSERT_NE(socket, nullptr);
  ASSERT_TRUE(socket->Enqueue("data").ok());
  // Two probes, nothing else enqueued.
  ASSERT_TRUE(peer->WaitForBytes(4 + 3 + 3, kLong)) << peer->Data().size();
  ASSERT_TRUE(socket->Close().ok());
  const std::string got = peer->ReadToEnd();
  ASSERT_EQ(got.substr(0, 4), "data");
  ASSERT_EQ((got.size() - 4) % 3, 0u);
  for (size_t at = 4; at < got.size(); at += 3) {
    EXPECT_EQ(got.substr(at, 3), options.probe) << "at " << at;
  }
}

TEST_F(SocketChannelTest, AFailedProbeIsADisconnect) {
  SocketOptions options = Options();
  options.idle_probe_interval = absl::Milliseconds(20);
  options.probe = "\n";
  std::unique_ptr<TestPeer> peer;
  auto socket = Connected(options, &peer);
  ASSERT_NE(socket, nullptr);
  peer->CloseNow();  // nothing is enqueued: only a probe can find out
  ASSERT_TRUE(log_.WaitFor(SocketState::kFailed));
  const absl::Status expected = absl::UnavailableError("the destination closed " + socket->path());
  EXPECT_EQ(socket->error(), expected);
  EXPECT_EQ(socket->Enqueue("x"), expected);
  EXPECT_EQ(socket->Close(), expected);
}

TEST_F(SocketChannelTest, NoDestinationBeforeTheAcceptDeadline) {
  SocketOptions options = Options();
  options.accept_timeout = absl::Milliseconds(100);
  auto socket = Start(options);
  ASSERT_NE(socket, nullptr);
  ASSERT_TRUE(log_.WaitFor(SocketState::kNotConnected));
  EXPECT_EQ(socket->state(), SocketState::kNotConnected);
  EXPECT_EQ(socket->error(), absl::OkStatus());  // the channel decides whether it matters
  EXPECT_EQ(socket->Enqueue("x").code(), absl::StatusCode::kFailedPrecondition);
  // No longer listening.
  EXPECT_FALSE(ConnectUnix(socket->path()).valid());
  EXPECT_EQ(errno, ECONNREFUSED);
  EXPECT_TRUE(socket->Close().ok());
}

TEST_F(SocketChannelTest, OneDestinationOnlyTheListenerClosesAfterAccept) {
  std::unique_ptr<TestPeer> peer;
  auto socket = Connected(Options(), &peer);
  ASSERT_NE(socket, nullptr);
  EXPECT_FALSE(ConnectUnix(socket->path()).valid());
  EXPECT_EQ(errno, ECONNREFUSED);
  struct stat st;
  EXPECT_EQ(lstat(socket->path().c_str(), &st), 0) << "the path stays, as the Bulk CDK's";
  EXPECT_TRUE(socket->Close().ok());
}

TEST_F(SocketChannelTest, EnqueueBeforeTheDestinationConnectsIsRefused) {
  auto socket = Start(Options());
  ASSERT_NE(socket, nullptr);
  absl::Status refused = socket->Enqueue("x");
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("is not connected"), absl::string_view::npos);
  EXPECT_TRUE(socket->Enqueue("").ok());  // nothing to write is never refused
}

TEST_F(SocketChannelTest, CloseBeforeAnyDestinationStopsListening) {
  auto socket = Start(Options());  // accept deadline a minute away
  ASSERT_NE(socket, nullptr);
  const absl::Time start = absl::Now();
  EXPECT_TRUE(socket->Close().ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(socket->state(), SocketState::kNotConnected);
  EXPECT_FALSE(ConnectUnix(socket->path()).valid());
}

TEST_F(SocketChannelTest, AStaleSocketFileIsReplaced) {
  const std::string path = dir_.Path("s.sock");
  {  // A socket bound and closed leaves its file behind, as a crashed run would.
    UniqueFd stale(socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.data(), path.size());
    ASSERT_EQ(bind(stale.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  }
  ASSERT_FALSE(ConnectUnix(path).valid());  // the file is there, nobody listens
  std::unique_ptr<TestPeer> peer;
  auto socket = Connected(Options(), &peer);
  ASSERT_NE(socket, nullptr);
  ASSERT_TRUE(socket->Enqueue("fresh").ok());
  ASSERT_TRUE(socket->Close().ok());
  EXPECT_EQ(peer->ReadToEnd(), "fresh");
}

TEST_F(SocketChannelTest, AnotherFileAtThePathIsRefusedAndKept) {
  const std::string path = dir_.Path("s.sock");
  std::ofstream(path) << "not a socket";
  absl::StatusOr<std::unique_ptr<SocketChannel>> socket = SocketChannel::Open(path, Options());
  ASSERT_FALSE(socket.ok());
  EXPECT_EQ(socket.status(),
            absl::FailedPreconditionError("the socket path " + path +
                                          " exists and is not a socket; it is left in place"));
  std::stringstream kept;
  kept << std::ifstream(path).rdbuf();
  EXPECT_EQ(kept.str(), "not a socket");
}

TEST_F(SocketChannelTest, ADirectoryMissingIsUnavailableNamingThePath) {
  const std::string path = dir_.Path("missing/s.sock");
  absl::StatusOr<std::unique_ptr<SocketChannel>> socket = SocketChannel::Open(path, Options());
  ASSERT_FALSE(socket.ok());
  EXPECT_EQ(socket.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(socket.status().message().find("cannot bind " + path), absl::string_view::npos)
      << socket.status();
}

TEST_F(SocketChannelTest, AbortDoesNotWaitForADestinationThatReadsNothing) {
  std::unique_ptr<TestPeer> peer;
  TestPeer::Options never;
  never.reading = false;
  auto socket = Connected(Options(), &peer, never);  // write timeout: a minute
  ASSERT_NE(socket, nullptr);
  std::thread producer([&] { EnqueueUntilFailure(*socket, Pattern(1 << 20, 3)).IgnoreError(); });
  // Whether the producer is blocked in Enqueue yet or not, Abort ends it and the writer.
  const absl::Time start = absl::Now();
  socket->Abort();
  producer.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(socket->state(), SocketState::kClosed);
}

TEST_F(SocketChannelTest, InterruptEndsABlockedEnqueue) {
  std::unique_ptr<TestPeer> peer;
  TestPeer::Options never;
  never.reading = false;
  auto socket = Connected(Options(), &peer, never);  // write timeout: a minute
  ASSERT_NE(socket, nullptr);
  std::atomic<int> handed{0};
  absl::Status ended;
  std::thread producer([&] {
    for (;;) {
      absl::Status s = socket->Enqueue(Pattern(1 << 20, 4));
      if (!s.ok()) {
        ended = s;
        return;
      }
      ++handed;
    }
  });
  // Two buffers in the queue: from here on the producer blocks (the destination reads
  // nothing), now or after one more in the kernel's buffer.
  while (handed.load() < 2) std::this_thread::yield();
  const absl::Time start = absl::Now();
  socket->Interrupt(absl::UnavailableError("another socket failed"));
  producer.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(ended, absl::UnavailableError("another socket failed"));
  EXPECT_EQ(socket->state(), SocketState::kConnected);  // the socket itself is fine
  socket->Abort();
}

}  // namespace
}  // namespace tsdb_source::client
