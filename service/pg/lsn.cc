#include "service/pg/lsn.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tsdb_source::pg {

absl::StatusOr<uint64_t> ParseLsn(absl::string_view text) {
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid LSN '", text, "': expected two hexadecimal numbers of 1 to 8 "
                     "digits separated by '/', like 16/B374D848"));
  };
  size_t slash = text.find('/');
  if (slash == absl::string_view::npos) return invalid();
  absl::string_view parts[2] = {text.substr(0, slash), text.substr(slash + 1)};
  uint64_t values[2];
  for (int i = 0; i < 2; ++i) {
    if (parts[i].empty() || parts[i].size() > 8) return invalid();
    uint64_t v = 0;
    for (char c : parts[i]) {
      if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return invalid();
      int digit = c <= '9' ? c - '0' : (absl::ascii_tolower(static_cast<unsigned char>(c)) - 'a' + 10);
      v = v * 16 + static_cast<uint64_t>(digit);
    }
    values[i] = v;
  }
  return (values[0] << 32) | values[1];
}

std::string FormatLsn(uint64_t lsn) {
  return absl::StrFormat("%X/%X", static_cast<uint32_t>(lsn >> 32), static_cast<uint32_t>(lsn));
}

}  // namespace tsdb_source::pg
