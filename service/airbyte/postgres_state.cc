#include "service/airbyte/postgres_state.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace tsdb_source::airbyte {
namespace {

// The state version this release writes (read/stream_plan.h kStateVersion).
constexpr uint32_t kStateVersion = 1;

std::string Name(const v1::StreamDescriptor& d) {
  return d.namespace_().empty() ? d.name() : absl::StrCat(d.namespace_(), ".", d.name());
}

}  // namespace

MigratedState MigratePostgresState(const PostgresStreamState& theirs,
                                   const v1::StreamDescriptor& stream) {
  MigratedState out;
  const std::string name = Name(stream);
  v1::StreamState state;
  state.set_version(kStateVersion);
  *state.mutable_stream() = stream;
  state.set_sync_mode(v1::SYNC_MODE_INCREMENTAL);
  if (theirs.state_type == "cursor_based" && theirs.cursor_field.size() == 1) {
    state.add_cursor_field(theirs.cursor_field[0]);
    if (!theirs.cursor.empty()) state.mutable_cursor()->set_text_value(theirs.cursor);
    out.state = std::move(state);
    out.warning = absl::StrCat(
        "stream ", name, ": an Airbyte Postgres cursor state is taken over (",
        theirs.cursor.empty() ? absl::StrCat("cursor ", theirs.cursor_field[0], ", no value yet")
                              : absl::StrCat(theirs.cursor_field[0], " >= ", theirs.cursor),
        ")");
    return out;
  }
  if (theirs.state_type == "xmin" && theirs.xmin_raw_value > 0) {
    state.mutable_xmin()->set_horizon(theirs.xmin_raw_value);
    out.state = std::move(state);
    out.warning = absl::StrCat("stream ", name, ": an Airbyte Postgres xmin state is taken over "
                               "(continuing from transaction ", theirs.xmin_raw_value, ")");
    return out;
  }
  if (theirs.state_type == "cursor_based") {
    out.warning = absl::StrCat("stream ", name, ": an Airbyte Postgres cursor state over ",
                               theirs.cursor_field.size(), " cursor fields (",
                               absl::StrJoin(theirs.cursor_field, ", "),
                               ") cannot be continued; the stream is read in full");
    return out;
  }
  out.warning = absl::StrCat("stream ", name, ": an Airbyte Postgres '", theirs.state_type,
                             "' state cannot be continued; the stream is read in full");
  return out;
}

}  // namespace tsdb_source::airbyte
