// Planning a read: checks the configured catalog and the states against the discovered
// catalog (before any record is read) and decides, per stream, how it is read: chunked or
// whole, the cursor and its saved value, the column that positions checkpoints (a
// hypertable's time column, a table's primary key), and where an interrupted earlier read
// stopped.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "service/config/source_config.h"
#include "tsdb_source/v1/source_service.pb.h"

namespace tsdb_source {

inline constexpr uint32_t kStateVersion = 1;

// Where a change data capture snapshot stands: every row it reads carries this position
// and time in RecordBatch.changes (one entry for the whole batch).
struct SnapshotChanges {
  uint64_t lsn = 0;
  int64_t time_micros = 0;  // since 1970-01-01 UTC
};

struct StreamPlan {
  const v1::Stream* stream = nullptr;
  bool incremental = false;
  int cursor_index = -1;                   // cursor column (incremental)
  std::optional<v1::ScalarValue> cursor;   // saved cursor: rows with cursor >= it are read
  bool cursor_is_time = false;             // the hypertable's time column: chunks are pruned
  bool chunked = false;                    // hypertable (with TimescaleDB support) or partitioned
  // Chunked hypertables: the time column, which slices large chunks and positions resumes
  // inside them (chunks are read unordered).
  int slice_column = -1;
  // Whole tables: the primary key they are read in order of, to resume strictly after the
  // last key emitted (empty: read unordered, no position inside the table).
  std::vector<int> order_columns;
  bool strict_order = false;               // order_columns is a unique key
  v1::ChunkProgress progress;              // chunks done or in flight in an earlier read
  std::vector<v1::ScalarValue> last_primary_key;  // whole-table reads: resume after this key
  // replication_method Xmin, incremental streams: rows are found by the transaction that
  // wrote them (xmin_plan.h), not by a cursor; `xmin_state` is where the last sync stood
  // (empty: read everything).
  bool xmin = false;
  v1::XminState xmin_state;
  // replication_method CDC, incremental streams: read by change data capture, a snapshot then
  // the changes. The fields above plan the snapshot as for a full refresh (no cursor).
  bool capture = false;
  // Set on the plan of a capture stream's snapshot (see SnapshotPlan).
  std::optional<SnapshotChanges> snapshot_changes;
};

// The plan of a capture stream's snapshot: `plan` read as a full refresh whose batches carry
// `changes`, continuing from `saved` (the snapshot's own checkpoint in the CDC state) when
// given. INVALID_ARGUMENT for a saved state with unusable positions; a state that cannot be
// continued is explained in `warnings` and the snapshot starts over.
absl::StatusOr<StreamPlan> SnapshotPlan(const StreamPlan& plan, SnapshotChanges changes,
                                        const v1::StreamState* saved,
                                        std::vector<std::string>* warnings);

// The column that slices a hypertable's chunks: its time column when that is a timestamp,
// timestamptz, date or integer column; -1 otherwise (chunks are then read whole).
int SliceColumn(const v1::Stream& stream);

// Validates the request. INVALID_ARGUMENT naming the stream for: an empty catalog, an
// unknown (unless options.skip_missing_streams) or duplicated stream, a missing sync mode,
// an unknown or unusable cursor column, a state of an unknown version or with unusable
// values. States of streams outside the catalog and states that cannot be continued (with
// the reason) are reported in `warnings`. Unknown streams skipped are listed in `skipped`
// (namespace filled in), each once.
absl::StatusOr<std::vector<StreamPlan>> PlanRead(const v1::ReadRequest& request,
                                                 const v1::Catalog& catalog,
                                                 const ResolvedConfig& config,
                                                 std::vector<std::string>* warnings,
                                                 std::vector<v1::StreamDescriptor>* skipped = nullptr);

}  // namespace tsdb_source
