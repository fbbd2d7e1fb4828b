#include "service/session/read_session.h"

#include <string>
#include <vector>

#include "service/cdc/cdc_read.h"
#include "service/common/errors.h"
#include "service/common/status_macros.h"
#include "service/config/source_config.h"
#include "service/pg/connection.h"
#include "service/read/event_emitter.h"
#include "service/read/stream_plan.h"
#include "service/read/stream_reader.h"
#include "service/session/discover_streams.h"

namespace tsdb_source {

absl::Status RunRead(const v1::ReadRequest& request, ReadSink* sink, ReadControl* control) {
  ASSIGN_OR_RETURN(ResolvedConfig config, ResolveConfig(request.config()));
  if (request.catalog().streams_size() == 0) {
    return PlanRead(request, v1::Catalog(), config, nullptr).status();
  }
  ASSIGN_OR_RETURN(std::unique_ptr<MainConnection> conn, MainConnection::Open(config.connect, control));
  // Only the configured streams are described (a schema may hold thousands of others).
  std::vector<v1::StreamDescriptor> wanted;
  for (const v1::ConfiguredStream& s : request.catalog().streams()) {
    v1::StreamDescriptor d = s.stream();
    if (d.namespace_().empty()) d.set_namespace_(config.schemas.front());
    wanted.push_back(std::move(d));
  }
  ASSIGN_OR_RETURN(v1::Catalog catalog, DiscoverStreams(conn->get(), config, &wanted));
  std::vector<std::string> warnings;
  std::vector<v1::StreamDescriptor> skipped;
  ASSIGN_OR_RETURN(std::vector<StreamPlan> plans,
                   PlanRead(request, catalog, config, &warnings, &skipped));
  if (!config.cdc && request.has_global_state()) {
    // A change data capture state (ours, or one carried over from another connector) means
    // nothing to a cursor read: say so rather than start every stream over in silence.
    warnings.push_back(
        "the state is a GLOBAL (change data capture) state, but replication_method is Standard: "
        "it is ignored, and every stream is read as if no state had been given (use the state "
        "with replication_method CDC, or start this connection from an empty state)");
  }
  const EventEmitter events(sink, control);
  for (const std::string& warning : warnings) {
    RETURN_IF_ERROR(events.Log(v1::LOG_LEVEL_WARN, warning));
  }
  for (const v1::StreamDescriptor& d : skipped) {
    RETURN_IF_ERROR(events.Status(
        d, v1::STREAM_STATUS_KIND_INCOMPLETE,
        "skipped: the stream does not exist or is not readable in the configured schemas "
        "(run discover again and remove it from the catalog)"));
  }
  if (plans.empty()) return absl::OkStatus();  // every configured stream was skipped
  if (config.cdc) return cdc::RunCdcRead(*conn, config, plans, request, sink, control);
  for (const StreamPlan& plan : plans) {
    if (control != nullptr && control->stop_requested()) {
      // Stopping between streams: every finished stream has its final checkpoint.
      return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_SERVER_SHUTTING_DOWN,
                       "the server is shutting down; resume from the last checkpoint");
    }
    RETURN_IF_ERROR(ReadStream(*conn, config, plan, request.options(), sink, control));
  }
  return absl::OkStatus();
}

}  // namespace tsdb_source
