#include "client/json/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>

#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(s, &out);
  return out;
}

// Strict UTF-8 check (Unicode table 3-7), independent of the implementation under test.
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = s[i];
    int n;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated
    for (int k = 1; k <= n; ++k) {
      const unsigned char t = s[i + k];
      if ((t & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (t & 0x3F);
    }
    static constexpr uint32_t kMin[4] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes a quoted JSON string per RFC 8259; returns false on anything a JSON parser would
// reject (raw control characters, bad escapes, missing quotes).
bool DecodeJsonString(std::string_view json, std::string* decoded) {
  if (json.size() < 2 || json.front() != '"' || json.back() != '"') return false;
  json = json.substr(1, json.size() - 2);
  for (size_t i = 0; i < json.size(); ++i) {
    const unsigned char c = json[i];
    if (c < 0x20 || c == '"') return false;
    if (c != '\\') {
      decoded->push_back(static_cast<char>(c));
      continue;
    }
    if (++i == json.size()) return false;
    switch (json[i]) {
      case '"': decoded->push_back('"'); break;
      case '\\': decoded->push_back('\\'); break;
      case '/': decoded->push_back('/'); break;
      case 'b': decoded->push_back('\b'); break;
      case 'f': decoded->push_back('\f'); break;
      case 'n': decoded->push_back('\n'); break;
      case 'r': decoded->push_back('\r'); break;
      case 't': decoded->push_back('\t'); break;
      case 'u': {
        if (i + 4 >= json.size()) return false;
        uint32_t cp = 0;
        auto r = std::from_chars(json.data() + i + 1, json.data() + i + 5, cp, 16);
        if (r.ptr != json.data() + i + 5) return false;
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;  // the writer never needs pairs
        AppendUtf8(cp, decoded);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

TEST(JsonStringTest, PlainAsciiIsCopied) {
  EXPECT_EQ(Quote(""), "\"\"");
  EXPECT_EQ(Quote("hello, world"), "\"hello, world\"");
  EXPECT_EQ(Quote("a/b\x7f~"), "\"a/b\x7f~\"");  // '/' and DEL need no escape
}

TEST(JsonStringTest, QuoteAndBackslash) {
  EXPECT_EQ(Quote("\""), R"("\"")");
  EXPECT_EQ(Quote("\\"), R"("\\")");
  EXPECT_EQ(Quote(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
}

TEST(JsonStringTest, EveryControlCharacter) {
  for (int c = 0; c < 0x20; ++c) {
    std::string expected;
    switch (c) {
      case '\b': expected = "\\b"; break;
      case '\t': expected = "\\t"; break;
      case '\n': expected = "\\n"; break;
      case '\f': expected = "\\f"; break;
      case '\r': expected = "\\r"; break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        expected = std::string("\\u00") + kHex[c >> 4] + kHex[c & 0xF];
      }
    }
    const std::string input(1, static_cast<char>(c));
    EXPECT_EQ(Quote(input), "\"" + expected + "\"") << "control character " << c;
    // Also inside a long run, where the 8-byte fast path is taken.
    EXPECT_EQ(Quote("abcdefghij" + input + "klmnopqrstu"),
              "\"abcdefghij" + expected + "klmnopqrstu\"")
        << "control character " << c;
  }
  EXPECT_EQ(Quote(std::string("a\0b", 3)), R"("a\u0000b")");
}

TEST(JsonStringTest, SpecialCharacterAtEveryPositionOfTheFastPath) {
  for (size_t length = 1; length <= 40; ++length) {
    for (size_t pos = 0; pos < length; ++pos) {
      for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
        std::string input(length, 'x');
        input[pos] = special;
        std::string decoded;
        const std::string json = Quote(input);
        ASSERT_TRUE(DecodeJsonString(json, &decoded)) << json;
        EXPECT_EQ(decoded, input) << "length " << length << " pos " << pos;
      }
    }
  }
}

TEST(JsonStringTest, ValidMultiByteIsCopied) {
  EXPECT_EQ(Quote("caf\xC3\xA9"), "\"caf\xC3\xA9\"");                    // é, 2 bytes
  EXPECT_EQ(Quote("\xE2\x82\xAC"), "\"\xE2\x82\xAC\"");                   // €, 3 bytes
  EXPECT_EQ(Quote("\xF0\x9F\x98\x80"), "\"\xF0\x9F\x98\x80\"");           // 😀, 4 bytes
  EXPECT_EQ(Quote("\xF4\x8F\xBF\xBF"), "\"\xF4\x8F\xBF\xBF\"");           // U+10FFFF
  EXPECT_EQ(Quote("\xED\x9F\xBF"), "\"\xED\x9F\xBF\"");                   // U+D7FF
  EXPECT_EQ(Quote("\xEE\x80\x80"), "\"\xEE\x80\x80\"");                   // U+E000
  EXPECT_EQ(Quote("\xEF\xBB\xBF" "bom"), "\"\xEF\xBB\xBF" "bom\"");       // U+FEFF
  const std::string emoji_text = "Family: \xF0\x9F\x91\xA8\xE2\x80\x8D\xF0\x9F\x91\xA9 ok";
  EXPECT_EQ(Quote(emoji_text), "\"" + emoji_text + "\"");
}

TEST(JsonStringTest, LineAndParagraphSeparatorsAreEscaped) {
  EXPECT_EQ(Quote("a\xE2\x80\xA8" "b"), R"("a\u2028b")");
  EXPECT_EQ(Quote("a\xE2\x80\xA9" "b"), R"("a\u2029b")");
  EXPECT_EQ(Quote("\xE2\x80\xA7\xE2\x80\xAA"), "\"\xE2\x80\xA7\xE2\x80\xAA\"");  // neighbours
}

constexpr char kFffd[] = "\xEF\xBF\xBD";

std::string Repl(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += kFffd;
  return s;
}

TEST(JsonStringTest, InvalidUtf8IsReplacedPerMaximalSubpart) {
  struct Case {
    const char* name;
    std::string input;
    std::string expected;  // without quotes
  };
  const Case cases[] = {
      {"stray continuation", "a\x80z", "a" + Repl(1) + "z"},
      {"two stray continuations", "\x80\xBF", Repl(2)},
      {"C0 overlong lead", "\xC0\xAF", Repl(2)},
      {"C1 overlong lead", "\xC1\xBF", Repl(2)},
      {"3-byte overlong", "\xE0\x80\xAF", Repl(3)},
      {"4-byte overlong", "\xF0\x80\x80\xAF", Repl(4)},
      {"high surrogate", "\xED\xA0\x80", Repl(3)},
      {"low surrogate", "\xED\xBF\xBF", Repl(3)},
      {"surrogate pair as CESU-8", "\xED\xA0\xBD\xED\xB8\x80", Repl(6)},
      {"above U+10FFFF (F4 90)", "\xF4\x90\x80\x80", Repl(4)},
      {"F5 lead", "\xF5\x80\x80\x80", Repl(4)},
      {"FF byte", "a\xFFz", "a" + Repl(1) + "z"},
      {"FE byte", "\xFE", Repl(1)},
      {"truncated 2-byte at end", "ab\xC3", "ab" + Repl(1)},
      {"truncated 3-byte at end", "ab\xE2\x82", "ab" + Repl(1)},
      {"truncated 4-byte at end", "ab\xF0\x9F\x98", "ab" + Repl(1)},
      {"truncated 3-byte before ASCII", "\xE2\x82" "A", Repl(1) + "A"},
      {"truncated 4-byte before ASCII", "\xF0\x9F" "A", Repl(1) + "A"},
      {"truncated then valid", "\xE2\x82\xC3\xA9", Repl(1) + "\xC3\xA9"},
      {"lead then lead", "\xC3\xC3\xA9", Repl(1) + "\xC3\xA9"},
      {"invalid then quote", "\xC3\"", Repl(1) + "\\\""},
      {"invalid inside long ASCII", "0123456789\x80" "0123456789", "0123456789" + Repl(1) + "0123456789"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Quote(c.input), "\"" + c.expected + "\"") << c.name;
  }
}

TEST(JsonStringTest, RandomBytesAlwaysGiveValidJsonAndUtf8) {
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 64);
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string input(length(rng), '\0');
    for (char& c : input) c = static_cast<char>(byte(rng));
    const std::string json = Quote(input);
    ASSERT_TRUE(IsValidUtf8(json)) << "iteration " << iteration;
    std::string decoded;
    ASSERT_TRUE(DecodeJsonString(json, &decoded)) << json;
    if (IsValidUtf8(input)) {
      EXPECT_EQ(decoded, input);
    }
  }
}

TEST(JsonStringTest, RandomValidUtf8RoundTrips) {
  std::mt19937 rng(777);
  std::uniform_int_distribution<uint32_t> cp_dist(0, 0x10FFFF);
  std::uniform_int_distribution<int> ascii(0, 127);
  for (int iteration = 0; iteration < 5000; ++iteration) {
    std::string input;
    for (int k = 0; k < 30; ++k) {
      uint32_t cp = (k % 3 == 0) ? cp_dist(rng) : static_cast<uint32_t>(ascii(rng));
      if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
      AppendUtf8(cp, &input);
    }
    ASSERT_TRUE(IsValidUtf8(input));
    std::string decoded;
    const std::string json = Quote(input);
    ASSERT_TRUE(DecodeJsonString(json, &decoded)) << json;
    EXPECT_EQ(decoded, input);
  }
}

TEST(JsonStringTest, AppendsWithoutClearing) {
  std::string out = "prefix:";
  AppendJsonString("x", &out);
  AppendJsonStringContents("y\"", &out);
  EXPECT_EQ(out, "prefix:\"x\"y\\\"");
}

std::string Replacing(std::string_view s) {
  std::string out = "kept:";
  AppendUtf8Replacing(s, &out);
  return out.substr(5);
}

TEST(Utf8ReplacingTest, ReplacesPerMaximalSubpartWithoutEscaping) {
  EXPECT_EQ(Replacing("plain \"text\"\n\\"), "plain \"text\"\n\\");
  EXPECT_EQ(Replacing("a\x80z"), "a" + Repl(1) + "z");
  EXPECT_EQ(Replacing("\xED\xA0\xBD\xED\xB8\x80"), Repl(6));
  EXPECT_EQ(Replacing("ab\xF0\x9F\x98"), "ab" + Repl(1));
  EXPECT_EQ(Replacing("\xE2\x82\xC3\xA9"), Repl(1) + "\xC3\xA9");
  EXPECT_EQ(Replacing("0123456789\x80" "0123456789"), "0123456789" + Repl(1) + "0123456789");
  EXPECT_EQ(Replacing("\xE2\x80\xA8 \xF0\x9F\x98\x80"), "\xE2\x80\xA8 \xF0\x9F\x98\x80");
  EXPECT_EQ(Replacing(""), "");
  EXPECT_TRUE(IsWellFormedUtf8(""));
  EXPECT_TRUE(IsWellFormedUtf8("0123456789abcdef\xC3\xA9\xF0\x9F\x98\x80"));
  EXPECT_FALSE(IsWellFormedUtf8("0123456789abcdef\xC3"));
  EXPECT_FALSE(IsWellFormedUtf8("\xED\xA0\x80"));
}

// The text a JSON reader gets from AppendJsonString, byte for byte, for any input.
TEST(Utf8ReplacingTest, RandomBytesGiveWhatTheJsonStringDecodesTo) {
  std::mt19937 rng(4242);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 40);
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string input(length(rng), '\0');
    for (char& c : input) {
      // Mostly ASCII and continuation or lead bytes, so sequences are often almost valid.
      const int b = byte(rng);
      c = static_cast<char>(b < 96 ? 'a' + b % 26 : b);
    }
    std::string decoded;
    ASSERT_TRUE(DecodeJsonString(Quote(input), &decoded));
    const std::string replaced = Replacing(input);
    ASSERT_EQ(replaced, decoded) << "iteration " << iteration;
    ASSERT_TRUE(IsValidUtf8(replaced));
    ASSERT_EQ(IsWellFormedUtf8(input), IsValidUtf8(input)) << "iteration " << iteration;
  }
}

TEST(JsonNumberTest, Int64Extremes) {
  std::string out;
  AppendJsonInt64(std::numeric_limits<int64_t>::min(), &out);
  out += ' ';
  AppendJsonInt64(std::numeric_limits<int64_t>::max(), &out);
  out += ' ';
  AppendJsonInt64(0, &out);
  out += ' ';
  AppendJsonInt64(-1, &out);
  out += ' ';
  AppendJsonInt64(9007199254740993, &out);  // 2^53 + 1, not a double
  out += ' ';
  AppendJsonUint64(std::numeric_limits<uint64_t>::max(), &out);
  EXPECT_EQ(out,
            "-9223372036854775808 9223372036854775807 0 -1 9007199254740993 "
            "18446744073709551615");
}

std::string Double(double v) {
  std::string out;
  EXPECT_TRUE(AppendJsonDouble(v, &out));
  return out;
}

TEST(JsonNumberTest, DoubleShortestForms) {
  EXPECT_EQ(Double(0.0), "0");
  EXPECT_EQ(Double(-0.0), "-0");
  EXPECT_EQ(Double(1.0), "1");
  EXPECT_EQ(Double(0.1), "0.1");
  EXPECT_EQ(Double(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(Double(-1.5), "-1.5");
  EXPECT_EQ(Double(1e21), "1e+21");
  EXPECT_EQ(Double(1e-7), "1e-07");
  EXPECT_EQ(Double(123456789012345680.0), "123456789012345680");
  EXPECT_EQ(Double(std::numeric_limits<double>::denorm_min()), "5e-324");
  EXPECT_EQ(Double(std::numeric_limits<double>::max()), "1.7976931348623157e+308");
  EXPECT_EQ(Double(std::numeric_limits<double>::lowest()), "-1.7976931348623157e+308");
  EXPECT_EQ(Double(std::numeric_limits<double>::min()), "2.2250738585072014e-308");
}

// AppendJsonDouble writes the text of shortest_double.h (its own tests compare it with
// std::to_chars over millions of doubles); through AppendJsonDouble it must still be
// exactly std::to_chars's: for values with few decimals (a path of their own), their
// neighbours, the edges of the notation and any other double.
std::string ToChars(double v) {
  char buffer[64];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof(buffer), v).ptr);
}

TEST(JsonNumberTest, DoubleTextIsAlwaysToCharsText) {
  std::mt19937_64 random(20261128);
  const double powers[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7};
  auto check = [](double v) {
    ASSERT_EQ(Double(v), ToChars(v)) << std::hexfloat << v;
    ASSERT_EQ(Double(-v), ToChars(-v)) << std::hexfloat << -v;
  };
  for (int i = 0; i < 400000; ++i) {
    // Decimals of up to 7 places over many magnitudes, and the doubles next to them.
    const int places = static_cast<int>(random() % 8);
    const uint64_t digits = random() % (uint64_t{1} << (random() % 54));
    const double v = static_cast<double>(digits) / powers[places];
    check(v);
    check(std::nextafter(v, 0.0));
    check(std::nextafter(v, 2e9));
    // Any double (random bits, finite ones).
    uint64_t bits = random();
    double any;
    std::memcpy(&any, &bits, sizeof(any));
    if (std::isfinite(any)) check(any);
  }
  for (double v : {1e-3, 9.999999e-4, 1e9, 999999999.999999, 999999999.0, 100000.0, 10000.0,
                   120000.0, 1200000.0, 1230000.0, 123456789.0, 100001.0, 0.1 + 0.2,
                   21.375, 0.004, 1.0 / 3.0, 2.5e-3, 1e-3 + 1e-9, 1e-4, 1e-5, 1e21, 1e22, 1e23,
                   123456789012345680000.0, 1152921504606846976.0, 0.0,
                   std::numeric_limits<double>::denorm_min(),
                   std::numeric_limits<double>::min(), std::numeric_limits<double>::max()}) {
    check(v);
  }
}

TEST(JsonNumberTest, DoubleNonFiniteIsReported) {
  std::string out = "x";
  EXPECT_FALSE(AppendJsonDouble(std::numeric_limits<double>::quiet_NaN(), &out));
  EXPECT_FALSE(AppendJsonDouble(std::numeric_limits<double>::infinity(), &out));
  EXPECT_FALSE(AppendJsonDouble(-std::numeric_limits<double>::infinity(), &out));
  EXPECT_EQ(out, "x");
  AppendJsonDoubleOrNull(std::numeric_limits<double>::quiet_NaN(), &out);
  AppendJsonDoubleOrNull(2.5, &out);
  EXPECT_EQ(out, "xnull2.5");
}

TEST(JsonNumberTest, DoubleRoundTripsAndIsAJsonNumber) {
  std::mt19937_64 rng(42);
  int checked = 0;
  while (checked < 100000) {
    const uint64_t bits = rng();
    double v;
    std::memcpy(&v, &bits, sizeof(v));
    if (!std::isfinite(v)) continue;
    ++checked;
    std::string text;
    ASSERT_TRUE(AppendJsonDouble(v, &text));
    ASSERT_TRUE(IsJsonNumber(text)) << text;
    double back = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(r.ptr, text.data() + text.size()) << text;
    uint64_t back_bits;
    std::memcpy(&back_bits, &back, sizeof(back));
    ASSERT_EQ(back_bits, bits) << text;
  }
}

std::string Float(float v) {
  std::string out;
  EXPECT_TRUE(AppendJsonFloat(v, &out));
  return out;
}

TEST(JsonNumberTest, FloatShortestForms) {
  EXPECT_EQ(Float(3.14f), "3.14");
  EXPECT_EQ(Float(0.1f), "0.1");
  EXPECT_EQ(Float(-0.0f), "-0");
  EXPECT_EQ(Float(16777217.0f), "16777216");
  EXPECT_EQ(Float(std::numeric_limits<float>::max()), "3.4028235e+38");
  EXPECT_EQ(Float(std::numeric_limits<float>::denorm_min()), "1e-45");
  std::string out = "x";
  EXPECT_FALSE(AppendJsonFloat(std::numeric_limits<float>::quiet_NaN(), &out));
  EXPECT_FALSE(AppendJsonFloat(-std::numeric_limits<float>::infinity(), &out));
  EXPECT_EQ(out, "x");
}

TEST(JsonNumberTest, FloatRoundTripsAndIsAJsonNumber) {
  std::mt19937 rng(7);
  int checked = 0;
  while (checked < 100000) {
    const uint32_t bits = rng();
    float v;
    std::memcpy(&v, &bits, sizeof(v));
    if (!std::isfinite(v)) continue;
    ++checked;
    std::string text;
    ASSERT_TRUE(AppendJsonFloat(v, &text));
    ASSERT_TRUE(IsJsonNumber(text)) << text;
    float back = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), back);
    ASSERT_EQ(r.ptr, text.data() + text.size()) << text;
    uint32_t back_bits;
    std::memcpy(&back_bits, &back, sizeof(back));
    ASSERT_EQ(back_bits, bits) << text;
  }
}

