// JSON output primitives for the Airbyte shim's hot path.
//
// Contract:
// - Every function appends to a caller-owned std::string and never clears it; nothing is
//   allocated besides the growth of that string (no DOM, no temporaries, no iostreams, no
//   locale-dependent C library calls), so the same buffer can be reused across messages.
//   (JsonWriter allocates only past 16 levels of nesting.)
// - AppendJsonString always produces valid JSON and valid UTF-8, whatever the input bytes:
//   '"', '\\' and U+0000..U+001F are escaped (short escapes where JSON has them, else
//   \u00XX in lower-case hex), U+2028 and U+2029 are escaped as \u2028 / \u2029 (legal in
//   JSON, but line terminators to pre-ES2019 JavaScript), and every ill-formed UTF-8
//   sequence (stray continuation bytes, overlong forms, surrogates, code points above
//   U+10FFFF, truncated sequences, bytes C0, C1, F5..FF) is replaced by U+FFFD, one per
//   maximal ill-formed subpart (the Unicode "substitution of maximal subparts" practice).
//   Everything else, including '/' and U+007F, is copied unchanged.
// - Numbers are written exactly: integers digit for digit; doubles as the shortest text that
//   reads back to the same double, byte for byte std::to_chars's (written by
//   shortest_double.h, without to_chars). NaN and infinities are not JSON numbers:
//   AppendJsonDouble appends nothing and returns false for them, and the caller decides.
// - JsonWriter adds structure (commas, nesting) on top of these functions and records
//   the first misuse in status() instead of aborting.
// Thread-safety: the free functions are thread-safe on distinct buffers; a JsonWriter is not
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"

namespace tsdb_source::client {

// Appends `s` escaped as described above, with the enclosing double quotes.
void AppendJsonString(std::string_view s, std::string* out);

// Appends `s` escaped as described above, without quotes (to build a string from parts).
void AppendJsonStringContents(std::string_view s, std::string* out);

// Appends `s` with every ill-formed UTF-8 subpart replaced by U+FFFD exactly as
// AppendJsonString replaces it, and nothing escaped: the text a JSON reader gets back from
// AppendJsonString's output. For formats that carry text as UTF-8 without JSON (the
// socket data channel's protobuf strings, which readers reject when ill-formed).
void AppendUtf8Replacing(std::string_view s, std::string* out);

// True when `s` is well-formed UTF-8 (AppendUtf8Replacing would copy it unchanged).
bool IsWellFormedUtf8(std::string_view s);

// Appends the decimal digits of `value`.
void AppendJsonInt64(int64_t value, std::string* out);
void AppendJsonUint64(uint64_t value, std::string* out);

// Appends the shortest round-trip representation of a finite `value` ("0.1", "-0",
// "1e+21", "5e-324") and returns true. Returns false and appends nothing for NaN and
// +/-Infinity.
[[nodiscard]] bool AppendJsonDouble(double value, std::string* out);

// Appends a finite `value` as AppendJsonDouble does, and `null` for NaN and +/-Infinity.
void AppendJsonDoubleOrNull(double value, std::string* out);

// As AppendJsonDouble, with the shortest text that reads back to the same float: a
// PostgreSQL real 3.14 is "3.14" (as PostgreSQL and Airbyte print it), not the
// "3.140000104904175" of its exact double value.
[[nodiscard]] bool AppendJsonFloat(float value, std::string* out);

// Raw writers, for a caller that made room (record_json's row writer): each writes at `p`
// exactly what its Append twin appends and returns the end of what it wrote.
// At most 20 bytes.
char* WriteJsonInt64(int64_t value, char* p);
// At most kMaxJsonDoubleLength bytes; nullptr (nothing written) for NaN and +/-Infinity.
inline constexpr size_t kMaxJsonDoubleLength = 32;
char* WriteJsonDouble(double value, char* p);
char* WriteJsonFloat(float value, char* p);
// `s` escaped with its quotes: at most 6 * s.size() + 2 bytes.
char* WriteJsonString(std::string_view s, char* p);

// Appends `true` or `false`.
void AppendJsonBool(bool value, std::string* out);

// Appends `null`.
void AppendJsonNull(std::string* out);

// Appends the standard base64 (RFC 4648 section 4, '+' '/' alphabet, '=' padding) of
// `bytes`, without quotes. Base64 needs no JSON escaping.
void AppendBase64(std::string_view bytes, std::string* out);

// Appends the base64 of `bytes` as a quoted JSON string.
void AppendJsonBase64String(std::string_view bytes, std::string* out);

// True when `text` is a JSON number per RFC 8259 (-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?).
bool IsJsonNumber(std::string_view text);

// A streaming writer that places commas and tracks nesting, for building messages:
//
//   std::string line;
//   JsonWriter w(&line);
//   w.BeginObject();
//   w.Key("type"); w.String("RECORD");
//   w.Key("record"); w.BeginObject(); ... w.EndObject();
//   w.EndObject();
//   if (!w.status().ok()) ...
//
// The writer appends to `out` (which must outlive it) and never clears it. A misuse (a
// value where a key is expected, a key outside an object, an unbalanced End*, a second
// top-level value) still appends something but sets status() to FailedPrecondition naming
// the first misuse; the output is then not valid JSON.
class JsonWriter final {
 public:
  explicit JsonWriter(std::string* out);

  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();

  // An object member name; must be followed by exactly one value.
  void Key(std::string_view name);

  void String(std::string_view value);
  void Int64(int64_t value);
  void Uint64(uint64_t value);
  // Writes `null` for NaN and +/-Infinity.
  void Double(double value);
  void Bool(bool value);
  void Null();
  // A quoted base64 string of `bytes`.
  void Base64(std::string_view bytes);
  // A value the caller guarantees to be one complete, valid JSON value (e.g. text from
  // another formatter); copied verbatim.
  void RawValue(std::string_view json);
  // Places the separator for one value and returns the buffer: the caller must append
  // exactly one complete JSON value to it before the next call on this writer. Lets a
  // formatter such as RecordFormatter write straight into the message.
  std::string* BeginRawValue();

  // True once exactly one top-level value is complete and every container is closed.
  bool done() const { return stack_.empty() && top_level_done_; }
  // OK, or FailedPrecondition describing the first misuse.
  const absl::Status& status() const { return status_; }

 private:
  struct Level {
    bool is_object;
    bool has_members;    // a comma is needed before the next member or element
    bool expects_value;  // objects: a key was written, its value is next
  };

  void BeforeValue(const char* what);
  void Fail(const std::string& what);

  std::string* out_;
  absl::InlinedVector<Level, 16> stack_;  // no heap allocation up to 16 levels
  bool top_level_done_ = false;
  absl::Status status_;
};

}  // namespace tsdb_source::client
