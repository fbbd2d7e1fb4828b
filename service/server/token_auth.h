// Bearer-token authentication of SourceService calls (--token_file).
//
// The token file holds one token per line (several lines allow a rotation: old and new
// token both valid until the old one is removed); blank lines and surrounding whitespace
// are ignored. A call is allowed when its "authorization" metadata is "Bearer <token>"
// for one of them. Every configured token is compared in constant time, without early
// exit, so timing reveals neither a token's content nor which one matched.
//
// It is checked by the service's handlers (not an AuthMetadataProcessor, which gRPC only
// supports on TLS ports), so a token works the same with and without TLS — e.g. behind a
// TLS-terminating sidecar on loopback. The health service stays open for load balancers.
// Immutable after creation; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "grpcpp/grpcpp.h"

namespace tsdb_source {

// Shortest token accepted in a token file.
inline constexpr size_t kMinTokenLength = 16;

class TokenAuth final {
 public:
  // Reads the tokens of `path`. INVALID_ARGUMENT for an unreadable file, a file without
  // tokens, or a token shorter than kMinTokenLength or holding a non-printable character.
  // The message names the file and line, never the token.
  static absl::StatusOr<TokenAuth> FromFile(const std::string& path);
  // Same rules, from the file's contents.
  static absl::StatusOr<TokenAuth> FromText(absl::string_view text, absl::string_view origin);

  // True when the call's "authorization" metadata is "Bearer <t>" (scheme case-insensitive)
  // for a configured token.
  bool Allows(const grpc::ServerContext& context) const;
  // The same check on the raw header value.
  bool AllowsHeader(absl::string_view authorization) const;

 private:
  explicit TokenAuth(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {}
  std::vector<std::string> tokens_;
};

// Compares in time that depends only on `presented`'s length, never on where the first
// difference lies nor on `expected`'s content.
bool ConstantTimeEquals(absl::string_view presented, absl::string_view expected);

}  // namespace tsdb_source
