#include "service/server/event_log.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace tsdb_source {
namespace {

bool IsPlain(absl::string_view value) {
  if (value.empty()) return false;
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || u >= 0x7f || c == '"' || c == '=' || c == '\\') return false;
  }
  return true;
}

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarning:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

}  // namespace

std::string LogValue(absl::string_view value) {
  if (IsPlain(value)) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        // UTF-8 bytes (>= 0x80) pass; other control characters are escaped.
        if (u < ' ' || u == 0x7f) {
          absl::StrAppendFormat(&out, "\\x%02x", u);
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

LogFields& LogFields::Add(absl::string_view key, absl::string_view value) {
  absl::StrAppend(&text_, " ", key, "=", LogValue(value));
  return *this;
}

LogFields& LogFields::Add(absl::string_view key, int64_t value) {
  absl::StrAppend(&text_, " ", key, "=", value);
  return *this;
}

LogFields& LogFields::Add(absl::string_view key, uint64_t value) {
  absl::StrAppend(&text_, " ", key, "=", value);
  return *this;
}

LogFields& LogFields::Add(absl::string_view key, double value) {
  absl::StrAppendFormat(&text_, " %s=%.3f", key, value);
  return *this;
}

LogFields& LogFields::Add(absl::string_view key, bool value) {
  absl::StrAppend(&text_, " ", key, "=", value ? "true" : "false");
  return *this;
}

void EventLog::Write(LogLevel level, absl::string_view event, const LogFields& fields) {
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
                   " ", LevelName(level), " event=", LogValue(event), fields.text(), "\n");
  absl::MutexLock lock(&mu_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace tsdb_source
