"""Change data capture through the connector (PostgreSQL 15: the TimescaleDB dev server has
no logical replication): discover adds the CDC columns, a read snapshots then streams the
slot's changes and ends with a GLOBAL state, and the next read continues from that state
with inserts, updates and deletes. Every line is validated by the harness (protocol,
schemas, recordCount of GLOBAL states)."""
import decimal
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

    def test_changed_types_read_the_same_from_the_snapshot_and_the_changes(self):
        # docs/types.md: json/jsonb text, bytea hex text, money and numeric(p,0) numbers,
        # interval in PostgreSQL's default style; the same values whether a row comes from
        # the snapshot (binary COPY, money::numeric) or from the change stream (pgoutput).
        self.db.sql("CREATE TABLE %s.typed (id int PRIMARY KEY, j json, jb jsonb, b bytea,"
                    " m money, n0 numeric(20,0), iv interval, ba bytea[]);" % self.schema)
        row = ("'{\"a\":  1}', '{\"b\": [1, 2.50]}', '\\x00ff', '-1234.5',"
               " 12345678901234567890, '1 year 2 mons 3 days 04:05:06.5', ARRAY['\\x01'::bytea]")
        self.db.sql("INSERT INTO %s.typed VALUES (1, %s);" % (self.schema, row))
        config = self.shim.write("config.json", self.db.config(
            [self.schema], replication_method={"method": "CDC", "replication_slot": self.slot,
                                               "publication": self.publication,
                                               "initial_waiting_seconds": 5}))
        catalog = self.shim.run("discover", "--config", config).of_type("CATALOG")[0]["catalog"]
        typed = [s for s in catalog["streams"] if s["name"] == "typed"][0]
        properties = typed["json_schema"]["properties"]
        self.assertEqual(properties["_ab_cdc_lsn"], {"type": ["number", "null"]})
        self.assertEqual(properties["m"], {"type": ["number", "null"]})
        self.assertEqual(properties["n0"], {"type": ["integer", "null"]})
        for name in ("j", "jb", "b", "iv"):
            self.assertEqual(properties[name], {"type": ["string", "null"]}, name)
        catalog_path = self.shim.write("catalog.json", h.configured_catalog(
            catalog, ["typed"], sync_mode="incremental"))
        first = self.shim.run("read", "--config", config, "--catalog", catalog_path)
        self.db.sql("INSERT INTO %s.typed VALUES (2, %s);" % (self.schema, row))
        second = self.shim.run("read", "--config", config, "--catalog", catalog_path,
                               "--state", self.shim.write("state.json", h.state_input(first)))
        expected = {"j": '{"a":  1}', "jb": '{"b": [1, 2.50]}', "b": "\\x00ff",
                    "m": decimal.Decimal("-1234.50"), "n0": 12345678901234567890,
                    "iv": "1 year 2 mons 3 days 04:05:06.5", "ba": ["AQ=="]}
        # The slot predates row 1: the first read has it from the snapshot and again from
        # the change stream; the second read has row 2 from the change stream.
        for out, key, copies in ((first, 1, 2), (second, 2, 1)):
            records = [r for r in out.data("typed") if r["id"] == key]
            self.assertEqual(len(records), copies, out.describe())
            for record in records:
                self.assertEqual({k: record[k] for k in expected}, expected, key)
                self.assertIsInstance(record["_ab_cdc_lsn"], int)

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
