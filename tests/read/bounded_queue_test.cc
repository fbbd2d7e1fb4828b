// The read path's one bounded queue: items arrive in order, a full queue holds its
// producers back, blocked producers go in the order they came, Pop ends once every producer
// is done, and Close releases everyone and fails later pushes. Also run under
// ThreadSanitizer by tools/test.
#include "service/read/bounded_queue.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tsdb_source {
namespace {

using namespace std::chrono_literals;

TEST(BoundedQueue, ItemsArriveInOrderAndPopEndsWhenProducersAreDone) {
  BoundedQueue<int> q(2);
  q.AddProducer();
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(q.Push(i));
    q.ProducerDone();
  });
  int next = 0, item = -1;
  while (q.Pop(&item)) EXPECT_EQ(item, next++);
  producer.join();
  EXPECT_EQ(next, 1000);
}

TEST(BoundedQueue, AFullQueueHoldsItsProducerBack) {
  BoundedQueue<int> q(2);
  q.AddProducer();
  std::atomic<int> pushed{0};
  std::thread producer([&] {
    for (int i = 0; i < 3; ++i) {
      q.Push(i);
      ++pushed;
    }
    q.ProducerDone();
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(pushed.load(), 2) << "the third push waits for room";
  int item;
  ASSERT_TRUE(q.Pop(&item));
  producer.join();
  EXPECT_EQ(pushed.load(), 3);
}

TEST(BoundedQueue, BlockedProducersGoInTheOrderTheyCame) {
  BoundedQueue<int> q(1);
  ASSERT_TRUE((q.AddProducer(), q.Push(0)));  // full
  std::vector<std::thread> producers;
  for (int p = 1; p <= 4; ++p) {
    q.AddProducer();
    producers.emplace_back([&q, p] {
      q.Push(p);
      q.ProducerDone();
    });
    std::this_thread::sleep_for(50ms);  // each one waits before the next comes
  }
  q.ProducerDone();
  int item, expected = 0;
  while (q.Pop(&item)) EXPECT_EQ(item, expected++);
  for (auto& t : producers) t.join();
  EXPECT_EQ(expected, 5);
}

TEST(BoundedQueue, CloseReleasesBlockedProducersAndFailsLaterPushes) {
  BoundedQueue<int> q(1);
  q.AddProducer();
  ASSERT_TRUE(q.Push(1));
  std::atomic<bool> returned{false}, result{true};
  std::thread blocked([&] {
    result = q.Push(2);
    returned = true;
  });
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(returned.load());
  q.Close();
  blocked.join();
  EXPECT_FALSE(result.load());
  EXPECT_FALSE(q.Push(3));
  int item;
  EXPECT_FALSE(q.Pop(&item)) << "a closed queue holds nothing";
}

}  // namespace
}  // namespace tsdb_source
