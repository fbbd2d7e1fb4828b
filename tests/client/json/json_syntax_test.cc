#include "client/json/json_syntax.h"

#include <chrono>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tsdb_source::client {
namespace {

using ::testing::HasSubstr;

std::string Problem(std::string_view text, int max_depth = kMaxJsonDepth) {
  absl::Status status = CheckJsonSyntax(text, max_depth);
  if (status.ok()) return "OK";
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  return std::string(status.message());
}

TEST(JsonSyntaxTest, AcceptsValidDocuments) {
  for (std::string_view text : {
           "{}", "[]", " \t\r\n{} \n", "0", "-0", "1.5e-7", "-12.25E+3", "true", "false",
           "null", "\"\"", R"("a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00")", "\"\xE2\x98\x83\"",
           "\"\xF0\x9F\x98\x80\"", R"({"a":[1,{"b":null}],"c":"d"})", "[[[[]]]]",
           "123456789012345678901234567890", "1e308", "1e-400", "\"\x7F\"",
           R"({"host": "h", "port": 5432, "schemas": ["public"], "ssl_mode": {"mode": "disable"}})",
       }) {
    EXPECT_EQ(Problem(text), "OK") << text;
  }
}

TEST(JsonSyntaxTest, TruncatedDocumentsSayWhere) {
  EXPECT_EQ(Problem("{\"host\": \"h\",\n \"port\": 54"),
            "line 2, column 12: unexpected end of the file (truncated JSON?)");
  EXPECT_EQ(Problem("[1, 2"), "line 1, column 6: unexpected end of the file (truncated JSON?)");
  EXPECT_EQ(Problem("{\"a\""), "line 1, column 5: unexpected end of the file (truncated JSON?)");
  EXPECT_EQ(Problem("{\"password\": \"sec"),
            "line 1, column 18: unexpected end of the file inside a string (truncated JSON?)");
  EXPECT_EQ(Problem("\"abc\\"),
            "line 1, column 6: unexpected end of the file inside a string (truncated JSON?)");
  EXPECT_EQ(Problem("tru"), "line 1, column 1: unexpected character 't' where a value belongs");
}

TEST(JsonSyntaxTest, EmptyFile) {
  EXPECT_EQ(Problem(""), "line 1, column 1: the file is empty (no JSON value)");
  EXPECT_EQ(Problem(" \n "), "line 2, column 2: the file is empty (no JSON value)");
}

TEST(JsonSyntaxTest, StructuralErrors) {
  EXPECT_EQ(Problem("[1,]"), "line 1, column 4: unexpected character ']' where a value belongs");
  EXPECT_EQ(Problem("{\"a\":1,}"),
            "line 1, column 8: unexpected character '}' where a member name in double quotes "
            "belongs");
  EXPECT_EQ(Problem("{a:1}"),
            "line 1, column 2: unexpected character 'a' where a member name in double quotes "
            "belongs");
  EXPECT_EQ(Problem("{\"a\" 1}"), "line 1, column 6: unexpected character '1' where ':' belongs");
  EXPECT_EQ(Problem("[1 2]"),
            "line 1, column 4: unexpected character '2' where ',' or ']' belongs");
  EXPECT_EQ(Problem("{\"a\":1]"),
            "line 1, column 7: unexpected character ']' where ',' or '}' belongs");
  EXPECT_EQ(Problem("{}{}"), "line 1, column 3: unexpected data after the JSON value");
  EXPECT_EQ(Problem("{} x"), "line 1, column 4: unexpected data after the JSON value");
  EXPECT_EQ(Problem("\xEF\xBB\xBF{}"),
            "line 1, column 1: unexpected byte 0xEF where a value belongs");
  EXPECT_EQ(Problem("[NaN]"), "line 1, column 2: NaN and Infinity are not JSON values");
  EXPECT_EQ(Problem("[Infinity]"), "line 1, column 2: NaN and Infinity are not JSON values");
}

TEST(JsonSyntaxTest, Numbers) {
  EXPECT_EQ(Problem("01"), "line 1, column 1: invalid number (leading zero)");
  EXPECT_EQ(Problem("-"), "line 1, column 2: invalid number (a digit must follow '-')");
  EXPECT_EQ(Problem("1."), "line 1, column 3: invalid number (a digit must follow '.')");
  EXPECT_EQ(Problem("1e"), "line 1, column 3: invalid number (a digit must follow the exponent)");
  EXPECT_EQ(Problem("+1"), "line 1, column 1: unexpected character '+' where a value belongs");
  EXPECT_EQ(Problem("{\"port\": 1e999}"), "line 1, column 10: number 1e999 is out of range");
  EXPECT_EQ(Problem("[-1e400]"), "line 1, column 2: number -1e400 is out of range");
  EXPECT_EQ(Problem("[" + std::string(400, '9') + "]"),
            "line 1, column 2: number 999999999999999999999... is out of range");
}

TEST(JsonSyntaxTest, Strings) {
  EXPECT_EQ(Problem("\"a\nb\""),
            "line 1, column 3: control character U+000A in a string (must be escaped)");
  EXPECT_EQ(Problem("\"a\tb\""),
            "line 1, column 3: control character U+0009 in a string (must be escaped)");
  EXPECT_EQ(Problem(R"("\x")"), "line 1, column 2: invalid escape in a string");
  EXPECT_EQ(Problem(R"("\u12")"),
            "line 1, column 2: invalid \\u escape (4 hex digits must follow)");
  EXPECT_EQ(Problem(R"("\udc00")"),
            "line 1, column 2: invalid \\u escape (a low surrogate without a high one)");
  EXPECT_EQ(Problem(R"("\ud800x")"),
            "line 1, column 2: invalid \\u escape (a high surrogate without a low one)");
  EXPECT_EQ(Problem(R"("\ud800\u0041")"),
            "line 1, column 2: invalid \\u escape (a high surrogate without a low one)");
  EXPECT_EQ(Problem("\"\xFF\""), "line 1, column 2: invalid UTF-8");
  EXPECT_EQ(Problem("\"\xC0\xAF\""), "line 1, column 2: invalid UTF-8");       // overlong
  EXPECT_EQ(Problem("\"\xED\xA0\x80\""), "line 1, column 2: invalid UTF-8");   // surrogate
  EXPECT_EQ(Problem("\"\xE2\x98\""), "line 1, column 2: invalid UTF-8");       // truncated
}

TEST(JsonSyntaxTest, DepthIsBounded) {
  EXPECT_EQ(Problem(std::string(64, '[') + std::string(64, ']')), "OK");
  EXPECT_EQ(Problem(std::string(65, '[') + std::string(65, ']')),
            "line 1, column 65: nested deeper than 64 levels");
  EXPECT_EQ(Problem(R"({"a":{"b":[1]}})", 2), "line 1, column 11: nested deeper than 2 levels");
  EXPECT_EQ(Problem(R"({"a":{"b":1}})", 2), "OK");
}

TEST(JsonSyntaxTest, HugeNestingIsRejectedQuickly) {
  const std::string deep = std::string(1 << 20, '[') + std::string(1 << 20, ']');
  const auto start = std::chrono::steady_clock::now();
  EXPECT_THAT(Problem(deep), HasSubstr("nested deeper than 64 levels"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(JsonSyntaxTest, ErrorsDoNotEchoTheInput) {
  const std::string secret = "Sup3r-Secret";
  for (const std::string& text : {
           "{\"password\": \"" + secret + "\"\n",
           "{\"password\": \"" + secret + "\" x}",
           "{\"password\": \"" + secret + "\x01\"}",
       }) {
    const std::string problem = Problem(text);
    EXPECT_NE(problem, "OK");
    EXPECT_EQ(problem.find(secret), std::string::npos) << problem;
  }
}

TEST(JsonSyntaxTest, LinesAndColumnsCountFromOne) {
  EXPECT_EQ(Problem("{\n  \"a\": 1,\n  \"b\": ?\n}"),
            "line 3, column 8: unexpected character '?' where a value belongs");
  EXPECT_EQ(Problem("\r\n\r\n  x"),
            "line 3, column 3: unexpected character 'x' where a value belongs");
}

}  // namespace
}  // namespace tsdb_source::client
