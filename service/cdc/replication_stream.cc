#include "service/cdc/replication_stream.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "service/cdc/slot_info.h"
#include "service/common/errors.h"
#include "service/pg/copy/big_endian.h"
#include "service/pg/copy/pg_epoch.h"
#include "service/pg/lsn.h"
#include "service/pg/quote.h"
#include "service/pg/socket_wait.h"

namespace tsdb_source::cdc {
namespace {

// Sizes of the CopyBoth messages: 'w' header, 'k' keepalive, 'r' status update.
constexpr size_t kXLogDataHeader = 1 + 8 + 8 + 8;
constexpr size_t kKeepaliveSize = 1 + 8 + 8 + 1;
constexpr size_t kStatusSize = 1 + 8 + 8 + 8 + 8 + 1;

absl::Status ProtocolError(absl::string_view what) {
  return MakeError(absl::StatusCode::kDataLoss, v1::ERROR_REASON_REPLICATION_PROTOCOL,
                   absl::StrCat("malformed replication stream message: ", what));
}

int64_t NowPgMicros() { return absl::ToUnixMicros(absl::Now()) - pg::kPgEpochOffsetMicros; }

bool SendTimeToUnix(int64_t pg_micros, int64_t* out) {
  if (pg_micros > std::numeric_limits<int64_t>::max() - pg::kPgEpochOffsetMicros) return false;
  *out = pg_micros + pg::kPgEpochOffsetMicros;
  return true;
}

// Runs one replication or simple-query command. The walsender speaks only the simple query
// protocol, so this is PQexec, never PQexecParams.
absl::StatusOr<pg::Result> ExecSimple(pg::Connection& conn, const std::string& sql,
                                      ExecStatusType expected, absl::string_view what) {
  pg::Result result(PQexec(conn.raw(), sql.c_str()));
  if (PQresultStatus(result.raw()) != expected) return conn.CommandError(result.raw(), what);
  return result;
}

// Turns the failure of START_REPLICATION (or of the stream it started) into a status that
// names the slot or publication problem.
absl::Status ClassifyReplicationError(pg::Connection& conn, const PGresult* result,
                                      absl::string_view slot, absl::string_view what) {
  absl::Status status = conn.CommandError(result, what);
  const char* state_ptr = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  absl::string_view state = state_ptr ? state_ptr : "";
  const char* primary = result ? PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  absl::string_view message = primary ? primary : "";
  if (state == "42704" && absl::StrContains(message, "publication")) {
    return MakeError(absl::StatusCode::kNotFound, v1::ERROR_REASON_PUBLICATION_NOT_FOUND,
                     absl::StrCat(status.message(),
                                  " (create it with CREATE PUBLICATION ... or fix "
                                  "publication_names)"));
  }
  if (state == "42704") {
    return MakeError(absl::StatusCode::kNotFound, v1::ERROR_REASON_SLOT_NOT_FOUND,
                     absl::StrCat(status.message(), " (create it with SELECT "
                                  "pg_create_logical_replication_slot('", slot,
                                  "', 'pgoutput'))"));
  }
  if (state == "55006") {
    return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_SLOT_IN_USE,
                     absl::StrCat(status.message(),
                                  " (another replication connection streams from this slot)"));
  }
  if (state == "55000") {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_SLOT_UNUSABLE,
                     std::string(status.message()));
  }
  return status;
}

}  // namespace

absl::StatusOr<std::string> StartReplicationCommand(absl::string_view slot,
                                                    const std::vector<std::string>& publications,
                                                    uint64_t start_lsn, bool messages,
                                                    bool binary) {
  if (auto s = ValidateSlotName(slot); !s.ok()) return s;
  if (publications.empty()) {
    return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_PUBLICATION_MISSING,
                     "logical replication with pgoutput needs at least one publication");
  }
  std::vector<std::string> quoted;
  quoted.reserve(publications.size());
  for (const std::string& publication : publications) {
    if (publication.empty() || publication.find('\0') != std::string::npos) {
      return MakeError(absl::StatusCode::kInvalidArgument, v1::ERROR_REASON_PUBLICATION_NAME_INVALID,
                       "a publication name must be non-empty and contain no NUL byte");
    }
    // pgoutput splits the value with SplitIdentifierString: double-quoted identifiers keep
    // their case, commas and spaces; "" stands for one double quote.
    quoted.push_back(pg::QuoteIdent(publication));
  }
  return absl::StrCat("START_REPLICATION SLOT ", pg::QuoteIdent(slot), " LOGICAL ",
                      pg::FormatLsn(start_lsn), " (proto_version '1', publication_names ",
                      pg::QuoteLiteral(absl::StrJoin(quoted, ",")), ", messages '",
                      messages ? "true" : "false", "', binary '", binary ? "true" : "false",
                      "')");
}

