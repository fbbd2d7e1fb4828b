// Runs a stream's chunk tasks concurrently: one thread per worker (a chunk reader on a
// connection of its own), each taking the next task in order, and their events handed to
// the calling thread through one bounded queue (bounded_queue.h), so memory stays bounded
// and a slow handler holds the workers back. The calling thread handles every event, one at
// a time; a task's events reach it in the order its worker produced them.
//
// A task starts only while it is fewer than `workers` tasks after the first one whose end
// (kDone or kDropped) was not handled yet: the chunks finished beyond a checkpoint's
// watermark then stay fewer than the workers, however unequal the chunks.
//
// The first task to fail stops the rest: no task starts after it, the tasks running go on
// to their end (their events are still handled), and its error is returned. A handler that
// fails stops everything at once: each worker is cancelled, the events not handled yet are
// dropped (a worker's next emit fails with CANCELLED), and the handler's error is returned.
// Knows no database; the workers do.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "absl/status/status.h"
#include "service/read/chunk_task.h"

namespace tsdb_source {

// Takes the events of a chunk read, one at a time; an error stops the read.
using ChunkEventHandler = std::function<absl::Status(ChunkEvent)>;

struct ChunkWorker {
  // Reads `task` on the worker's own thread, handing each event to `emit` in order (an
  // error from `emit` ends the read with that error).
  std::function<absl::Status(const ChunkTask& task, const ChunkEventHandler& emit)> read;
  // Ends a read in progress from another thread, when the handler failed (a reader cancels
  // its query on the server).
  std::function<void()> cancel;
};

// How many events can exist at once while `workers` workers run: the queue's, one being
// pushed by each worker and the one being handled (the size of a BatchPool they share).
size_t ChunkEventsInFlight(size_t workers);

// Runs every task of `tasks` once, in order, on the `workers` (at least one), handing every
// event to `handle` on the calling thread; returns when every worker's thread ended. OK
// when every task and every handling succeeded; else the handler's error, or the error of
// the first task that failed.
absl::Status RunChunkTasks(const std::vector<ChunkTask>& tasks,
                           const std::vector<ChunkWorker>& workers,
                           const ChunkEventHandler& handle);

}  // namespace tsdb_source
