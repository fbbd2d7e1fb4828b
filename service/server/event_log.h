// The server's log: one line per event on stderr (or any FILE*), as
//   2025-01-02T03:04:05.678Z INFO event=rpc_end rid=4f2a... method=Read code=OK rows=42
// A value with spaces, quotes, '=' or control characters is double-quoted and escaped, so
// an event is always exactly one line that tools can split into key=value pairs.
// The log never holds credentials: callers pass none, and free text that came from a
// request (error messages) is redacted by the service layer before it gets here.
// Thread-safe: each line is written with one fwrite under a mutex.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace tsdb_source {

// The key=value pairs of one event, in the order added.
class LogFields final {
 public:
  LogFields& Add(absl::string_view key, absl::string_view value);
  LogFields& Add(absl::string_view key, const std::string& value) {
    return Add(key, absl::string_view(value));
  }
  LogFields& Add(absl::string_view key, const char* value) {
    return Add(key, absl::string_view(value));
  }
  LogFields& Add(absl::string_view key, int64_t value);
  LogFields& Add(absl::string_view key, uint64_t value);
  LogFields& Add(absl::string_view key, int value) { return Add(key, static_cast<int64_t>(value)); }
  LogFields& Add(absl::string_view key, double value);
  LogFields& Add(absl::string_view key, bool value);
  // Appends the pairs of `other`.
  LogFields& Append(const LogFields& other) {
    text_ += other.text_;
    return *this;
  }

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

enum class LogLevel { kInfo, kWarning, kError };

class EventLog final {
 public:
  explicit EventLog(std::FILE* out = stderr) : out_(out) {}

  void Write(LogLevel level, absl::string_view event, const LogFields& fields);
  void Info(absl::string_view event, const LogFields& fields) {
    Write(LogLevel::kInfo, event, fields);
  }
  void Warning(absl::string_view event, const LogFields& fields) {
    Write(LogLevel::kWarning, event, fields);
  }
  void Error(absl::string_view event, const LogFields& fields) {
    Write(LogLevel::kError, event, fields);
  }

 private:
  absl::Mutex mu_;
  std::FILE* out_ ABSL_GUARDED_BY(mu_);
};

// `value` as it appears in a log line: bare when it is a plain token, otherwise quoted
// with \" \\ \n \r \t and \xNN escapes. Exposed for tests.
std::string LogValue(absl::string_view value);

}  // namespace tsdb_source
