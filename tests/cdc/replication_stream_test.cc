// Integration tests of ReplicationStream against the dev PostgreSQL 15 (tools/dev-db): each
// test creates its own table, publication (with a name that needs quoting) and pgoutput
// slot, and drops them at the end.
#include "service/cdc/replication_stream.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "service/cdc/pgoutput.h"
#include "service/common/errors.h"
#include "service/pg/lsn.h"
#include "service/pg/quote.h"
#include "tests/testing/databases.h"

namespace tsdb_source::cdc {
namespace {

using Kind = Change::Kind;
using testing::Server;

std::string Int4Bytes(uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  return std::string(b, 4);
}

// One XLogData and its decoded message (views into the owned payload copy).
struct Received {
  uint64_t wal_start = 0;
  uint64_t wal_end = 0;
  int64_t send_time_micros = 0;
  std::string payload;
  Change change;
};

class ReplicationStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = std::make_unique<pg::Connection>(testing::Connect(Server::kPostgres));
    slot_ = testing::UniqueName("cdc_slot");
    table_ = testing::UniqueName("cdc_t");
    // A publication name with a space, double and single quotes and a comma.
    publication_ = testing::UniqueName("cdc pub \"q\" 'x', y");
    Sql(absl::StrCat("CREATE TABLE public.", pg::QuoteIdent(table_),
                     " (id int PRIMARY KEY, v text)"));
    Sql(absl::StrCat("CREATE PUBLICATION ", pg::QuoteIdent(publication_), " FOR TABLE public.",
                     pg::QuoteIdent(table_)));
    slot_created_lsn_ = Lsn(Query(
        "SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')", {slot_}));
  }

  void TearDown() override {
    // The walsender of a stream destroyed without Close() may still hold the slot briefly.
    for (const std::string& slot : extra_slots_) DropSlot(slot);
    DropSlot(slot_);
    Sql(absl::StrCat("DROP PUBLICATION IF EXISTS ", pg::QuoteIdent(publication_)));
    Sql(absl::StrCat("DROP TABLE IF EXISTS public.", pg::QuoteIdent(table_)));
  }

  void DropSlot(const std::string& slot) {
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    for (;;) {
      auto dropped = admin_->ExecParams(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
          "WHERE slot_name = $1 AND active_pid IS NULL",
          {slot});
      ASSERT_TRUE(dropped.ok()) << dropped.status();
      auto left = admin_->ExecParams("SELECT 1 FROM pg_replication_slots WHERE slot_name = $1",
                                     {slot});
      ASSERT_TRUE(left.ok()) << left.status();
      if (left->rows() == 0) return;
      ASSERT_LT(absl::Now(), deadline) << "slot " << slot << " stays active";
      absl::SleepFor(absl::Milliseconds(50));  // polling the server's state, bounded above
    }
  }

  void Sql(const std::string& sql) { testing::Exec(*admin_, sql); }

  std::string Query(const std::string& sql, std::vector<std::optional<std::string>> params = {}) {
    auto result = admin_->ExecParams(sql, params);
    EXPECT_TRUE(result.ok()) << sql << ": " << result.status();
    if (!result.ok() || result->rows() != 1) return "";
    return result->GetString(0, 0);
  }

  static uint64_t Lsn(const std::string& text) {
    absl::StatusOr<uint64_t> lsn = pg::ParseLsn(text);
    EXPECT_TRUE(lsn.ok()) << text;
    return lsn.ok() ? *lsn : 0;
  }

  // Runs one statement in its own transaction (ExecParams takes one statement only).
  void Commit(const std::string& sql) { Sql(sql); }

  std::string ConfirmedFlush() {
    return Query("SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
                 {slot_});
  }
  bool SlotActive() {
    return Query("SELECT active::text FROM pg_replication_slots WHERE slot_name = $1",
                 {slot_}) == "true";
  }