TEST(JsonNumberTest, IsJsonNumber) {
  for (const char* ok : {"0", "-0", "1", "-12.50", "0.001", "1e5", "1E+5", "-2.5e-10",
                         "123456789012345678901234567890.123456789"}) {
    EXPECT_TRUE(IsJsonNumber(ok)) << ok;
  }
  for (const char* bad : {"", "-", "+1", "01", ".5", "5.", "1e", "1e+", "NaN", "Infinity",
                          "-Infinity", "0x10", " 1", "1 ", "1.2.3", "--1"}) {
    EXPECT_FALSE(IsJsonNumber(bad)) << bad;
  }
}

TEST(JsonLiteralTest, BoolAndNull) {
  std::string out;
  AppendJsonBool(true, &out);
  AppendJsonBool(false, &out);
  AppendJsonNull(&out);
  EXPECT_EQ(out, "truefalsenull");
}

std::string Base64(std::string_view bytes) {
  std::string out;
  AppendBase64(bytes, &out);
  return out;
}

TEST(Base64Test, Rfc4648Vectors) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, BinaryBytesUseTheStandardAlphabet) {
  EXPECT_EQ(Base64(std::string("\0", 1)), "AA==");
  EXPECT_EQ(Base64(std::string("\0\0", 2)), "AAA=");
  EXPECT_EQ(Base64("\xFF\xFF\xFF"), "////");
  EXPECT_EQ(Base64("\xFB\xEF\xBE"), "++++");
  EXPECT_EQ(Base64("\xFF\xFE"), "//4=");
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::string encoded = Base64(all);
  EXPECT_EQ(encoded.size(), 344u);
  EXPECT_EQ(encoded.substr(0, 16), "AAECAwQFBgcICQoL");
  EXPECT_EQ(encoded.substr(encoded.size() - 8), "/P3+/w==");
}

