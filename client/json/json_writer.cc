#include "client/json/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "client/json/shortest_double.h"

namespace tsdb_source::client {
namespace {

// For each ASCII byte: 0 when it is copied as is, else the character after the backslash
// of its escape ('u' for \u00XX).
constexpr char kAsciiEscape[128] = {
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',  // 00
    'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u',  // 10
    0,   0,   '"', 0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    // 20
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    // 30
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    // 40
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   '\\', 0,  0,   0,    // 50
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    // 60
    0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,   0,    // 70
};

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kReplacementChar[] = "\xEF\xBF\xBD";  // U+FFFD

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighBits = 0x8080808080808080ULL;

// True when any of the 8 bytes at `p` needs more than a plain copy: a control character,
// '"', '\\', or a byte >= 0x80 (start of a multi-byte sequence, to be validated).
// The "has less than" / "has zero byte" tests are exact for "any byte" (a borrow only
// starts in a byte that itself matches).
inline bool BlockNeedsAttention(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
  const uint64_t control = (w - kOnes * 0x20) & ~w;
  const uint64_t quote = w ^ (kOnes * '"');
  const uint64_t backslash = w ^ (kOnes * '\\');
  const uint64_t has_quote = (quote - kOnes) & ~quote;
  const uint64_t has_backslash = (backslash - kOnes) & ~backslash;
  return ((control | has_quote | has_backslash | w) & kHighBits) != 0;
}

// Classifies the bytes at [p, end) that start with a byte >= 0x80 (Unicode 15, table 3-7).
// Returns the length (2..4) of a well-formed sequence, or 0 and sets *ill_formed to the
// length (>= 1) of the maximal ill-formed subpart to replace by one U+FFFD.
inline int Utf8SequenceLength(const unsigned char* p, const unsigned char* end,
                              int* ill_formed) {
  const unsigned lead = p[0];
  int trailing;
  unsigned second_min = 0x80;
  unsigned second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    trailing = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    trailing = 2;
    if (lead == 0xE0) second_min = 0xA0;       // overlong
    else if (lead == 0xED) second_max = 0x9F;  // surrogates D800..DFFF
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    trailing = 3;
    if (lead == 0xF0) second_min = 0x90;       // overlong
    else if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    *ill_formed = 1;  // continuation byte, C0, C1 (overlong 2-byte) or F5..FF
    return 0;
  }
  const std::ptrdiff_t available = end - p;
  if (available < 2 || p[1] < second_min || p[1] > second_max) {
    *ill_formed = 1;
    return 0;
  }
  for (int k = 2; k <= trailing; ++k) {
    if (available <= k || (p[k] & 0xC0) != 0x80) {
      *ill_formed = k;
      return 0;
    }
  }
  return trailing + 1;
}

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

namespace {

// Where escaped text goes: a std::string (appends) or raw memory the caller reserved.
struct StringSink {
  std::string* out;
  void Put(const void* data, size_t n) { out->append(static_cast<const char*>(data), n); }
};
struct RawSink {
  char* p;
  void Put(const void* data, size_t n) {
    std::memcpy(p, data, n);
    p += n;
  }
};

template <typename Sink>
void EscapeJsonContents(std::string_view s, Sink& sink) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* const end = p + s.size();
  const unsigned char* run = p;  // start of the bytes not yet copied
  auto flush = [&](const unsigned char* upto) {
    if (upto > run) sink.Put(run, upto - run);
  };
  while (p < end) {
    while (end - p >= 8 && !BlockNeedsAttention(p)) p += 8;
    if (p == end) break;
    const unsigned char c = *p;
    if (c < 0x80) {
      const char escape = kAsciiEscape[c];
      if (escape == 0) {
        ++p;
        continue;
      }
      flush(p);
      if (escape == 'u') {
        const char hex[6] = {'\\', 'u', '0', '0', kHexDigits[c >> 4], kHexDigits[c & 0xF]};
        sink.Put(hex, sizeof(hex));
      } else {
        const char two[2] = {'\\', escape};
        sink.Put(two, sizeof(two));
      }
      run = ++p;
      continue;
    }
    int ill_formed = 0;
    const int length = Utf8SequenceLength(p, end, &ill_formed);
    if (length == 3 && c == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
      flush(p);
      sink.Put(p[2] == 0xA8 ? "\\u2028" : "\\u2029", 6);
      run = p += 3;
    } else if (length != 0) {
      p += length;
    } else {
      flush(p);
      sink.Put(kReplacementChar, 3);
      run = p += ill_formed;
    }
  }
  flush(end);
}

}  // namespace