ReplicationStream::ReplicationStream(pg::Connection conn, const ReplicationOptions& options)
    : conn_(std::move(conn)),
      server_version_num_(PQserverVersion(conn_->raw())),
      slot_(options.slot),
      status_interval_(options.status_interval),
      buffer_(nullptr, &PQfreemem) {}

ReplicationStream::~ReplicationStream() {
  buffer_.reset();
  if (cancel_fd_ >= 0) close(cancel_fd_);
  // conn_ closes the connection (PQfinish).
}

absl::StatusOr<std::unique_ptr<ReplicationStream>> ReplicationStream::Start(
    const ReplicationOptions& options) {
  absl::StatusOr<std::string> command =
      StartReplicationCommand(options.slot, options.publications, options.start_lsn,
                              options.messages, options.binary);
  if (!command.ok()) return command.status();

  pg::ConnectOptions connect = options.connect;
  connect.replication = true;
  absl::StatusOr<pg::Connection> conn = pg::Connection::Open(connect);
  if (!conn.ok()) return conn.status();
  std::unique_ptr<ReplicationStream> stream(
      new ReplicationStream(*std::move(conn), options));
  pg::Connection& c = *stream->conn_;

  // The slot, checked first so each problem gets its own clear error (START_REPLICATION
  // would fail too, but for a slot of another plugin only with an unrelated option error).
  absl::StatusOr<std::optional<SlotInfo>> found = LookupSlotOverReplication(c, options.slot);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return MakeError(absl::StatusCode::kNotFound, v1::ERROR_REASON_SLOT_NOT_FOUND,
                     absl::StrCat("replication slot \"", options.slot,
                                  "\" does not exist (create it with SELECT "
                                  "pg_create_logical_replication_slot('",
                                  options.slot, "', 'pgoutput'))"));
  }
  const SlotInfo& slot = **found;
  if (slot.slot_type != "logical") {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_SLOT_UNUSABLE,
                     absl::StrCat("replication slot \"", options.slot, "\" is a ",
                                  slot.slot_type, " slot; CDC needs a logical slot of plugin "
                                  "pgoutput"));
  }
  if (slot.plugin != "pgoutput") {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_SLOT_UNUSABLE,
                     absl::StrCat("replication slot \"", options.slot, "\" uses plugin ",
                                  slot.plugin, "; CDC needs a slot of plugin pgoutput"));
  }
  if (!slot.InCurrentDatabase()) {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_SLOT_UNUSABLE,
                     absl::StrCat("replication slot \"", options.slot,
                                  "\" belongs to database \"", slot.database.value_or(""),
                                  "\", not to \"", slot.current_database, "\""));
  }
  if (slot.active_pid.has_value()) {
    return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_SLOT_IN_USE,
                     absl::StrCat("replication slot \"", options.slot,
                                  "\" is in use by the server process with PID ",
                                  *slot.active_pid,
                                  " (another replication connection streams from it)"));
  }
  if (slot.wal_status == "lost") {
    return MakeError(absl::StatusCode::kFailedPrecondition, v1::ERROR_REASON_SLOT_UNUSABLE,
                     absl::StrCat("replication slot \"", options.slot,
                                  "\" was invalidated (wal_status lost: the WAL it needs was "
                                  "removed); drop and re-create it, then resync"));
  }
  if (slot.confirmed_flush_lsn.has_value()) {
    stream->slot_confirmed_flush_ = *slot.confirmed_flush_lsn;
  }

  if (options.identify_system) {
    absl::StatusOr<pg::Result> identity =
        ExecSimple(c, "IDENTIFY_SYSTEM", PGRES_TUPLES_OK, "IDENTIFY_SYSTEM failed");
    if (!identity.ok()) return identity.status();
    if (identity->rows() != 1 || identity->columns() < 4) {
      return ProtocolError("IDENTIFY_SYSTEM did not return one row of 4 columns");
    }
    SystemIdentity system;
    system.system_id = identity->GetString(0, 0);
    if (!absl::SimpleAtoi(identity->Get(0, 1), &system.timeline)) {
      return ProtocolError(absl::StrCat("IDENTIFY_SYSTEM timeline '", identity->Get(0, 1), "'"));
    }
    absl::StatusOr<uint64_t> flush = pg::ParseLsn(identity->Get(0, 2));
    if (!flush.ok()) return flush.status();
    system.wal_flush_lsn = *flush;
    system.database = identity->GetString(0, 3);
    stream->system_ = std::move(system);
  }

  stream->cancel_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stream->cancel_fd_ < 0) {
    return absl::InternalError(absl::StrCat("eventfd failed: ", std::strerror(errno)));
  }

  pg::Result started(PQexec(c.raw(), command->c_str()));
  if (PQresultStatus(started.raw()) != PGRES_COPY_BOTH) {
    return ClassifyReplicationError(c, started.raw(), options.slot, "START_REPLICATION failed");
  }
  stream->streaming_ = true;
  stream->last_status_ = absl::Now();
  return stream;
}

