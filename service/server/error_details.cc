#include "service/server/error_details.h"

#include <cstdint>

namespace tsdb_source {
namespace {

void PutVarint(std::string* out, uint64_t value) {
  while (value >= 0x80) {
    out->push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

// A length-delimited field (wire type 2): strings, bytes and embedded messages.
void PutBytes(std::string* out, int field, absl::string_view value) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | 2);
  PutVarint(out, value.size());
  out->append(value.data(), value.size());
}

}  // namespace

std::string EncodeStatusDetails(int code, absl::string_view message, absl::string_view reason,
                                const std::map<std::string, std::string>& metadata) {
  std::string info;
  PutBytes(&info, 1, reason);
  PutBytes(&info, 2, kErrorDomain);
  for (const auto& [key, value] : metadata) {
    if (value.empty()) continue;
    std::string entry;
    PutBytes(&entry, 1, key);
    PutBytes(&entry, 2, value);
    PutBytes(&info, 3, entry);
  }
  std::string any;
  PutBytes(&any, 1, kErrorInfoTypeUrl);
  PutBytes(&any, 2, info);

  std::string status;
  if (code != 0) {
    PutVarint(&status, (1 << 3) | 0);
    // int32: negative values would take ten bytes; canonical codes are 0..16.
    PutVarint(&status, static_cast<uint64_t>(static_cast<int64_t>(code)));
  }
  if (!message.empty()) PutBytes(&status, 2, message);
  PutBytes(&status, 3, any);
  return status;
}

}  // namespace tsdb_source
