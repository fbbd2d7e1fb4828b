// Reads one chunk (or one whole relation) with `COPY (SELECT <quoted columns> FROM
// <quoted relation> [WHERE ...] [ORDER BY ...]) TO STDOUT (FORMAT binary)`: a single
// statement, so its own short transaction. Rows are parsed into batches of bounded size as
// they arrive (a chunk of any size is streamed), and every N records or T seconds a
// position (the ordering key of the last row) follows the batch it covers.
// One ChunkReader per connection and thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/pg/connection.h"
#include "service/pg/copy/batch_builder.h"
#include "service/pg/copy_out.h"
#include "service/read/read_control.h"
#include "service/read/stream_plan.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

// One unit of reading.
struct ChunkTask {
  size_t index = 0;              // the stream reader's chunk index
  std::string relation;          // quoted relation to read
  std::string label;             // chunk identity ("schema"."name"), empty for whole tables
  std::vector<v1::ScalarValue> resume_key;  // continue at (or strictly after) this key
};

// What a chunk read produces, in order: batches, positions, then one end event.
struct ChunkEvent {
  enum class Kind { kBatch, kPosition, kDone, kDropped };
  Kind kind = Kind::kBatch;
  size_t index = 0;
  v1::RecordBatch batch;        // kBatch
  v1::ChunkPosition position;   // kPosition
  uint64_t bytes = 0;           // kDone: COPY bytes received
  double seconds = 0;           // kDone
};

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

 private:
  ChunkReader(pg::Connection* conn, const StreamPlan& plan, pg::BatchBuilder builder);
  absl::StatusOr<std::string> CopySql(const ChunkTask& task) const;
  void TrackKey();

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
  pg::CopyOutOptions copy_options_;
};

}  // namespace tsdb_source
