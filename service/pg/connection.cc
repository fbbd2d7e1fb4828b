#include "service/pg/connection.h"

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "service/common/errors.h"
#include "service/pg/ssh_tunnel.h"
#include "service/pg/tunnels.h"

namespace tsdb_source::pg {
namespace {

// A private temporary file holding PEM material for libpq; removed on destruction.
class TempPemFile {
 public:
  TempPemFile() = default;
  TempPemFile(const TempPemFile&) = delete;
  TempPemFile& operator=(const TempPemFile&) = delete;
  ~TempPemFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  absl::Status Write(absl::string_view contents) {
    char name[] = "/tmp/tsdb-source-pem-XXXXXX";
    int fd = mkstemp(name);  // created with mode 0600
    if (fd < 0) return absl::InternalError("cannot create a temporary file for a certificate");
    path_ = name;
    size_t written = 0;
    while (written < contents.size()) {
      ssize_t n = write(fd, contents.data() + written, contents.size() - written);
      if (n <= 0) {
        close(fd);
        return absl::InternalError("cannot write a temporary certificate file");
      }
      written += static_cast<size_t>(n);
    }
    close(fd);
    return absl::OkStatus();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string CleanMessage(absl::string_view message, absl::string_view password) {
  std::string text = Redact(absl::StripTrailingAsciiWhitespace(message), password);
  // libpq prefixes server messages with "FATAL:  "/"ERROR:  " and may span lines.
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  return text;
}

absl::StatusCode CodeForSqlState(absl::string_view state) {
  if (state == "42501") return absl::StatusCode::kPermissionDenied;
  if (state == "28P01" || state == "28000") return absl::StatusCode::kUnauthenticated;
  if (state == "57014") return absl::StatusCode::kCancelled;
  if (state == "40001" || state == "40P01") return absl::StatusCode::kAborted;
  if (state == "42P01" || state == "3F000" || state == "3D000") return absl::StatusCode::kNotFound;
  if (absl::StartsWith(state, "08") || absl::StartsWith(state, "57P")) {
    return absl::StatusCode::kUnavailable;
  }
  if (absl::StartsWith(state, "53")) return absl::StatusCode::kResourceExhausted;
  if (absl::StartsWith(state, "22")) return absl::StatusCode::kInvalidArgument;
  if (absl::StartsWith(state, "42")) return absl::StatusCode::kInvalidArgument;
  return absl::StatusCode::kInternal;
}

}  // namespace

absl::Status ClassifyConnectError(absl::string_view libpq_message, const ConnectOptions& options) {
  std::string detail = CleanMessage(libpq_message, options.password);
  auto has = [&](absl::string_view needle) { return absl::StrContains(detail, needle); };
  std::string where = absl::StrFormat("%s:%d", options.host, options.port);
  if (options.tunnel.has_value()) {
    absl::StrAppend(&where, " (through the SSH bastion ", options.tunnel->host, ":",
                    options.tunnel->port, ")");
  }
  if (has("password authentication failed") || has("no password supplied") ||
      has("password is required")) {
    return MakeError(absl::StatusCode::kUnauthenticated, v1::ERROR_REASON_AUTHENTICATION_FAILED,
                     absl::StrCat("the database at ", where, " rejected the user name or password (",
                                  detail, ")"));
  }
  if (has("role \"") && has("does not exist")) {
    return MakeError(absl::StatusCode::kUnauthenticated, v1::ERROR_REASON_AUTHENTICATION_FAILED,
                     absl::StrCat("the database at ", where, " has no such user (", detail, ")"));
  }
  if (has("database \"") && has("does not exist")) {
    return MakeError(absl::StatusCode::kNotFound, v1::ERROR_REASON_UNKNOWN_DATABASE,
                     absl::StrCat("the server at ", where, " has no such database (", detail, ")"));
  }
  if (has("could not translate host name")) {
    return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_UNKNOWN_HOST,
                     absl::StrCat("host name not found: ", detail));
  }
  if (has("Connection refused")) {
    return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_CONNECTION_REFUSED,
                     absl::StrCat("nothing accepts connections at ", where,
                                  " (is the server running and the port right?): ", detail));
  }
  if (has("timeout expired")) {
    return MakeError(absl::StatusCode::kDeadlineExceeded, v1::ERROR_REASON_CONNECT_TIMEOUT,
                     absl::StrCat("no answer from ", where, " within ",
                                  options.connect_timeout_seconds, " s: ", detail));
  }
  if (has("server does not support SSL")) {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_TLS_NOT_SUPPORTED,
                     absl::StrCat("ssl_mode ", options.sslmode,
                                  " requires TLS but the server at ", where,
                                  " does not support it: ", detail));
  }
  if (has("rejects connection") && has("no encryption")) {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_TLS_REQUIRED,
                     absl::StrCat("the server at ", where, " requires TLS for this user; set "
                                  "ssl_mode to require (or verify-ca, verify-full): ", detail));
  }
  if (has("no pg_hba.conf entry") || has("rejects connection") || has("SSL off") ||
      has("SSL on")) {
    return MakeError(absl::StatusCode::kPermissionDenied, v1::ERROR_REASON_ACCESS_REJECTED,
                     absl::StrCat("the server at ", where,
                                  " does not accept this connection (pg_hba.conf or TLS "
                                  "requirement): ", detail));
  }
  if (has("certificate") || has("SSL")) {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_TLS_FAILED,
                     absl::StrCat("TLS negotiation with ", where, " failed: ", detail));
  }
  if (has("too many connections") || has("remaining connection slots")) {
    return MakeError(absl::StatusCode::kResourceExhausted, v1::ERROR_REASON_TOO_MANY_CONNECTIONS,
                     absl::StrCat("the server at ", where, " has no free connection: ", detail));
  }
  if (has("the database system is starting up") || has("shutting down")) {
    return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_SERVER_NOT_READY,
                     absl::StrCat("the server at ", where, " is not ready: ", detail));
  }
  return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_CONNECTION_FAILED,
                   absl::StrCat("cannot connect to ", where, ": ", detail));
}

