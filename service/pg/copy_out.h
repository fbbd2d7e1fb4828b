// Streams the rows of `COPY (...) TO STDOUT (FORMAT binary)` from a connection: each buffer
// libpq returns (one row, the header with the first row, or the trailer) goes to a callback,
// so a chunk of any size is streamed, never loaded whole.
#pragma once

#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/pg/connection.h"

namespace tsdb_source::pg {

// Runs `copy_sql` (a COPY ... TO STDOUT statement) and hands each data buffer to
// `on_buffer`. An error from the callback stops the COPY (the connection is then cancelled
// and drained). Returns the bytes received through `bytes` when given.
absl::Status CopyOut(Connection& conn, absl::string_view copy_sql,
                     const std::function<absl::Status(absl::string_view)>& on_buffer,
                     uint64_t* bytes = nullptr);

}  // namespace tsdb_source::pg
