// source-postgres's `jdbc_url_params` turned into libpq connection parameters.
//
// The text is what Airbyte's Postgres source appends to its JDBC URL: key=value pairs joined
// by "&", each value URL-decoded as pgjdbc decodes it ("%26" is "&", "+" a space), keys
// verbatim. A parameter is applied when it means something to libpq: libpq's own names
// (application_name, options, connect_timeout, target_session_attrs, sslmode, sslrootcert,
// keepalives_idle, tcp_user_timeout, ...) and pgjdbc's names that map onto one faithfully
// (ApplicationName, connectTimeout, loginTimeout, tcpKeepAlive, targetServerType, ssl,
// gssEncMode, ...). A pgjdbc parameter whose value is what tsdb-source does anyway is
// accepted (prepareThreshold=0, socketTimeout=0, tcpNoDelay=true, readOnly, sslfactory
// LibPQFactory). Any other parameter fails the config with an error that names it and says
// what to do. Errors name parameters, never their values: a value may be a secret
// (sslpassword, password); an unknown key right after a secret is not named either (it may
// be the rest of the secret). Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "service/pg/connection.h"
#include "tsdb_source/v1/config.pb.h"

namespace tsdb_source {

// One parameter: the key as written, the value URL-decoded.
struct JdbcParam {
  std::string key;
  std::string value;
};

// Splits and decodes `text` (empty pieces between "&" are skipped, as pgjdbc does).
// INVALID_ARGUMENT (reason INVALID_CONFIG) for a piece without "=", an empty key, a key
// given twice, a bad %-escape or an encoded NUL.
absl::StatusOr<std::vector<JdbcParam>> ParseJdbcUrlParams(absl::string_view text);

// Applies config.jdbc_url_params() to `connect`, which holds what the rest of `config` set.
// A parameter that contradicts the config (sslmode against ssl_mode.mode, sslrootcert next
// to ssl_mode.ca_certificate, ...) or another parameter fails; several connect timeouts
// (connect_timeout_seconds, connect_timeout, connectTimeout, loginTimeout) bound the attempt
// together: the smallest applies. INVALID_ARGUMENT (reason INVALID_CONFIG) naming
// 'jdbc_url_params' and the parameter.
absl::Status ApplyJdbcUrlParams(const v1::SourceConfig& config, pg::ConnectOptions* connect);

// The smallest valid connect timeout `text` sets in seconds, if any (for bounding a
// connection by a call's deadline before the config is resolved).
std::optional<int> JdbcUrlConnectTimeout(absl::string_view text);

// The values in `text` that may be secrets, as written and decoded, for redaction: those of
// password and sslpassword, pieces without "=", and an unknown piece right after a secret
// (the rest of a value with an unencoded "&"). Never fails.
std::vector<std::string> JdbcUrlSecrets(absl::string_view text);

}  // namespace tsdb_source
