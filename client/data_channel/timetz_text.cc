#include "client/data_channel/timetz_text.h"

namespace tsdb_source::client {
namespace {

constexpr uint64_t kNanosPerSecond = 1'000'000'000;
constexpr uint64_t kNanosPerDay = 86'400 * kNanosPerSecond;
constexpr int32_t kMaxOffsetSeconds = 18 * 3600;

// Two digits at text[*i], advanced past them.
bool TwoDigits(std::string_view text, size_t* i, int* value) {
  if (*i + 2 > text.size()) return false;
  const char a = text[*i];
  const char b = text[*i + 1];
  if (a < '0' || a > '9' || b < '0' || b > '9') return false;
  *value = (a - '0') * 10 + (b - '0');
  *i += 2;
  return true;
}

// ":" and two digits below 60 at text[*i].
bool ColonSixty(std::string_view text, size_t* i, int* value) {
  if (*i >= text.size() || text[*i] != ':') return false;
  ++*i;
  return TwoDigits(text, i, value) && *value < 60;
}

}  // namespace

bool ParseTimetzText(std::string_view text, uint64_t* nanos_of_day, int32_t* offset_seconds) {
  size_t i = 0;
  int hours, minutes, seconds;
  if (!TwoDigits(text, &i, &hours) || !ColonSixty(text, &i, &minutes) ||
      !ColonSixty(text, &i, &seconds)) {
    return false;
  }
  uint64_t fraction = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    int digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (++digits > 9) return false;
      fraction = fraction * 10 + static_cast<uint64_t>(text[i] - '0');
      ++i;
    }
    if (digits == 0) return false;
    for (; digits < 9; ++digits) fraction *= 10;
  }
  const uint64_t nanos =
      (static_cast<uint64_t>(hours) * 3600 + static_cast<uint64_t>(minutes) * 60 +
       static_cast<uint64_t>(seconds)) * kNanosPerSecond + fraction;
  if (nanos > kNanosPerDay) return false;

  if (i >= text.size() || (text[i] != '+' && text[i] != '-')) return false;
  const bool west = text[i] == '-';
  ++i;
  int offset_hours, offset_minutes = 0, offset_secs = 0;
  if (!TwoDigits(text, &i, &offset_hours)) return false;
  if (i < text.size() && !ColonSixty(text, &i, &offset_minutes)) return false;
  if (i < text.size() && !ColonSixty(text, &i, &offset_secs)) return false;
  if (i != text.size()) return false;
  const int32_t offset = offset_hours * 3600 + offset_minutes * 60 + offset_secs;
  if (offset > kMaxOffsetSeconds) return false;
  *nanos_of_day = nanos;
  *offset_seconds = west ? -offset : offset;
  return true;
}

}  // namespace tsdb_source::client
