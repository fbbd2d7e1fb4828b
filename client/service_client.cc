#include "client/service_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "client/inputs.h"
#include "service/server/source_service.h"

namespace tsdb_source::client {
namespace {

constexpr int kMaxMessageBytes = 64 << 20;

class InProcess final : public ServiceClient {
 public:
  InProcess(std::unique_ptr<SourceServiceImpl> service, std::unique_ptr<grpc::Server> server)
      : service_(std::move(service)), server_(std::move(server)) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxMessageBytes);
    stub_ = v1::SourceService::NewStub(server_->InProcessChannel(args));
  }
  ~InProcess() override {
    stub_.reset();
    server_->Shutdown();
  }
  v1::SourceService::StubInterface* stub() override { return stub_.get(); }
  void Prepare(grpc::ClientContext*) override {}
  SourceServiceImpl* in_process() override { return service_.get(); }

 private:
  std::unique_ptr<SourceServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::SourceService::Stub> stub_;
};

class Remote final : public ServiceClient {
 public:
  Remote(std::shared_ptr<grpc::Channel> channel, std::string token)
      : stub_(v1::SourceService::NewStub(channel)), token_(std::move(token)) {}
  v1::SourceService::StubInterface* stub() override { return stub_.get(); }
  void Prepare(grpc::ClientContext* context) override {
    if (!token_.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token_));
  }

 private:
  std::unique_ptr<v1::SourceService::Stub> stub_;
  std::string token_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ServiceClient>> InProcessClient() {
  auto service = std::make_unique<SourceServiceImpl>();
  grpc::ServerBuilder builder;
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.RegisterService(service.get());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr) return absl::InternalError("cannot start the in-process service");
  return std::unique_ptr<ServiceClient>(new InProcess(std::move(service), std::move(server)));
}

absl::StatusOr<std::unique_ptr<ServiceClient>> RemoteClient(const RemoteOptions& options) {
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (options.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      auto roots = ReadInputFile(options.ca_file, "CA");
      if (!roots.ok()) return roots.status();
      ssl.pem_root_certs = *roots;
    }
    if (options.cert_file.empty() != options.key_file.empty()) {
      return absl::InvalidArgumentError("--cert-file and --key-file go together (mutual TLS)");
    }
    if (!options.cert_file.empty()) {
      auto chain = ReadInputFile(options.cert_file, "client certificate");
      if (!chain.ok()) return chain.status();
      auto key = ReadInputFile(options.key_file, "client key");
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *chain;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  std::string token;
  if (!options.token_file.empty()) {
    auto contents = ReadInputFile(options.token_file, "token");
    if (!contents.ok()) return contents.status();
    token = std::string(absl::StripAsciiWhitespace(*contents));
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  auto channel = grpc::CreateCustomChannel(options.target, credentials, args);
  return std::unique_ptr<ServiceClient>(new Remote(std::move(channel), std::move(token)));
}

}  // namespace tsdb_source::client
