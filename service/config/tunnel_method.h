// source-postgres's `tunnel_method` (an SSH bastion) checked and turned into the tunnel
// settings of the connect options. Keys and variants as Airbyte's Postgres source spells
// them: tunnel_method NO_TUNNEL (or absent), SSH_KEY_AUTH (tunnel_host, tunnel_port default
// 22, tunnel_user, ssh_key) or SSH_PASSWORD_AUTH (the same with tunnel_user_password), plus
// tsdb-source's optional tunnel_host_key_fingerprint. Values are trimmed of surrounding
// blanks as source-postgres trims them. Errors name the key and the rule, never a secret.
// Pure function, thread-safe.
#pragma once

#include "absl/status/status.h"
#include "service/pg/connection.h"
#include "tsdb_source/v1/config.pb.h"

namespace tsdb_source {

// Sets `connect->tunnel` for an SSH tunnel (leaves it empty for none); INVALID_ARGUMENT,
// reason INVALID_CONFIG, naming the key on the first violation. Reads `connect->host`,
// which must already be set: through a tunnel it must be one host name or address.
absl::Status ApplyTunnelMethod(const v1::SourceConfig& config, pg::ConnectOptions* connect);

}  // namespace tsdb_source