TEST(Base64Test, QuotedAndAppended) {
  std::string out = "[";
  AppendJsonBase64String("foo", &out);
  EXPECT_EQ(out, "[\"Zm9v\"");
}

TEST(JsonWriterTest, BuildsNestedMessages) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("type");
  w.String("RECORD");
  w.Key("record");
  w.BeginObject();
  w.Key("stream");
  w.String("t\"1");
  w.Key("emitted_at");
  w.Int64(1700000000000);
  w.Key("data");
  w.RawValue(R"({"a":1})");
  w.Key("list");
  w.BeginArray();
  w.Null();
  w.Bool(true);
  w.Double(0.5);
  w.Double(std::numeric_limits<double>::quiet_NaN());
  w.Uint64(7);
  w.Base64("f");
  w.BeginArray();
  w.EndArray();
  w.BeginObject();
  w.EndObject();
  *w.BeginRawValue() += "\"raw\"";
  w.EndArray();
  w.EndObject();
  w.EndObject();
  EXPECT_TRUE(w.status().ok()) << w.status();
  EXPECT_TRUE(w.done());
  EXPECT_EQ(out,
            R"({"type":"RECORD","record":{"stream":"t\"1","emitted_at":1700000000000,)"
            R"("data":{"a":1},"list":[null,true,0.5,null,7,"Zg==",[],{},"raw"]}})");
}

