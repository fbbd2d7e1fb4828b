// Unit tests of the gRPC layer's parts that need no server process: token comparison,
// listen-address classification, structured error details, the log format, the read
// tracker (limit, graceful stop, forced cancel), the cancellation watcher and the usage text.
#include <atomic>
#include <cstdio>
#include <string>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/time/clock.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "service/common/errors.h"
#include "service/read/read_control.h"
#include "service/server/error_details.h"
#include "service/server/event_log.h"
#include "service/server/listen_address.h"
#include "service/server/read_defaults.h"
#include "service/server/read_tracker.h"
#include "service/server/read_watcher.h"
#include "service/server/rpc_scope.h"
#include "service/server/server_credentials.h"
#include "service/server/status_mapping.h"
#include "service/server/token_auth.h"
#include "service/server/usage.h"

// Flags of this file, for FlagsUsage.
ABSL_FLAG(int, usage_test_number, 7, "a number");
ABSL_FLAG(std::string, usage_test_text, "",
          "a text whose help is long enough to be wrapped onto a second line, indented as the "
          "first one");

namespace tsdb_source {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

TEST(Usage, WantsUsageForHelpFlagsOnly) {
  const char* help[] = {"server", "--listen", "x", "--help"};
  const char* h[] = {"server", "-h"};
  const char* single_dash[] = {"server", "-help"};
  const char* none[] = {"server", "--listen", "127.0.0.1:0"};
  const char* absl_help[] = {"server", "--helpfull", "--help=listen"};
  EXPECT_TRUE(WantsUsage(4, help));
  EXPECT_TRUE(WantsUsage(2, h));
  EXPECT_TRUE(WantsUsage(2, single_dash));
  EXPECT_FALSE(WantsUsage(3, none));
  EXPECT_FALSE(WantsUsage(3, absl_help));
  EXPECT_FALSE(WantsUsage(1, h));
}

TEST(Usage, ListsTheFlagsOfOneFileWithDefaultsAndWrappedHelp) {
  EXPECT_EQ(FlagsUsage(__FILE__),
            "  --usage_test_number (default: 7)\n"
            "      a number\n"
            "  --usage_test_text (default: none)\n"
            "      a text whose help is long enough to be wrapped onto a second line,\n"
            "      indented as the first one\n");
  EXPECT_EQ(FlagsUsage("no/such/file.cc"), "");
}

TEST(ConstantTimeEquals, ComparesContentAndLength) {
  EXPECT_TRUE(ConstantTimeEquals("secret-token", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret-tokem", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret-token-", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("secret-toke", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("", "secret-token"));
  EXPECT_FALSE(ConstantTimeEquals("", ""));  // an empty token never matches
  // A presented value that repeats the token is not a match.
  EXPECT_FALSE(ConstantTimeEquals("abcabc", "abc"));
}

TEST(TokenAuth, AcceptsEveryTokenOfTheFileAsBearer) {
  auto auth = TokenAuth::FromText("\n  first-token-0123456789 \n\nsecond-token-0123456789\n", "t");
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_TRUE(auth->AllowsHeader("Bearer first-token-0123456789"));
  EXPECT_TRUE(auth->AllowsHeader("bearer second-token-0123456789"));
  EXPECT_TRUE(auth->AllowsHeader("BEARER second-token-0123456789 "));
  EXPECT_FALSE(auth->AllowsHeader("Bearer second-token-012345678"));
  EXPECT_FALSE(auth->AllowsHeader("Basic first-token-0123456789"));
  EXPECT_FALSE(auth->AllowsHeader("first-token-0123456789"));
  EXPECT_FALSE(auth->AllowsHeader("Bearer "));
  EXPECT_FALSE(auth->AllowsHeader(""));
}

TEST(TokenAuth, RefusesBadFilesWithoutQuotingTheToken) {
  auto empty = TokenAuth::FromText(" \n\n", "tokens.txt");
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(empty.status().message().find("tokens.txt holds no token"), absl::string_view::npos);
  auto short_token = TokenAuth::FromText("ok-token-0123456789\nshorty\n", "tokens.txt");
  EXPECT_EQ(short_token.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(short_token.status().message().find("line 2"), absl::string_view::npos);
  EXPECT_EQ(short_token.status().message().find("shorty"), absl::string_view::npos);
  auto spaced = TokenAuth::FromText("a token with spaces inside\n", "tokens.txt");
  EXPECT_EQ(spaced.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(TokenAuth::FromFile("/nonexistent/tokens").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ListenAddress, OnlyLoopbackAndUnixSocketsAreLocal) {
  for (const char* local : {"127.0.0.1:50051", "127.1.2.3:1", "localhost:50051", "LOCALHOST:1",
                            "[::1]:50051", "ipv4:127.0.0.1:5", "ipv6:[::1]:5", "unix:/tmp/s.sock",
                            "unix-abstract:tsdb", "dns:///localhost:50051"}) {
    EXPECT_TRUE(IsLoopbackListenAddress(local)) << local;
  }
  for (const char* remote : {"0.0.0.0:50051", "[::]:50051", ":50051", "10.0.0.1:50051",
                             "db.example.com:50051", "[2001:db8::1]:1", "128.0.0.1:1",
                             "[::ffff:127.0.0.1]:1", "localhost.example.com:1", "[::1:1"}) {
    EXPECT_FALSE(IsLoopbackListenAddress(remote)) << remote;
  }
}

// The length-delimited fields of `bytes` with number `field`.
std::vector<std::string> Fields(const std::string& bytes, int field) {
  UnknownFieldSet set;
  EXPECT_TRUE(set.ParseFromString(bytes));
  std::vector<std::string> out;
  for (int i = 0; i < set.field_count(); ++i) {
    if (set.field(i).number() == field && set.field(i).type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      out.push_back(set.field(i).length_delimited());
    }
  }
  return out;
}

TEST(ErrorDetails, EncodesGoogleRpcStatusWithErrorInfo) {
  std::string encoded = EncodeStatusDetails(
      14, "the server is shutting down", "SERVER_SHUTTING_DOWN",
      {{"stream", "public.metrics"}, {"chunk", ""}, {"a", "b"}});
  UnknownFieldSet status;
  ASSERT_TRUE(status.ParseFromString(encoded));
  ASSERT_EQ(status.field(0).number(), 1);
  EXPECT_EQ(status.field(0).varint(), 14u);
  EXPECT_EQ(Fields(encoded, 2), std::vector<std::string>{"the server is shutting down"});
  std::vector<std::string> details = Fields(encoded, 3);
  ASSERT_EQ(details.size(), 1u);
  EXPECT_EQ(Fields(details[0], 1), std::vector<std::string>{std::string(kErrorInfoTypeUrl)});
  std::string info = Fields(details[0], 2).at(0);
  EXPECT_EQ(Fields(info, 1), std::vector<std::string>{"SERVER_SHUTTING_DOWN"});
  EXPECT_EQ(Fields(info, 2), std::vector<std::string>{"tsdb-source"});
  std::vector<std::string> entries = Fields(info, 3);
  ASSERT_EQ(entries.size(), 2u);  // the empty chunk is left out; map keys in order
  EXPECT_EQ(Fields(entries[0], 1), std::vector<std::string>{"a"});
  EXPECT_EQ(Fields(entries[1], 1), std::vector<std::string>{"stream"});
  EXPECT_EQ(Fields(entries[1], 2), std::vector<std::string>{"public.metrics"});
}

TEST(StatusMapping, KeepsCodeAndMessageAndAddsDetails) {
  absl::Status core = MakeError(absl::StatusCode::kPermissionDenied, v1::ERROR_REASON_MISSING_PRIVILEGE,
                                "permission denied for table metrics");
  core.SetPayload("type.tsdb-source/chunk", absl::Cord("_hyper_1_2_chunk"));
  grpc::Status status = ToGrpcStatus(core, nullptr, {{"stream", "public.metrics"}});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(), "permission denied for table metrics");
  std::string info = Fields(Fields(status.error_details(), 3).at(0), 2).at(0);
  EXPECT_EQ(Fields(info, 1), std::vector<std::string>{"MISSING_PRIVILEGE"});
  std::vector<std::string> entries = Fields(info, 3);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(Fields(entries[0], 2), std::vector<std::string>{"_hyper_1_2_chunk"});
  EXPECT_EQ(Fields(entries[1], 2), std::vector<std::string>{"public.metrics"});
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus(), nullptr).ok());
}

TEST(EventLog, OneLinePerEventWithQuotedValues) {
  EXPECT_EQ(LogValue("plain-value_1.2:3"), "plain-value_1.2:3");
  EXPECT_EQ(LogValue(""), "\"\"");
  EXPECT_EQ(LogValue("two words"), "\"two words\"");
  EXPECT_EQ(LogValue("a\"b\\c\nd\te\x01"), "\"a\\\"b\\\\c\\nd\\te\\x01\"");
  EXPECT_EQ(LogValue("k=v"), "\"k=v\"");
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  EventLog log(file);
  log.Warning("rpc_end", LogFields().Add("rid", "r1").Add("rows", uint64_t{42}).Add("ok", false)
                             .Add("seconds", 1.5).Add("message", "line one\nline two"));
  std::rewind(file);
  char buffer[512] = {0};
  size_t n = std::fread(buffer, 1, sizeof(buffer) - 1, file);
  std::fclose(file);
  std::string line(buffer, n);
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find("Z WARN event=rpc_end rid=r1 rows=42 ok=false seconds=1.500 "
                      "message=\"line one\\nline two\""),
            std::string::npos)
      << line;
}

TEST(RequestId, ClientIdsAreCheckedAndOwnIdsAreRandom) {
  EXPECT_TRUE(IsValidRequestId("client-req-42"));
  EXPECT_TRUE(IsValidRequestId("4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7"));
  EXPECT_FALSE(IsValidRequestId(""));
  EXPECT_FALSE(IsValidRequestId("has space"));
  EXPECT_FALSE(IsValidRequestId("new\nline"));
  EXPECT_FALSE(IsValidRequestId(std::string(65, 'a')));
  std::string a = NewRequestId(), b = NewRequestId();
  EXPECT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
}

TEST(RpcScope, RedactsTheRequestSecretsFromReturnedErrors) {
  grpc::ServerContext context;
  RpcScope scope(&context, "Discover", nullptr, nullptr);
  v1::SourceConfig config;
  config.set_password("Sup3r-Secret");
  config.mutable_ssl_mode()->set_client_key_password("key-pass-42");
  config.mutable_ssl_mode()->set_client_key("x");  // too short to redact meaningfully
  scope.AddSecrets(config);
  absl::Status core = MakeError(absl::StatusCode::kUnauthenticated, v1::ERROR_REASON_AUTHENTICATION_FAILED,
                                "rejected Sup3r-Secret and key-pass-42 (x)");
  grpc::Status status = scope.Finish(core);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(status.error_message(), "rejected **** and **** (x)");
  EXPECT_EQ(status.error_details().find("Sup3r-Secret"), std::string::npos);
  EXPECT_EQ(scope.Redact("a Sup3r-Secret b"), "a **** b");
  EXPECT_EQ(scope.id().size(), 16u);
}

TEST(RpcScope, RedactsTheSecretsOfJdbcUrlParams) {
  RpcScope scope(nullptr, "Check", nullptr, nullptr);
  v1::SourceConfig config;
  config.set_jdbc_url_params("ApplicationName=etl&sslpassword=jdbc%2DKey-Pass-77");
  scope.AddSecrets(config);
  EXPECT_EQ(scope.Redact("key jdbc-Key-Pass-77, raw jdbc%2DKey-Pass-77, app etl"),
            "key ****, raw ****, app etl");
}

TEST(ReadDefaults, CheckpointTargetIntervalIsTheDefaultCheckpointPeriod) {
  v1::ReadRequest request;
  v1::ReadRequest storage;
  EXPECT_EQ(&WithConfigReadDefaults(request, &storage), &request);  // nothing to apply
  request.mutable_config()->set_checkpoint_target_interval_seconds(300);
  const v1::ReadRequest& applied = WithConfigReadDefaults(request, &storage);
  EXPECT_EQ(applied.options().checkpoint_every_seconds(), 300u);
  EXPECT_EQ(request.options().checkpoint_every_seconds(), 0u);  // the original is kept
  request.mutable_options()->set_checkpoint_every_seconds(5);  // the request's own wins
  EXPECT_EQ(WithConfigReadDefaults(request, &storage).options().checkpoint_every_seconds(), 5u);
}

TEST(ReadTracker, LimitsConcurrentReads) {
  ReadTracker tracker(2);
  ReadControl c1, c2, c3;
  auto r1 = tracker.Register(&c1);
  auto r2 = tracker.Register(&c2);
  ASSERT_TRUE(r1.ok() && r2.ok());
  auto r3 = tracker.Register(&c3);
  EXPECT_EQ(r3.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(r3.status()), "TOO_MANY_READS");
  r1->reset();
  EXPECT_EQ(tracker.running(), 1);
  EXPECT_TRUE(tracker.Register(&c3).ok());  // and unregisters again at once
  EXPECT_EQ(tracker.running(), 1);
}

TEST(ReadTracker, StopsGracefullyThenCancels) {
  ReadTracker tracker(0);
  ReadControl c1, c2;
  auto r1 = tracker.Register(&c1);
  auto r2 = tracker.Register(&c2);
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_EQ(tracker.StopAll(), 2);
  EXPECT_TRUE(c1.stop_requested());
  EXPECT_TRUE(c2.stop_requested());
  EXPECT_FALSE(c1.cancelled());
  ReadControl late;
  auto refused = tracker.Register(&late);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(ReasonOf(refused.status()), "SERVER_SHUTTING_DOWN");

  std::thread finisher([&] {
    absl::SleepFor(absl::Milliseconds(50));
    r1->reset();  // the first read reached its checkpoint
  });
  EXPECT_FALSE(tracker.WaitIdle(absl::Milliseconds(200)));
  finisher.join();
  EXPECT_EQ(tracker.CancelAll(), 1);
  EXPECT_TRUE(c2.cancelled());
  EXPECT_TRUE((*r2)->forced_stop());
  r2->reset();
  EXPECT_TRUE(tracker.WaitIdle(absl::ZeroDuration()));
}

TEST(ReadWatcher, CancelsTheReadWhenTheCallEnds) {
  ReadControl control;
  std::atomic<int> probes{0};
  absl::Time start = absl::Now();
  {
    ReadWatcher watcher(
        [&] { return ++probes >= 3 ? CallEnd::kDeadlineExceeded : CallEnd::kRunning; }, &control,
        absl::Milliseconds(10));
    while (!control.cancelled() && absl::Now() - start < absl::Seconds(5)) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    EXPECT_TRUE(control.cancelled());
    EXPECT_EQ(watcher.why(), CallEnd::kDeadlineExceeded);
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(probes.load(), 3);  // no probing once the end is known
}

TEST(ReadWatcher, LeavesARunningCallAloneAndStopsPromptly) {
  ReadControl control;
  absl::Time start = absl::Now();
  {
    ReadWatcher watcher([] { return CallEnd::kRunning; }, &control, absl::Milliseconds(100));
    absl::SleepFor(absl::Milliseconds(250));
    EXPECT_EQ(watcher.why(), CallEnd::kRunning);
  }
  EXPECT_FALSE(control.cancelled());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(400));
}

TEST(ServerCredentials, ChecksTheFlagCombinations) {
  EXPECT_TRUE(MakeServerCredentials({}).ok());
  EXPECT_EQ(MakeServerCredentials({"cert.pem", "", ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeServerCredentials({"", "key.pem", ""}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeServerCredentials({"", "", "ca.pem"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto missing = MakeServerCredentials({"/nonexistent/cert.pem", "/nonexistent/key.pem", ""});
  EXPECT_NE(missing.status().message().find("--tls_cert: cannot read /nonexistent/cert.pem"),
            absl::string_view::npos);
}

}  // namespace
}  // namespace tsdb_source
