#include "service/pg/copy/copy_binary_parser.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/pg/copy/fixture_util.h"
#include "tests/pg/copy/pg15_fixtures.h"

namespace tsdb_source::pg {
namespace {

using ::testing::HasSubstr;
using test_util::FromHex;
using test_util::SplitLikeLibpq;

// The fixed header PostgreSQL writes: signature, flags 0, no extension.
const std::string kHeader = FromHex("5047434f50590aff0d0a00" "00000000" "00000000");
const std::string kTrailer = FromHex("ffff");

// One tuple of an int4 (value) and a text (bytes) field.
std::string Tuple(int32_t value, absl::string_view text) {
  std::string t = FromHex("0002" "00000004");
  for (int shift = 24; shift >= 0; shift -= 8) t.push_back(static_cast<char>(value >> shift));
  const uint32_t n = static_cast<uint32_t>(text.size());
  for (int shift = 24; shift >= 0; shift -= 8) t.push_back(static_cast<char>(n >> shift));
  t.append(text.data(), text.size());
  return t;
}

std::string Header(uint32_t flags, absl::string_view extension) {
  std::string h = kHeader.substr(0, 11);
  for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<char>(flags >> shift));
  const uint32_t n = static_cast<uint32_t>(extension.size());
  for (int shift = 24; shift >= 0; shift -= 8) h.push_back(static_cast<char>(n >> shift));
  h.append(extension.data(), extension.size());
  return h;
}

bool IsMalformedCode(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kDataLoss;
}

TEST(CopyBinaryParserTest, HeaderArrivesWithTheFirstRow) {
  // SELECT i, 'x' || i AS s FROM generate_series(1, 3) i
  const std::vector<std::string> buffers =
      SplitLikeLibpq(FromHex(fixtures::kTwoColumns));
  ASSERT_EQ(buffers.size(), 4u);
  EXPECT_EQ(buffers[0].size(), CopyBinaryParser::kHeaderSize + 16);

  CopyBinaryParser parser(2);
  std::vector<FieldView> fields;
  for (int i = 1; i <= 3; ++i) {
    absl::StatusOr<bool> row = parser.NextRow(buffers[i - 1], &fields);
    ASSERT_TRUE(row.ok()) << row.status();
    ASSERT_TRUE(*row);
    ASSERT_EQ(fields.size(), 2u);
    EXPECT_EQ(fields[0].bytes(), std::string("\0\0\0", 3) + static_cast<char>(i));
    EXPECT_EQ(fields[1].bytes(), absl::StrCat("x", i));
    EXPECT_TRUE(parser.header_seen());
  }
  absl::StatusOr<bool> end = parser.NextRow(buffers[3], &fields);
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_FALSE(*end);
  EXPECT_TRUE(parser.finished());
  EXPECT_EQ(parser.rows(), 3u);
}

TEST(CopyBinaryParserTest, EmptyResultIsOneBufferOfHeaderAndTrailer) {
  // SELECT 1::int4 WHERE false
  const std::string stream = FromHex(fixtures::kEmpty);
  ASSERT_EQ(stream.size(), CopyBinaryParser::kHeaderSize + 2);
  CopyBinaryParser parser(1);
  std::vector<FieldView> fields;
  absl::StatusOr<bool> row = parser.NextRow(stream, &fields);
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_FALSE(*row);
  EXPECT_TRUE(parser.finished());
  EXPECT_EQ(parser.rows(), 0u);
}

TEST(CopyBinaryParserTest, RowsWithZeroFields) {
  // SELECT FROM generate_series(1, 2)
  const std::vector<std::string> buffers = SplitLikeLibpq(FromHex(fixtures::kZeroColumns));
  ASSERT_EQ(buffers.size(), 3u);
  CopyBinaryParser parser(0);
  std::vector<FieldView> fields;
  EXPECT_TRUE(*parser.NextRow(buffers[0], &fields));
  EXPECT_TRUE(fields.empty());
  EXPECT_TRUE(*parser.NextRow(buffers[1], &fields));
  EXPECT_FALSE(*parser.NextRow(buffers[2], &fields));
}

TEST(CopyBinaryParserTest, NullFieldsHaveLengthMinusOne) {
  // Row 4 of kIntegers: (true, NULL, NULL, NULL, NULL).
  const std::vector<std::string> buffers = SplitLikeLibpq(FromHex(fixtures::kIntegers));
  ASSERT_EQ(buffers.size(), 5u);
  CopyBinaryParser parser(5);
  std::vector<FieldView> fields;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(*parser.NextRow(buffers[i], &fields));
  EXPECT_FALSE(fields[0].is_null());
  EXPECT_EQ(fields[0].bytes(), "\x01");
  for (int c = 1; c < 5; ++c) {
    EXPECT_TRUE(fields[c].is_null()) << c;
    EXPECT_EQ(fields[c].length, -1);
    EXPECT_EQ(fields[c].data, nullptr);
  }
}

TEST(CopyBinaryParserTest, FieldVectorIsReusedWithoutReallocation) {
  const std::vector<std::string> buffers = SplitLikeLibpq(FromHex(fixtures::kMixedBatch));
  CopyBinaryParser parser(7);
  std::vector<FieldView> fields;
  ASSERT_TRUE(*parser.NextRow(buffers[0], &fields));
  const FieldView* storage = fields.data();
  for (size_t i = 1; i + 1 < buffers.size(); ++i) {
    ASSERT_TRUE(*parser.NextRow(buffers[i], &fields));
    EXPECT_EQ(fields.data(), storage);
  }
}

TEST(CopyBinaryParserTest, StreamFormReadsAWholeFile) {
  const std::string stream = FromHex(fixtures::kMixedBatch);
  CopyBinaryParser parser(7);
  absl::string_view input(stream);
  std::vector<FieldView> fields;
  int rows = 0;
  while (true) {
    absl::StatusOr<bool> row = parser.NextRowInStream(&input, &fields);
    ASSERT_TRUE(row.ok()) << row.status();
    if (!*row) break;
    ++rows;
  }
  EXPECT_EQ(rows, 10);
  EXPECT_TRUE(input.empty());
  // Bytes after the trailer are left in the input, and a further call is refused.
  std::string with_garbage = stream + "zz";
  CopyBinaryParser parser2(7);
  absl::string_view input2(with_garbage);
  while (*parser2.NextRowInStream(&input2, &fields)) {
  }
  EXPECT_EQ(input2, "zz");
  EXPECT_EQ(parser2.NextRowInStream(&input2, &fields).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(CopyBinaryParserTest, NotABinaryCopyStream) {
  CopyBinaryParser parser(2);
  std::vector<FieldView> fields;
  // What COPY ... (FORMAT text) would send.
  absl::StatusOr<bool> row = parser.NextRow("1\tx1\n", &fields);
  EXPECT_EQ(row.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(row.status().message(), HasSubstr("PGCOPY signature"));
  std::string bad_signature = kHeader + kTrailer;
  bad_signature[7] = '\xfe';
  CopyBinaryParser parser2(2);
  EXPECT_EQ(parser2.NextRow(bad_signature, &fields).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CopyBinaryParserTest, EveryTruncationOfTheFirstBufferFails) {
  const std::vector<std::string> buffers = SplitLikeLibpq(FromHex(fixtures::kMixedBatch));
  const std::string& first = buffers[0];
  for (size_t n = 0; n < first.size(); ++n) {
    CopyBinaryParser parser(7);
    std::vector<FieldView> fields;
    absl::StatusOr<bool> row = parser.NextRow(absl::string_view(first).substr(0, n), &fields);
    ASSERT_FALSE(row.ok()) << "prefix of " << n << " bytes was accepted";
    EXPECT_TRUE(IsMalformedCode(row.status().code())) << row.status();
    if (n < CopyBinaryParser::kHeaderSize) {
      EXPECT_EQ(row.status().code(), absl::StatusCode::kDataLoss) << row.status();
      EXPECT_THAT(row.status().message(), HasSubstr("truncated header"));
    }
  }
}

TEST(CopyBinaryParserTest, EveryTruncationOfALaterRowIsDataLoss) {
  const std::vector<std::string> buffers = SplitLikeLibpq(FromHex(fixtures::kMixedBatch));
  const std::string& second = buffers[1];
  for (size_t n = 0; n < second.size(); ++n) {
    CopyBinaryParser parser(7);
    std::vector<FieldView> fields;
    ASSERT_TRUE(*parser.NextRow(buffers[0], &fields));
    absl::StatusOr<bool> row =
        parser.NextRow(absl::string_view(second).substr(0, n), &fields);
    ASSERT_FALSE(row.ok()) << "prefix of " << n << " bytes was accepted";
    EXPECT_EQ(row.status().code(), absl::StatusCode::kDataLoss) << row.status();
    EXPECT_THAT(row.status().message(), HasSubstr("row 1"));
  }
}

TEST(CopyBinaryParserTest, BytesLeftInABufferAreDataLoss) {
  CopyBinaryParser parser(2);
  std::vector<FieldView> fields;
  absl::StatusOr<bool> row =
      parser.NextRow(kHeader + Tuple(1, "a") + std::string(1, '\0'), &fields);
  EXPECT_EQ(row.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(row.status().message(), HasSubstr("1 unexpected byte(s) after row 0"));

  // Two tuples in one buffer break the one-row-per-buffer contract.
  CopyBinaryParser parser2(2);
  EXPECT_EQ(parser2.NextRow(kHeader + Tuple(1, "a") + Tuple(2, "b"), &fields).status().code(),
            absl::StatusCode::kDataLoss);

  CopyBinaryParser parser3(2);
  ASSERT_TRUE(*parser3.NextRow(kHeader + Tuple(1, "a"), &fields));
  absl::StatusOr<bool> end = parser3.NextRow(kTrailer + "x", &fields);
  EXPECT_EQ(end.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(end.status().message(), HasSubstr("after the trailer"));
}

TEST(CopyBinaryParserTest, WrongFieldCount) {
  CopyBinaryParser parser(3);
  std::vector<FieldView> fields;
  absl::StatusOr<bool> row = parser.NextRow(kHeader + Tuple(1, "a"), &fields);
  EXPECT_EQ(row.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(row.status().message(), HasSubstr("row 0 has 2 fields, expected 3"));
}

TEST(CopyBinaryParserTest, InvalidFieldLengths) {
  std::vector<FieldView> fields;
  {
    CopyBinaryParser parser(1);
    absl::StatusOr<bool> row = parser.NextRow(kHeader + FromHex("0001" "fffffffe"), &fields);
    EXPECT_EQ(row.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(row.status().message(), HasSubstr("invalid length -2"));
  }
  {
    CopyBinaryParser parser(1);
    absl::StatusOr<bool> row =
        parser.NextRow(kHeader + FromHex("0001" "7fffffff" "00"), &fields);
    EXPECT_EQ(row.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(row.status().message(), HasSubstr("length 2147483647 but only 1 byte(s)"));
  }
  {
    CopyBinaryParser parser(1);
    absl::StatusOr<bool> row =
        parser.NextRow(kHeader + FromHex("0001" "80000000"), &fields);
    EXPECT_EQ(row.status().code(), absl::StatusCode::kInvalidArgument);
  }
}

TEST(CopyBinaryParserTest, HeaderFlagsAndExtension) {
  std::vector<FieldView> fields;
  {
    CopyBinaryParser parser(2);
    absl::StatusOr<bool> row = parser.NextRow(Header(1u << 16, "") + kTrailer, &fields);
    EXPECT_EQ(row.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(row.status().message(), HasSubstr("OIDs"));
  }
  {
    CopyBinaryParser parser(2);
    absl::StatusOr<bool> row = parser.NextRow(Header(1u, "") + kTrailer, &fields);
    EXPECT_EQ(row.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(row.status().message(), HasSubstr("critical"));
  }
  {
    // Non-critical flag bits (17-31) are ignored, an extension is skipped.
    CopyBinaryParser parser(2);
    const std::string buffer = Header((1u << 17) | (1u << 31), "ext!") + Tuple(7, "z");
    absl::StatusOr<bool> row = parser.NextRow(buffer, &fields);
    ASSERT_TRUE(row.ok()) << row.status();
    EXPECT_EQ(fields[1].bytes(), "z");
  }
  {
    CopyBinaryParser parser(2);
    std::string header = Header(0, "");
    header[15] = '\x80';  // extension length < 0
    EXPECT_EQ(parser.NextRow(header + kTrailer, &fields).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
  {
    CopyBinaryParser parser(2);
    std::string header = Header(0, "");
    header[18] = '\x10';  // 16-byte extension, absent
    absl::StatusOr<bool> row = parser.NextRow(header + kTrailer, &fields);
    EXPECT_EQ(row.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(row.status().message(), HasSubstr("extension"));
  }
}

TEST(CopyBinaryParserTest, NoCallsAfterTheTrailerOrAnError) {
  std::vector<FieldView> fields;
  CopyBinaryParser parser(2);
  ASSERT_FALSE(*parser.NextRow(kHeader + kTrailer, &fields));
  absl::StatusOr<bool> after = parser.NextRow(Tuple(1, "a"), &fields);
  EXPECT_EQ(after.status().code(), absl::StatusCode::kFailedPrecondition);

  CopyBinaryParser failed(2);
  EXPECT_FALSE(failed.NextRow(kHeader + FromHex("0002"), &fields).ok());
  absl::StatusOr<bool> next = failed.NextRow(Tuple(1, "a"), &fields);
  EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(next.status().message(), HasSubstr("cannot be resumed"));
}

TEST(CopyBinaryParserTest, HeaderIsOnlyExpectedOnce) {
  // A second header is not a tuple: its first two bytes read as a field count.
  std::vector<FieldView> fields;
  CopyBinaryParser parser(2);
  ASSERT_TRUE(*parser.NextRow(kHeader + Tuple(1, "a"), &fields));
  EXPECT_FALSE(parser.NextRow(kHeader + Tuple(2, "b"), &fields).ok());
}

}  // namespace
}  // namespace tsdb_source::pg
