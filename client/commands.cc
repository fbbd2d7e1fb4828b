#include "client/commands.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "client/data_channel/channel_config.h"
#include "client/data_channel/channel_sockets.h"
#include "client/data_channel/data_channel.h"
#include "client/inputs.h"
#include "client/progress_display.h"
#include "client/read_converter.h"
#include "google/protobuf/arena.h"
#include "service/server/source_service.h"

namespace tsdb_source::client {
namespace {

// The arena's first block holds a typical response (batches are about 1 MB; see
// ReadOptions.batch_max_bytes): larger ones take further blocks, freed at each reset.
constexpr size_t kFirstArenaBlockBytes = 4 << 20;

// Reports a failed input and returns the exit code.
int InputError(CommandContext& context, const absl::Status& status) {
  std::fprintf(stderr, "tsdb-source: %s\n", std::string(status.message()).c_str());
  context.out->TraceError(std::string(status.message()), status.ToString(), kConfigError);
  return 1;
}

int RpcError(CommandContext& context, const char* what, const grpc::Status& status) {
  std::string message = absl::StrCat(what, " failed: ", status.error_message());
  std::fprintf(stderr, "tsdb-source: %s\n", message.c_str());
  context.out->TraceError(message, absl::StrCat("gRPC status ", status.error_code(), ": ",
                                                status.error_message()),
                          FailureTypeFor(status.error_code()));
  return 1;
}

// A read that the shim stopped (its converter could not write records, or in speed mode
// a socket failed, the destination did not connect, or the records could not be sent as
// promised): a TRACE ERROR, transient when the channel failed, and the exit code. The
// states on stdout so far cover only records written (in speed mode: handed to the sockets)
// before them, so the next sync resumes without loss.
int ConverterError(CommandContext& context, const absl::Status& status, bool speed_mode) {
  std::string message = absl::StrCat(speed_mode ? "speed mode (socket data channel): " : "",
                                     status.message());
  std::fprintf(stderr, "tsdb-source: %s\n", message.c_str());
  // The destination went away or was too slow: transient. The configured catalog names a
  // field the table lacks (NotFound): the connection's config. Anything else: ours.
  std::string_view type = kSystemError;
  if (absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status)) type = kTransientError;
  if (absl::IsNotFound(status)) type = kConfigError;
  context.out->TraceError(message, status.ToString(), type);
  return 1;
}

// The most chunk readers a socket read runs at once: one per socket, within the config's
// limit when it sets one, within 10 (the config's bound) otherwise. A value out of 1-10 is
// left as it is, for the service to refuse.
int SocketConcurrency(const v1::SourceConfig& config, size_t sockets) {
  constexpr int kMaxConcurrentChunks = 10;
  int limit = kMaxConcurrentChunks;
  if (config.has_timescaledb_max_concurrent_chunks()) {
    limit = config.timescaledb_max_concurrent_chunks();
    if (limit < 1 || limit > kMaxConcurrentChunks) return limit;
  }
  return static_cast<int>(std::min<size_t>(static_cast<size_t>(limit), sockets));
}

absl::StatusOr<v1::SourceConfig> LoadConfig(CommandContext& context) {
  auto it = context.options.find("config");
  if (it == context.options.end()) return absl::InvalidArgumentError("--config F is required");
  auto text = ReadInputFile(it->second, "config");
  if (!text.ok()) return text.status();
  return ParseConfig(*text, it->second);
}

}  // namespace

std::string_view FailureTypeFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::NOT_FOUND:
    case grpc::StatusCode::PERMISSION_DENIED:
    case grpc::StatusCode::UNAUTHENTICATED:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return kConfigError;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return kTransientError;
    default:
      return kSystemError;
  }
}

int RunSpec(CommandContext& context) {
  grpc::ClientContext call;
  context.service->Prepare(&call);
  v1::SpecResponse response;
  grpc::Status status = context.service->stub()->Spec(&call, v1::SpecRequest(), &response);
  if (!status.ok()) return RpcError(context, "spec", status);
  context.out->Spec(response);
  return 0;
}

