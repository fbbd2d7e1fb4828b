// What change data capture can follow, per relation kind and replica identity, and that each
// refusal says why and what to do. No database needed (discover_test covers the facts).
#include "service/cdc/capturable.h"

#include <string>

#include "gtest/gtest.h"

namespace tsdb_source::cdc {
namespace {

v1::Stream StreamOf(v1::RelationKind kind) {
  v1::Stream s;
  s.mutable_stream()->set_namespace_("sales");
  s.mutable_stream()->set_name("Orders \"2024\"");
  s.set_kind(kind);
  return s;
}

CaptureFacts Facts(bool identity_usable, bool unmapped_hypertable = false) {
  CaptureFacts facts;
  facts.identity_usable = identity_usable;
  facts.unmapped_hypertable = unmapped_hypertable;
  return facts;
}

void ExpectWhy(const v1::Stream& s, const CaptureFacts& facts, const std::string& part) {
  const std::string why = WhyNotCapturable(s, facts);
  EXPECT_NE(why.find(part), std::string::npos) << "'" << part << "' not in: " << why;
  EXPECT_NE(why.find("full_refresh"), std::string::npos) << why;
}

TEST(Capturable, TablesWithAReplicaIdentityAreCaptured) {
  for (v1::RelationKind kind : {v1::RELATION_KIND_TABLE, v1::RELATION_KIND_PARTITIONED_TABLE,
                                v1::RELATION_KIND_HYPERTABLE}) {
    EXPECT_EQ(WhyNotCapturable(StreamOf(kind), Facts(true)), "") << kind;
    ExpectWhy(StreamOf(kind), Facts(false), "no primary key or other replica identity");
  }
  // The fix names the table, quoted.
  ExpectWhy(StreamOf(v1::RELATION_KIND_TABLE), Facts(false),
            "ALTER TABLE \"sales\".\"Orders \"\"2024\"\"\" REPLICA IDENTITY FULL");
  ExpectWhy(StreamOf(v1::RELATION_KIND_PARTITIONED_TABLE), Facts(false), "one of its partitions");
  ExpectWhy(StreamOf(v1::RELATION_KIND_HYPERTABLE), Facts(true, true), "timescaledb_support");
}

TEST(Capturable, RelationsWithoutChangesAreNot) {
  ExpectWhy(StreamOf(v1::RELATION_KIND_VIEW), Facts(true), "is a view");
  ExpectWhy(StreamOf(v1::RELATION_KIND_MATERIALIZED_VIEW), Facts(true), "materialized view");
  ExpectWhy(StreamOf(v1::RELATION_KIND_FOREIGN_TABLE), Facts(true), "foreign table");
  ExpectWhy(StreamOf(v1::RELATION_KIND_UNSPECIFIED), Facts(true), "does not know");
}

TEST(Capturable, ContinuousAggregates) {
  v1::Stream cagg = StreamOf(v1::RELATION_KIND_CONTINUOUS_AGGREGATE);
  cagg.mutable_continuous_aggregate()->set_materialization_hypertable_schema(
      "_timescaledb_internal");
  cagg.mutable_continuous_aggregate()->set_materialization_hypertable_name(
      "_materialized_hypertable_7");
  EXPECT_EQ(WhyNotCapturable(cagg, Facts(true)), "");
  ExpectWhy(cagg, Facts(false),
            "ALTER TABLE \"_timescaledb_internal\".\"_materialized_hypertable_7\" REPLICA "
            "IDENTITY FULL");
  cagg.mutable_continuous_aggregate()->set_real_time(true);
  ExpectWhy(cagg, Facts(true), "real-time");
  ExpectWhy(cagg, Facts(true), "timescaledb.materialized_only = true");
}

}  // namespace
}  // namespace tsdb_source::cdc
