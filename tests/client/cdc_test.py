"""Change data capture through the connector (PostgreSQL 15: the TimescaleDB dev server has
no logical replication): discover adds the CDC columns, a read snapshots then streams the
slot's changes and ends with a GLOBAL state, and the next read continues from that state
with inserts, updates and deletes. Every line is validated by the harness (protocol,
schemas, recordCount of GLOBAL states)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source", "tests",
                                "airbyte"))
import connector_harness as h  # noqa: E402


class Cdc(unittest.TestCase):
    def setUp(self):
        self.db = h.Database("pg")
        self.schema = h.unique("cdc")
        self.slot = h.unique("slot")
        self.publication = h.unique("pub")
        self.db.sql("CREATE SCHEMA %s; CREATE TABLE %s.items (id bigint PRIMARY KEY, note text);"
                    "INSERT INTO %s.items SELECT g, 'n' || g FROM generate_series(1, 5) g;"
                    "CREATE PUBLICATION %s FOR TABLES IN SCHEMA %s;"
                    "SELECT pg_create_logical_replication_slot('%s', 'pgoutput');"
                    % (self.schema, self.schema, self.schema, self.publication, self.schema, self.slot))
        self.shim = h.Shim()

    def tearDown(self):
        self.shim.close()
        self.db.sql("SELECT pg_drop_replication_slot('%s'); DROP PUBLICATION %s; DROP SCHEMA %s CASCADE;"
                    % (self.slot, self.publication, self.schema))

    def test_snapshot_then_changes_through_global_states(self):
        config = self.shim.write("config.json", self.db.config(
            [self.schema], replication_method={"method": "CDC", "replication_slot": self.slot,
                                               "publication": self.publication,
                                               "initial_waiting_seconds": 5}))
        check = self.shim.run("check", "--config", config)
        self.assertEqual(check.of_type("CONNECTION_STATUS")[0]["connectionStatus"]["status"], "SUCCEEDED",
                         check.describe())
        discovered = self.shim.run("discover", "--config", config)
        catalog = discovered.of_type("CATALOG")[0]["catalog"]
        items = [s for s in catalog["streams"] if s["name"] == "items"][0]
        for column in ("_ab_cdc_lsn", "_ab_cdc_updated_at", "_ab_cdc_deleted_at"):
            self.assertIn(column, items["json_schema"]["properties"])
        self.assertTrue(items["source_defined_cursor"])
        self.assertEqual(items["default_cursor_field"], ["_ab_cdc_lsn"])
        configured = h.configured_catalog(catalog, ["items"], sync_mode="incremental")
        catalog_path = self.shim.write("catalog.json", configured)

        first = self.shim.run("read", "--config", config, "--catalog", catalog_path)
        self.assertEqual(sorted(r["id"] for r in first.data("items")), [1, 2, 3, 4, 5])
        states = [m["state"] for m in first.of_type("STATE")]
        self.assertTrue(states and all(s["type"] == "GLOBAL" for s in states), first.describe())
        self.assertEqual(first.traces("STREAM_STATUS")[-1]["stream_status"]["status"], "COMPLETE")

        self.db.sql("INSERT INTO %s.items VALUES (6, 'new'); UPDATE %s.items SET note = 'changed' WHERE id = 2;"
                    "DELETE FROM %s.items WHERE id = 3;" % (self.schema, self.schema, self.schema))
        state_path = self.shim.write("state.json", h.state_input(first))
        second = self.shim.run("read", "--config", config, "--catalog", catalog_path, "--state", state_path)
        data = second.data("items")
        by_id = {r["id"]: r for r in data}
        self.assertEqual(sorted(by_id), [2, 3, 6], second.describe())
        self.assertEqual(by_id[2]["note"], "changed")
        self.assertIsNone(by_id[2]["_ab_cdc_deleted_at"])
        self.assertIsNotNone(by_id[3]["_ab_cdc_deleted_at"])
        self.assertGreater(by_id[6]["_ab_cdc_lsn"], 0)
        # A third read from the second state: nothing new.
        third = self.shim.run("read", "--config", config, "--catalog", catalog_path,
                              "--state", self.shim.write("state2.json", h.state_input(second)))
        self.assertEqual(third.data("items"), [])
        self.assertTrue(third.of_type("STATE"))

    def test_a_stream_gone_since_discover_is_skipped_and_the_others_captured(self):
        config = self.shim.write("config.json", self.db.config(
            [self.schema], replication_method={"method": "CDC", "replication_slot": self.slot,
                                               "publication": self.publication,
                                               "initial_waiting_seconds": 5}))
        self.db.sql("CREATE TABLE %s.doomed (id int PRIMARY KEY);" % self.schema)
        catalog = self.shim.run("discover", "--config", config).of_type("CATALOG")[0]["catalog"]
        configured = h.configured_catalog(catalog, ["doomed", "items"], sync_mode="incremental")
        catalog_path = self.shim.write("catalog.json", configured)
        self.db.sql("DROP TABLE %s.doomed;" % self.schema)
        first = self.shim.run("read", "--config", config, "--catalog", catalog_path)
        self.assertEqual(first.statuses("doomed"), ["INCOMPLETE"])
        self.assertEqual(first.statuses("items")[-1], "COMPLETE")
        self.assertEqual(sorted(r["id"] for r in first.data("items")), [1, 2, 3, 4, 5])
        self.db.sql("INSERT INTO %s.items VALUES (7, 'after');" % self.schema)
        second = self.shim.run("read", "--config", config, "--catalog", catalog_path,
                               "--state", self.shim.write("state.json", h.state_input(first)))
        self.assertEqual([r["id"] for r in second.data("items")], [7])
        self.assertEqual(second.statuses("doomed"), ["INCOMPLETE"])


if __name__ == "__main__":
    unittest.main()