int RunCheck(CommandContext& context) {
  auto config = LoadConfig(context);
  if (!config.ok()) return InputError(context, config.status());
  grpc::ClientContext call;
  context.service->Prepare(&call);
  v1::CheckRequest request;
  *request.mutable_config() = *config;
  v1::CheckResponse response;
  grpc::Status status = context.service->stub()->Check(&call, request, &response);
  if (!status.ok()) return RpcError(context, "check", status);
  if (!response.succeeded()) {
    std::fprintf(stderr, "tsdb-source: check failed (%s): %s\n", response.reason().c_str(),
                 response.message().c_str());
  }
  context.out->ConnectionStatus(response.succeeded(), response.message());
  return 0;
}

int RunDiscover(CommandContext& context) {
  auto config = LoadConfig(context);
  if (!config.ok()) return InputError(context, config.status());
  grpc::ClientContext call;
  context.service->Prepare(&call);
  v1::DiscoverRequest request;
  *request.mutable_config() = *config;
  v1::DiscoverResponse response;
  grpc::Status status = context.service->stub()->Discover(&call, request, &response);
  if (!status.ok()) return RpcError(context, "discover", status);
  context.out->Catalog(response.catalog(),
                       config->replication_method().method() == "CDC");
  return 0;
}

int RunRead(CommandContext& context) {
  auto config = LoadConfig(context);
  if (!config.ok()) return InputError(context, config.status());
  auto catalog_path = context.options.find("catalog");
  if (catalog_path == context.options.end()) {
    return InputError(context, absl::InvalidArgumentError("--catalog F is required for read"));
  }
  auto catalog_text = ReadInputFile(catalog_path->second, "catalog");
  if (!catalog_text.ok()) return InputError(context, catalog_text.status());
  ConfiguredFields fields;
  auto catalog = ParseConfiguredCatalog(*catalog_text, catalog_path->second, &fields);
  if (!catalog.ok()) return InputError(context, catalog.status());
  v1::ReadRequest request;
  *request.mutable_config() = *config;
  *request.mutable_catalog() = *catalog;
  // As Airbyte's sources: a stream that no longer exists is skipped (WARN log, status
  // INCOMPLETE), the others are read.
  request.mutable_options()->set_skip_missing_streams(true);
  if (auto state_path = context.options.find("state"); state_path != context.options.end()) {
    auto state_text = ReadInputFile(state_path->second, "state");
    if (!state_text.ok()) return InputError(context, state_text.status());
    auto states = ParseState(*state_text, state_path->second);
    if (!states.ok()) return InputError(context, states.status());
    for (const std::string& warning : states->warnings) context.out->Log("WARN", warning);
    for (auto& s : states->streams) *request.add_state() = std::move(s);
    if (states->global.has_value()) *request.mutable_global_state() = *states->global;
  }

  // Speed mode's sockets, declared before the converter, which flushes into them when it
  // goes.
  std::unique_ptr<DataChannel> channel;
  std::unique_ptr<data_channel::ChannelSockets> sockets;
  ReadConverter converter(context.out);
  {
    std::map<std::pair<std::string, std::string>, std::string> cursors;
    for (const v1::ConfiguredStream& s : request.catalog().streams()) {
      if (s.sync_mode() == v1::SYNC_MODE_INCREMENTAL && s.cursor_field_size() == 1) {
        cursors[{s.stream().namespace_(), s.stream().name()}] = s.cursor_field(0);
      }
    }
    converter.SetCursorColumns(std::move(cursors));
    converter.SetConfiguredFields(std::move(fields));
  }
  // Speed mode: the environment the platform sets chooses the data channel.
  auto channel_config = ParseChannelConfig(ProcessEnvironment());
  if (!channel_config.ok()) return InputError(context, channel_config.status());
  if (channel_config->protobuf_on_stdio_ignored) {
    context.out->Log("WARN",
                     "DATA_CHANNEL_FORMAT=PROTOBUF with the STDIO medium: records go to stdout as "
                     "JSON lines");
  }
  if (channel_config->medium == ChannelMedium::kSocket) {
    auto opened = DataChannel::Open(channel_config->socket_paths, SocketOptionsFor(*channel_config));
    if (!opened.ok()) return InputError(context, opened.status());
    channel = *std::move(opened);
    const int concurrency = SocketConcurrency(request.config(), channel->size());
    request.mutable_config()->set_timescaledb_max_concurrent_chunks(concurrency);
    context.out->Log(
        "INFO", absl::StrCat("speed mode: ", FormatName(channel_config->format), " records over ",
                             channel->size(), " socket(s), up to ", concurrency,
                             " chunk(s) read at once"));
    sockets = std::make_unique<data_channel::ChannelSockets>(channel.get());
    converter.UseSockets(sockets.get(), channel_config->format == ChannelFormat::kProtobuf,
                         request, request.config().replication_method().method() == "Xmin");
    // Nothing is read before the destination is there to take it.
    absl::Status connected = channel->WaitForAnyConnected(absl::InfiniteFuture());
    if (!connected.ok()) {
      channel->Abort();
      return ConverterError(context, connected, /*speed_mode=*/true);
    }
  }
  // The read stopped by the shim: streams INCOMPLETE, the channel dropped, a TRACE ERROR.
  auto channel_failed = [&](const absl::Status& status) {
    converter.MarkIncomplete(std::string(status.message()));
    if (channel != nullptr) channel->Abort();
    return ConverterError(context, status, channel != nullptr);
  };
  // A progress line on stderr when a person watches it (a terminal); null otherwise.
  std::unique_ptr<ProgressDisplay> progress =
      ProgressDisplay::ForStderr(request.catalog().streams_size());
  auto handle = [&converter, &progress](const v1::ReadResponse& response) {
    converter.Handle(response);
    if (progress != nullptr) progress->Observe(response);
  };
  auto failed = [&](const grpc::Status& status) {
    if (!converter.status().ok()) return channel_failed(converter.status());
    converter.MarkIncomplete(status.error_message());
    if (channel != nullptr) channel->Abort();
    if (progress != nullptr) progress->Finish(/*completed=*/false);
    return RpcError(context, "read", status);
  };
  auto done = [&] {
    if (!converter.status().ok()) return channel_failed(converter.status());
    converter.Finish();
    if (channel != nullptr) {
      // Flushed and closed: a socket that fails now lost what it held.
      absl::Status closed = channel->Close();
      if (!closed.ok()) return channel_failed(closed);
      converter.Completed();
    }
    if (progress != nullptr) progress->Finish(/*completed=*/true);
    return 0;
  };
  if (SourceServiceImpl* service = context.service->in_process(); service != nullptr) {
    // The core's responses reach the converter as they are: no gRPC serialisation.
    struct HandlingSink : ReadSink {
      std::function<void(const v1::ReadResponse&)> handle;
      const ReadConverter* converter = nullptr;
      bool Emit(const v1::ReadResponse& response) override {
        handle(response);
        return converter->status().ok();  // the converter failed: the read stops
      }
    } sink;
    sink.handle = handle;
    sink.converter = &converter;
    grpc::Status status = service->ReadInProcess(request, &sink);
    if (!status.ok()) return failed(status);
    return done();
  }
  grpc::ClientContext call;
  context.service->Prepare(&call);
  auto reader = context.service->stub()->Read(&call, request);
  // Each response is decoded into an arena that is reset once it has been converted (the
  // converter keeps nothing of it). Reading into one heap message instead frees and
  // re-allocates its RecordBatch and every string of it per message, because the reader
  // clears the message first, which deletes the oneof's batch.
  std::vector<char> first_block(kFirstArenaBlockBytes);
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = first_block.data();
  arena_options.initial_block_size = first_block.size();
  google::protobuf::Arena arena(arena_options);
  for (;;) {
    auto* response = google::protobuf::Arena::CreateMessage<v1::ReadResponse>(&arena);
    if (!reader->Read(response)) break;
    handle(*response);
    arena.Reset();
    if (!converter.status().ok()) {
      call.TryCancel();
      break;
    }
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return failed(status);
  return done();
}

}  // namespace tsdb_source::client
