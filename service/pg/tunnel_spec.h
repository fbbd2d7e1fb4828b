// What an SSH tunnel to the database needs: the bastion ("jump server"), the user and how it
// authenticates, and an optional pinned host key. Plain data; `private_key` and `password`
// are secrets that no message or log may contain.
#pragma once

#include <string>

namespace tsdb_source::pg {

struct TunnelSpec {
  enum class Auth { kKey, kPassword };
  Auth auth = Auth::kKey;
  std::string host;  // the bastion, as this process reaches it
  int port = 22;
  std::string user;
  std::string private_key;  // kKey: OpenSSH or PEM private key, unencrypted. Secret.
  std::string password;     // kPassword: the user's password on the bastion. Secret.
  // "SHA256:<base64>" as `ssh-keygen -lf` prints it; empty: trust on first use (see
  // known_host_keys.h).
  std::string host_key_fingerprint;
};

}  // namespace tsdb_source::pg
