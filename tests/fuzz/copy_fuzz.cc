// Fuzz target: a binary COPY stream through CopyBinaryParser into a BatchBuilder, as the
// chunk readers use them.
//
// Input layout (tests/fuzz/make_corpus.py writes seeds in it):
//   byte 0        number of columns, modulo kMaxColumns + 1
//   byte 1        server version the values come from (kServerVersions, modulo)
//   1 byte/column the column's type OID (kTypeOids, modulo): every type with a binary
//                 decoder, every supported array type, and one unknown type (read as text)
//   the rest      the COPY stream: header, tuples, trailer
//
// Checked besides memory safety (ASan, with every value copied to an exactly sized block)
// and undefined behaviour (UBSan):
// - the stream form (NextRowInStream) and the per-buffer form (NextRow, given exactly the
//   bytes the stream form consumed, in an exactly sized copy) agree on every row;
// - a parser error is InvalidArgument or DataLoss, and every later call FailedPrecondition;
//   bytes after the trailer are FailedPrecondition;
// - the BatchBuilder contract (checked_builder.h).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "service/pg/copy/batch_builder.h"
#include "service/pg/copy/copy_binary_parser.h"
#include "tests/fuzz/checked_builder.h"
#include "tests/fuzz/exact_fields.h"
#include "tests/fuzz/fuzz_check.h"

namespace tsdb_source::fuzz {
namespace {

constexpr size_t kMaxColumns = 32;

constexpr int kServerVersions[] = {0, 150000, 160000, 170000};

constexpr uint32_t kTypeOids[] = {
    // Scalars with a binary decoder (binary_values.h), in pg_oid order.
    16, 17, 18, 19, 20, 21, 23, 25, 26, 114, 142, 650, 700, 701, 774, 829, 869, 1042, 1043,
    1082, 1083, 1114, 1184, 1186, 1266, 1700, 2950, 3802,
    // Their arrays (ElementTypeForArray).
    1000, 1001, 1002, 1003, 1016, 1005, 1007, 1009, 1028, 199, 143, 651, 1021, 1022, 775,
    1040, 1041, 1014, 1015, 1182, 1183, 1115, 1185, 1187, 1270, 1231, 2951, 3807,
    // An unknown type (point): read as text.
    600,
};
constexpr size_t kTypeCount = sizeof(kTypeOids) / sizeof(kTypeOids[0]);

bool SameFields(const std::vector<pg::FieldView>& a, const std::vector<pg::FieldView>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].is_null() != b[i].is_null() || a[i].bytes() != b[i].bytes()) return false;
  }
  return true;
}

}  // namespace
}  // namespace tsdb_source::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace tsdb_source;
  using namespace tsdb_source::fuzz;
  if (size < 2) return 0;
  const size_t columns = data[0] % (kMaxColumns + 1);
  const int server_version = kServerVersions[data[1] % 4];
  if (size < 2 + columns) return 0;
  std::vector<pg::ColumnSpec> specs;
  for (size_t c = 0; c < columns; ++c) {
    specs.push_back({absl::StrCat("c", c), kTypeOids[data[2 + c] % kTypeCount], 0});
  }
  absl::StatusOr<pg::BatchBuilder> created = pg::BatchBuilder::Create(specs, server_version);
  FUZZ_CHECK(created.ok(), "every type of the table has a decoder: %s",
             created.status().ToString().c_str());
  CheckedBuilder builder(*std::move(created));

  absl::string_view input(reinterpret_cast<const char*>(data) + 2 + columns,
                          size - 2 - columns);
  pg::CopyBinaryParser stream(static_cast<int>(columns));
  pg::CopyBinaryParser buffers(static_cast<int>(columns));
  std::vector<pg::FieldView> fields, buffer_fields;
  ExactFields exact;
  while (true) {
    const absl::string_view before = input;
    absl::StatusOr<bool> row = stream.NextRowInStream(&input, &fields);
    if (!row.ok()) {
      const absl::StatusCode code = row.status().code();
      FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
                     code == absl::StatusCode::kDataLoss,
                 "unexpected parser error: %s", row.status().ToString().c_str());
      absl::StatusOr<bool> again = stream.NextRowInStream(&input, &fields);
      FUZZ_CHECK(again.status().code() == absl::StatusCode::kFailedPrecondition,
                 "a failed parser went on: %s", again.status().ToString().c_str());
      break;
    }
    FUZZ_CHECK(input.size() < before.size(), "a row consumed no bytes");
    std::unique_ptr<char[]> storage;
    absl::string_view buffer =
        ExactCopy(before.substr(0, before.size() - input.size()), &storage);
    absl::StatusOr<bool> buffer_row = buffers.NextRow(buffer, &buffer_fields);
    FUZZ_CHECK(buffer_row.ok() && *buffer_row == *row,
               "NextRow disagrees with NextRowInStream on the same bytes: %s",
               buffer_row.status().ToString().c_str());
    if (!*row) {
      FUZZ_CHECK(stream.finished() && buffers.finished(), "the trailer did not finish");
      if (!input.empty()) {
        absl::StatusOr<bool> after = stream.NextRowInStream(&input, &fields);
        FUZZ_CHECK(after.status().code() == absl::StatusCode::kFailedPrecondition,
                   "bytes after the trailer: %s", after.status().ToString().c_str());
      }
      builder.Release();
      break;
    }
    FUZZ_CHECK(fields.size() == columns && SameFields(fields, buffer_fields),
               "NextRow and NextRowInStream return different fields");
    // A row the builder refuses ends the stream, as it ends a chunk read.
    if (!builder.Append(exact.Copy(buffer_fields)).ok()) break;
  }
  return 0;
}
