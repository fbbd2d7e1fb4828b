#include "service/read/chunk_scheduler.h"

#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "service/read/bounded_queue.h"

namespace tsdb_source {
namespace {

size_t QueueCapacity(size_t workers) { return 2 * workers; }

// One run of RunChunkTasks: what the worker threads and the handling thread share.
class Schedule {
 public:
  Schedule(const std::vector<ChunkTask>& tasks, size_t workers)
      : tasks_(tasks), window_(workers), queue_(QueueCapacity(workers)) {
    for (size_t t = 0; t < tasks_.size(); ++t) task_of_chunk_[tasks_[t].index] = t;
  }

  // Registers a worker with the queue; before its thread starts.
  void AddWorker() { queue_.AddProducer(); }

  // A worker's thread: takes the next task while the window allows, until no task is left
  // or one failed.
  void Work(const ChunkWorker& worker) {
    const ChunkEventHandler emit = [this](ChunkEvent e) -> absl::Status {
      if (!queue_.Push(std::move(e))) return absl::CancelledError("the read stopped");
      return absl::OkStatus();
    };
    for (;;) {
      size_t t;
      {
        std::unique_lock<std::mutex> lock(mu_);
        window_moved_.wait(lock, [&] {
          return next_ >= tasks_.size() || !first_error_.ok() || next_ < finished_ + window_;
        });
        if (next_ >= tasks_.size() || !first_error_.ok()) break;
        t = next_++;
      }
      absl::Status s = worker.read(tasks_[t], emit);
      if (!s.ok()) {
        Fail(s);
        break;
      }
    }
    queue_.ProducerDone();
  }

  // The calling thread: handles every event until the workers are done or the handler
  // fails; then the workers are cancelled and the queue closed. Returns the handler's error.
  absl::Status HandleEvents(const ChunkEventHandler& handle,
                            const std::vector<ChunkWorker>& workers) {
    std::vector<bool> ended(tasks_.size(), false);
    absl::Status status;
    ChunkEvent event;
    size_t prefix = 0;  // leading tasks whose end was handled
    while (queue_.Pop(&event)) {
      const bool end = event.kind == ChunkEvent::Kind::kDone ||
                       event.kind == ChunkEvent::Kind::kDropped;
      const size_t chunk = event.index;
      status = handle(std::move(event));
      if (!status.ok()) break;
      if (!end) continue;
      ended[task_of_chunk_.at(chunk)] = true;
      if (prefix >= ended.size() || !ended[prefix]) continue;
      while (prefix < ended.size() && ended[prefix]) ++prefix;
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = prefix;
      window_moved_.notify_all();
    }
    if (!status.ok()) {
      Fail(status);
      for (const ChunkWorker& worker : workers) worker.cancel();
      queue_.Close();
    }
    return status;
  }

  absl::Status first_error() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_error_;
  }

 private:
  // Keeps the first error and wakes the workers waiting for the window, so they stop.
  void Fail(const absl::Status& status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (first_error_.ok()) first_error_ = status;
    window_moved_.notify_all();
  }

  const std::vector<ChunkTask>& tasks_;
  const size_t window_;
  std::map<size_t, size_t> task_of_chunk_;  // a task's ChunkTask::index -> its place in tasks_
  BoundedQueue<ChunkEvent> queue_;
  // std::mutex, not absl::Mutex: see bounded_queue.h.
  std::mutex mu_;
  std::condition_variable window_moved_;  // finished_ advanced, or the run stops
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;  // the next task to start
  size_t finished_ ABSL_GUARDED_BY(mu_) = 0;  // leading tasks whose end was handled
  absl::Status first_error_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

size_t ChunkEventsInFlight(size_t workers) { return QueueCapacity(workers) + workers + 1; }

absl::Status RunChunkTasks(const std::vector<ChunkTask>& tasks,
                           const std::vector<ChunkWorker>& workers,
                           const ChunkEventHandler& handle) {
  if (workers.empty() && !tasks.empty()) {
    return absl::InvalidArgumentError("chunk tasks to run but no worker to run them");
  }
  Schedule schedule(tasks, workers.size());
  std::vector<std::thread> threads;
  for (const ChunkWorker& worker : workers) {
    schedule.AddWorker();
    threads.emplace_back([&schedule, &worker] { schedule.Work(worker); });
  }
  absl::Status status = schedule.HandleEvents(handle, workers);
  for (std::thread& t : threads) t.join();
  if (!status.ok()) return status;
  return schedule.first_error();
}

}  // namespace tsdb_source
