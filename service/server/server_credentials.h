// The server's transport credentials from its flags: plaintext, TLS (--tls_cert and
// --tls_key, PEM files) or mutual TLS (plus --client_ca: clients must present a
// certificate signed by one of these CAs, or the handshake fails).
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/security/server_credentials.h"

namespace tsdb_source {

struct TlsFiles {
  std::string cert;       // PEM certificate chain; empty: no TLS
  std::string key;        // PEM private key of the certificate
  std::string client_ca;  // PEM CA certificates for client certificates; empty: no mTLS
};

// INVALID_ARGUMENT when only one of cert and key is given, when client_ca is given without
// TLS, or when a file cannot be read or holds no PEM block (the message names the flag
// and the file, never the key's content).
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const TlsFiles& files);

}  // namespace tsdb_source