  ReplicationOptions Options() {
    v1::SourceConfig config = testing::ConfigFor(Server::kPostgres);
    ReplicationOptions options;
    options.connect.host = config.host();
    options.connect.port = config.port();
    options.connect.database = config.database();
    options.connect.user = config.username();
    options.connect.password = config.password();
    options.connect.sslmode = "disable";
    options.connect.application_name = "tsdb-source-cdc-test";
    options.slot = slot_;
    options.publications = {publication_};
    return options;
  }

  std::unique_ptr<ReplicationStream> StartStream(uint64_t start_lsn = 0) {
    ReplicationOptions options = Options();
    options.start_lsn = start_lsn;
    absl::StatusOr<std::unique_ptr<ReplicationStream>> stream = ReplicationStream::Start(options);
    EXPECT_TRUE(stream.ok()) << stream.status();
    return stream.ok() ? *std::move(stream) : nullptr;
  }

  // Reads and decodes messages until `commits` Commit messages arrived (fails the test
  // after 30 s). Relation messages go to *relations instead: pgoutput repeats them whenever
  // the relation's cache entry was invalidated (any publication DDL on the server, even
  // another test's, does that), so their number and place are not fixed.
  std::vector<std::unique_ptr<Received>> ReadCommits(
      ReplicationStream& stream, int commits,
      std::vector<std::unique_ptr<Received>>* relations = nullptr) {
    std::vector<std::unique_ptr<Received>> out;
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    int seen = 0;
    while (seen < commits) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        ADD_FAILURE() << "only " << seen << " of " << commits << " commits arrived";
        break;
      }
      absl::StatusOr<std::optional<XLogData>> data = stream.Next(left);
      if (!data.ok()) {
        ADD_FAILURE() << data.status();
        break;
      }
      if (!data->has_value()) continue;
      auto r = std::make_unique<Received>();
      r->wal_start = (*data)->wal_start;
      r->wal_end = (*data)->wal_end;
      r->send_time_micros = (*data)->send_time_micros;
      r->payload = std::string((*data)->payload);
      absl::Status decoded = DecodePgoutput(r->payload, &r->change);
      if (!decoded.ok()) {
        ADD_FAILURE() << decoded;
        break;
      }
      if (r->change.kind == Kind::kCommit) ++seen;
      if (r->change.kind == Kind::kRelation) {
        if (relations != nullptr) relations->push_back(std::move(r));
        continue;
      }
      out.push_back(std::move(r));
    }
    return out;
  }

  static std::vector<Kind> Kinds(const std::vector<std::unique_ptr<Received>>& received) {
    std::vector<Kind> kinds;
    for (const auto& r : received) kinds.push_back(r->change.kind);
    return kinds;
  }

  // Keeps reading the stream (so status traffic flows) until the slot's confirmed position
  // is `expected`; fails after 10 s.
  void AwaitConfirmedFlush(ReplicationStream& stream, uint64_t expected) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (ConfirmedFlush() != pg::FormatLsn(expected)) {
      ASSERT_LT(absl::Now(), deadline) << "confirmed_flush_lsn is " << ConfirmedFlush()
                                       << ", expected " << pg::FormatLsn(expected);
      auto data = stream.Next(absl::Milliseconds(50));
      ASSERT_TRUE(data.ok()) << data.status();
      ASSERT_FALSE(data->has_value()) << "unexpected data";
    }
  }

  std::unique_ptr<pg::Connection> admin_;
  std::string slot_;
  std::string table_;
  std::string publication_;
  uint64_t slot_created_lsn_ = 0;
  std::vector<std::string> extra_slots_;
};

