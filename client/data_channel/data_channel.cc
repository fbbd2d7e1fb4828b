#include "client/data_channel/data_channel.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/data_channel/duration_text.h"

namespace tsdb_source::client {

SocketOptions SocketOptionsFor(const ChannelConfig& config) {
  SocketOptions options;
  options.accept_timeout = config.accept_timeout;
  options.write_timeout = config.write_timeout;
  options.probe = IdleProbe(config.format);
  return options;
}

absl::StatusOr<std::unique_ptr<DataChannel>> DataChannel::Open(
    const std::vector<std::string>& paths, const SocketOptions& options) {
  if (paths.empty()) return absl::InvalidArgumentError("a data channel needs a socket path");
  std::vector<std::unique_ptr<SocketChannel>> sockets;
  for (const std::string& path : paths) {
    absl::StatusOr<std::unique_ptr<SocketChannel>> socket = SocketChannel::Open(path, options);
    if (!socket.ok()) return socket.status();  // those opened close, no thread runs yet
    sockets.push_back(*std::move(socket));
  }
  std::unique_ptr<DataChannel> channel(new DataChannel(std::move(sockets), options.accept_timeout));
  DataChannel* self = channel.get();
  for (size_t i = 0; i < self->sockets_.size(); ++i) {
    self->sockets_[i]->Start([self, i](SocketState state, const absl::Status& error) {
      self->OnChange(i, state, error);
    });
  }
  return channel;
}

DataChannel::DataChannel(std::vector<std::unique_ptr<SocketChannel>> sockets,
                         absl::Duration accept_timeout)
    : sockets_(std::move(sockets)),
      accept_timeout_(accept_timeout),
      states_(sockets_.size(), SocketState::kListening) {}

DataChannel::~DataChannel() { Abort(); }

SocketState DataChannel::state(size_t index) const {
  std::lock_guard<std::mutex> lock(mu_);
  return states_[index];
}

std::vector<size_t> DataChannel::Connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<size_t> connected;
  for (size_t i = 0; i < states_.size(); ++i) {
    if (states_[i] == SocketState::kConnected) connected.push_back(i);
  }
  return connected;
}

absl::Status DataChannel::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

absl::Status DataChannel::WaitForAnyConnected(absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (!error_.ok()) return error_;
    for (SocketState state : states_) {
      if (state == SocketState::kConnected) return absl::OkStatus();
    }
    if (closing_) return absl::FailedPreconditionError("the data channel is closed");
    if (!WaitUntil(lock, deadline)) {
      for (SocketState state : states_) {
        if (state == SocketState::kConnected) return absl::OkStatus();
      }
      if (!error_.ok()) return error_;
      return absl::DeadlineExceededError(
          absl::StrCat("the destination has not connected to any of ", PathList(), " yet"));
    }
  }
}

absl::StatusOr<size_t> DataChannel::PickConnected(const std::vector<bool>& busy,
                                                  absl::Time deadline) {
  std::unique_lock<std::mutex> lock(mu_);
  for (bool waited = false;; waited = true) {
    if (!error_.ok()) return error_;
    if (closing_) return absl::FailedPreconditionError("the data channel is closed");
    bool listening = false;
    for (size_t i = 0; i < states_.size(); ++i) {
      if (states_[i] == SocketState::kConnected && !(i < busy.size() && busy[i])) return i;
      if (states_[i] == SocketState::kListening) listening = true;
    }
    if (!listening) {
      return absl::NotFoundError(
          absl::StrCat("every connected socket of ", PathList(), " is busy"));
    }
    if (waited && absl::Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("no free socket of ", PathList(), " connected in time"));
    }
    WaitUntil(lock, deadline);
  }
}

absl::Status DataChannel::Enqueue(size_t index, std::string buffer) {
  if (index >= sockets_.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("socket ", index, " of a data channel of ", sockets_.size()));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.ok()) return error_;
  }
  absl::Status queued = sockets_[index]->Enqueue(std::move(buffer));
  if (queued.ok()) return queued;
  std::lock_guard<std::mutex> lock(mu_);
  return error_.ok() ? queued : error_;
}

absl::Status DataChannel::Close() {
  if (finished_) return status();
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    changed_.notify_all();
  }
  // Each socket's writer flushes on its own thread; closing them one after the other
  // waits for the slowest, not for the sum.
  for (const auto& socket : sockets_) socket->Close().IgnoreError();  // error_ has the first
  return status();
}

void DataChannel::Abort() {
  if (finished_) return;
  finished_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
    changed_.notify_all();
  }
  for (const auto& socket : sockets_) socket->Abort();
}

void DataChannel::OnChange(size_t index, SocketState state, const absl::Status& error) {
  std::lock_guard<std::mutex> lock(mu_);
  states_[index] = state;
  if (state == SocketState::kFailed) {
    Fail(absl::IsUnavailable(error) ? error : absl::UnavailableError(error.message()));
  }
  if (state == SocketState::kNotConnected && !closing_) {
    bool none = true;  // connected, can still connect, or failed already
    for (SocketState s : states_) none = none && s == SocketState::kNotConnected;
    if (none) {
      Fail(absl::UnavailableError(absl::StrCat("the destination did not connect to any of ",
                                               PathList(), " within ", SecondsText(accept_timeout_),
                                               " s")));
    }
  }
  changed_.notify_all();
}

void DataChannel::Fail(absl::Status error) {
  if (!error_.ok()) return;
  error_ = std::move(error);
  for (const auto& socket : sockets_) socket->Interrupt(error_);
  changed_.notify_all();
}

bool DataChannel::WaitUntil(std::unique_lock<std::mutex>& lock, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    changed_.wait(lock);
    return true;
  }
  if (absl::Now() >= deadline) return false;
  changed_.wait_until(lock, absl::ToChronoTime(deadline));
  return absl::Now() < deadline;
}

std::string DataChannel::PathList() const {
  std::vector<std::string> paths;
  for (const auto& socket : sockets_) paths.push_back(socket->path());
  return absl::StrJoin(paths, ", ");
}

}  // namespace tsdb_source::client
