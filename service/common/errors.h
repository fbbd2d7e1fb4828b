// Errors of the core: an absl::Status with a canonical code, a message for people and a
// machine-readable reason from the contract's ErrorReason enum (proto/tsdb_source/v1/
// errors.proto), carried as a status payload in its string form (the value's name without
// the ERROR_REASON_ prefix, e.g. "AUTHENTICATION_FAILED"; "SQLSTATE_42501" for a database
// error). The gRPC layer maps code and reason to gRPC status and details; the shim maps them
// to Airbyte failure types. Messages never contain credentials.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "tsdb_source/v1/errors.pb.h"

namespace tsdb_source {

// Payload URL under which the reason is stored.
inline constexpr absl::string_view kReasonPayload = "type.tsdb-source/reason";

// A status with `code`, `message` and the machine-readable `reason`.
absl::Status MakeError(absl::StatusCode code, v1::ErrorReason reason, absl::string_view message);

// A database error: reason ERROR_REASON_SQLSTATE, spelled "SQLSTATE_<sqlstate>".
absl::Status MakeSqlError(absl::StatusCode code, absl::string_view sqlstate,
                          absl::string_view message);

// The string form of `reason` (its name without the ERROR_REASON_ prefix).
std::string ReasonName(v1::ErrorReason reason);

// `status` with another message: the same code, reason and other payloads.
absl::Status WithMessage(const absl::Status& status, absl::string_view message);

// The reason stored in `status` in its string form, or the code's name when none was stored.
std::string ReasonOf(const absl::Status& status);

// The reason stored in `status`, or ERROR_REASON_UNSPECIFIED.
v1::ErrorReason ReasonCodeOf(const absl::Status& status);

// The SQLSTATE of a database error (e.g. "42P01"), or empty.
std::string SqlStateOf(const absl::Status& status);

// True when a failure may pass by itself (retrying can help).
bool IsTransient(const absl::Status& status);

// Replaces every occurrence of `secret` in `text` with "****" (no-op for empty secrets).
std::string Redact(absl::string_view text, absl::string_view secret);

}  // namespace tsdb_source