TEST_F(ReplicationStreamTest, StreamsDecodesAndConfirmsExactlyTheGivenPosition) {
  std::string t = absl::StrCat("public.", pg::QuoteIdent(table_));
  Commit(absl::StrCat("INSERT INTO ", t, " VALUES (1, 'a'), (2, 'b')"));
  Commit(absl::StrCat("UPDATE ", t, " SET v = 'c' WHERE id = 1"));
  Commit(absl::StrCat("DELETE FROM ", t, " WHERE id = 2"));
  uint64_t after_changes = Lsn(Query("SELECT pg_current_wal_lsn()::text"));

  std::unique_ptr<ReplicationStream> stream = StartStream();
  ASSERT_NE(stream, nullptr);
  ASSERT_TRUE(stream->system().has_value());
  EXPECT_EQ(stream->system()->database, testing::ConfigFor(Server::kPostgres).database());
  EXPECT_GE(stream->system()->timeline, 1u);
  EXPECT_GE(stream->system()->wal_flush_lsn, after_changes);
  EXPECT_FALSE(stream->system()->system_id.empty());
  EXPECT_GE(stream->server_version_num(), 150000);
  EXPECT_EQ(stream->slot_confirmed_flush_lsn(), slot_created_lsn_);
  EXPECT_TRUE(SlotActive());

  std::vector<std::unique_ptr<Received>> relations;
  auto received = ReadCommits(*stream, 3, &relations);
  ASSERT_EQ(Kinds(received),
            (std::vector<Kind>{Kind::kBegin, Kind::kInsert, Kind::kInsert, Kind::kCommit,
                               Kind::kBegin, Kind::kUpdate, Kind::kCommit, Kind::kBegin,
                               Kind::kDelete, Kind::kCommit}));
  ASSERT_FALSE(relations.empty());
  const Change& rel = relations[0]->change;
  EXPECT_EQ(rel.namespace_name, "public");
  EXPECT_EQ(rel.name, table_);
  const Change& insert1 = received[1]->change;
  EXPECT_EQ(insert1.relation_oid, rel.relation_oid);
  EXPECT_EQ(insert1.new_tuple[0].data, Int4Bytes(1));
  EXPECT_EQ(insert1.new_tuple[1].data, "a");
  EXPECT_EQ(received[2]->change.new_tuple[0].data, Int4Bytes(2));
  EXPECT_EQ(received[5]->change.new_tuple[1].data, "c");
  EXPECT_EQ(received[8]->change.old_tuple_kind, OldTupleKind::kKey);
  EXPECT_EQ(received[8]->change.old_tuple[0].data, Int4Bytes(2));

  // LSNs: Begin and Commit agree, commits ascend, everything lies after the slot's start
  // and before the WAL position read after the changes.
  uint64_t previous_end = slot_created_lsn_;
  for (size_t begin : {size_t{0}, size_t{4}, size_t{7}}) {
    const Change& b = received[begin]->change;
    size_t commit = begin + (begin == 0 ? 3 : 2);
    const Change& c = received[commit]->change;
    EXPECT_EQ(b.final_lsn, c.commit_lsn);
    EXPECT_EQ(b.commit_time_micros, c.commit_time_micros);
    EXPECT_GT(c.commit_lsn, previous_end);
    EXPECT_GT(c.end_lsn, c.commit_lsn);
    EXPECT_LE(c.end_lsn, after_changes);
    // The walsender tags a Commit's XLogData with the end of the commit record.
    EXPECT_EQ(received[commit]->wal_start, c.end_lsn);
    previous_end = c.end_lsn;
  }
  // A change's XLogData carries its own LSN; a Relation written ahead of it carries 0.
  for (const auto& r : relations) EXPECT_EQ(r->wal_start, 0u);
  // (GE: the first INSERT's WAL record may start exactly where the slot was created.)
  EXPECT_GE(received[1]->wal_start, slot_created_lsn_);
  // A Begin is sent with the transaction's first change and carries its LSN.
  EXPECT_EQ(received[0]->wal_start, received[1]->wal_start);
  EXPECT_EQ(received[4]->wal_start, received[5]->wal_start);
  for (const auto& r : received) EXPECT_EQ(r->wal_start, r->wal_end);
  EXPECT_LT(received[2]->wal_start, received[3]->change.commit_lsn);
  EXPECT_GT(received[0]->send_time_micros, 1577836800000000);  // after 2020

  // Nothing is confirmed before the caller says so.
  EXPECT_EQ(ConfirmedFlush(), pg::FormatLsn(slot_created_lsn_));

  // Confirm the first transaction: the slot moves to exactly its end.
  const uint64_t first_end = received[3]->change.end_lsn;
  ASSERT_TRUE(stream->SendStatus(first_end, first_end, first_end).ok());
  EXPECT_EQ(stream->sent_flush_lsn(), first_end);
  AwaitConfirmedFlush(*stream, first_end);

  // More traffic and a keepalive round trip do not move it further.
  Commit(absl::StrCat("INSERT INTO ", t, " VALUES (3, 'd')"));
  auto more = ReadCommits(*stream, 1);
  ASSERT_EQ(Kinds(more), (std::vector<Kind>{Kind::kBegin, Kind::kInsert, Kind::kCommit}));
  uint64_t wal_end_before = stream->server_wal_end();
  ASSERT_TRUE(stream->SendStatus(0, 0, 0, /*reply_requested=*/true).ok());
  EXPECT_EQ(stream->sent_flush_lsn(), first_end);  // never lowered
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (stream->server_wal_end() <= wal_end_before ||
         stream->server_wal_end() < more[2]->change.end_lsn) {
    ASSERT_LT(absl::Now(), deadline) << "no keepalive answered the status request";
    auto data = stream->Next(absl::Milliseconds(100));
    ASSERT_TRUE(data.ok()) << data.status();
    ASSERT_FALSE(data->has_value());
  }
  EXPECT_GE(stream->received_lsn(), more[2]->change.end_lsn);
  EXPECT_EQ(ConfirmedFlush(), pg::FormatLsn(first_end));

  // A clean end releases the slot at once and leaves the position where it was.
  ASSERT_TRUE(stream->Close().ok());
  EXPECT_TRUE(stream->Close().ok());  // idempotent
  EXPECT_FALSE(SlotActive());
  EXPECT_EQ(ConfirmedFlush(), pg::FormatLsn(first_end));
  EXPECT_EQ(stream->Next(absl::ZeroDuration()).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stream->SendStatus(1, 1, 1).code(), absl::StatusCode::kFailedPrecondition);

  // Streaming again from the slot resumes after the confirmed transaction: the UPDATE's
  // transaction comes first, then the DELETE's and the last INSERT's.
  std::unique_ptr<ReplicationStream> again = StartStream(/*start_lsn=*/0);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->slot_confirmed_flush_lsn(), first_end);
  auto resumed = ReadCommits(*again, 3);
  ASSERT_EQ(Kinds(resumed),
            (std::vector<Kind>{Kind::kBegin, Kind::kUpdate, Kind::kCommit, Kind::kBegin,
                               Kind::kDelete, Kind::kCommit, Kind::kBegin, Kind::kInsert,
                               Kind::kCommit}));
  EXPECT_EQ(resumed[0]->change.final_lsn, received[6]->change.commit_lsn);
  EXPECT_EQ(resumed[8]->change.end_lsn, more[2]->change.end_lsn);
  // A start position below the slot's confirmed one is raised to it by the server, and the
  // stream never sends a flush position below it either.
  ASSERT_TRUE(again->SendStatus(slot_created_lsn_, slot_created_lsn_, slot_created_lsn_).ok());
  EXPECT_EQ(again->sent_flush_lsn(), first_end);
  ASSERT_TRUE(again->Close().ok());
  EXPECT_EQ(ConfirmedFlush(), pg::FormatLsn(first_end));
}