absl::StatusOr<Connection> Connection::Open(const ConnectOptions& options) {
  std::shared_ptr<SshTunnel> tunnel;
  if (options.tunnel.has_value()) {
    auto acquired = AcquireTunnel(*options.tunnel, options.host, options.port,
                                  absl::Seconds(options.connect_timeout_seconds));
    if (!acquired.ok()) return acquired.status();
    tunnel = *std::move(acquired);
  }
  TempPemFile root_cert, cert, key;
  std::vector<std::pair<std::string, std::string>> params = {
      {"host", options.host},
      {"port", std::to_string(options.port)},
      {"dbname", options.database},
      {"user", options.user},
      {"password", options.password},
      {"sslmode", options.sslmode},
      {"connect_timeout", std::to_string(options.connect_timeout_seconds)},
      {"application_name", options.application_name},
      {"keepalives", "1"},
      {"keepalives_idle", "30"},
      {"keepalives_interval", "10"},
      {"keepalives_count", "3"},
      {"client_encoding", "UTF8"},
  };
  if (options.replication) params.push_back({"replication", "database"});
  if (!options.ssl_root_cert.empty()) {
    if (auto s = root_cert.Write(options.ssl_root_cert); !s.ok()) return s;
    params.push_back({"sslrootcert", root_cert.path()});
  }
  if (!options.ssl_cert.empty()) {
    if (auto s = cert.Write(options.ssl_cert); !s.ok()) return s;
    params.push_back({"sslcert", cert.path()});
  }
  if (!options.ssl_key.empty()) {
    if (auto s = key.Write(options.ssl_key); !s.ok()) return s;
    params.push_back({"sslkey", key.path()});
  }
  if (!options.ssl_key_password.empty()) params.push_back({"sslpassword", options.ssl_key_password});
  params.insert(params.end(), options.extra_params.begin(), options.extra_params.end());
  if (tunnel != nullptr) {
    // Last, so that nothing overrides them: libpq reaches the tunnel's listener (hostaddr)
    // while `host` stays the database's name, for verify-full's certificate check.
    params.push_back({"hostaddr", "127.0.0.1"});
    params.push_back({"port", std::to_string(tunnel->local_port())});
  }
  const uint64_t tunnel_failures = tunnel != nullptr ? tunnel->failures() : 0;

  std::vector<const char*> keywords, values;
  for (const auto& [k, v] : params) {
    keywords.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  PGconn* conn = PQconnectdbParams(keywords.data(), values.data(), /*expand_dbname=*/0);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq could not allocate a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    // Through a tunnel, libpq only sees its socket closed: the tunnel knows why.
    absl::Status status =
        tunnel != nullptr && (!tunnel->alive() || tunnel->failures() != tunnel_failures)
            ? tunnel->last_failure()
            : absl::OkStatus();
    if (status.ok()) status = ClassifyConnectError(PQerrorMessage(conn), options);
    PQfinish(conn);
    return status;
  }
  return Connection(conn, options.password, std::move(tunnel));
}

