#include "client/data_channel/field_order.h"

#include <algorithm>
#include <cstdint>

#include "client/json/json_writer.h"

namespace tsdb_source::client {
namespace {

void AppendUnits(uint32_t cp, std::u16string* out) {
  if (cp < 0x10000) {
    out->push_back(static_cast<char16_t>(cp));
    return;
  }
  cp -= 0x10000;
  out->push_back(static_cast<char16_t>(0xD800 + (cp >> 10)));
  out->push_back(static_cast<char16_t>(0xDC00 + (cp & 0x3FF)));
}

}  // namespace

std::u16string Utf16Of(std::string_view utf8) {
  std::string valid;
  if (!IsWellFormedUtf8(utf8)) {
    AppendUtf8Replacing(utf8, &valid);
    utf8 = valid;
  }
  std::u16string out;
  out.reserve(utf8.size());
  const unsigned char* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const unsigned char* const end = p + utf8.size();
  while (p < end) {
    const unsigned lead = *p;
    // Well-formed: the lead byte says the length, the rest are continuation bytes.
    const int length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    static constexpr unsigned kLeadBits[5] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    uint32_t cp = lead & kLeadBits[length];
    for (int k = 1; k < length; ++k) cp = (cp << 6) | (p[k] & 0x3F);
    AppendUnits(cp, &out);
    p += length;
  }
  return out;
}

bool Utf16Less(std::string_view a, std::string_view b) { return Utf16Of(a) < Utf16Of(b); }

std::vector<int> OrderByUtf16(const std::vector<std::string>& names) {
  std::vector<std::u16string> keys;
  keys.reserve(names.size());
  for (const std::string& name : names) keys.push_back(Utf16Of(name));
  std::vector<int> order(names.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int x, int y) { return keys[x] < keys[y]; });
  return order;
}

}  // namespace tsdb_source::client
