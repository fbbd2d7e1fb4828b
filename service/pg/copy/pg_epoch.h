// PostgreSQL's time epoch: its binary formats (COPY, pgoutput, the replication protocol's
// clocks) count dates and timestamps from 2000-01-01, Unix time from 1970-01-01. The one
// definition of the offset between them.
#pragma once

#include <cstdint>

namespace tsdb_source::pg {

// Microseconds and days between 1970-01-01 and 2000-01-01.
inline constexpr int64_t kPgEpochOffsetMicros = 946684800000000;
inline constexpr int64_t kPgEpochOffsetDays = 10957;

}  // namespace tsdb_source::pg
