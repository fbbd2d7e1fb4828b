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


class XminThroughTheShim(unittest.TestCase):
    """replication_method Xmin as a platform runs it: discover offers incremental with a
    source-defined cursor for tables and hypertables (full refresh only for views), reads
    need no cursor field, each STATE carries source-postgres's xmin fields beside ours, and
    the next read emits exactly the late and updated rows; a state source-postgres wrote
    continues."""

    def setUp(self):
        self.shim = h.Shim()

    def tearDown(self):
        self.shim.close()

    def run_xmin(self, db, schema, state=None):
        config = self.shim.write("xmin.json", db.config([schema], replication_method={"method": "Xmin"}))
        catalog = self.shim.run("discover", "--config", config).of_type("CATALOG")[0]["catalog"]
        streams = {s["name"]: s for s in catalog["streams"]}
        configured = {"streams": [{"stream": streams["m"], "sync_mode": "incremental",
                                   "destination_sync_mode": "append"}]}
        args = ["read", "--config", config, "--catalog", self.shim.write("xmin-catalog.json", configured)]
        if state is not None:
            args += ["--state", self.shim.write("xmin-state.json", state)]
        return streams, self.shim.run(*args)

    def check_server(self, server, hypertable):
        db = h.Database(server)
        schema = h.unique("xmin_shim")
        self.addCleanup(db.sql, "DROP SCHEMA IF EXISTS %s CASCADE" % schema)
        db.sql("CREATE SCHEMA {s}; CREATE TABLE {s}.m (id bigint PRIMARY KEY, t timestamptz NOT NULL, v text);"
               "CREATE VIEW {s}.w AS SELECT id FROM {s}.m;".format(s=schema))
        if hypertable:
            db.sql("ALTER TABLE {s}.m DROP CONSTRAINT m_pkey; ALTER TABLE {s}.m ADD PRIMARY KEY (id, t);"
                   "SELECT create_hypertable('{s}.m', 't', chunk_time_interval => interval '1 day');"
                   .format(s=schema))
        db.sql("INSERT INTO {s}.m SELECT g, '2024-05-01'::timestamptz + g * interval '1 hour', 'v' || g "
               "FROM generate_series(1, 72) g".format(s=schema))
        streams, first = self.run_xmin(db, schema)
        self.assertTrue(streams["m"]["source_defined_cursor"])
        self.assertIn("incremental", streams["m"]["supported_sync_modes"])
        self.assertEqual(streams["w"]["supported_sync_modes"], ["full_refresh"])
        self.assertEqual(sorted(d["id"] for d in first.data("m")), list(range(1, 73)))
        last = first.states("m")[-1]["stream"]["stream_state"]
        self.assertEqual(last["state_type"], "xmin")
        self.assertEqual(last["version"], 2)
        self.assertEqual(last["xmin_raw_value"], (last["num_wraparound"] << 32) + last["xmin_xid_value"])
        self.assertIn("tsdb_source", last)

        # (The statistics of a write are flushed before the next read starts, as they are
        # within a second anyway: a write whose counts come later is found by a later read.)
        db.sql("INSERT INTO {s}.m VALUES (500, '2024-05-01 00:30', 'late');"
               "UPDATE {s}.m SET v = 'changed' WHERE id = 5;"
               "SELECT pg_stat_force_next_flush()".format(s=schema))
        _, second = self.run_xmin(db, schema, h.state_input(first))
        self.assertEqual(sorted((d["id"], d["v"]) for d in second.data("m")),
                         [(5, "changed"), (500, "late")], second.describe())

        # A state of source-postgres (its XminStatus) continues from its transaction.
        raw = int(db.sql("SELECT txid_snapshot_xmin(txid_current_snapshot())").strip().splitlines()[-1])
        db.sql("UPDATE {s}.m SET v = 'again' WHERE id = 9; SELECT pg_stat_force_next_flush()".format(s=schema))
        theirs = [{"type": "STREAM", "stream": {
            "stream_descriptor": {"name": "m", "namespace": schema},
            "stream_state": {"state_type": "xmin", "version": 2, "num_wraparound": raw >> 32,
                             "xmin_xid_value": raw & 0xffffffff, "xmin_raw_value": raw}}}]
        _, third = self.run_xmin(db, schema, theirs)
        self.assertEqual([(d["id"], d["v"]) for d in third.data("m")], [(9, "again")], third.describe())

    def test_plain_table_on_postgres(self):
        self.check_server("pg", hypertable=False)

    def test_hypertable_on_timescaledb(self):
        self.check_server("ts", hypertable=True)


if __name__ == "__main__":
    unittest.main()