void ReplicationStream::Cancel() {
  cancelled_.store(true);
  if (cancel_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t ignored = write(cancel_fd_, &one, sizeof(one));
    (void)ignored;
  }
}

absl::Status ReplicationStream::StreamEnded() {
  streaming_ = false;
  absl::Status status = MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_STREAM_ENDED,
                                  "the server ended the replication stream");
  while (PGresult* raw = PQgetResult(conn_->raw())) {
    pg::Result result(raw);
    ExecStatusType s = PQresultStatus(raw);
    if (s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE) {
      status = ClassifyReplicationError(*conn_, raw, slot_, "logical replication failed");
    }
  }
  if (PQstatus(conn_->raw()) != CONNECTION_OK && status.code() == absl::StatusCode::kUnavailable &&
      ReasonCodeOf(status) == v1::ERROR_REASON_STREAM_ENDED) {
    status = conn_->CommandError(nullptr, "the replication connection was lost");
  }
  return status;
}

absl::Status ReplicationStream::HandleKeepalive(absl::string_view message) {
  if (message.size() < kKeepaliveSize) {
    return ProtocolError(absl::StrCat("keepalive of ", message.size(), " bytes"));
  }
  uint64_t wal_end = pg::LoadBigEndian64(message.data() + 1);
  bool reply_requested = message[17] != 0;
  server_wal_end_ = std::max(server_wal_end_, wal_end);
  received_lsn_ = std::max(received_lsn_, wal_end);
  if (reply_requested) return SendStatusMessage(false);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<XLogData>> ReplicationStream::Next(absl::Duration timeout) {
  if (closed_ || !streaming_) {
    return absl::FailedPreconditionError("the replication stream is closed or has ended");
  }
  buffer_.reset();
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    if (cancelled_.load()) return absl::CancelledError("the replication stream was cancelled");
    if (status_interval_ > absl::ZeroDuration() &&
        absl::Now() - last_status_ >= status_interval_) {
      if (auto s = SendStatusMessage(false); !s.ok()) return s;
    }
    char* raw = nullptr;
    int n = PQgetCopyData(conn_->raw(), &raw, /*async=*/1);
    if (n > 0) {
      buffer_.reset(raw);
      absl::string_view message(raw, static_cast<size_t>(n));
      if (message[0] == 'w') {
        if (message.size() < kXLogDataHeader) {
          return ProtocolError(absl::StrCat("XLogData of ", message.size(), " bytes"));
        }
        XLogData data;
        data.wal_start = pg::LoadBigEndian64(message.data() + 1);
        data.wal_end = pg::LoadBigEndian64(message.data() + 9);
        int64_t send_time = static_cast<int64_t>(pg::LoadBigEndian64(message.data() + 17));
        if (!SendTimeToUnix(send_time, &data.send_time_micros)) {
          return ProtocolError(absl::StrCat("XLogData send time ", send_time, " out of range"));
        }
        data.payload = message.substr(kXLogDataHeader);
        received_lsn_ = std::max(received_lsn_, data.wal_start);
        return data;
      }
      if (message[0] == 'k') {
        absl::Status handled = HandleKeepalive(message);
        buffer_.reset();
        if (!handled.ok()) return handled;
        continue;
      }
      return ProtocolError(absl::StrFormat("unknown message type 0x%02x",
                                           static_cast<unsigned char>(message[0])));
    }
    if (n == -1) return StreamEnded();
    if (n < -1) {
      streaming_ = false;
      return conn_->CommandError(nullptr, "reading the replication stream failed");
    }
    // Nothing complete buffered: wait for the socket, the deadline or the next status.
    absl::Time wake = deadline;
    if (status_interval_ > absl::ZeroDuration()) {
      wake = std::min(wake, last_status_ + status_interval_);
    }
    // Cancel() makes cancel_fd_ readable.
    absl::StatusOr<pg::SocketWait> waited =
        pg::WaitForReadable(PQsocket(conn_->raw()), wake - absl::Now(), cancel_fd_);
    if (!waited.ok()) {
      return MakeError(absl::StatusCode::kUnavailable, v1::ERROR_REASON_CONNECTION_LOST,
                       absl::StrCat("polling the replication connection failed: ",
                                    waited.status().message()));
    }
    if (*waited == pg::SocketWait::kCancelled) {
      return absl::CancelledError("the replication stream was cancelled");
    }
    if (*waited == pg::SocketWait::kTimeout) {
      if (absl::Now() >= deadline) return std::optional<XLogData>();
      continue;
    }
    if (PQconsumeInput(conn_->raw()) != 1) {
      streaming_ = false;
      return conn_->CommandError(nullptr, "reading the replication stream failed");
    }
  }
}

