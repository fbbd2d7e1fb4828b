// The JSON of one stream's STATE (AirbyteStreamState.stream_state) the shim writes: the
// fields of Airbyte's Postgres source (source-postgres) as it writes a cursor state, next to
// tsdb-source's own typed state under one key of its own. One state serves three readers:
//
//   {"state_type": "cursor_based", "version": 2,              <- source-postgres's
//    "stream_name": "metrics", "stream_namespace": "public",     CursorBasedStatus
//    "cursor_field": ["time"], "cursor": "2024-01-02T03:04:05+00:00",
//    "cursor_record_count": 3,
//    "tsdb_source": {<StreamState, proto JSON>}}               <- ours, exact and typed
//
// - The Airbyte platform and its acceptance tests compare `cursor` with the records:
//   CursorText is the text the shim writes for the cursor column's value in a RECORD
//   (json/value_format.h), which is also how source-postgres forms its cursor (the record
//   value's text).
// - source-postgres resumes from it: it parses `cursor` by the column's type
//   (OffsetDateTime/LocalDateTime/LocalDate/integer parsers accept these texts) and, with a
//   cursor_record_count, re-reads the rows at the cursor unless exactly that many exist.
// - tsdb-source resumes from `tsdb_source` (chunk progress, positions, the typed cursor);
//   the text fields are ignored when it is present (ParseState in inputs.h).
// An Xmin state (replication_method Xmin) carries source-postgres's XminStatus fields
// instead: {"state_type": "xmin", "version": 2, "num_wraparound": E, "xmin_xid_value": X,
// "xmin_raw_value": E << 32 | X}, the horizon below which every row was emitted (while a sync
// runs, the previous sync's), so that source-postgres resumes from it too.
// Source-postgres's fields are written for incremental states only: a full refresh state is
// {"tsdb_source": {...}} (source-postgres's full refresh states are ctid positions, which
// have no equivalent here). `cursor` is omitted while there is no cursor yet and when the
// value has no text (infinity, years past 9999: its record value is null as well);
// `cursor_record_count` is omitted when 0 or unknown, as source-postgres omits it.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "tsdb_source/v1/state.pb.h"

namespace tsdb_source::client {

// The key of tsdb-source's own state inside a stream_state object.
inline constexpr char kTsdbSourceStateKey[] = "tsdb_source";
// The version source-postgres writes in its cursor_based states (CursorBasedStatus).
inline constexpr int kSourcePostgresStateVersion = 2;

// The RECORD text of a cursor value: integers in decimal, dates "YYYY-MM-DD", timestamps
// "YYYY-MM-DDTHH:MM:SS[.f]", timestamptz "...+00:00", numeric and text values as they are;
// nullopt for NULL and for values a RECORD writes as null.
std::optional<std::string> CursorText(const v1::ScalarValue& value);

// The stream_state object of `state` as described above. `cursor_record_count`: records
// of this read whose cursor equals state.cursor (0: none or unknown).
std::string StreamStateJson(const v1::StreamState& state, uint64_t cursor_record_count);

}  // namespace tsdb_source::client