TEST_F(ReplicationStreamTest, StartingAtAnLsnSkipsEarlierTransactions) {
  std::string t = absl::StrCat("public.", pg::QuoteIdent(table_));
  Commit(absl::StrCat("INSERT INTO ", t, " VALUES (1, 'a')"));
  uint64_t between = Lsn(Query("SELECT pg_current_wal_lsn()::text"));
  Commit(absl::StrCat("INSERT INTO ", t, " VALUES (2, 'b')"));
  std::unique_ptr<ReplicationStream> stream = StartStream(between);
  ASSERT_NE(stream, nullptr);
  auto received = ReadCommits(*stream, 1);
  ASSERT_EQ(Kinds(received), (std::vector<Kind>{Kind::kBegin, Kind::kInsert, Kind::kCommit}));
  EXPECT_EQ(received[1]->change.new_tuple[0].data, Int4Bytes(2));
  EXPECT_TRUE(stream->Close().ok());
}

TEST_F(ReplicationStreamTest, LogicalMessagesAreStreamed) {
  Commit("SELECT pg_logical_emit_message(true, '::timescaledb-compression-start', '')");
  std::unique_ptr<ReplicationStream> stream = StartStream();
  ASSERT_NE(stream, nullptr);
  auto received = ReadCommits(*stream, 1);
  ASSERT_EQ(Kinds(received), (std::vector<Kind>{Kind::kBegin, Kind::kMessage, Kind::kCommit}));
  EXPECT_EQ(received[1]->change.prefix, "::timescaledb-compression-start");
  EXPECT_TRUE(received[1]->change.transactional);
  EXPECT_EQ(received[1]->wal_start, received[1]->change.message_lsn);
  EXPECT_TRUE(stream->Close().ok());
}