absl::Status ReplicationStream::SendStatus(uint64_t written, uint64_t flushed, uint64_t applied,
                                           bool reply_requested) {
  if (closed_ || !streaming_) {
    return absl::FailedPreconditionError("the replication stream is closed or has ended");
  }
  written_ = std::max(written_, written);
  sent_flushed_ = std::max({sent_flushed_, flushed, slot_confirmed_flush_});
  applied_ = std::max(applied_, applied);
  return SendStatusMessage(reply_requested);
}

absl::Status ReplicationStream::SendStatusMessage(bool reply_requested) {
  char message[kStatusSize];
  message[0] = 'r';
  pg::StoreBigEndian64(message + 1, std::max(written_, received_lsn_));
  pg::StoreBigEndian64(message + 9, sent_flushed_);
  pg::StoreBigEndian64(message + 17, applied_);
  pg::StoreBigEndian64(message + 25, static_cast<uint64_t>(NowPgMicros()));
  message[33] = reply_requested ? 1 : 0;
  if (PQputCopyData(conn_->raw(), message, static_cast<int>(kStatusSize)) != 1 ||
      PQflush(conn_->raw()) != 0) {
    streaming_ = false;
    return conn_->CommandError(nullptr, "sending a standby status update failed");
  }
  last_status_ = absl::Now();
  return absl::OkStatus();
}

absl::Status ReplicationStream::Close(absl::Duration timeout) {
  if (closed_) return absl::OkStatus();
  closed_ = true;
  buffer_.reset();
  absl::Status status = absl::OkStatus();
  if (streaming_) {
    streaming_ = false;
    const absl::Time deadline = absl::Now() + timeout;
    PGconn* conn = conn_->raw();
    // Waits for input without the cancel event (it may stay signalled).
    auto wait = [&]() -> bool {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      absl::StatusOr<pg::SocketWait> waited = pg::WaitForReadable(PQsocket(conn), left);
      if (!waited.ok() || *waited != pg::SocketWait::kReadable) return false;
      return PQconsumeInput(conn) == 1;
    };
    if (PQputCopyEnd(conn, nullptr) != 1 || PQflush(conn) != 0) {
      status = conn_->CommandError(nullptr, "ending the replication stream failed");
    } else {
      // Discard the data the server sent before it saw CopyDone, up to its own CopyDone.
      bool done = false;
      while (!done) {
        char* raw = nullptr;
        int n = PQgetCopyData(conn, &raw, /*async=*/1);
        if (n > 0) {
          PQfreemem(raw);
        } else if (n == -1) {
          done = true;
        } else if (n < -1) {
          status = conn_->CommandError(nullptr, "ending the replication stream failed");
          break;
        } else if (!wait()) {
          break;
        }
      }
      // Then CommandComplete and ReadyForQuery, without blocking past the deadline.
      while (done) {
        if (PQisBusy(conn)) {
          if (!wait()) {
            done = false;
            break;
          }
          continue;
        }
        PGresult* raw = PQgetResult(conn);
        if (raw == nullptr) break;
        pg::Result result(raw);
        if (PQresultStatus(raw) == PGRES_FATAL_ERROR) {
          status = ClassifyReplicationError(*conn_, raw, slot_, "ending the replication stream");
        }
      }
      if (!done && status.ok()) {
        status = MakeError(absl::StatusCode::kDeadlineExceeded, v1::ERROR_REASON_CLOSE_TIMEOUT,
                           absl::StrCat("the server did not end the replication stream within ",
                                        absl::FormatDuration(timeout),
                                        "; the connection was dropped instead"));
      }
    }
  }
  conn_.reset();  // closes the connection now, not at destruction
  return status;
}

}  // namespace tsdb_source::cdc
