// libpq edge: an owned PGconn (move-only, closed on destruction), results owned by
// `Result`, and classification of libpq failures into absl::Status with a reason.
// Parameters go to libpq as keyword/value arrays (never a concatenated conninfo string),
// and SQL values are always bound (ExecParams), so no input is ever spliced into SQL here.
// A Connection is used by one thread at a time; Cancel() may be called from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "libpq-fe.h"
#include "service/pg/tunnel_spec.h"

namespace tsdb_source::pg {

class SshTunnel;

// Everything needed to open a connection.
struct ConnectOptions {
  std::string host;
  int port = 5432;
  std::string database;
  std::string user;
  std::string password;
  std::string sslmode = "prefer";
  // PEM contents (not paths); written to private temporary files for libpq.
  std::string ssl_root_cert;
  std::string ssl_cert;
  std::string ssl_key;
  std::string ssl_key_password;
  int connect_timeout_seconds = 10;
  bool replication = false;  // a logical replication connection (replication=database)
  std::string application_name = "tsdb-source";
  // Through an SSH bastion: libpq then connects to the process's tunnel for these settings
  // (tunnels.h), which forwards to host:port as the bastion sees them; never directly.
  std::optional<TunnelSpec> tunnel;
  // More libpq keyword/value pairs (from the config's jdbc_url_params: options,
  // target_session_attrs, keepalives_*, TLS file paths, ...), passed after the ones above,
  // which they override. Never host, port, dbname, user, password, replication or
  // client_encoding (the config refuses those).
  std::vector<std::pair<std::string, std::string>> extra_params;
};

// An owned PGresult.
class Result {
 public:
  explicit Result(PGresult* result) : result_(result, &PQclear) {}
  int rows() const { return PQntuples(result_.get()); }
  int columns() const { return PQnfields(result_.get()); }
  bool IsNull(int row, int column) const {
    return PQgetisnull(result_.get(), row, column) != 0;
  }
  // Text of a value ("" for NULL).
  absl::string_view Get(int row, int column) const {
    return absl::string_view(PQgetvalue(result_.get(), row, column),
                             PQgetlength(result_.get(), row, column));
  }
  std::string GetString(int row, int column) const { return std::string(Get(row, column)); }
  // Column index by name, -1 when absent.
  int ColumnIndex(const char* name) const { return PQfnumber(result_.get(), name); }
  PGresult* raw() const { return result_.get(); }

 private:
  std::unique_ptr<PGresult, decltype(&PQclear)> result_;
};

// An owned, open libpq connection.
class Connection {
 public:
  // Connects; the error names what failed (reason AUTHENTICATION_FAILED, UNKNOWN_HOST,
  // CONNECTION_REFUSED, UNKNOWN_DATABASE, CONNECT_TIMEOUT, TLS_..., TUNNEL_... for the SSH
  // tunnel, see ssh_tunnel.h) without secrets. With `options.tunnel` the connection goes
  // through the SSH tunnel and keeps it open while it lives.
  static absl::StatusOr<Connection> Open(const ConnectOptions& options);

  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  // Runs a statement without parameters.
  absl::StatusOr<Result> Exec(absl::string_view sql);
  // Runs a statement with bound text parameters ($1, $2, ...; nullopt is NULL).
  absl::StatusOr<Result> ExecParams(absl::string_view sql,
                                    const std::vector<std::optional<std::string>>& params);

  // Asks the server to cancel the running statement. Thread-safe; no-op when idle.
  void Cancel();

  // Server version as "15.18".
  std::string ServerVersion() const;
  PGconn* raw() const { return conn_; }

  // The status for a failed command, classified by SQLSTATE (e.g. 42501 -> PERMISSION_DENIED).
  absl::Status CommandError(const PGresult* result, absl::string_view what) const;

 private:
  explicit Connection(PGconn* conn, std::string password, std::shared_ptr<SshTunnel> tunnel);
  void Close();

  PGconn* conn_ = nullptr;
  std::shared_ptr<SshTunnel> tunnel_;  // released after conn_ is closed
  std::string password_;  // only to scrub it from server messages
  std::unique_ptr<absl::Mutex> cancel_mu_;
  PGcancel* cancel_ = nullptr;
};

// Classifies a failed connection attempt's libpq message into a status with a reason.
absl::Status ClassifyConnectError(absl::string_view libpq_message, const ConnectOptions& options);

}  // namespace tsdb_source::pg
