// The data channel over real Unix sockets in a temporary directory: two sockets each get
// exactly their bytes in order; the accept timeout fails the channel only when no socket
// connected; a socket connecting late joins; picking a free connected socket; one socket's
// failure is every socket's (sticky, Unavailable, also for an Enqueue blocked on a healthy
// socket); a path that cannot be listened on leaves nothing listening.
// Also run under ThreadSanitizer by tools/test.
#include "client/data_channel/data_channel.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
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

class DataChannelTest : public ::testing::Test {
 protected:
  std::vector<std::string> Paths(int n) {
    std::vector<std::string> paths;
    for (int i = 1; i <= n; ++i)
      paths.push_back(dir_.Path("airbyte_socket_" + std::to_string(i) + ".sock"));
    return paths;
  }

  std::unique_ptr<DataChannel> Open(int sockets, const SocketOptions& options) {
    absl::StatusOr<std::unique_ptr<DataChannel>> channel =
        DataChannel::Open(Paths(sockets), options);
    EXPECT_TRUE(channel.ok()) << channel.status();
    return channel.ok() ? *std::move(channel) : nullptr;
  }

  // Waits until socket `index` of `channel` is connected.
  static void WaitConnected(DataChannel& channel, size_t index) {
    std::vector<bool> busy(channel.size(), true);
    busy[index] = false;
    absl::StatusOr<size_t> picked = channel.PickConnected(busy, absl::Now() + kLong);
    ASSERT_TRUE(picked.ok()) << picked.status();
    ASSERT_EQ(*picked, index);
  }

  TempDir dir_;
};

TEST_F(DataChannelTest, TwoSocketsGetExactlyTheirBytesInOrder) {
  auto channel = Open(2, Options());
  ASSERT_NE(channel, nullptr);
  auto peer0 = TestPeer::Connect(channel->path(0));
  auto peer1 = TestPeer::Connect(channel->path(1));
  ASSERT_NE(peer0, nullptr);
  ASSERT_NE(peer1, nullptr);
  ASSERT_TRUE(channel->WaitForAnyConnected(absl::Now() + kLong).ok());
  WaitConnected(*channel, 0);
  WaitConnected(*channel, 1);
  EXPECT_EQ(channel->Connected(), (std::vector<size_t>{0, 1}));

  std::string expected[2];
  for (uint32_t i = 0; i < 3000; ++i) {
    const size_t socket = (i * 31) % 3 == 0 ? 0 : 1;  // uneven, interleaved
    std::string buffer = Pattern(1 + (i * 7919) % 9000, i);
    expected[socket] += buffer;
    ASSERT_TRUE(channel->Enqueue(socket, std::move(buffer)).ok());
  }
  ASSERT_TRUE(channel->Close().ok());
  const std::string got0 = peer0->ReadToEnd();
  const std::string got1 = peer1->ReadToEnd();
  EXPECT_TRUE(peer0->eof() && peer1->eof());
  ASSERT_EQ(got0.size(), expected[0].size());
  ASSERT_EQ(got1.size(), expected[1].size());
  EXPECT_TRUE(got0 == expected[0]);
  EXPECT_TRUE(got1 == expected[1]);
}

TEST_F(DataChannelTest, NoDestinationAtAllFailsAfterTheAcceptTimeout) {
  SocketOptions options = Options();
  options.accept_timeout = absl::Milliseconds(150);
  auto channel = Open(2, options);
  ASSERT_NE(channel, nullptr);
  const absl::Status expected =
      absl::UnavailableError("the destination did not connect to any of " + channel->path(0) +
                             ", " + channel->path(1) + " within 0.15 s");
  EXPECT_EQ(channel->WaitForAnyConnected(absl::InfiniteFuture()), expected);
  EXPECT_EQ(channel->status(), expected);
  EXPECT_EQ(channel->Enqueue(0, "x"), expected);
  EXPECT_EQ(channel->PickConnected({}, absl::InfiniteFuture()).status(), expected);
  EXPECT_EQ(channel->Close(), expected);
}

