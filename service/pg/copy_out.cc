#include "service/pg/copy_out.h"

#include <memory>
#include <string>

namespace tsdb_source::pg {
namespace {

// Drains every pending result so the connection is usable again.
void Drain(Connection& conn) {
  while (PGresult* r = PQgetResult(conn.raw())) PQclear(r);
}

}  // namespace

absl::Status CopyOut(Connection& conn, absl::string_view copy_sql,
                     const std::function<absl::Status(absl::string_view)>& on_buffer,
                     uint64_t* bytes) {
  std::string sql(copy_sql);
  if (PQsendQuery(conn.raw(), sql.c_str()) != 1) return conn.CommandError(nullptr, "COPY failed");
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
    int n = PQgetCopyData(conn.raw(), &raw, /*async=*/0);
    std::unique_ptr<char, decltype(&PQfreemem)> buffer(raw, &PQfreemem);
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
