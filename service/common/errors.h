// Errors of the core: an absl::Status with a canonical code, a message for people and a
// machine-readable reason (e.g. "AUTHENTICATION_FAILED") carried as a status payload. The
// gRPC layer maps code and reason to gRPC status and details; the shim maps them to
// Airbyte failure types. Messages never contain credentials.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace tsdb_source {

// Payload URL under which the reason is stored.
inline constexpr absl::string_view kReasonPayload = "type.tsdb-source/reason";

// A status with `code`, `message` and the machine-readable `reason`.
absl::Status MakeError(absl::StatusCode code, absl::string_view reason,
                       absl::string_view message);

// The reason stored in `status`, or the code's name when none was stored.
std::string ReasonOf(const absl::Status& status);

// True when a failure may pass by itself (retrying can help).
bool IsTransient(const absl::Status& status);

// Replaces every occurrence of `secret` in `text` with "****" (no-op for empty secrets).
std::string Redact(absl::string_view text, absl::string_view secret);

}  // namespace tsdb_source