TEST_F(ReplicationStreamTest, NextTimesOutWithNothingAndCancelWakesIt) {
  std::unique_ptr<ReplicationStream> stream = StartStream();
  ASSERT_NE(stream, nullptr);
  absl::StatusOr<std::optional<XLogData>> nothing = stream->Next(absl::Milliseconds(200));
  ASSERT_TRUE(nothing.ok()) << nothing.status();
  EXPECT_FALSE(nothing->has_value());

  // Cancel from another thread, whether it lands before or during the blocking Next.
  std::thread canceller([&] { stream->Cancel(); });
  absl::Time started = absl::Now();
  absl::StatusOr<std::optional<XLogData>> cancelled = stream->Next(absl::Seconds(60));
  canceller.join();
  EXPECT_EQ(cancelled.status().code(), absl::StatusCode::kCancelled) << cancelled.status();
  EXPECT_LT(absl::Now() - started, absl::Seconds(10));
  EXPECT_EQ(stream->Next(absl::ZeroDuration()).status().code(), absl::StatusCode::kCancelled);

  // The COPY still ends cleanly after a cancel.
  EXPECT_TRUE(stream->Close().ok());
  EXPECT_FALSE(SlotActive());
}

TEST_F(ReplicationStreamTest, SlotInUseIsAClearError) {
  std::unique_ptr<ReplicationStream> first = StartStream();
  ASSERT_NE(first, nullptr);
  absl::StatusOr<std::unique_ptr<ReplicationStream>> second = ReplicationStream::Start(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_EQ(ReasonOf(second.status()), "SLOT_IN_USE");
  const std::string pid =
      Query("SELECT active_pid::text FROM pg_replication_slots WHERE slot_name = $1", {slot_});
  EXPECT_FALSE(pid.empty());
  EXPECT_EQ(second.status().message(),
            absl::StrCat("replication slot \"", slot_, "\" is in use by the server process with PID ",
                         pid, " (another replication connection streams from it)"));
  ASSERT_TRUE(first->Close().ok());
  std::unique_ptr<ReplicationStream> third = StartStream();
  ASSERT_NE(third, nullptr);
  EXPECT_TRUE(third->Close().ok());
}

TEST_F(ReplicationStreamTest, MissingSlotIsAClearError) {
  ReplicationOptions options = Options();
  options.slot = testing::UniqueName("cdc_missing");
  absl::StatusOr<std::unique_ptr<ReplicationStream>> stream = ReplicationStream::Start(options);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kNotFound) << stream.status();
  EXPECT_EQ(ReasonOf(stream.status()), "SLOT_NOT_FOUND");
  EXPECT_EQ(stream.status().message(),
            absl::StrCat("replication slot \"", options.slot,
                         "\" does not exist (create it with SELECT "
                         "pg_create_logical_replication_slot('",
                         options.slot, "', 'pgoutput'))"));
}