void AppendJsonStringContents(std::string_view s, std::string* out) {
  StringSink sink{out};
  EscapeJsonContents(s, sink);
}

char* WriteJsonString(std::string_view s, char* p) {
  RawSink sink{p};
  *sink.p++ = '"';
  EscapeJsonContents(s, sink);
  *sink.p++ = '"';
  return sink.p;
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  AppendJsonStringContents(s, out);
  out->push_back('"');
}

namespace {

// Bytes from `p` on that are plain ASCII, 8 at a time (then byte by byte).
inline const unsigned char* SkipAscii(const unsigned char* p, const unsigned char* end) {
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, sizeof(w));
    if ((w & kHighBits) != 0) break;
    p += 8;
  }
  while (p < end && *p < 0x80) ++p;
  return p;
}

}  // namespace

bool IsWellFormedUtf8(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* const end = p + s.size();
  while ((p = SkipAscii(p, end)) < end) {
    int ill_formed = 0;
    const int length = Utf8SequenceLength(p, end, &ill_formed);
    if (length == 0) return false;
    p += length;
  }
  return true;
}

void AppendUtf8Replacing(std::string_view s, std::string* out) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* const end = p + s.size();
  const unsigned char* run = p;  // start of the bytes not yet copied
  while ((p = SkipAscii(p, end)) < end) {
    int ill_formed = 0;
    const int length = Utf8SequenceLength(p, end, &ill_formed);
    if (length != 0) {
      p += length;
      continue;
    }
    out->append(reinterpret_cast<const char*>(run), static_cast<size_t>(p - run));
    out->append(kReplacementChar, 3);
    run = p += ill_formed;
  }
  out->append(reinterpret_cast<const char*>(run), static_cast<size_t>(end - run));
}

void AppendJsonInt64(int64_t value, std::string* out) {
  char buffer[24];
  const std::to_chars_result r = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, r.ptr - buffer);
}

char* WriteJsonInt64(int64_t value, char* p) { return std::to_chars(p, p + 20, value).ptr; }

void AppendJsonUint64(uint64_t value, std::string* out) {
  char buffer[24];
  const std::to_chars_result r = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, r.ptr - buffer);
}

char* WriteJsonDouble(double value, char* p) {
  if (!std::isfinite(value)) return nullptr;
  // std::to_chars's text (at most 24 characters, "-2.2250738585072014e-308"), always a JSON
  // number: the exponent is written "e+21" / "e-07", never a leading '+', ".5" or "inf".
  return WriteShortestDouble(value, p);
}

char* WriteJsonFloat(float value, char* p) {
  if (!std::isfinite(value)) return nullptr;
  // The shortest form is at most 15 characters ("-1.17549435e-38").
  return std::to_chars(p, p + kMaxJsonDoubleLength, value).ptr;
}

bool AppendJsonDouble(double value, std::string* out) {
  char buffer[kMaxJsonDoubleLength];
  char* end = WriteJsonDouble(value, buffer);
  if (end == nullptr) return false;
  out->append(buffer, end - buffer);
  return true;
}

bool AppendJsonFloat(float value, std::string* out) {
  char buffer[kMaxJsonDoubleLength];
  char* end = WriteJsonFloat(value, buffer);
  if (end == nullptr) return false;
  out->append(buffer, end - buffer);
  return true;
}

void AppendJsonDoubleOrNull(double value, std::string* out) {
  if (!AppendJsonDouble(value, out)) AppendJsonNull(out);
}

void AppendJsonBool(bool value, std::string* out) {
  if (value) {
    out->append("true", 4);
  } else {
    out->append("false", 5);
  }
}

void AppendJsonNull(std::string* out) { out->append("null", 4); }

void AppendBase64(std::string_view bytes, std::string* out) {
  const unsigned char* in = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  const size_t old_size = out->size();
  out->resize(old_size + (n + 2) / 3 * 4);
  char* o = &(*out)[old_size];
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8) | in[i + 2];
    o[0] = kBase64Alphabet[v >> 18];
    o[1] = kBase64Alphabet[(v >> 12) & 0x3F];
    o[2] = kBase64Alphabet[(v >> 6) & 0x3F];
    o[3] = kBase64Alphabet[v & 0x3F];
    o += 4;
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{in[i]} << 16;
    o[0] = kBase64Alphabet[v >> 18];
    o[1] = kBase64Alphabet[(v >> 12) & 0x3F];
    o[2] = '=';
    o[3] = '=';
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{in[i]} << 16) | (uint32_t{in[i + 1]} << 8);
    o[0] = kBase64Alphabet[v >> 18];
    o[1] = kBase64Alphabet[(v >> 12) & 0x3F];
    o[2] = kBase64Alphabet[(v >> 6) & 0x3F];
    o[3] = '=';
  }
}

