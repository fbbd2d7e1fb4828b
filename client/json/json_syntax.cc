#include "client/json/json_syntax.h"

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tsdb_source::client {
namespace {

// What the scanner expects next.
enum class Expect {
  kValue,        // any value
  kValueOrEnd,   // after '[': a value or ']'
  kKeyOrEnd,     // after '{': a member name or '}'
  kKey,          // after ',' in an object
  kColon,        // after a member name
  kCommaOrEnd,   // after a member or an element
};

bool IsHexDigit(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int HexValue(unsigned char c) {
  if (c <= '9') return c - '0';
  return (c | 0x20) - 'a' + 10;
}

class Scanner {
 public:
  Scanner(std::string_view text, int max_depth) : text_(text), max_depth_(max_depth) {}

  absl::Status Run() {
    Expect expect = Expect::kValue;
    bool done = false;
    for (;;) {
      SkipWhitespace();
      if (done) {
        if (p_ != text_.size()) return Error(p_, "unexpected data after the JSON value");
        return absl::OkStatus();
      }
      if (p_ == text_.size()) {
        if (stack_.empty() && expect == Expect::kValue && IsBlank()) {
          return Error(p_, "the file is empty (no JSON value)");
        }
        return Error(p_, "unexpected end of the file (truncated JSON?)");
      }
      const unsigned char c = text_[p_];
      switch (expect) {
        case Expect::kValueOrEnd:
          if (c == ']') {
            ++p_;
            stack_.pop_back();
            done = AfterValue(&expect);
            break;
          }
          [[fallthrough]];
        case Expect::kValue:
          if (c == '{' || c == '[') {
            if (static_cast<int>(stack_.size()) >= max_depth_) {
              return Error(p_, absl::StrCat("nested deeper than ", max_depth_, " levels"));
            }
            stack_.push_back(static_cast<char>(c));
            ++p_;
            expect = c == '{' ? Expect::kKeyOrEnd : Expect::kValueOrEnd;
            break;
          }
          if (absl::Status s = Scalar(); !s.ok()) return s;
          done = AfterValue(&expect);
          break;
        case Expect::kKeyOrEnd:
          if (c == '}') {
            ++p_;
            stack_.pop_back();
            done = AfterValue(&expect);
            break;
          }
          [[fallthrough]];
        case Expect::kKey:
          if (c != '"') return Error(p_, absl::StrCat(Describe(c), " where a member name in "
                                                               "double quotes belongs"));
          if (absl::Status s = String(); !s.ok()) return s;
          expect = Expect::kColon;
          break;
        case Expect::kColon:
          if (c != ':') return Error(p_, absl::StrCat(Describe(c), " where ':' belongs"));
          ++p_;
          expect = Expect::kValue;
          break;
        case Expect::kCommaOrEnd: {
          const bool in_object = stack_.back() == '{';
          if (c == ',') {
            ++p_;
            expect = in_object ? Expect::kKey : Expect::kValue;
          } else if (c == (in_object ? '}' : ']')) {
            ++p_;
            stack_.pop_back();
            done = AfterValue(&expect);
          } else {
            return Error(p_, absl::StrCat(Describe(c), " where ',' or '", in_object ? "}" : "]",
                                          "' belongs"));
          }
          break;
        }
      }
    }
  }

 private:
  bool IsBlank() const { return text_.find_first_not_of(" \t\r\n") == std::string_view::npos; }

  void SkipWhitespace() {
    while (p_ < text_.size()) {
      const char c = text_[p_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++p_;
    }
  }

  // After a complete value: true when it was the top-level one.
  bool AfterValue(Expect* expect) {
    if (stack_.empty()) return true;
    *expect = Expect::kCommaOrEnd;
    return false;
  }

  static std::string Describe(unsigned char c) {
    if (c >= 0x21 && c < 0x7F) {
      return absl::StrCat("unexpected character '", std::string(1, c), "'");
    }
    return absl::StrFormat("unexpected byte 0x%02X", c);
  }

  absl::Status Error(size_t at, const std::string& problem) const {
    size_t line = 1;
    size_t line_start = 0;
    for (size_t i = 0; i < at && i < text_.size(); ++i) {
      if (text_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, ", column ", at - line_start + 1, ": ", problem));
  }

  absl::Status Scalar() {
    const unsigned char c = text_[p_];
    if (c == '"') return String();
    if (c == '-' || (c >= '0' && c <= '9')) return Number();
    for (std::string_view literal : {"true", "false", "null"}) {
      if (text_.substr(p_, literal.size()) == literal) {
        p_ += literal.size();
        return absl::OkStatus();
      }
    }
    if (text_.substr(p_, 3) == "NaN" || text_.substr(p_, 8) == "Infinity") {
      return Error(p_, "NaN and Infinity are not JSON values");
    }
    return Error(p_, absl::StrCat(Describe(c), " where a value belongs"));
  }

  absl::Status Number() {
    const size_t start = p_;
    auto digit = [&]() { return p_ < text_.size() && text_[p_] >= '0' && text_[p_] <= '9'; };
    if (text_[p_] == '-') ++p_;
    if (!digit()) return Error(p_, "invalid number (a digit must follow '-')");
    if (text_[p_] == '0') {
      ++p_;
      if (digit()) return Error(start, "invalid number (leading zero)");
    } else {
      while (digit()) ++p_;
    }
    if (p_ < text_.size() && text_[p_] == '.') {
      ++p_;
      if (!digit()) return Error(p_, "invalid number (a digit must follow '.')");
      while (digit()) ++p_;
    }
    if (p_ < text_.size() && (text_[p_] == 'e' || text_[p_] == 'E')) {
      ++p_;
      if (p_ < text_.size() && (text_[p_] == '+' || text_[p_] == '-')) ++p_;
      if (!digit()) return Error(p_, "invalid number (a digit must follow the exponent)");
      while (digit()) ++p_;
    }
    // strtod in the "C" locale (the shim never calls setlocale) reads exactly this grammar.
    const std::string token(text_.substr(start, p_ - start));
    if (std::isinf(std::strtod(token.c_str(), nullptr))) {
      std::string shown = token.size() <= 24 ? token : token.substr(0, 21) + "...";
      return Error(start, absl::StrCat("number ", shown, " is out of range"));
    }
    return absl::OkStatus();
  }

  // Reads 4 hex digits after "\u" at p_; returns -1 when they are not there.
  int ReadHex4() {
    if (text_.size() - p_ < 4) return -1;
    int value = 0;
    for (int i = 0; i < 4; ++i) {
      const unsigned char c = text_[p_ + i];
      if (!IsHexDigit(c)) return -1;
      value = value * 16 + HexValue(c);
    }
    p_ += 4;
    return value;
  }

  absl::Status String() {
    ++p_;  // the opening quote
    while (p_ < text_.size()) {
      const unsigned char c = text_[p_];
      if (c == '"') {
        ++p_;
        return absl::OkStatus();
      }
      if (c == '\\') {
        const size_t escape = p_;
        ++p_;
        if (p_ == text_.size()) break;
        const char e = text_[p_++];
        if (e == 'u') {
          const int unit = ReadHex4();
          if (unit < 0) return Error(escape, "invalid \\u escape (4 hex digits must follow)");
          if (unit >= 0xDC00 && unit <= 0xDFFF) {
            return Error(escape, "invalid \\u escape (a low surrogate without a high one)");
          }
          if (unit >= 0xD800 && unit <= 0xDBFF) {
            if (text_.substr(p_, 2) != "\\u") {
              return Error(escape, "invalid \\u escape (a high surrogate without a low one)");
            }
            p_ += 2;
            const int low = ReadHex4();
            if (low < 0xDC00 || low > 0xDFFF) {
              return Error(escape, "invalid \\u escape (a high surrogate without a low one)");
            }
          }
        } else if (e != '"' && e != '\\' && e != '/' && e != 'b' && e != 'f' && e != 'n' &&
                   e != 'r' && e != 't') {
          return Error(escape, "invalid escape in a string");
        }
        continue;
      }
      if (c < 0x20) {
        return Error(p_, absl::StrFormat(
                             "control character U+%04X in a string (must be escaped)", c));
      }
      if (c < 0x80) {
        ++p_;
        continue;
      }
      const int length = Utf8Length();
      if (length == 0) return Error(p_, "invalid UTF-8");
      p_ += length;
    }
    return Error(p_, "unexpected end of the file inside a string (truncated JSON?)");
  }

  // Length of the well-formed UTF-8 sequence at p_ (lead byte >= 0x80), or 0.
  int Utf8Length() const {
    const unsigned char lead = text_[p_];
    int trailing;
    unsigned second_min = 0x80;
    unsigned second_max = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      trailing = 1;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      trailing = 2;
      if (lead == 0xE0) second_min = 0xA0;
      if (lead == 0xED) second_max = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      trailing = 3;
      if (lead == 0xF0) second_min = 0x90;
      if (lead == 0xF4) second_max = 0x8F;
    } else {
      return 0;
    }
    if (text_.size() - p_ <= static_cast<size_t>(trailing)) return 0;
    const unsigned char second = text_[p_ + 1];
    if (second < second_min || second > second_max) return 0;
    for (int k = 2; k <= trailing; ++k) {
      if ((static_cast<unsigned char>(text_[p_ + k]) & 0xC0) != 0x80) return 0;
    }
    return trailing + 1;
  }

  std::string_view text_;
  int max_depth_;
  size_t p_ = 0;
  std::vector<char> stack_;  // '{' or '[' per open container
};

}  // namespace

absl::Status CheckJsonSyntax(std::string_view text, int max_depth) {
  return Scanner(text, max_depth).Run();
}

}  // namespace tsdb_source::client
