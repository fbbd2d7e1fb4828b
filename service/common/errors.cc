#include "service/common/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace tsdb_source {
namespace {

constexpr absl::string_view kPrefix = "ERROR_REASON_";
constexpr absl::string_view kSqlStatePrefix = "SQLSTATE_";

absl::Status WithReason(absl::StatusCode code, absl::string_view reason,
                        absl::string_view message) {
  absl::Status status(code, message);
  status.SetPayload(kReasonPayload, absl::Cord(reason));
  return status;
}

}  // namespace

std::string ReasonName(v1::ErrorReason reason) {
  absl::string_view name = v1::ErrorReason_Name(reason);
  absl::ConsumePrefix(&name, kPrefix);
  return std::string(name);
}

absl::Status MakeError(absl::StatusCode code, v1::ErrorReason reason, absl::string_view message) {
  return WithReason(code, ReasonName(reason), message);
}

absl::Status MakeSqlError(absl::StatusCode code, absl::string_view sqlstate,
                          absl::string_view message) {
  return WithReason(code, absl::StrCat(kSqlStatePrefix, sqlstate), message);
}

absl::Status WithMessage(const absl::Status& status, absl::string_view message) {
  absl::Status out(status.code(), message);
  status.ForEachPayload(
      [&](absl::string_view url, const absl::Cord& payload) { out.SetPayload(url, payload); });
  return out;
}

std::string ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayload);
  if (payload.has_value()) return std::string(*payload);
  return absl::StatusCodeToString(status.code());
}

v1::ErrorReason ReasonCodeOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayload);
  if (!payload.has_value()) return v1::ERROR_REASON_UNSPECIFIED;
  std::string name(*payload);
  if (absl::StartsWith(name, kSqlStatePrefix)) return v1::ERROR_REASON_SQLSTATE;
  v1::ErrorReason reason = v1::ERROR_REASON_UNSPECIFIED;
  if (!v1::ErrorReason_Parse(absl::StrCat(kPrefix, name), &reason)) {
    return v1::ERROR_REASON_UNSPECIFIED;
  }
  return reason;
}

std::string SqlStateOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonPayload);
  if (!payload.has_value()) return "";
  absl::string_view name = payload->Flatten();
  if (!absl::ConsumePrefix(&name, kSqlStatePrefix)) return "";
  return std::string(name);
}

bool IsTransient(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kAborted:
    case absl::StatusCode::kResourceExhausted:
      return true;
    default:
      return false;
  }
}

std::string Redact(absl::string_view text, absl::string_view secret) {
  if (secret.empty()) return std::string(text);
  return absl::StrReplaceAll(text, {{secret, "****"}});
}

}  // namespace tsdb_source
