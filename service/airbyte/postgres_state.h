// Airbyte's Postgres source (source-postgres) states, taken over: a connection moved from
// source-postgres hands tsdb-source its per-stream states, and each becomes the tsdb-source
// StreamState that continues it, or none (the stream is read in full), with a sentence
// saying which. The shim parses the JSON (client/state_input.h); the service only ever sees
// its own states. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tsdb_source/v1/state.pb.h"

namespace tsdb_source::airbyte {

// One stream's state as source-postgres writes it.
struct PostgresStreamState {
  std::string state_type;                 // "cursor_based", "ctid" or "xmin"
  std::vector<std::string> cursor_field;  // cursor_based: the cursor column(s)
  std::string cursor;                     // cursor_based: the last cursor value, as text
  uint64_t xmin_raw_value = 0;            // xmin: the full transaction ID; 0 when none
};

struct MigratedState {
  // cursor_based with one cursor column: an incremental state whose cursor is the text
  // (read back as the column's type; rows >= it are read again, as source-postgres does).
  // xmin with a transaction: an Xmin state at that horizon. Otherwise none.
  std::optional<v1::StreamState> state;
  // For a WARN log: the stream, what was taken over, or why nothing could be.
  std::string warning;
};

MigratedState MigratePostgresState(const PostgresStreamState& theirs,
                                   const v1::StreamDescriptor& stream);

}  // namespace tsdb_source::airbyte