TEST_F(ReplicationStreamTest, SlotOfAnotherPluginOrKindIsAClearError) {
  std::string decoding = testing::UniqueName("cdc_test_decoding");
  std::string physical = testing::UniqueName("cdc_physical");
  extra_slots_ = {decoding, physical};
  Query("SELECT 1 FROM pg_create_logical_replication_slot($1, 'test_decoding')", {decoding});
  Query("SELECT 1 FROM pg_create_physical_replication_slot($1)", {physical});

  ReplicationOptions options = Options();
  options.slot = decoding;
  absl::StatusOr<std::unique_ptr<ReplicationStream>> stream = ReplicationStream::Start(options);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kFailedPrecondition) << stream.status();
  EXPECT_EQ(ReasonOf(stream.status()), "SLOT_UNUSABLE");
  EXPECT_EQ(stream.status().message(),
            absl::StrCat("replication slot \"", decoding,
                         "\" uses plugin test_decoding; CDC needs a slot of plugin pgoutput"));

  options.slot = physical;
  stream = ReplicationStream::Start(options);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kFailedPrecondition) << stream.status();
  EXPECT_EQ(ReasonOf(stream.status()), "SLOT_UNUSABLE");
  EXPECT_EQ(stream.status().message(),
            absl::StrCat("replication slot \"", physical,
                         "\" is a physical slot; CDC needs a logical slot of plugin pgoutput"));
}

TEST_F(ReplicationStreamTest, SlotOfAnotherDatabaseIsAClearError) {
  pg::ConnectOptions other_database = testing::ConnectOptionsFor(Server::kPostgres);
  other_database.database = "postgres";
  absl::StatusOr<pg::Connection> other = pg::Connection::Open(other_database);
  ASSERT_TRUE(other.ok()) << other.status();
  std::string elsewhere = testing::UniqueName("cdc_elsewhere");
  extra_slots_ = {elsewhere};
  testing::Exec(*other, absl::StrCat("SELECT pg_create_logical_replication_slot('", elsewhere,
                                     "', 'pgoutput')"));
  ReplicationOptions options = Options();
  options.slot = elsewhere;
  absl::StatusOr<std::unique_ptr<ReplicationStream>> stream = ReplicationStream::Start(options);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), absl::StatusCode::kFailedPrecondition) << stream.status();
  EXPECT_EQ(ReasonOf(stream.status()), "SLOT_UNUSABLE");
  EXPECT_EQ(stream.status().message(),
            absl::StrCat("replication slot \"", elsewhere, "\" belongs to database \"postgres\", "
                         "not to \"", options.connect.database, "\""));
}

TEST_F(ReplicationStreamTest, MissingPublicationSurfacesAtTheFirstChange) {
  std::string t = absl::StrCat("public.", pg::QuoteIdent(table_));
  Commit(absl::StrCat("INSERT INTO ", t, " VALUES (1, 'a')"));
  ReplicationOptions options = Options();
  options.publications = {testing::UniqueName("cdc_no_such_pub")};
  absl::StatusOr<std::unique_ptr<ReplicationStream>> stream = ReplicationStream::Start(options);
  ASSERT_TRUE(stream.ok()) << stream.status();  // pgoutput looks publications up lazily
  absl::Status status;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (status.ok() && absl::Now() < deadline) {
    absl::StatusOr<std::optional<XLogData>> data = (*stream)->Next(absl::Seconds(1));
    status = data.status();
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_EQ(ReasonOf(status), "PUBLICATION_NOT_FOUND") << status;
  EXPECT_NE(status.message().find(options.publications[0]), absl::string_view::npos) << status;
  EXPECT_TRUE((*stream)->Close().ok());
}

TEST_F(ReplicationStreamTest, DestroyingWithoutCloseReleasesTheSlot) {
  std::unique_ptr<ReplicationStream> stream = StartStream();
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(SlotActive());
  stream.reset();
  // TearDown drops the slot, waiting (bounded) until the walsender has let it go.
}

}  // namespace
}  // namespace tsdb_source::cdc