TEST(JsonWriterTest, DeepNesting) {
  std::string out;
  JsonWriter w(&out);
  for (int i = 0; i < 40; ++i) w.BeginArray();
  w.Int64(1);
  for (int i = 0; i < 40; ++i) w.EndArray();
  EXPECT_TRUE(w.status().ok());
  EXPECT_TRUE(w.done());
  EXPECT_EQ(out, std::string(40, '[') + "1" + std::string(40, ']'));
}

TEST(JsonWriterTest, ScalarTopLevel) {
  std::string out;
  JsonWriter w(&out);
  EXPECT_FALSE(w.done());
  w.Int64(5);
  EXPECT_TRUE(w.done());
  EXPECT_TRUE(w.status().ok());
  EXPECT_EQ(out, "5");
}

TEST(JsonWriterTest, ReportsMisuse) {
  {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject();
    w.String("no key");
    EXPECT_EQ(w.status().code(), absl::StatusCode::kFailedPrecondition);
  }
  {
    std::string out;
    JsonWriter w(&out);
    w.BeginArray();
    w.Key("k");
    EXPECT_FALSE(w.status().ok());
  }
  {
    std::string out;
    JsonWriter w(&out);
    w.BeginArray();
    w.EndObject();
    EXPECT_FALSE(w.status().ok());
  }
  {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject();
    w.Key("k");
    w.EndObject();
    EXPECT_FALSE(w.status().ok());
  }
  {
    std::string out;
    JsonWriter w(&out);
    w.Null();
    w.Null();
    EXPECT_FALSE(w.status().ok());
  }
  {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject();
    EXPECT_FALSE(w.done());
    EXPECT_TRUE(w.status().ok());
  }
}

}  // namespace
}  // namespace tsdb_source::client
