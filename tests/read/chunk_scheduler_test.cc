// The chunk scheduler with fake chunk tasks (no database): every task runs once, its events
// reach the calling thread in the order its worker produced them, at most one task per
// worker runs at once and none starts more than `workers` tasks after the first unfinished
// one, the first failing task stops the rest and its error is returned, and a failing
// handler cancels the workers and drops what is queued. Also run under ThreadSanitizer by
// tools/test.
#include "service/read/chunk_scheduler.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace tsdb_source {
namespace {

using namespace std::chrono_literals;

// Tasks whose ChunkTask::index is 100 + their place (the stream reader's chunk indexes are
// not the tasks' places).
std::vector<ChunkTask> Tasks(size_t n) {
  std::vector<ChunkTask> tasks(n);
  for (size_t t = 0; t < n; ++t) {
    tasks[t].index = 100 + t;
    tasks[t].label = "chunk_" + std::to_string(t);
  }
  return tasks;
}

ChunkEvent Batch(const ChunkTask& task, uint32_t seq) {
  ChunkEvent e;
  e.kind = ChunkEvent::Kind::kBatch;
  e.index = task.index;
  e.batch.set_row_count(seq);
  return e;
}

ChunkEvent End(const ChunkTask& task, ChunkEvent::Kind kind = ChunkEvent::Kind::kDone) {
  ChunkEvent e;
  e.kind = kind;
  e.index = task.index;
  return e;
}

// A fake chunk read: `batches` batches, then its end.
absl::Status ReadFake(const ChunkTask& task, const ChunkEventHandler& emit, uint32_t batches) {
  for (uint32_t i = 0; i < batches; ++i) {
    absl::Status s = emit(Batch(task, i));
    if (!s.ok()) return s;
  }
  return emit(End(task));
}

using ReadFn = std::function<absl::Status(const ChunkTask&, const ChunkEventHandler&)>;

// `n` workers that read with `read` and whose cancel does nothing.
std::vector<ChunkWorker> Workers(size_t n, const ReadFn& read) {
  std::vector<ChunkWorker> workers(n);
  for (ChunkWorker& w : workers) {
    w.read = read;
    w.cancel = [] {};
  }
  return workers;
}

TEST(ChunkScheduler, EveryTaskRunsOnceAndItsEventsArriveInOrderOnTheCallingThread) {
  const std::vector<ChunkTask> tasks = Tasks(40);
  std::vector<std::atomic<int>> runs(tasks.size());
  const auto workers = Workers(3, [&](const ChunkTask& task, const ChunkEventHandler& emit) {
    ++runs[task.index - 100];
    return ReadFake(task, emit, static_cast<uint32_t>(task.index % 7));
  });
  const std::thread::id caller = std::this_thread::get_id();
  std::map<size_t, uint32_t> next_batch;  // chunk index -> the batch expected next
  std::map<size_t, int> ends;
  absl::Status status = RunChunkTasks(tasks, workers, [&](ChunkEvent e) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(ends[e.index], 0) << "an event of chunk " << e.index << " after its end";
    if (e.kind == ChunkEvent::Kind::kBatch) {
      EXPECT_EQ(e.batch.row_count(), next_batch[e.index]++) << "chunk " << e.index;
    } else {
      ++ends[e.index];
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  for (size_t t = 0; t < tasks.size(); ++t) {
    EXPECT_EQ(runs[t].load(), 1) << "task " << t;
    EXPECT_EQ(ends[100 + t], 1) << "task " << t;
    EXPECT_EQ(next_batch[100 + t], (100 + t) % 7) << "task " << t;
  }
}

TEST(ChunkScheduler, RunsOneTaskPerWorkerAtOnceAndEveryWorkerRuns) {
  constexpr size_t kWorkers = 3;
  const std::vector<ChunkTask> tasks = Tasks(kWorkers);
  std::mutex mu;
  std::condition_variable all_in;
  size_t running = 0, most = 0;
  const auto workers = Workers(kWorkers, [&](const ChunkTask& task, const ChunkEventHandler& emit) {
    {
      std::unique_lock<std::mutex> lock(mu);
      most = std::max(most, ++running);
      all_in.notify_all();
      // Every worker is in a task at once (a failsafe timeout, not a synchronisation).
      all_in.wait_for(lock, 10s, [&] { return most == kWorkers; });
      --running;
    }
    return ReadFake(task, emit, 1);
  });
  ASSERT_TRUE(RunChunkTasks(tasks, workers, [](ChunkEvent) { return absl::OkStatus(); }).ok());
  EXPECT_EQ(most, kWorkers);
}

// Task 0 holds on until the ends of tasks 1 and 2 were handled: the workers, free then, must
// not start task 3 or later before task 0's end was handled.
TEST(ChunkScheduler, NoTaskStartsAsManyTasksAsWorkersAfterTheFirstUnfinishedOne) {
  constexpr size_t kWorkers = 3;
  const std::vector<ChunkTask> tasks = Tasks(12);
  std::mutex mu;
  std::condition_variable ended_changed;
  std::vector<bool> ended(tasks.size(), false);  // guarded by mu
  size_t prefix = 0;                             // guarded by mu: leading ends handled
  size_t most_concurrent = 0, running = 0;       // guarded by mu
  const auto workers = Workers(kWorkers, [&](const ChunkTask& task, const ChunkEventHandler& emit) {
    const size_t t = task.index - 100;
    {
      std::unique_lock<std::mutex> lock(mu);
      EXPECT_LT(t, prefix + kWorkers) << "task " << t << " started while task " << prefix
                                      << " had not ended";
      most_concurrent = std::max(most_concurrent, ++running);
      if (t == 0) {
        EXPECT_TRUE(ended_changed.wait_for(lock, 10s, [&] { return ended[1] && ended[2]; }))
            << "tasks 1 and 2 did not end while task 0 ran";
      }
      --running;
    }
    return ReadFake(task, emit, 2);
  });
  absl::Status status = RunChunkTasks(tasks, workers, [&](ChunkEvent e) {
    if (e.kind == ChunkEvent::Kind::kDone) {
      std::lock_guard<std::mutex> lock(mu);
      ended[e.index - 100] = true;
      while (prefix < ended.size() && ended[prefix]) ++prefix;
      ended_changed.notify_all();
    }
    return absl::OkStatus();
  });
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(prefix, tasks.size());
  EXPECT_LE(most_concurrent, kWorkers);
}

TEST(ChunkScheduler, ADroppedChunkEndsItsTaskLikeADoneOne) {
  const std::vector<ChunkTask> tasks = Tasks(8);
  const auto workers = Workers(2, [&](const ChunkTask& task, const ChunkEventHandler& emit) {
    return emit(End(task, ChunkEvent::Kind::kDropped));
  });
  int dropped = 0;
  ASSERT_TRUE(RunChunkTasks(tasks, workers, [&](ChunkEvent e) {
                ++dropped;
                return absl::OkStatus();
              }).ok());
  EXPECT_EQ(dropped, 8) << "every task started: the window moved on dropped ends";
}

// Task 3 fails once task 4 runs; task 4 goes on to its end after that and its events are
// handled; no later task starts (task 5 would need task 3's end).
TEST(ChunkScheduler, TheFirstFailingTaskStopsTheRestAndItsErrorIsReturned) {
  const std::vector<ChunkTask> tasks = Tasks(10);
  std::mutex mu;
  std::condition_variable changed;
  bool four_started = false, three_failed = false;  // guarded by mu
  std::vector<std::atomic<int>> runs(tasks.size());
  const auto workers = Workers(2, [&](const ChunkTask& task, const ChunkEventHandler& emit) {
    const size_t t = task.index - 100;
    ++runs[t];
    if (t == 3) {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait_for(lock, 10s, [&] { return four_started; });
      three_failed = true;
      changed.notify_all();
      return absl::DataLossError("chunk 3 is broken");
    }
    if (t == 4) {
      std::unique_lock<std::mutex> lock(mu);
      four_started = true;
      changed.notify_all();
      changed.wait_for(lock, 10s, [&] { return three_failed; });
    }
    if (t > 4) return absl::InternalError("a task started after the failure");
    return ReadFake(task, emit, 3);
  });
  std::vector<size_t> ended;
  absl::Status status = RunChunkTasks(tasks, workers, [&](ChunkEvent e) {
    if (e.kind == ChunkEvent::Kind::kDone) ended.push_back(e.index - 100);
    return absl::OkStatus();
  });
  EXPECT_EQ(status, absl::DataLossError("chunk 3 is broken"));
  std::sort(ended.begin(), ended.end());
  EXPECT_EQ(ended, (std::vector<size_t>{0, 1, 2, 4}))
      << "tasks 0 to 2 and 4 ended, the end of 4 after the failure";
  for (size_t t = 0; t < tasks.size(); ++t) {
    EXPECT_EQ(runs[t].load(), t <= 4 ? 1 : 0) << "task " << t;
  }
}

// A read cancelled from outside (ReadControl::Cancel): each reader returns CANCELLED.
TEST(ChunkScheduler, ACancelledReadEndsWithCancelled) {
  const std::vector<ChunkTask> tasks = Tasks(6);
  std::atomic<bool> cancelled{false};
  std::atomic<int> started{0};
  const auto workers = Workers(2, [&](const ChunkTask& task, const ChunkEventHandler& emit) {
    ++started;
    if (task.index == 101) cancelled = true;
    if (cancelled) return absl::CancelledError("the read was cancelled");
    return ReadFake(task, emit, 1);
  });
  absl::Status status = RunChunkTasks(tasks, workers, [](ChunkEvent) { return absl::OkStatus(); });
  EXPECT_EQ(status, absl::CancelledError("the read was cancelled"));
  EXPECT_LE(started.load(), 3) << "tasks 0 and 1, and at most task 2 beside them";
}

// Every worker keeps emitting; the handler fails on the first batch, once every worker is in
// its task: each worker is cancelled, its blocked or next emit fails with CANCELLED, nothing
// more is handled, and the handler's error is returned.
TEST(ChunkScheduler, AFailingHandlerCancelsTheWorkersAndItsErrorIsReturned) {
  constexpr size_t kWorkers = 3;
  const std::vector<ChunkTask> tasks = Tasks(9);
  std::atomic<int> cancels{0};
  std::mutex mu;
  std::condition_variable started_changed;
  size_t started = 0;                     // guarded by mu
  std::vector<absl::Status> emit_errors;  // guarded by mu
  std::vector<ChunkWorker> workers(kWorkers);
  for (ChunkWorker& w : workers) {
    w.read = [&](const ChunkTask& task, const ChunkEventHandler& emit) {
      {
        std::lock_guard<std::mutex> lock(mu);
        ++started;
        started_changed.notify_all();
      }
      for (uint32_t i = 0;; ++i) {  // an endless chunk: only a failed emit ends it
        absl::Status s = emit(Batch(task, i));
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          emit_errors.push_back(s);
          return s;
        }
      }
    };
    w.cancel = [&] { ++cancels; };
  }
  int handled = 0;
  absl::Status status = RunChunkTasks(tasks, workers, [&](ChunkEvent) {
    ++handled;
    std::unique_lock<std::mutex> lock(mu);
    EXPECT_TRUE(started_changed.wait_for(lock, 10s, [&] { return started == kWorkers; }));
    return absl::UnavailableError("the consumer is gone");
  });
  EXPECT_EQ(status, absl::UnavailableError("the consumer is gone"));
  EXPECT_EQ(handled, 1);
  EXPECT_EQ(cancels.load(), static_cast<int>(kWorkers));
  ASSERT_EQ(emit_errors.size(), kWorkers) << "each worker ran one task and stopped";
  for (const absl::Status& s : emit_errors) EXPECT_EQ(s, absl::CancelledError("the read stopped"));
}

TEST(ChunkScheduler, NoTaskIsOkAndTasksWithoutWorkersAreRefused) {
  EXPECT_TRUE(RunChunkTasks({}, Workers(2, nullptr), [](ChunkEvent) { return absl::OkStatus(); }).ok());
  EXPECT_EQ(RunChunkTasks(Tasks(1), {}, [](ChunkEvent) { return absl::OkStatus(); }).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ChunkScheduler, EventsInFlightAreTheQueuesOnePerWorkerAndTheOneHandled) {
  EXPECT_EQ(ChunkEventsInFlight(1), 4u);
  EXPECT_EQ(ChunkEventsInFlight(3), 10u);
}

}  // namespace
}  // namespace tsdb_source
