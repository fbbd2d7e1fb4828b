#include "service/read/read_control.h"

#include <algorithm>

namespace tsdb_source {

void ReadControl::Cancel() {
  cancelled_.store(true);
  std::lock_guard<std::mutex> lock(mu_);
  for (pg::Connection* conn : connections_) conn->Cancel();
}

void ReadControl::Attach(pg::Connection* conn) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_.push_back(conn);
  if (cancelled_.load()) conn->Cancel();
}

void ReadControl::Detach(pg::Connection* conn) {
  std::lock_guard<std::mutex> lock(mu_);
  connections_.erase(std::remove(connections_.begin(), connections_.end(), conn),
                     connections_.end());
}

absl::Status PrepareReadingConnection(pg::Connection& conn) {
  auto utc = conn.Exec("SET TimeZone = 'UTC'");
  if (!utc.ok()) return utc.status();
  auto strings = conn.Exec("SET standard_conforming_strings = on");
  return strings.status();
}

absl::StatusOr<std::unique_ptr<MainConnection>> MainConnection::Open(
    const pg::ConnectOptions& options, ReadControl* control) {
  std::unique_ptr<MainConnection> main(new MainConnection(options, control));
  if (auto s = main->Connect(); !s.ok()) return s;
  return main;
}

absl::Status MainConnection::Connect() {
  auto conn = pg::Connection::Open(options_);
  if (!conn.ok()) return conn.status();
  auto fresh = std::make_unique<pg::Connection>(*std::move(conn));
  if (auto s = PrepareReadingConnection(*fresh); !s.ok()) return s;
  if (control_ != nullptr && conn_ != nullptr) control_->Detach(conn_.get());
  conn_ = std::move(fresh);
  if (control_ != nullptr) control_->Attach(conn_.get());
  return absl::OkStatus();
}

absl::Status MainConnection::Reconnect() {
  // The old connection stays until a new one is ready, so get() is always valid; it is
  // not used again after a failed reconnection (the caller retries the reconnection).
  return Connect();
}

MainConnection::~MainConnection() {
  if (control_ != nullptr && conn_ != nullptr) control_->Detach(conn_.get());
}

}  // namespace tsdb_source
