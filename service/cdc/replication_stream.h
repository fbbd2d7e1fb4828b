// A logical replication client over libpq: opens a replication connection
// (replication=database), checks the slot, runs
//   START_REPLICATION SLOT "slot" LOGICAL X/Y (proto_version '1',
//     publication_names '"pub1","pub2"', messages 'true', binary 'true')
// and reads the CopyBoth stream. Each pgoutput message arrives as one XLogData, which Next
// returns (decode its payload with pgoutput.h).
//
// Acknowledgement: the slot's confirmed_flush_lsn moves only through SendStatus: the stream
// never reports a flushed position the caller did not hand it. Keepalives that ask for a
// reply, and the periodic status update (ReplicationOptions::status_interval), repeat the
// caller's last flushed/applied positions (0 = none yet, which the server ignores) and report
// as written everything received so far, so an idle server knows the client is alive and can
// shut down without waiting for wal_sender_timeout. Next must be called often enough
// (well within the server's wal_sender_timeout, 60 s by default) or the server drops the
// connection.
//
// Ownership and threads: a ReplicationStream owns its connection; it is used by one thread,
// except Cancel(), which any thread may call to wake a blocked Next. The XLogData payload
// points into a libpq buffer owned by the stream: valid until the next Next, Close or the
// destruction of the stream.
//
// Errors: a missing slot is NotFound (reason SLOT_NOT_FOUND), a slot held by another
// connection Unavailable (SLOT_IN_USE), a physical slot or one of another plugin or database
// FailedPrecondition (SLOT_UNUSABLE), a missing publication NotFound (PUBLICATION_NOT_FOUND;
// pgoutput only notices it when it decodes the first change, so it surfaces from Next), a
// broken connection Unavailable (CONNECTION_LOST), a malformed stream message DataLoss
// (REPLICATION_PROTOCOL).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "service/pg/connection.h"

namespace tsdb_source::cdc {

// The replication command text for these arguments (exposed for tests): the slot is quoted
// as an identifier, each publication as a double-quoted identifier inside one single-quoted
// literal. InvalidArgument for an invalid slot name (PostgreSQL allows [a-z0-9_], at most
// 63 bytes) or no publication.
absl::StatusOr<std::string> StartReplicationCommand(absl::string_view slot,
                                                    const std::vector<std::string>& publications,
                                                    uint64_t start_lsn, bool messages,
                                                    bool binary);

struct ReplicationOptions {
  // Where to connect; `replication` is forced on.
  pg::ConnectOptions connect;
  // An existing logical slot of plugin pgoutput in connect.database.
  std::string slot;
  // Publications whose changes to stream (at least one).
  std::vector<std::string> publications;
  // Where to start. The server starts at the slot's confirmed_flush_lsn when this is lower
  // (0 = from the slot's confirmed position); transactions that committed before the start
  // are skipped whole.
  uint64_t start_lsn = 0;
  // Run IDENTIFY_SYSTEM first (ReplicationStream::system()).
  bool identify_system = true;
  // pgoutput options: logical decoding messages, binary tuple values.
  bool messages = true;
  bool binary = true;
  // A status update is sent when none was sent for this long (0: only on request).
  absl::Duration status_interval = absl::Seconds(10);
};

// Result of IDENTIFY_SYSTEM.
struct SystemIdentity {
  std::string system_id;  // the cluster's unique identifier, decimal
  uint32_t timeline = 0;
  uint64_t wal_flush_lsn = 0;  // the server's current WAL flush position
  std::string database;
};

// One XLogData ('w') message of the stream.
struct XLogData {
  // For logical replication both are the LSN the walsender attached to this message: a
  // change's own LSN; for a Begin the LSN of the transaction's first published change
  // (pgoutput sends Begin lazily, with that change); for a Commit the end of the commit
  // record (== Change::end_lsn, the position to confirm); and 0 for a message written ahead
  // of another in the same callback (Relation and Type before their change, Begin before an
  // Origin). They are not the server's end of WAL (see server_wal_end()).
  uint64_t wal_start = 0;
  uint64_t wal_end = 0;
  // Server clock when it sent the message, microseconds since 1970-01-01 UTC.
  int64_t send_time_micros = 0;
  // One pgoutput message; valid until the next Next/Close call (see the header comment).
  absl::string_view payload;
};

class ReplicationStream final {
 public:
  // Connects, checks the slot (exists, logical, pgoutput, this database, not active),
  // optionally runs IDENTIFY_SYSTEM, and starts streaming.
  static absl::StatusOr<std::unique_ptr<ReplicationStream>> Start(
      const ReplicationOptions& options);

