// Streams the rows of `COPY (...) TO STDOUT (FORMAT binary)` from a connection: each buffer
// libpq returns (one row, the header with the first row, or the trailer) goes to a callback,
// so a chunk of any size is streamed, never loaded whole. The socket is polled, so a server
// that goes silent (a stalled network, a hung proxy) ends the COPY after an idle timeout,
// and a stop request is noticed within a tenth of a second.
#pragma once

#include <chrono>
#include <functional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "service/pg/connection.h"

namespace tsdb_source::pg {

struct CopyOutOptions {
  // No byte from the server for this long: the COPY fails with UNAVAILABLE (reason
  // SERVER_SILENT), a transient error.
  std::chrono::milliseconds idle_timeout = std::chrono::minutes(5);
  // Polled while waiting; true cancels the statement and ends the COPY with CANCELLED.
  std::function<bool()> stop;
};

// Runs `copy_sql` (a COPY ... TO STDOUT statement) and hands each data buffer to
// `on_buffer`. An error from the callback stops the COPY (the statement is cancelled and the
// connection drained). The bytes received go to `bytes` when given.
absl::Status CopyOut(Connection& conn, absl::string_view copy_sql,
                     const std::function<absl::Status(absl::string_view)>& on_buffer,
                     uint64_t* bytes = nullptr, const CopyOutOptions& options = {});

}  // namespace tsdb_source::pg
