// Unit tests of the replication stream's text helpers: LSN parsing and formatting, and the
// START_REPLICATION command (quoting). No server needed.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/cdc/replication_stream.h"
#include "service/common/errors.h"

namespace tsdb_source::cdc {
namespace {

TEST(LsnTest, ParsesWhatPostgresPrints) {
  EXPECT_EQ(*ParseLsn("0/0"), 0u);
  EXPECT_EQ(*ParseLsn("16/B374D848"), 0x16B374D848u);
  EXPECT_EQ(*ParseLsn("16/b374d848"), 0x16B374D848u);
  EXPECT_EQ(*ParseLsn("0/2490C10"), 0x2490C10u);
  EXPECT_EQ(*ParseLsn("FFFFFFFF/FFFFFFFF"), UINT64_MAX);
  EXPECT_EQ(*ParseLsn("00000001/00000002"), 0x100000002u);
}

TEST(LsnTest, RejectsEverythingElse) {
  for (const char* bad : {"", "/", "0/", "/0", "0", "123456789/0", "0/123456789", "g/0",
                          "0/0/0", " 0/0", "0/0 ", "-1/0", "0x1/0", "+1/0"}) {
    absl::StatusOr<uint64_t> lsn = ParseLsn(bad);
    EXPECT_EQ(lsn.status().code(), absl::StatusCode::kInvalidArgument) << "'" << bad << "'";
  }
}

TEST(LsnTest, FormatsLikePgLsnOut) {
  EXPECT_EQ(FormatLsn(0), "0/0");
  EXPECT_EQ(FormatLsn(0x16B374D848u), "16/B374D848");
  EXPECT_EQ(FormatLsn(0x100000000u), "1/0");
  EXPECT_EQ(FormatLsn(UINT64_MAX), "FFFFFFFF/FFFFFFFF");
  for (uint64_t v : {uint64_t{1}, uint64_t{0xABCDEF}, uint64_t{0x123456789ABCDEF0}}) {
    EXPECT_EQ(*ParseLsn(FormatLsn(v)), v);
  }
}

TEST(StartReplicationCommandTest, QuotesSlotAndPublications) {
  absl::StatusOr<std::string> command = StartReplicationCommand(
      "my_slot_1", {"pub", "Mixed Case", "we\"ird", "it's", "a,b"}, 0x16B374D848u,
      /*messages=*/true, /*binary=*/true);
  ASSERT_TRUE(command.ok()) << command.status();
  EXPECT_EQ(*command,
            "START_REPLICATION SLOT \"my_slot_1\" LOGICAL 16/B374D848 (proto_version '1', "
            "publication_names '\"pub\",\"Mixed Case\",\"we\"\"ird\",\"it''s\",\"a,b\"', "
            "messages 'true', binary 'true')");
  command = StartReplicationCommand("s", {"p"}, 0, false, false);
  ASSERT_TRUE(command.ok());
  EXPECT_EQ(*command,
            "START_REPLICATION SLOT \"s\" LOGICAL 0/0 (proto_version '1', publication_names "
            "'\"p\"', messages 'false', binary 'false')");
}

TEST(StartReplicationCommandTest, RejectsWhatPostgresWouldReject) {
  for (const char* slot : {"", "Upper", "with space", "quo\"te", "semi;colon", "dash-ed",
                           "a123456789012345678901234567890123456789012345678901234567890123"}) {
    absl::StatusOr<std::string> command = StartReplicationCommand(slot, {"p"}, 0, true, true);
    EXPECT_EQ(command.status().code(), absl::StatusCode::kInvalidArgument) << slot;
    EXPECT_EQ(ReasonOf(command.status()), "SLOT_NAME_INVALID") << slot;
  }
  EXPECT_TRUE(StartReplicationCommand(std::string(63, 'a'), {"p"}, 0, true, true).ok());
  EXPECT_EQ(ReasonOf(StartReplicationCommand("s", {}, 0, true, true).status()),
            "PUBLICATION_MISSING");
  EXPECT_EQ(ReasonOf(StartReplicationCommand("s", {""}, 0, true, true).status()),
            "PUBLICATION_NAME_INVALID");
  EXPECT_EQ(ReasonOf(StartReplicationCommand("s", {std::string("a\0b", 3)}, 0, true, true)
                         .status()),
            "PUBLICATION_NAME_INVALID");
}

}  // namespace
}  // namespace tsdb_source::cdc
