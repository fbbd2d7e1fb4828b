// The one bounded queue of the read path: events handed from producer threads (a chunk
// reader's COPY thread, concurrent chunk readers) to one consumer (the thread that emits),
// in order, with back-pressure. Producers blocked on a full queue push in the order they
// came (a ticket each), so none is passed over again and again; a closed queue drops what
// it holds and fails later pushes, which is how a consumer that stops ends its producers.
// std::mutex rather than absl::Mutex: Debian's abseil is not built for ThreadSanitizer,
// which then cannot see its synchronisation (`bazel test --config=tsan`).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>

#include "absl/base/thread_annotations.h"

namespace tsdb_source {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  // Each producer registers before its first Push and says when it is done.
  void AddProducer() {
    std::lock_guard<std::mutex> lock(mu_);
    ++producers_;
  }
  void ProducerDone() {
    std::lock_guard<std::mutex> lock(mu_);
    --producers_;
    filled_.notify_all();
  }

  // Blocks while full (or while an earlier Push waits); false when the queue was closed.
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    const uint64_t ticket = next_ticket_++;
    space_.wait(lock, [&] { return closed_ || (ticket == serving_ && queue_.size() < capacity_); });
    if (closed_) return false;
    ++serving_;
    queue_.push_back(std::move(item));
    filled_.notify_one();
    space_.notify_all();  // the next ticket's turn
    return true;
  }

  // Blocks until an item or until every producer is done; false when drained (or closed).
  bool Pop(T* item) {
    std::unique_lock<std::mutex> lock(mu_);
    filled_.wait(lock, [this] { return !queue_.empty() || producers_ == 0 || closed_; });
    if (queue_.empty()) return false;
    *item = std::move(queue_.front());
    queue_.pop_front();
    space_.notify_all();
    return true;
  }

  // The consumer stops: held items are dropped, waiting and later pushes fail.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    queue_.clear();
    filled_.notify_all();
    space_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable space_;  // for Push: a slot freed, the next ticket's turn, closed
  std::condition_variable filled_;  // for Pop: an item, the last producer done, closed
  std::deque<T> queue_ ABSL_GUARDED_BY(mu_);
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 0;  // of the next Push
  uint64_t serving_ ABSL_GUARDED_BY(mu_) = 0;      // the Push whose turn it is
  const size_t capacity_;
  int producers_ ABSL_GUARDED_BY(mu_) = 0;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace tsdb_source
