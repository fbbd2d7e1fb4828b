#include "service/pg/copy_out.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "service/common/errors.h"
#include "service/pg/socket_wait.h"

namespace tsdb_source::pg {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollStep = std::chrono::milliseconds(100);

// Drains every pending result so the connection is usable again (or is found broken).
void Drain(Connection& conn) {
  while (PGresult* r = PQgetResult(conn.raw())) PQclear(r);
}

// Waits until the socket is readable and consumes the input. OK when input was consumed;
// UNAVAILABLE when the server sent nothing for the idle timeout while we waited (time the
// caller spent elsewhere, e.g. blocked on a slow client, does not count); CANCELLED when
// stop() says so.
absl::Status WaitForInput(Connection& conn, const CopyOutOptions& options) {
  const auto started = Clock::now();
  const Clock::time_point* last_data = &started;
  for (;;) {
    if (options.stop && options.stop()) return absl::CancelledError("the read was cancelled");
    auto now = Clock::now();
    if (now - *last_data >= options.idle_timeout) {
      return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_SERVER_SILENT,
                       absl::StrCat("no data from the database for ",
                                    std::chrono::duration_cast<std::chrono::seconds>(
                                        options.idle_timeout).count(),
                                    " s; the connection is considered lost"));
    }
    auto wait = std::min<Clock::duration>(kPollStep, options.idle_timeout - (now - *last_data));
    absl::StatusOr<SocketWait> waited = WaitForReadable(
        PQsocket(conn.raw()),
        absl::Milliseconds(std::chrono::duration_cast<std::chrono::milliseconds>(wait).count() + 1));
    if (!waited.ok()) {
      return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_CONNECTION_LOST,
                       "polling the connection failed");
    }
    if (*waited == SocketWait::kReadable) {
      if (PQconsumeInput(conn.raw()) != 1) return conn.CommandError(nullptr, "COPY failed");
      return absl::OkStatus();
    }
  }
}

// Ends a COPY that will not finish normally. A stop request cancels the statement on the
// server; a silent server is not asked anything (the request could hang as well): the
// caller drops the connection either way.
void Abort(Connection& conn, const absl::Status& why) {
  if (why.code() == absl::StatusCode::kCancelled) conn.Cancel();
}

}  // namespace

absl::Status CopyOut(Connection& conn, absl::string_view copy_sql,
                     const std::function<absl::Status(absl::string_view)>& on_buffer,
                     uint64_t* bytes, const CopyOutOptions& options) {
  std::string sql(copy_sql);
  if (PQsendQuery(conn.raw(), sql.c_str()) != 1) return conn.CommandError(nullptr, "COPY failed");
  // Wait for the COPY to start (planning, locks) without blocking on the socket.
  while (PQisBusy(conn.raw())) {
    absl::Status waited = WaitForInput(conn, options);
    if (!waited.ok()) {
      Abort(conn, waited);
      return waited;
    }
  }
  {
    Result first(PQgetResult(conn.raw()));
    if (PQresultStatus(first.raw()) != PGRES_COPY_OUT) {
      absl::Status status = conn.CommandError(first.raw(), "COPY failed");
      Drain(conn);
      return status;
    }
  }
  uint64_t received = 0;
  absl::Status callback_status;
  for (;;) {
    char* raw = nullptr;
    int n = PQgetCopyData(conn.raw(), &raw, /*async=*/1);
    std::unique_ptr<char, decltype(&PQfreemem)> buffer(raw, &PQfreemem);
    if (n == 0) {
      absl::Status waited = WaitForInput(conn, options);
      if (!waited.ok()) {
        Abort(conn, waited);
        if (bytes != nullptr) *bytes = received;
        return waited;
      }
      continue;
    }
    if (n == -1) break;  // COPY done
    if (n == -2) {
      absl::Status status = conn.CommandError(nullptr, "COPY failed while streaming");
      Drain(conn);
      return status;
    }
    received += static_cast<uint64_t>(n);
    if (callback_status.ok()) {
      callback_status = on_buffer(absl::string_view(buffer.get(), static_cast<size_t>(n)));
      if (!callback_status.ok()) conn.Cancel();  // stop the server; keep draining
    }
  }
  if (bytes != nullptr) *bytes = received;
  Result final_result(PQgetResult(conn.raw()));
  absl::Status status = absl::OkStatus();
  if (PQresultStatus(final_result.raw()) != PGRES_COMMAND_OK) {
    status = conn.CommandError(final_result.raw(), "COPY failed");
  }
  Drain(conn);
  if (!callback_status.ok()) return callback_status;
  return status;
}

}  // namespace tsdb_source::pg
