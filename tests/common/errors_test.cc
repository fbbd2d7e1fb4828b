// The core's error reasons: the contract's ErrorReason values, their string forms on the
// wire, and the status helpers that carry them.
#include "service/common/errors.h"

#include <set>
#include <string>

#include "gtest/gtest.h"
#include "tsdb_source/v1/errors.pb.h"

namespace tsdb_source {
namespace {

TEST(Errors, ReasonIsTheEnumNameWithoutItsPrefix) {
  absl::Status s = MakeError(absl::StatusCode::kUnauthenticated,
                             v1::ERROR_REASON_AUTHENTICATION_FAILED, "rejected");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(s.message(), "rejected");
  EXPECT_EQ(ReasonOf(s), "AUTHENTICATION_FAILED");
  EXPECT_EQ(ReasonCodeOf(s), v1::ERROR_REASON_AUTHENTICATION_FAILED);
  EXPECT_EQ(SqlStateOf(s), "");
}

TEST(Errors, EveryReasonRoundTripsAndHasAUniqueStringForm) {
  const google::protobuf::EnumDescriptor* d = v1::ErrorReason_descriptor();
  std::set<std::string> names;
  for (int i = 0; i < d->value_count(); ++i) {
    auto reason = static_cast<v1::ErrorReason>(d->value(i)->number());
    ASSERT_EQ(d->value(i)->name().rfind("ERROR_REASON_", 0), 0u) << d->value(i)->name();
    std::string name = ReasonName(reason);
    EXPECT_TRUE(names.insert(name).second) << name;
    if (reason == v1::ERROR_REASON_UNSPECIFIED || reason == v1::ERROR_REASON_SQLSTATE) continue;
    absl::Status s = MakeError(absl::StatusCode::kInternal, reason, "m");
    EXPECT_EQ(ReasonOf(s), name);
    EXPECT_EQ(ReasonCodeOf(s), reason) << name;
  }
}

TEST(Errors, DatabaseErrorsCarryTheirSqlState) {
  absl::Status s = MakeSqlError(absl::StatusCode::kNotFound, "42P01", "no such table");
  EXPECT_EQ(ReasonOf(s), "SQLSTATE_42P01");
  EXPECT_EQ(ReasonCodeOf(s), v1::ERROR_REASON_SQLSTATE);
  EXPECT_EQ(SqlStateOf(s), "42P01");
}

TEST(Errors, WithoutAReasonTheCodeNamesIt) {
  absl::Status s = absl::DataLossError("bad COPY data");
  EXPECT_EQ(ReasonOf(s), "DATA_LOSS");
  EXPECT_EQ(ReasonCodeOf(s), v1::ERROR_REASON_UNSPECIFIED);
  EXPECT_EQ(SqlStateOf(s), "");
}

TEST(Errors, AnUnknownStoredReasonIsUnspecifiedButKeptOnTheWire) {
  absl::Status s(absl::StatusCode::kInternal, "m");
  s.SetPayload(kReasonPayload, absl::Cord("FROM_A_NEWER_SERVER"));
  EXPECT_EQ(ReasonOf(s), "FROM_A_NEWER_SERVER");
  EXPECT_EQ(ReasonCodeOf(s), v1::ERROR_REASON_UNSPECIFIED);
}

TEST(Errors, WithMessageKeepsCodeReasonAndPayloads) {
  absl::Status s = MakeSqlError(absl::StatusCode::kUnavailable, "08006", "lost");
  s.SetPayload("type.tsdb-source/chunk", absl::Cord("_hyper_1_2_chunk"));
  absl::Status t = WithMessage(s, "lost (gave up after 3 attempts)");
  EXPECT_EQ(t.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(t.message(), "lost (gave up after 3 attempts)");
  EXPECT_EQ(ReasonOf(t), "SQLSTATE_08006");
  EXPECT_EQ(t.GetPayload("type.tsdb-source/chunk").value_or(absl::Cord()), "_hyper_1_2_chunk");
  EXPECT_EQ(ReasonOf(WithMessage(absl::InternalError("x"), "y")), "INTERNAL");
}

}  // namespace
}  // namespace tsdb_source
