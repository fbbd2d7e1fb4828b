// The text of a time with time zone as the service sends it (VALUE_KIND_TIMETZ,
// "HH:MM:SS[.ffffff]+HH:MM[:SS]"), read back into numbers for formats that carry times as
// numbers (the socket data channel's OffsetTime: nanoseconds of the local day and the
// offset east of UTC in seconds).
// Thread-safety: a pure function.
#pragma once

#include <cstdint>
#include <string_view>

namespace tsdb_source::client {

// Accepts "HH:MM:SS", an optional fraction of 1 to 9 digits, then a sign and "HH", ":MM"
// and ":SS" optional. The time lies in [00:00:00, 24:00:00] (PostgreSQL allows 24:00:00,
// given as 86'400'000'000'000 ns), minutes and seconds below 60, the offset within
// +-18:00 (java.time's limit; PostgreSQL's is +-15:59:59). False for anything else.
[[nodiscard]] bool ParseTimetzText(std::string_view text, uint64_t* nanos_of_day,
                                   int32_t* offset_seconds);

}  // namespace tsdb_source::client
