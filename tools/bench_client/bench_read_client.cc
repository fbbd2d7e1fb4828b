// bench-read-client: the "(d)" consumer of tools/bench. Calls SourceService.Read on a
// running server with an Airbyte config, configured catalog and optional state (the same
// files the shim takes), decodes every ReadResponse (gRPC parses it into the typed
// message), touches every value of every RecordBatch and discards it.
//
//   bench-read-client --server HOST:PORT --config F --catalog F [--state F] [--bytes]
//                     [--no-arena]
//
// Prints one JSON line on stdout: rows, batches, checkpoints, messages, the COPY bytes the
// server reported (StreamSummary.bytes), the serialised size of the responses (--bytes,
// computed with ByteSizeLong, off by default so that the timed runs only decode), a
// checksum over the values and the client's own wall-clock seconds. Exit code 1 on an RPC
// error (printed on stderr).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/inputs.h"
#include "google/protobuf/arena.h"
#include "grpcpp/grpcpp.h"
#include "tsdb_source/v1/source_service.grpc.pb.h"

namespace {

namespace v1 = tsdb_source::v1;

struct Figures {
  uint64_t rows = 0;
  uint64_t batches = 0;
  uint64_t checkpoints = 0;
  uint64_t messages = 0;
  uint64_t copy_bytes = 0;
  uint64_t wire_bytes = 0;
  uint64_t checksum = 0;
  uint64_t nulls = 0;
  uint64_t retries = 0;
};

// Folds every value of a column into the checksum (cheap, but it reads each value once).
void Touch(const v1::ColumnValues& c, Figures* f) {
  for (unsigned char b : c.null_bitmap()) f->nulls += static_cast<unsigned>(__builtin_popcount(b));
  switch (c.values_case()) {
    case v1::ColumnValues::kBools:
      for (bool v : c.bools().values()) f->checksum += v ? 1 : 0;
      break;
    case v1::ColumnValues::kInt64S:
      for (int64_t v : c.int64s().values()) f->checksum += static_cast<uint64_t>(v);
      break;
    case v1::ColumnValues::kDoubles:
      for (double v : c.doubles().values()) {
        uint64_t bits;
        std::memcpy(&bits, &v, sizeof(bits));
        f->checksum ^= bits;
      }
      break;
    case v1::ColumnValues::kStrings:
      for (const std::string& s : c.strings().values()) {
        f->checksum += s.size() + (s.empty() ? 0 : static_cast<unsigned char>(s[0]));
      }
      break;
    case v1::ColumnValues::kLists:
      for (uint32_t n : c.lists().lengths()) f->checksum += n;
      Touch(c.lists().elements(), f);
      break;
    case v1::ColumnValues::VALUES_NOT_SET:
      break;
  }
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "bench-read-client: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> options;
  bool count_bytes = false;
  bool use_arena = true;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--bytes") {
      count_bytes = true;
    } else if (arg == "--no-arena") {
      use_arena = false;
    } else if ((arg == "--server" || arg == "--config" || arg == "--catalog" || arg == "--state") &&
               i + 1 < argc) {
      options[arg.substr(2)] = argv[++i];
    } else {
      return Fail(absl::StrCat("unknown argument '", arg,
                               "'\nusage: bench-read-client --server HOST:PORT --config F "
                               "--catalog F [--state F] [--bytes] [--no-arena]"));
    }
  }
  if (!options.count("server") || !options.count("config") || !options.count("catalog")) {
    return Fail("--server, --config and --catalog are required");
  }
  namespace client = tsdb_source::client;
  v1::ReadRequest request;
  {
    auto text = client::ReadInputFile(options["config"]);
    if (!text.ok()) return Fail(std::string(text.status().message()));
    auto config = client::ParseConfig(*text, options["config"]);
    if (!config.ok()) return Fail(std::string(config.status().message()));
    *request.mutable_config() = *config;
  }
  {
    auto text = client::ReadInputFile(options["catalog"]);
    if (!text.ok()) return Fail(std::string(text.status().message()));
    auto catalog = client::ParseConfiguredCatalog(*text, options["catalog"]);
    if (!catalog.ok()) return Fail(std::string(catalog.status().message()));
    *request.mutable_catalog() = *catalog;
  }
  if (options.count("state")) {
    auto text = client::ReadInputFile(options["state"]);
    if (!text.ok()) return Fail(std::string(text.status().message()));
    auto states = client::ParseState(*text, options["state"]);
    if (!states.ok()) return Fail(std::string(states.status().message()));
    for (auto& s : states->streams) *request.add_state() = std::move(s);
    if (states->global.has_value()) *request.mutable_global_state() = *states->global;
  }

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  auto channel =
      grpc::CreateCustomChannel(options["server"], grpc::InsecureChannelCredentials(), args);
  auto stub = v1::SourceService::NewStub(channel);
  grpc::ClientContext context;
  const auto start = std::chrono::steady_clock::now();
  auto reader = stub->Read(&context, request);
  Figures f;
  // Each response is decoded into an arena that is reset after use: a consumer that reads
  // into one heap message pays for freeing and re-allocating its RecordBatch and every
  // string of it per message (the reader clears the message, which deletes the oneof).
  // --no-arena reads into one heap message instead, as the shim does.
  google::protobuf::ArenaOptions arena_options;
  std::vector<char> first_block(4 << 20);
  arena_options.initial_block = first_block.data();
  arena_options.initial_block_size = first_block.size();
  google::protobuf::Arena arena(arena_options);
  v1::ReadResponse heap_response;
  for (;;) {
    v1::ReadResponse* message = use_arena ? google::protobuf::Arena::CreateMessage<v1::ReadResponse>(&arena)
                                          : &heap_response;
    if (!reader->Read(message)) break;
    const v1::ReadResponse& response = *message;
    ++f.messages;
    if (count_bytes) f.wire_bytes += response.ByteSizeLong();
    switch (response.event_case()) {
      case v1::ReadResponse::kRecords: {
        const v1::RecordBatch& batch = response.records();
        ++f.batches;
        f.rows += batch.row_count();
        for (const v1::ColumnValues& c : batch.columns()) Touch(c, &f);
        break;
      }
      case v1::ReadResponse::kCheckpoint:
        ++f.checkpoints;
        break;
      case v1::ReadResponse::kSummary:
        f.copy_bytes += response.summary().bytes();
        f.retries += response.summary().retries();
        break;
      case v1::ReadResponse::kLog:
        // Warnings and errors (a retry, a skipped chunk) go to stderr: a benchmark figure
        // is only meaningful when the read was clean.
        if (response.log().level() >= v1::LOG_LEVEL_WARN) {
          std::fprintf(stderr, "bench-read-client: server %s: %s\n",
                       v1::LogLevel_Name(response.log().level()).c_str(),
                       response.log().message().c_str());
        }
        break;
      default:
        break;
    }
    if (use_arena) arena.Reset();
  }
  grpc::Status status = reader->Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    return Fail(absl::StrCat("Read failed: ", status.error_code(), " ", status.error_message()));
  }
  std::printf(
      "{\"rows\": %llu, \"batches\": %llu, \"checkpoints\": %llu, \"messages\": %llu, "
      "\"copy_bytes\": %llu, \"wire_bytes\": %llu, \"nulls\": %llu, \"checksum\": %llu, "
      "\"retries\": %llu, \"seconds\": %.6f}\n",
      static_cast<unsigned long long>(f.rows), static_cast<unsigned long long>(f.batches),
      static_cast<unsigned long long>(f.checkpoints), static_cast<unsigned long long>(f.messages),
      static_cast<unsigned long long>(f.copy_bytes), static_cast<unsigned long long>(f.wire_bytes),
      static_cast<unsigned long long>(f.nulls), static_cast<unsigned long long>(f.checksum),
      static_cast<unsigned long long>(f.retries), seconds);
  return 0;
}
