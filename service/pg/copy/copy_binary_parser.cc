#include "service/pg/copy/copy_binary_parser.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "service/pg/copy/wire_reader.h"

namespace tsdb_source::pg {
namespace {

constexpr char kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', '\377', '\r', '\n', '\0'};
// Flag bit 16: an OID column precedes the fields (never sent by PostgreSQL 12+).
constexpr uint32_t kFlagHasOids = uint32_t{1} << 16;
// Bits 0-15 are reserved for format-critical flags: a reader must stop on any it does not
// know. Bits 17-31 are non-critical and ignored.
constexpr uint32_t kCriticalFlagsMask = 0xFFFF;

}  // namespace

absl::Status CopyBinaryParser::Fail(absl::Status status) {
  failed_ = true;
  return status;
}

absl::Status CopyBinaryParser::ReadHeader(WireReader* reader) {
  absl::string_view signature;
  if (!reader->ReadBytes(sizeof(kSignature), &signature)) {
    // Tell a short buffer that starts like a header from something else entirely.
    absl::string_view head(reader->cursor(), reader->remaining());
    if (absl::string_view(kSignature, sizeof(kSignature)).substr(0, head.size()) == head) {
      return absl::DataLossError(absl::StrCat("COPY binary: truncated header (",
                                              head.size(), " of ", kHeaderSize, " bytes)"));
    }
    return absl::InvalidArgumentError(
        "COPY binary: the stream does not start with the PGCOPY signature");
  }
  if (std::memcmp(signature.data(), kSignature, sizeof(kSignature)) != 0) {
    return absl::InvalidArgumentError(
        "COPY binary: the stream does not start with the PGCOPY signature "
        "(was the COPY run with FORMAT binary?)");
  }
  uint32_t flags;
  int32_t extension_length;
  if (!reader->ReadU32(&flags) || !reader->ReadI32(&extension_length)) {
    return absl::DataLossError(absl::StrCat("COPY binary: truncated header (",
                                            reader->position() + reader->remaining(),
                                            " of ", kHeaderSize, " bytes)"));
  }
  if (flags & kFlagHasOids) {
    return absl::InvalidArgumentError(
        "COPY binary: the stream carries OIDs (header flag bit 16), which is not supported");
  }
  if (flags & kCriticalFlagsMask) {
    return absl::InvalidArgumentError(absl::StrCat(
        "COPY binary: unknown critical header flags 0x",
        absl::Hex(flags & kCriticalFlagsMask, absl::kZeroPad4)));
  }
  if (extension_length < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "COPY binary: negative header extension length ", extension_length));
  }
  if (!reader->Skip(static_cast<size_t>(extension_length))) {
    return absl::DataLossError(absl::StrCat("COPY binary: header extension of ",
                                            extension_length, " bytes is truncated (",
                                            reader->remaining(), " present)"));
  }
  header_seen_ = true;
  return absl::OkStatus();
}

absl::StatusOr<bool> CopyBinaryParser::NextRowInStream(absl::string_view* input,
                                                       std::vector<FieldView>* fields) {
  if (failed_) {
    return absl::FailedPreconditionError(
        "COPY binary: the stream already failed; it cannot be resumed");
  }
  if (finished_) {
    return absl::FailedPreconditionError("COPY binary: data after the trailer");
  }
  WireReader reader(*input);
  if (!header_seen_) {
    absl::Status status = ReadHeader(&reader);
    if (!status.ok()) return Fail(std::move(status));
  }
  int16_t field_count;
  if (!reader.ReadI16(&field_count)) {
    return Fail(absl::DataLossError(absl::StrCat(
        "COPY binary: row ", rows_, ": truncated before the field count (",
        reader.remaining(), " byte(s) left)")));
  }
  if (field_count == -1) {
    finished_ = true;
    input->remove_prefix(reader.position());
    return false;
  }
  if (field_count != expected_fields_) {
    return Fail(absl::InvalidArgumentError(
        absl::StrCat("COPY binary: row ", rows_, " has ", field_count,
                     " fields, expected ", expected_fields_)));
  }
  fields->resize(static_cast<size_t>(field_count));
  FieldView* out = fields->data();
  for (int i = 0; i < field_count; ++i) {
    int32_t length;
    if (!reader.ReadI32(&length)) {
      return Fail(absl::DataLossError(
          absl::StrCat("COPY binary: row ", rows_, ", field ", i,
                       ": truncated before the field length")));
    }
    if (length == -1) {
      out[i] = FieldView::Null();
      continue;
    }
    if (length < 0) {
      return Fail(absl::InvalidArgumentError(absl::StrCat(
          "COPY binary: row ", rows_, ", field ", i, ": invalid length ", length)));
    }
    if (static_cast<size_t>(length) > reader.remaining()) {
      return Fail(absl::DataLossError(absl::StrCat(
          "COPY binary: row ", rows_, ", field ", i, ": length ", length, " but only ",
          reader.remaining(), " byte(s) left")));
    }
    out[i] = FieldView{reader.cursor(), length};
    reader.Skip(static_cast<size_t>(length));
  }
  input->remove_prefix(reader.position());
  ++rows_;
  return true;
}

absl::StatusOr<bool> CopyBinaryParser::NextRow(absl::string_view buffer,
                                               std::vector<FieldView>* fields) {
  absl::StatusOr<bool> result = NextRowInStream(&buffer, fields);
  if (result.ok() && !buffer.empty()) {
    return Fail(absl::DataLossError(absl::StrCat(
        "COPY binary: ", buffer.size(), " unexpected byte(s) after ",
        *result ? absl::StrCat("row ", rows_ - 1) : std::string("the trailer"),
        " in one buffer")));
  }
  return result;
}

}  // namespace tsdb_source::pg
