// LookupSlot and LookupSlotOverReplication (service/cdc/slot_info.h) against the dev
// PostgreSQL 15: every field of a logical, a physical, another database's and an active
// slot, the same answer over a replication connection, and names no slot can have.
#include "service/cdc/slot_info.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "service/cdc/replication_stream.h"
#include "service/pg/connection.h"
#include "service/pg/lsn.h"
#include "tests/testing/databases.h"

namespace tsdb_source::cdc {
namespace {

using testing::Server;

class SlotInfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pg::ConnectOptions options = testing::ConnectOptionsFor(Server::kPostgres);
    options.replication = true;
    absl::StatusOr<pg::Connection> replication = pg::Connection::Open(options);
    ASSERT_TRUE(replication.ok()) << replication.status();
    replication_ = std::make_unique<pg::Connection>(*std::move(replication));
  }
  void TearDown() override {
    for (const std::string& slot : slots_) {
      testing::Exec(admin_, "SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }
  // A new slot's name, dropped at the end of the test.
  std::string NewSlot(const std::string& prefix) {
    slots_.push_back(testing::UniqueName(prefix));
    return slots_.back();
  }
  std::string Value(const std::string& sql, const std::string& slot) {
    auto r = admin_.ExecParams(sql, {slot});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && r->rows() == 1 ? r->GetString(0, 0) : "";
  }
  // Both lookups, which must agree; the bound one is returned.
  std::optional<SlotInfo> Lookup(const std::string& name) {
    absl::StatusOr<std::optional<SlotInfo>> bound = LookupSlot(admin_, name);
    EXPECT_TRUE(bound.ok()) << bound.status();
    absl::StatusOr<std::optional<SlotInfo>> simple = LookupSlotOverReplication(*replication_, name);
    EXPECT_TRUE(simple.ok()) << simple.status();
    if (!bound.ok() || !simple.ok()) return std::nullopt;
    EXPECT_EQ(bound->has_value(), simple->has_value()) << name;
    if (bound->has_value() && simple->has_value()) {
      const SlotInfo& a = **bound;
      const SlotInfo& b = **simple;
      EXPECT_EQ(a.slot_type, b.slot_type);
      EXPECT_EQ(a.plugin, b.plugin);
      EXPECT_EQ(a.database, b.database);
      EXPECT_EQ(a.current_database, b.current_database);
      EXPECT_EQ(a.active_pid, b.active_pid);
      EXPECT_EQ(a.confirmed_flush_lsn, b.confirmed_flush_lsn);
      EXPECT_EQ(a.wal_status, b.wal_status);
    }
    return *bound;
  }

  pg::Connection admin_ = testing::Connect(Server::kPostgres);
  std::unique_ptr<pg::Connection> replication_;
  std::vector<std::string> slots_;
  const std::string database_ = testing::ConfigFor(Server::kPostgres).database();
};

TEST_F(SlotInfoTest, LogicalSlot) {
  const std::string slot = NewSlot("slot_logical");
  testing::Exec(admin_, "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
  std::optional<SlotInfo> info = Lookup(slot);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->slot_type, "logical");
  EXPECT_EQ(info->plugin, "pgoutput");
  EXPECT_EQ(info->database, database_);
  EXPECT_EQ(info->current_database, database_);
  EXPECT_TRUE(info->InCurrentDatabase());
  EXPECT_EQ(info->active_pid, std::nullopt);
  ASSERT_TRUE(info->confirmed_flush_lsn.has_value());
  EXPECT_EQ(pg::FormatLsn(*info->confirmed_flush_lsn),
            Value("SELECT confirmed_flush_lsn::text FROM pg_replication_slots "
                  "WHERE slot_name = $1", slot));
  EXPECT_EQ(info->wal_status, "reserved");
}

TEST_F(SlotInfoTest, PhysicalSlot) {
  const std::string slot = NewSlot("slot_physical");
  testing::Exec(admin_, "SELECT pg_create_physical_replication_slot('" + slot + "')");
  std::optional<SlotInfo> info = Lookup(slot);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->slot_type, "physical");
  EXPECT_EQ(info->plugin, "");
  EXPECT_EQ(info->database, std::nullopt);
  EXPECT_EQ(info->current_database, database_);
  EXPECT_FALSE(info->InCurrentDatabase());
  EXPECT_EQ(info->confirmed_flush_lsn, std::nullopt);
}

TEST_F(SlotInfoTest, SlotOfAnotherDatabase) {
  pg::ConnectOptions options = testing::ConnectOptionsFor(Server::kPostgres);
  options.database = "postgres";
  absl::StatusOr<pg::Connection> other = pg::Connection::Open(options);
  ASSERT_TRUE(other.ok()) << other.status();
  const std::string slot = NewSlot("slot_elsewhere");
  testing::Exec(*other, "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
  std::optional<SlotInfo> info = Lookup(slot);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->database, "postgres");
  EXPECT_EQ(info->current_database, database_);
  EXPECT_FALSE(info->InCurrentDatabase());
}

TEST_F(SlotInfoTest, ActiveSlotNamesItsProcess) {
  const std::string slot = NewSlot("slot_active");
  const std::string publication = testing::UniqueName("slot_pub");
  testing::Exec(admin_, "CREATE PUBLICATION " + publication);
  testing::Exec(admin_, "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
  ReplicationOptions options;
  options.connect = testing::ConnectOptionsFor(Server::kPostgres);
  options.slot = slot;
  options.publications = {publication};
  absl::StatusOr<std::unique_ptr<ReplicationStream>> stream = ReplicationStream::Start(options);
  ASSERT_TRUE(stream.ok()) << stream.status();
  std::optional<SlotInfo> info = Lookup(slot);
  ASSERT_TRUE(info.has_value());
  ASSERT_TRUE(info->active_pid.has_value());
  EXPECT_EQ(absl::StrCat(*info->active_pid),
            Value("SELECT active_pid::text FROM pg_replication_slots WHERE slot_name = $1", slot));
  EXPECT_TRUE((*stream)->Close().ok());
  testing::Exec(admin_, "DROP PUBLICATION " + publication);
}

TEST_F(SlotInfoTest, MissingSlotsAndImpossibleNamesFindNothing) {
  for (const std::string& name :
       {testing::UniqueName("slot_missing"), std::string("it's \\' OR true --"),
        std::string("Upper"), std::string("")}) {
    EXPECT_EQ(Lookup(name), std::nullopt) << name;
  }
}

}  // namespace
}  // namespace tsdb_source::cdc
