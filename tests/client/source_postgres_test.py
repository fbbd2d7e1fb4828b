"""A connection moved from Airbyte's Postgres source (source-postgres) to the connector: every
key of source-postgres's spec is applied or refused with what to do, never ignored (a config
as its UI writes it, defaults filled in, passes check); "schemas": [] discovers every schema
the user can read; with CDC, discover offers incremental only for the streams change data
capture can follow, and a read asking it for another fails naming the stream. Every line is
validated by the harness (protocol, schemas)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source", "tests",
                                "airbyte"))
import connector_harness as h  # noqa: E402

KEY_PASSWORD = "jdbc-Key-Pass-77"

# The CDC variant as source-postgres's UI fills it in (every default).
CDC_DEFAULTS = {"method": "CDC", "plugin": "pgoutput", "initial_waiting_seconds": 1200,
                "queue_size": 10000,
                "lsn_commit_behaviour": "After loading Data in the destination",
                "heartbeat_action_query": "", "invalid_cdc_cursor_position_behavior": "Fail sync",
                "initial_load_timeout_hours": 8, "debezium_shutdown_timeout_seconds": 60}


class SourcePostgresConfig(unittest.TestCase):
    def setUp(self):
        self.shim = h.Shim()

    def tearDown(self):
        self.shim.close()

    def check(self, config, name="config.json"):
        out = self.shim.run("check", "--config", self.shim.write(name, config))
        self.assertEqual(len(out.messages), 1, out.describe())
        return out, out.messages[0]["connectionStatus"]

    def test_a_config_with_source_postgres_defaults_passes_check(self):
        db = h.Database("pg")
        config = db.config(["public"], ssl=True, jdbc_url_params="ApplicationName=moved&prepareThreshold=0",
                           entra_service_principal_auth=False, check_privileges=True,
                           checkpoint_target_interval_seconds=300,
                           replication_method={"method": "Standard"},
                           tunnel_method={"tunnel_method": "NO_TUNNEL"})
        out, status = self.check(config)
        self.assertEqual(status["status"], "SUCCEEDED", out.describe())
        # The CDC keys at their defaults are accepted too: the check then fails on the missing
        # slot, past the config's validation.
        slot = h.unique("no_slot")
        cdc = dict(config, replication_method=dict(CDC_DEFAULTS, replication_slot=slot,
                                                   publication="p"))
        out, status = self.check(cdc)
        self.assertEqual(status["status"], "FAILED")
        self.assertIn("replication slot '%s' does not exist" % slot, status["message"])

    def test_keys_it_cannot_honour_fail_check_naming_them(self):
        db = h.Database("pg")
        cdc = dict(CDC_DEFAULTS, replication_slot="s", publication="p")
        cases = [
            ({"jdbc_url_params": "sslpassword=%s&ApplicationName=a&defaultRowFetchSize=500"
              % KEY_PASSWORD}, ["jdbc_url_params", "'defaultRowFetchSize'"]),
            ({"jdbc_url_params": "socketTimeout=30"}, ["'socketTimeout'", "keepalives"]),
            ({"jdbc_url_params": "password=%s" % KEY_PASSWORD}, ["'password'"]),
            ({"replication_method": {"method": "xmin"}}, ["'Xmin'", "'xmin'"]),
            ({"replication_method": dict(cdc, plugin="wal2json")},
             ["replication_method.plugin", "pgoutput"]),
            ({"replication_method": dict(cdc, lsn_commit_behaviour="While reading Data")},
             ["replication_method.lsn_commit_behaviour"]),
            ({"replication_method": dict(cdc, heartbeat_action_query="SELECT 1")},
             ["replication_method.heartbeat_action_query"]),
            ({"replication_method": dict(cdc, initial_load_timeout_hours=4)},
             ["replication_method.initial_load_timeout_hours"]),
            ({"max_db_connections": 4}, ["max_db_connections", "timescaledb_max_concurrent_chunks"]),
            ({"entra_service_principal_auth": True}, ["entra_service_principal_auth"]),
            ({"ssl": False}, ["'ssl'", "ssl_mode"]),
        ]
        for extra, mentions in cases:
            with self.subTest(extra=sorted(extra)):
                out, status = self.check(db.config(["public"], **extra))
                self.assertEqual(status["status"], "FAILED", out.describe())
                for m in mentions:
                    self.assertIn(m, status["message"])
                self.assertNotIn(KEY_PASSWORD, out.stdout.decode() + out.stderr)

    def test_empty_schemas_discovers_every_readable_schema(self):
        db = h.Database("ts")
        one, two = h.unique("every_one"), h.unique("every_two")
        self.addCleanup(db.sql, "DROP SCHEMA IF EXISTS %s CASCADE; DROP SCHEMA IF EXISTS %s CASCADE;"
                        % (one, two))
        db.sql("CREATE SCHEMA %s; CREATE TABLE %s.a (id int PRIMARY KEY);"
               "CREATE SCHEMA %s; CREATE TABLE %s.b (t timestamptz NOT NULL);"
               "SELECT create_hypertable('%s.b', 't');" % (one, one, two, two, two))
        config = self.shim.write("all.json", db.config([]))
        self.assertEqual(json.load(open(config))["schemas"], [])
        out, status = self.check(db.config([]), "all_check.json")
        self.assertEqual(status["status"], "SUCCEEDED", out.describe())
        self.assertIn(one, status["message"])
        streams = self.shim.run("discover", "--config", config).of_type("CATALOG")[0]["catalog"]["streams"]
        names = {(s.get("namespace"), s["name"]) for s in streams}
        self.assertIn((one, "a"), names)
        self.assertIn((two, "b"), names)
        for namespace, name in names:
            self.assertFalse(namespace.startswith(("pg_", "_timescaledb", "timescaledb_"))
                             or namespace == "information_schema", (namespace, name))
        # Without the key: public only, as before.
        without = db.config([])
        del without["schemas"]
        streams = self.shim.run("discover", "--config", self.shim.write("public.json", without)) \
            .of_type("CATALOG")[0]["catalog"]["streams"]
        self.assertEqual({s.get("namespace") for s in streams} - {"public"}, set())


class CdcSyncModes(unittest.TestCase):
    def setUp(self):
        self.db = h.Database("pg")
        self.schema = h.unique("cdc_modes")
        self.slot = h.unique("slot")
        self.publication = h.unique("pub")
        self.db.sql("CREATE SCHEMA {s}; CREATE TABLE {s}.items (id bigint PRIMARY KEY, note text);"
                    "CREATE TABLE {s}.keyless (id bigint, note text);"
                    "CREATE VIEW {s}.recent AS SELECT * FROM {s}.items;"
                    "INSERT INTO {s}.items VALUES (1, 'one');"
                    "CREATE PUBLICATION {p} FOR TABLES IN SCHEMA {s};"
                    "SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput');"
                    .format(s=self.schema, p=self.publication, slot=self.slot))
        self.shim = h.Shim()

    def tearDown(self):
        self.shim.close()
        self.db.sql("SELECT pg_drop_replication_slot('%s'); DROP PUBLICATION %s; DROP SCHEMA %s CASCADE;"
                    % (self.slot, self.publication, self.schema))

    def test_incremental_only_for_streams_it_can_capture(self):
        config = self.shim.write("config.json", self.db.config(
            [self.schema], replication_method={"method": "CDC", "replication_slot": self.slot,
                                               "publication": self.publication,
                                               "initial_waiting_seconds": 5}))
        catalog = self.shim.run("discover", "--config", config).of_type("CATALOG")[0]["catalog"]
        modes = {s["name"]: s["supported_sync_modes"] for s in catalog["streams"]}
        self.assertEqual(modes, {"items": ["full_refresh", "incremental"],
                                 "keyless": ["full_refresh"], "recent": ["full_refresh"]})
        cursors = {s["name"]: s["source_defined_cursor"] for s in catalog["streams"]}
        self.assertEqual(cursors, {"items": True, "keyless": False, "recent": False})

        # A catalog asking incremental for the view anyway: one config error naming it.
        configured = self.shim.write("catalog.json", h.configured_catalog(
            catalog, names=["items", "recent"], sync_mode="incremental"))
        out = self.shim.run("read", "--config", config, "--catalog", configured, expect_rc=1)
        error = out.errors()[0]
        self.assertEqual(error["failure_type"], "config_error", out.describe())
        self.assertIn("stream %s.recent" % self.schema, error["message"])
        self.assertEqual(out.records(), [])


if __name__ == "__main__":
    unittest.main()