  ReplicationStream(const ReplicationStream&) = delete;
  ReplicationStream& operator=(const ReplicationStream&) = delete;
  // Closes the connection without the CopyDone handshake (the server ends the walsender
  // when the connection drops); call Close() first for a clean end.
  ~ReplicationStream();

  // The next XLogData, or std::nullopt when none arrived within `timeout` (0: poll once).
  // Keepalives are handled inside (answered when the server asks). Cancelled after
  // Cancel(); FailedPrecondition after Close or after the stream ended.
  absl::StatusOr<std::optional<XLogData>> Next(absl::Duration timeout);

  // Sends a standby status update: written, flushed and applied WAL positions (each the
  // position after the last byte, e.g. a Commit's end_lsn). The slot's confirmed_flush_lsn
  // becomes `flushed` when the server processes the message, asynchronously. The flushed
  // position is never sent lower than the highest one already sent or the slot's
  // confirmed_flush_lsn when the stream started (older PostgreSQL releases move the slot
  // back on a lower position; 15.20 ignores it), and written is raised to received_lsn().
  // With reply_requested the server answers with a keepalive (it arrives through Next and
  // updates server_wal_end()).
  absl::Status SendStatus(uint64_t written, uint64_t flushed, uint64_t applied,
                          bool reply_requested = false);

  // Wakes a Next blocked in another thread; it and every later Next return Cancelled.
  // Thread-safe and async-signal-safe. Close() afterwards ends the stream cleanly.
  void Cancel();

  // Ends the COPY cleanly: sends CopyDone, discards what the server still sends until it
  // answers with its own CopyDone and CommandComplete, and closes the connection. Always
  // closes; DeadlineExceeded when the server did not finish within `timeout` (the
  // connection is then dropped). Idempotent.
  absl::Status Close(absl::Duration timeout = absl::Seconds(10));

  // IDENTIFY_SYSTEM's answer, when ReplicationOptions::identify_system was set.
  const std::optional<SystemIdentity>& system() const { return system_; }
  // The slot's confirmed_flush_lsn when the stream started.
  uint64_t slot_confirmed_flush_lsn() const { return slot_confirmed_flush_; }
  // The highest WAL position the server reported in a keepalive: everything before it has
  // been sent (and returned by Next once the keepalive is seen). 0 before the first one.
  uint64_t server_wal_end() const { return server_wal_end_; }
  // The highest position received (XLogData starts and keepalive ends).
  uint64_t received_lsn() const { return received_lsn_; }
  // The last flushed position sent to the server (0 when none).
  uint64_t sent_flush_lsn() const { return sent_flushed_; }
  // Server version as PQserverVersion() reports it (150020 for 15.20).
  int server_version_num() const { return server_version_num_; }

 private:
  ReplicationStream(pg::Connection conn, const ReplicationOptions& options);

  absl::Status SendStatusMessage(bool reply_requested);
  absl::Status HandleKeepalive(absl::string_view message);
  absl::Status StreamEnded();

  std::optional<pg::Connection> conn_;  // empty after Close
  int server_version_num_ = 0;
  std::string slot_;
  absl::Duration status_interval_;
  std::optional<SystemIdentity> system_;
  bool streaming_ = false;  // in CopyBoth mode
  bool closed_ = false;

  std::unique_ptr<char, void (*)(void*)> buffer_;  // the last PQgetCopyData buffer

  uint64_t slot_confirmed_flush_ = 0;
  uint64_t server_wal_end_ = 0;
  uint64_t received_lsn_ = 0;
  uint64_t written_ = 0;  // caller's positions
  uint64_t sent_flushed_ = 0;
  uint64_t applied_ = 0;
  absl::Time last_status_ = absl::InfinitePast();

  std::atomic<bool> cancelled_{false};
  int cancel_fd_ = -1;  // eventfd, readable once Cancel() was called
};

}  // namespace tsdb_source::cdc
