// Test helpers for the binary COPY fixtures of pg15_fixtures.h: hex decoding, splitting a
// whole COPY stream into the buffers PQgetCopyData would return (with a walker written
// independently of CopyBinaryParser), and a parsed view of a fixture's rows. Test-only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "service/pg/copy/copy_binary_parser.h"
#include "service/pg/copy/field_view.h"
#include "service/pg/copy/wire_reader.h"

namespace tsdb_source::pg::test_util {

inline std::string FromHex(absl::string_view hex) { return absl::HexStringToBytes(hex); }

// Splits a complete binary COPY stream the way libpq hands it out: the header joined to
// the first tuple (or to the trailer when there are no rows), then one buffer per tuple,
// the trailer last. Returns an empty vector (and fails the test) on a malformed stream.
inline std::vector<std::string> SplitLikeLibpq(absl::string_view stream) {
  std::vector<std::string> buffers;
  WireReader reader(stream);
  int32_t extension = 0;
  if (!reader.Skip(15) || !reader.ReadI32(&extension) || extension < 0 ||
      !reader.Skip(static_cast<size_t>(extension))) {
    ADD_FAILURE() << "fixture: bad header";
    return {};
  }
  size_t start = 0;
  while (true) {
    int16_t count;
    if (!reader.ReadI16(&count)) {
      ADD_FAILURE() << "fixture: no trailer";
      return {};
    }
    if (count == -1) break;
    for (int i = 0; i < count; ++i) {
      int32_t length;
      if (!reader.ReadI32(&length) || (length > 0 && !reader.Skip(length))) {
        ADD_FAILURE() << "fixture: truncated tuple";
        return {};
      }
    }
    buffers.emplace_back(stream.substr(start, reader.position() - start));
    start = reader.position();
  }
  buffers.emplace_back(stream.substr(start, reader.position() - start));
  if (reader.remaining() != 0) ADD_FAILURE() << "fixture: bytes after the trailer";
  return buffers;
}

// A fixture parsed with CopyBinaryParser: the bytes it owns and each row's FieldViews into
// them. Neither copyable nor movable, so the views stay valid.
class ParsedFixture {
 public:
  ParsedFixture(absl::string_view hex, int columns) : bytes_(FromHex(hex)) {
    CopyBinaryParser parser(columns);
    absl::string_view input(bytes_);
    std::vector<FieldView> fields;
    while (true) {
      absl::StatusOr<bool> row = parser.NextRowInStream(&input, &fields);
      if (!row.ok()) {
        ADD_FAILURE() << row.status();
        return;
      }
      if (!*row) break;
      rows_.push_back(fields);
    }
    EXPECT_TRUE(input.empty());
  }
  ParsedFixture(const ParsedFixture&) = delete;
  ParsedFixture& operator=(const ParsedFixture&) = delete;

  size_t size() const { return rows_.size(); }
  const std::vector<FieldView>& row(size_t i) const { return rows_.at(i); }
  const FieldView& field(size_t row, size_t column) const { return rows_.at(row).at(column); }
  // A field's bytes as a string, std::nullopt for NULL.
  std::optional<std::string> text(size_t row, size_t column) const {
    const FieldView& f = field(row, column);
    if (f.is_null()) return std::nullopt;
    return std::string(f.bytes());
  }
  const std::string& bytes() const { return bytes_; }
  const std::vector<std::vector<FieldView>>& rows() const { return rows_; }

 private:
  std::string bytes_;
  std::vector<std::vector<FieldView>> rows_;
};

}  // namespace tsdb_source::pg::test_util
