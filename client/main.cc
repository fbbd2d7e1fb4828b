// tsdb-source: the Airbyte source connector command line.
//
//   tsdb-source spec
//   tsdb-source check --config F
//   tsdb-source discover --config F
//   tsdb-source read --config F --catalog F [--state F]
//   common options: --server HOST:PORT [--tls] [--ca-file F] [--cert-file F --key-file F]
//                   [--token-file F]
//
//   tsdb-source --help | -h      the usage (kHelp) on stdout, exit code 0
//
// stdout carries only Airbyte messages, one JSON object per line; logs go to stderr.
// Exit code 0 on success, 1 after a TRACE ERROR.
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/airbyte_output.h"
#include "client/commands.h"
#include "client/service_client.h"

namespace {

constexpr char kUsage[] =
    "usage: tsdb-source spec | check --config F | discover --config F |\n"
    "       read --config F --catalog F [--state F]\n"
    "       [--server HOST:PORT [--tls] [--ca-file F] [--cert-file F --key-file F]\n"
    "        [--token-file F]]\n";

constexpr char kHelp[] =
    "tsdb-source: the Airbyte source connector of tsdb-source. It reads TimescaleDB\n"
    "(hypertables chunk by chunk, with resumable checkpoints) and PostgreSQL, and prints\n"
    "Airbyte protocol messages on stdout, one JSON object per line; logs go to stderr.\n"
    "\n"
    "usage:\n"
    "  tsdb-source spec                      the JSON schema of the config\n"
    "  tsdb-source check --config F          connect and check the config\n"
    "  tsdb-source discover --config F       the streams (a CATALOG message)\n"
    "  tsdb-source read --config F --catalog F [--state F]\n"
    "                                        RECORD, STATE and status messages\n"
    "  tsdb-source --help | -h               this text\n"
    "\n"
    "options:\n"
    "  --config F      Airbyte config JSON (the keys of `spec`'s schema); required by\n"
    "                  check, discover and read\n"
    "  --catalog F     configured catalog JSON (ConfiguredAirbyteCatalog: discover's\n"
    "                  streams, each with sync_mode and destination_sync_mode); required\n"
    "                  by read\n"
    "  --state F       the STATE messages of an earlier read, as a JSON array (default:\n"
    "                  none, a fresh sync)\n"
    "  --server H:P    use a running tsdb-source-server (default: the service runs in\n"
    "                  this process)\n"
    "  --tls           connect to --server with TLS (default: plaintext)\n"
    "  --ca-file F     PEM CA certificates for --tls (default: the system's)\n"
    "  --cert-file F, --key-file F\n"
    "                  PEM client certificate and key for --tls (mutual TLS)\n"
    "  --token-file F  file holding the bearer token for --server (default: none)\n"
    "\n"
    "Exit code 0 on success (a failed check is a FAILED connection status), 1 after a\n"
    "TRACE ERROR message. While `read` runs with stderr on a terminal (and stdout not),\n"
    "a progress line is shown on stderr.\n"
    "\n"
    "example:\n"
    "  tsdb-source discover --config config.json > discover.jsonl\n"
    "  tsdb-source read --config config.json --catalog catalog.json > messages.jsonl\n";

// True when an argument in an option's place is --help or -h (a file named -h given to
// --config is a file name).
bool WantsHelp(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") return true;
    if (arg == "--config" || arg == "--catalog" || arg == "--state" || arg == "--server" ||
        arg == "--ca-file" || arg == "--token-file" || arg == "--cert-file" ||
        arg == "--key-file") {
      ++i;
    }
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using tsdb_source::client::AirbyteOutput;
  if (WantsHelp(argc, argv)) {
    std::fputs(kHelp, stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  }
  AirbyteOutput out(stdout);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    out.TraceError("no command given (spec, check, discover or read)", kUsage,
                   tsdb_source::client::kConfigError);
    return 1;
  }
  std::string command = argv[1];
  std::map<std::string, std::string> options;
  bool tls = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--tls") {
      tls = true;
    } else if ((arg == "--config" || arg == "--catalog" || arg == "--state" || arg == "--server" ||
                arg == "--ca-file" || arg == "--token-file" || arg == "--cert-file" ||
                arg == "--key-file") &&
               i + 1 < argc) {
      options[arg.substr(2)] = argv[++i];
    } else {
      std::fputs(kUsage, stderr);
      out.TraceError(absl::StrCat("unknown or incomplete argument '", arg, "'"), kUsage,
                     tsdb_source::client::kConfigError);
      return 1;
    }
  }

  absl::StatusOr<std::unique_ptr<tsdb_source::client::ServiceClient>> client;
  if (options.count("server") > 0) {
    tsdb_source::client::RemoteOptions remote;
    remote.target = options["server"];
    remote.tls = tls;
    remote.ca_file = options["ca-file"];
    remote.token_file = options["token-file"];
    remote.cert_file = options["cert-file"];
    remote.key_file = options["key-file"];
    client = tsdb_source::client::RemoteClient(remote);
  } else {
    client = tsdb_source::client::InProcessClient();
  }
  if (!client.ok()) {
    // A missing or unreadable --ca-file / --token-file is the user's to fix.
    const absl::StatusCode code = client.status().code();
    const bool options_wrong = code == absl::StatusCode::kNotFound ||
                               code == absl::StatusCode::kInvalidArgument ||
                               code == absl::StatusCode::kDataLoss;
    std::string message = absl::StrCat("cannot reach the tsdb-source service: ",
                                       client.status().message());
    std::fprintf(stderr, "tsdb-source: %s\n", message.c_str());
    out.TraceError(message, client.status().ToString(),
                   options_wrong ? tsdb_source::client::kConfigError
                                 : tsdb_source::client::kSystemError);
    return 1;
  }

  tsdb_source::client::CommandContext context{client->get(), &out, options};
  if (command == "spec") return tsdb_source::client::RunSpec(context);
  if (command == "check") return tsdb_source::client::RunCheck(context);
  if (command == "discover") return tsdb_source::client::RunDiscover(context);
  if (command == "read") return tsdb_source::client::RunRead(context);
  std::fputs(kUsage, stderr);
  out.TraceError(absl::StrCat("unknown command '", command, "'"), kUsage,
                 tsdb_source::client::kConfigError);
  return 1;
}
