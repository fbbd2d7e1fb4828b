// tsdb-source: the Airbyte source connector command line.
//
//   tsdb-source spec
//   tsdb-source check --config F
//   tsdb-source discover --config F
//   tsdb-source read --config F --catalog F [--state F]
//   common options: --server HOST:PORT [--tls] [--ca-file F] [--cert-file F --key-file F]
//                   [--token-file F]
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

}  // namespace

int main(int argc, char** argv) {
  using tsdb_source::client::AirbyteOutput;
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
