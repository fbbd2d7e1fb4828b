#include "service/config/source_config.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "service/common/errors.h"
#include "service/config/jdbc_url_params.h"
#include "service/config/source_postgres_keys.h"
#include "service/config/tunnel_method.h"

namespace tsdb_source {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view rule) {
  return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_INVALID_CONFIG,
                   absl::StrCat("config field '", field, "' ", rule));
}

absl::Status CheckRange(absl::string_view field, int value, int lo, int hi) {
  if (value < lo || value > hi) {
    return Invalid(field, absl::StrCat("must be between ", lo, " and ", hi, ", got ", value));
  }
  return absl::OkStatus();
}

const std::set<std::string>& SslModes() {
  static const auto* modes = new std::set<std::string>{"disable", "allow", "prefer",
                                                       "require", "verify-ca", "verify-full"};
  return *modes;
}

}  // namespace

absl::StatusOr<ResolvedConfig> ResolveConfig(const v1::SourceConfig& config) {
  ResolvedConfig out;
  if (config.host().empty()) return Invalid("host", "is required");
  if (config.database().empty()) return Invalid("database", "is required");
  if (config.username().empty()) return Invalid("username", "is required");
  out.connect.host = config.host();
  out.connect.database = config.database();
  out.connect.user = config.username();
  out.connect.password = config.password();
  if (config.has_port()) {
    if (auto s = CheckRange("port", config.port(), 1, 65535); !s.ok()) return s;
    out.connect.port = config.port();
  }
  if (config.has_connect_timeout_seconds()) {
    if (auto s = CheckRange("connect_timeout_seconds", config.connect_timeout_seconds(), 1, 300);
        !s.ok()) {
      return s;
    }
    out.connect.connect_timeout_seconds = config.connect_timeout_seconds();
  }
  // libpq treats values below 2 as 2.
  if (out.connect.connect_timeout_seconds < 2) out.connect.connect_timeout_seconds = 2;

  std::set<std::string> seen;
  for (const std::string& schema : config.schemas()) {
    if (schema.empty()) return Invalid("schemas", "must not contain an empty name");
    if (!seen.insert(schema).second) {
      return Invalid("schemas", absl::StrCat("lists '", schema, "' twice"));
    }
    out.schemas.push_back(schema);
  }
  if (config.all_schemas() && !out.schemas.empty()) {
    return Invalid("schemas", "must be empty with all_schemas (every readable schema)");
  }
  out.all_schemas = config.all_schemas();
  if (out.schemas.empty()) out.schemas.push_back("public");

  const v1::SslMode& ssl = config.ssl_mode();
  std::string mode = ssl.mode().empty() ? "prefer" : ssl.mode();
  if (SslModes().count(mode) == 0) {
    return Invalid("ssl_mode.mode", absl::StrCat("must be one of disable, allow, prefer, require, "
                                                 "verify-ca, verify-full; got '",
                                                 ssl.mode(), "'"));
  }
  if ((mode == "verify-ca" || mode == "verify-full") && ssl.ca_certificate().empty()) {
    return Invalid("ssl_mode.ca_certificate", absl::StrCat("is required with mode ", mode));
  }
  if (!ssl.client_key().empty() && ssl.client_certificate().empty()) {
    return Invalid("ssl_mode.client_certificate", "is required when client_key is set");
  }
  if (!ssl.client_certificate().empty() && ssl.client_key().empty()) {
    return Invalid("ssl_mode.client_key", "is required when client_certificate is set");
  }
  out.connect.sslmode = mode;
  out.connect.ssl_root_cert = ssl.ca_certificate();
  out.connect.ssl_cert = ssl.client_certificate();
  out.connect.ssl_key = ssl.client_key();
  out.connect.ssl_key_password = ssl.client_key_password();
  if (auto s = ApplyJdbcUrlParams(config, &out.connect); !s.ok()) return s;
  if (auto s = CheckSourcePostgresKeys(config); !s.ok()) return s;
  if (auto s = ApplyTunnelMethod(config, &out.connect); !s.ok()) return s;

  const v1::ReplicationMethod& rm = config.replication_method();
  if (rm.method().empty() || rm.method() == "Standard") {
    out.cdc = false;
  } else if (rm.method() == "CDC") {
    out.cdc = true;
    if (rm.replication_slot().empty()) {
      return Invalid("replication_method.replication_slot", "is required with method CDC");
    }
    if (rm.publication().empty()) {
      return Invalid("replication_method.publication", "is required with method CDC");
    }
    out.replication_slot = rm.replication_slot();
    out.publication = rm.publication();
    if (rm.has_initial_waiting_seconds()) {
      if (auto s = CheckRange("replication_method.initial_waiting_seconds",
                              rm.initial_waiting_seconds(), 1, 3600);
          !s.ok()) {
        return s;
      }
      out.initial_waiting_seconds = rm.initial_waiting_seconds();
    }
    const std::string& behavior = rm.invalid_cdc_cursor_position_behavior();
    if (!behavior.empty() && behavior != "Fail sync" && behavior != "Re-sync data") {
      return Invalid("replication_method.invalid_cdc_cursor_position_behavior",
                     absl::StrCat("must be 'Fail sync' or 'Re-sync data'; got '", behavior, "'"));
    }
    out.resync_on_invalid_cdc_position = behavior == "Re-sync data";
  } else if (rm.method() == "Xmin") {
    // source-postgres's Xmin: changed rows found by the transaction that wrote them.
    out.xmin = true;
  } else {
    return Invalid("replication_method.method",
                   absl::StrCat("must be 'Standard', 'CDC' or 'Xmin'; got '", rm.method(), "'"));
  }

  if (config.has_timescaledb_support()) out.timescaledb_support = config.timescaledb_support();
  if (config.has_timescaledb_chunk_discovery_interval_minutes()) {
    if (auto s = CheckRange("timescaledb_chunk_discovery_interval_minutes",
                            config.timescaledb_chunk_discovery_interval_minutes(), 1, 60);
        !s.ok()) {
      return s;
    }
    out.chunk_discovery_interval_minutes = config.timescaledb_chunk_discovery_interval_minutes();
  }
  if (config.has_timescaledb_max_concurrent_chunks()) {
    if (auto s = CheckRange("timescaledb_max_concurrent_chunks",
                            config.timescaledb_max_concurrent_chunks(), 1, 10);
        !s.ok()) {
      return s;
    }
    out.max_concurrent_chunks = config.timescaledb_max_concurrent_chunks();
  }
  if (config.has_timescaledb_enable_chunk_caching()) {
    out.chunk_caching = config.timescaledb_enable_chunk_caching();
  }
  return out;
}

}  // namespace tsdb_source
