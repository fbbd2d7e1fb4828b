// Unit tests of the replication stream's command text: START_REPLICATION (quoting). No
// server needed.
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "service/cdc/replication_stream.h"
#include "service/common/errors.h"

namespace tsdb_source::cdc {
namespace {

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
