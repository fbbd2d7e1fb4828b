// PostgreSQL's WAL positions (LSNs, type pg_lsn) as text: "16/B374D848" is the 64-bit
// position 0x16B374D848, the high and low 32 bits in hexadecimal. The one parser and the one
// formatter of that text, for the replication client, the CDC read and the tests. Pure
// functions, thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tsdb_source::pg {

// "16/B374D848" -> 0x16B374D848, as pg_lsn_in reads it (1-8 hex digits of either case on
// each side of one '/', nothing else). InvalidArgument naming the text otherwise.
absl::StatusOr<uint64_t> ParseLsn(absl::string_view text);

// 0x16B374D848 -> "16/B374D848", as pg_lsn_out prints it (uppercase, no padding).
std::string FormatLsn(uint64_t lsn);

}  // namespace tsdb_source::pg