TEST_F(DataChannelTest, AShortWaitEndsWithoutFailingTheChannel) {
  auto channel = Open(1, Options());  // accept timeout a minute away
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(channel->WaitForAnyConnected(absl::Now() + absl::Milliseconds(50)).code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(channel->PickConnected({}, absl::Now() + absl::Milliseconds(50)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(channel->status().ok());
  // The destination can still come.
  auto peer = TestPeer::Connect(channel->path(0));
  ASSERT_NE(peer, nullptr);
  EXPECT_TRUE(channel->WaitForAnyConnected(absl::Now() + kLong).ok());
  ASSERT_TRUE(channel->Enqueue(0, "late").ok());
  ASSERT_TRUE(channel->Close().ok());
  EXPECT_EQ(peer->ReadToEnd(), "late");
}

TEST_F(DataChannelTest, ASocketConnectingLaterJoins) {
  auto channel = Open(2, Options());
  ASSERT_NE(channel, nullptr);
  auto peer0 = TestPeer::Connect(channel->path(0));
  ASSERT_NE(peer0, nullptr);
  ASSERT_TRUE(channel->WaitForAnyConnected(absl::Now() + kLong).ok());
  EXPECT_EQ(channel->Connected(), std::vector<size_t>{0});
  EXPECT_EQ(channel->state(1), SocketState::kListening);
  ASSERT_TRUE(channel->Enqueue(0, "first").ok());

  // Socket 0 is busy: the pick waits for socket 1, which connects meanwhile.
  absl::StatusOr<size_t> picked;
  std::thread picker([&] { picked = channel->PickConnected({true}, absl::Now() + kLong); });
  auto peer1 = TestPeer::Connect(channel->path(1));
  ASSERT_NE(peer1, nullptr);
  picker.join();
  ASSERT_TRUE(picked.ok()) << picked.status();
  EXPECT_EQ(*picked, 1u);
  EXPECT_EQ(channel->Connected(), (std::vector<size_t>{0, 1}));
  ASSERT_TRUE(channel->Enqueue(1, "second").ok());
  ASSERT_TRUE(channel->Close().ok());
  EXPECT_EQ(peer0->ReadToEnd(), "first");
  EXPECT_EQ(peer1->ReadToEnd(), "second");
}

TEST_F(DataChannelTest, ASocketNeverConnectedIsNoErrorWhenAnotherIs) {
  SocketOptions options = Options();
  options.accept_timeout = absl::Milliseconds(200);
  auto channel = Open(2, options);
  ASSERT_NE(channel, nullptr);
  auto peer = TestPeer::Connect(channel->path(0));
  ASSERT_NE(peer, nullptr);
  ASSERT_TRUE(channel->WaitForAnyConnected(absl::Now() + kLong).ok());
  // Socket 0 busy, socket 1 stops listening at the deadline: nothing left to wait for.
  absl::StatusOr<size_t> picked = channel->PickConnected({true, false}, absl::Now() + kLong);
  EXPECT_EQ(picked.status().code(), absl::StatusCode::kNotFound) << picked.status();
  EXPECT_EQ(channel->state(1), SocketState::kNotConnected);
  EXPECT_TRUE(channel->status().ok()) << channel->status();
  ASSERT_TRUE(channel->Enqueue(0, "only").ok());
  EXPECT_EQ(channel->Enqueue(1, "x").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(channel->status().ok()) << "misuse is not the channel's failure";
  ASSERT_TRUE(channel->Close().ok());
  EXPECT_EQ(peer->ReadToEnd(), "only");
}

TEST_F(DataChannelTest, PickConnectedSkipsBusySockets) {
  auto channel = Open(3, Options());
  ASSERT_NE(channel, nullptr);
  std::vector<std::unique_ptr<TestPeer>> peers;
  for (size_t i = 0; i < 3; ++i) {
    peers.push_back(TestPeer::Connect(channel->path(i)));
    ASSERT_NE(peers.back(), nullptr);
    WaitConnected(*channel, i);
  }
  EXPECT_EQ(*channel->PickConnected({}, absl::Now()), 0u);
  EXPECT_EQ(*channel->PickConnected({true}, absl::Now()), 1u);
  EXPECT_EQ(*channel->PickConnected({true, true}, absl::Now()), 2u);
  EXPECT_EQ(*channel->PickConnected({true, false, true}, absl::Now()), 1u);
  EXPECT_EQ(channel->PickConnected({true, true, true}, absl::Now()).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(channel->Close().ok());
}

TEST_F(DataChannelTest, OneSocketFailingFailsTheChannelAndWakesABlockedEnqueue) {
  auto channel = Open(2, Options());  // write timeout a minute: only the failure can end it
  ASSERT_NE(channel, nullptr);
  TestPeer::Options never;
  never.reading = false;
  auto peer0 = TestPeer::Connect(channel->path(0), never);
  auto peer1 = TestPeer::Connect(channel->path(1));
  ASSERT_NE(peer0, nullptr);
  ASSERT_NE(peer1, nullptr);
  WaitConnected(*channel, 0);
  WaitConnected(*channel, 1);

  // Socket 0's destination reads nothing: its producer fills the queue and blocks.
  std::atomic<int> handed{0};
  absl::Status producer_end;
  std::thread producer([&] {
    for (;;) {
      absl::Status s = channel->Enqueue(0, Pattern(1 << 20, 9));
      if (!s.ok()) {
        producer_end = s;
        return;
      }
      ++handed;
    }
  });
  while (handed.load() < 2) std::this_thread::yield();

  // Socket 1's destination goes away.
  ASSERT_TRUE(channel->Enqueue(1, "hello").ok());
  ASSERT_TRUE(peer1->WaitForBytes(5, kLong));
  peer1->CloseNow();
  const absl::Status expected =
      absl::UnavailableError("the destination closed " + channel->path(1));
  absl::Status failed;
  for (int i = 0; i < 100000 && failed.ok(); ++i) failed = channel->Enqueue(1, "more");
  EXPECT_EQ(failed, expected);

  const absl::Time start = absl::Now();
  producer.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_EQ(producer_end, expected);
  EXPECT_EQ(channel->status(), expected);
  EXPECT_EQ(channel->Enqueue(0, "x"), expected);
  channel->Abort();  // socket 0's destination would never take its queue
  EXPECT_EQ(channel->status(), expected);
}

TEST_F(DataChannelTest, ClosingAfterAFailureFlushesTheHealthySocketsAndReturnsTheError) {
  auto channel = Open(2, Options());
  ASSERT_NE(channel, nullptr);
  auto peer0 = TestPeer::Connect(channel->path(0));
  auto peer1 = TestPeer::Connect(channel->path(1));
  ASSERT_NE(peer0, nullptr);
  ASSERT_NE(peer1, nullptr);
  WaitConnected(*channel, 0);
  WaitConnected(*channel, 1);
  ASSERT_TRUE(channel->Enqueue(0, "kept").ok());
  peer1->CloseNow();
  absl::Status failed;
  for (int i = 0; i < 100000 && failed.ok(); ++i) failed = channel->Enqueue(1, "lost");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(channel->Close(), failed);
  EXPECT_EQ(peer0->ReadToEnd(), "kept");
}

TEST_F(DataChannelTest, APathThatCannotListenLeavesNothingListening) {
  std::vector<std::string> paths = Paths(2);
  std::ofstream(paths[1]) << "a regular file";
  absl::StatusOr<std::unique_ptr<DataChannel>> channel = DataChannel::Open(paths, Options());
  ASSERT_FALSE(channel.ok());
  EXPECT_EQ(channel.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(channel.status().message().find(paths[1]), absl::string_view::npos);
  EXPECT_FALSE(ConnectUnix(paths[0]).valid());
  EXPECT_EQ(errno, ECONNREFUSED);
}

TEST_F(DataChannelTest, NoPathIsRefused) {
  EXPECT_EQ(DataChannel::Open({}, Options()).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(DataChannelTest, AnIndexOutOfRangeIsRefused) {
  auto channel = Open(1, Options());
  ASSERT_NE(channel, nullptr);
  EXPECT_EQ(channel->Enqueue(1, "x").code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(channel->Close().ok());
}

TEST(SocketOptionsFor, TakesTheConfigsTimeoutsAndItsFormatsProbe) {
  ChannelConfig config;
  config.medium = ChannelMedium::kSocket;
  config.format = ChannelFormat::kProtobuf;
  config.accept_timeout = absl::Seconds(7);
  config.write_timeout = absl::Seconds(9);
  const SocketOptions options = SocketOptionsFor(config);
  EXPECT_EQ(options.accept_timeout, absl::Seconds(7));
  EXPECT_EQ(options.write_timeout, absl::Seconds(9));
  EXPECT_EQ(options.idle_probe_interval, absl::Seconds(5));
  EXPECT_EQ(options.probe, std::string("\x02\x1A\x00", 3));
}

}  // namespace
}  // namespace tsdb_source::client