Connection::Connection(PGconn* conn, std::string password, std::shared_ptr<SshTunnel> tunnel)
    : conn_(conn),
      tunnel_(std::move(tunnel)),
      password_(std::move(password)),
      cancel_mu_(std::make_unique<absl::Mutex>()) {
  cancel_ = PQgetCancel(conn_);
}

Connection::Connection(Connection&& other) noexcept { *this = std::move(other); }

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    Close();
    conn_ = std::exchange(other.conn_, nullptr);
    tunnel_ = std::move(other.tunnel_);
    cancel_ = std::exchange(other.cancel_, nullptr);
    password_ = std::move(other.password_);
    cancel_mu_ = std::move(other.cancel_mu_);
  }
  return *this;
}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (cancel_mu_ != nullptr) {
    absl::MutexLock lock(cancel_mu_.get());
    if (cancel_ != nullptr) PQfreeCancel(cancel_);
    cancel_ = nullptr;
  }
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  tunnel_.reset();
}

void Connection::Cancel() {
  if (cancel_mu_ == nullptr) return;
  absl::MutexLock lock(cancel_mu_.get());
  if (cancel_ == nullptr) return;
  char error[256];
  PQcancel(cancel_, error, sizeof(error));
}

std::string Connection::ServerVersion() const {
  int v = PQserverVersion(conn_);
  if (v >= 100000) return absl::StrCat(v / 10000, ".", v % 10000);
  return absl::StrCat(v / 10000, ".", (v / 100) % 100, ".", v % 100);
}

absl::Status Connection::CommandError(const PGresult* result, absl::string_view what) const {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  std::string message = CleanMessage(result ? PQresultErrorMessage(result) : PQerrorMessage(conn_),
                                     password_);
  if (message.empty()) message = CleanMessage(PQerrorMessage(conn_), password_);
  std::string text = absl::StrCat(what, ": ", message);
  if (state != nullptr) return MakeSqlError(CodeForSqlState(state), state, text);
  if (PQstatus(conn_) == CONNECTION_OK) {
    return MakeError(absl::StatusCode::kInternal, v1::ERROR_REASON_QUERY_FAILED, text);
  }
  // No SQLSTATE and a broken connection.
  return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_CONNECTION_LOST, text);
}

absl::StatusOr<Result> Connection::Exec(absl::string_view sql) {
  return ExecParams(sql, {});
}

absl::StatusOr<Result> Connection::ExecParams(
    absl::string_view sql, const std::vector<std::optional<std::string>>& params) {
  std::string query(sql);
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p.has_value() ? p->c_str() : nullptr);
  Result result(PQexecParams(conn_, query.c_str(), static_cast<int>(params.size()), nullptr,
                             values.data(), nullptr, nullptr, /*resultFormat=*/0));
  ExecStatusType status = PQresultStatus(result.raw());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_COPY_OUT) {
    return CommandError(result.raw(), "query failed");
  }
  return result;
}

}  // namespace tsdb_source::pg
