// The four connector commands: each calls SourceService and writes Airbyte messages.
// Each returns the process exit code (0, or 1 after a TRACE ERROR).
#pragma once

#include <map>
#include <string>

#include "client/airbyte_output.h"
#include "client/service_client.h"

namespace tsdb_source::client {

struct CommandContext {
  ServiceClient* service;
  AirbyteOutput* out;
  std::map<std::string, std::string> options;  // "config", "catalog", "state" -> path
};

int RunSpec(CommandContext& context);
int RunCheck(CommandContext& context);
int RunDiscover(CommandContext& context);
int RunRead(CommandContext& context);

// Airbyte failure_type for a gRPC status code.
std::string_view FailureTypeFor(grpc::StatusCode code);

}  // namespace tsdb_source::client