void AppendJsonBase64String(std::string_view bytes, std::string* out) {
  out->push_back('"');
  AppendBase64(bytes, out);
  out->push_back('"');
}

bool IsJsonNumber(std::string_view text) {
  const char* p = text.data();
  const char* const end = p + text.size();
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (p != end && *p == '-') ++p;
  if (p == end) return false;
  if (*p == '0') {
    ++p;
  } else if (*p >= '1' && *p <= '9') {
    while (p != end && is_digit(*p)) ++p;
  } else {
    return false;
  }
  if (p != end && *p == '.') {
    ++p;
    if (p == end || !is_digit(*p)) return false;
    while (p != end && is_digit(*p)) ++p;
  }
  if (p != end && (*p == 'e' || *p == 'E')) {
    ++p;
    if (p != end && (*p == '+' || *p == '-')) ++p;
    if (p == end || !is_digit(*p)) return false;
    while (p != end && is_digit(*p)) ++p;
  }
  return p == end;
}

// ---------------------------------------------------------------------------------------
// JsonWriter

JsonWriter::JsonWriter(std::string* out) : out_(out) {}

void JsonWriter::Fail(const std::string& what) {
  if (status_.ok()) status_ = absl::FailedPreconditionError(absl::StrCat("JsonWriter: ", what));
}

void JsonWriter::BeforeValue(const char* what) {
  if (stack_.empty()) {
    if (top_level_done_) Fail(absl::StrCat("second top-level value (", what, ")"));
    top_level_done_ = true;  // complete once its containers (if any) are closed
    return;
  }
  Level& level = stack_.back();
  if (level.is_object) {
    if (!level.expects_value) {
      Fail(absl::StrCat("value (", what, ") in an object without a Key"));
    }
    level.expects_value = false;
  } else {
    if (level.has_members) out_->push_back(',');
    level.has_members = true;
  }
}

void JsonWriter::BeginObject() {
  BeforeValue("object");
  stack_.push_back(Level{/*is_object=*/true, /*has_members=*/false, /*expects_value=*/false});
  out_->push_back('{');
}

void JsonWriter::EndObject() {
  if (stack_.empty() || !stack_.back().is_object) {
    Fail("EndObject without a matching BeginObject");
  } else if (stack_.back().expects_value) {
    Fail("EndObject after a Key without a value");
    stack_.pop_back();
  } else {
    stack_.pop_back();
  }
  out_->push_back('}');
}

void JsonWriter::BeginArray() {
  BeforeValue("array");
  stack_.push_back(Level{/*is_object=*/false, /*has_members=*/false, /*expects_value=*/false});
  out_->push_back('[');
}

void JsonWriter::EndArray() {
  if (stack_.empty() || stack_.back().is_object) {
    Fail("EndArray without a matching BeginArray");
  } else {
    stack_.pop_back();
  }
  out_->push_back(']');
}

void JsonWriter::Key(std::string_view name) {
  if (stack_.empty() || !stack_.back().is_object) {
    Fail("Key outside an object");
  } else {
    Level& level = stack_.back();
    if (level.expects_value) Fail("Key after a Key without a value");
    if (level.has_members) out_->push_back(',');
    level.has_members = true;
    level.expects_value = true;
  }
  AppendJsonString(name, out_);
  out_->push_back(':');
}

void JsonWriter::String(std::string_view value) {
  BeforeValue("string");
  AppendJsonString(value, out_);
}

void JsonWriter::Int64(int64_t value) {
  BeforeValue("int64");
  AppendJsonInt64(value, out_);
}

void JsonWriter::Uint64(uint64_t value) {
  BeforeValue("uint64");
  AppendJsonUint64(value, out_);
}

void JsonWriter::Double(double value) {
  BeforeValue("double");
  AppendJsonDoubleOrNull(value, out_);
}

void JsonWriter::Bool(bool value) {
  BeforeValue("bool");
  AppendJsonBool(value, out_);
}

void JsonWriter::Null() {
  BeforeValue("null");
  AppendJsonNull(out_);
}

void JsonWriter::Base64(std::string_view bytes) {
  BeforeValue("base64");
  AppendJsonBase64String(bytes, out_);
}

void JsonWriter::RawValue(std::string_view json) {
  BeforeValue("raw value");
  out_->append(json.data(), json.size());
}

std::string* JsonWriter::BeginRawValue() {
  BeforeValue("raw value");
  return out_;
}

}  // namespace tsdb_source::client
