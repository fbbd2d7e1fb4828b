// Reads one chunk (or one whole relation) with `COPY (SELECT <quoted columns> FROM
// <quoted relation> [WHERE ...]) TO STDOUT (FORMAT binary)`: a single statement, so its own
// short transaction. A chunk is read unordered, in the plan the database finds fastest (a
// sequential scan, or the columnar scan of a compressed chunk); a large one as consecutive
// time slices (chunk_slices.h), one COPY each, a position (the slice's upper bound)
// following each slice but the last. A whole table with a primary key is read in key order
// instead, with a position (the last key) every N records or T seconds. Rows are parsed
// into batches of bounded size as they arrive (a chunk of any size is streamed).
// One ChunkReader per connection and thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/pg/connection.h"
#include "service/pg/copy/batch_builder.h"
#include "service/pg/copy_out.h"
#include "service/read/chunk_task.h"
#include "service/read/read_control.h"
#include "service/read/stream_plan.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

// The batch layout of a stream's columns: types without a binary decoder travel as text
// (the reader selects them as ::text).
std::vector<pg::ColumnSpec> ColumnSpecsFor(const v1::Stream& stream);

class ChunkReader final {
 public:
  // `cursor_filter` is the SQL condition of the saved cursor ("" for none).
  // `control` (optional) is polled while waiting for data.
  static absl::StatusOr<std::unique_ptr<ChunkReader>> Create(pg::Connection* conn,
                                                            const StreamPlan& plan,
                                                            const v1::ReadOptions& options,
                                                            std::string cursor_filter,
                                                            ReadControl* control = nullptr);

  // Reads `task`, handing each event to `emit` (an error from emit stops the read). A
  // relation that no longer exists ends with kDropped; other failures are errors.
  absl::Status Read(const ChunkTask& task, const std::function<absl::Status(ChunkEvent)>& emit);

  // True (the default): Read receives and decodes the COPY on a thread of its own while the
  // caller's thread runs `emit`, so both overlap. Readers that already run on their own
  // threads (concurrent chunk readers) turn it off.
  void set_pipelined(bool pipelined) { pipelined_ = pipelined; }
  // The pool this reader's batches come from and return to (one of its own by default).
  void set_batch_pool(std::shared_ptr<BatchPool> pool) { pool_ = std::move(pool); }

 private:
  ChunkReader(pg::Connection* conn, const StreamPlan& plan, pg::BatchBuilder builder);
  // The statements that read `task`, in order: one per slice (or one for all of it).
  absl::StatusOr<std::vector<std::string>> CopySqls(const ChunkTask& task) const;
  // Runs the COPYs of `task` on this thread, handing events to `emit` in order.
  absl::Status ReadTask(const ChunkTask& task, const std::vector<std::string>& sqls,
                        const std::function<absl::Status(ChunkEvent)>& emit);
  // Runs one COPY, emitting its batches (and key positions of ordered whole tables).
  absl::Status ReadCopy(const ChunkTask& task, const std::string& sql, uint64_t* bytes,
                        const std::function<absl::Status(ChunkEvent)>& emit);
  void TrackKey();
  // A bound of the plan's slice column as a position value.
  v1::ScalarValue SliceValue(int64_t bound) const;

  pg::Connection* conn_;
  const StreamPlan& plan_;
  pg::BatchBuilder builder_;
  std::string select_list_;
  std::string cursor_filter_;
  uint32_t max_rows_ = 0;
  uint32_t max_bytes_ = 0;
  uint64_t checkpoint_records_ = 0;
  double checkpoint_seconds_ = 0;
  // The ordering key of the last row emitted and how many rows had exactly that key.
  std::vector<v1::ScalarValue> last_key_;
  uint64_t rows_at_key_ = 0;
  std::shared_ptr<BatchPool> pool_ = std::make_shared<BatchPool>();
  bool pipelined_ = true;
  pg::CopyOutOptions copy_options_;
};

}  // namespace tsdb_source
