"""--state: the forms the platform passes, and states of Airbyte's Postgres source.

  - STREAM states (a JSON array, a single message, with or without namespace), an empty
    state ([], {}, null, an empty file is an error);
  - a LEGACY `data` blob: the DbState of Airbyte's Postgres source and tsdb-source states;
  - Airbyte Postgres `cursor_based` states continue (rows at the saved cursor are read
    again: the tie rule), `ctid` and `xmin` states restart the stream with a WARN log;
  - states that cannot apply (another stream, a changed cursor, two for one stream).

Tables: <schema>.items (PostgreSQL; id, updated timestamptz, day date) and
<schema>.metrics (TimescaleDB hypertable on time, 1-day chunks).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source", "tests",
                                "airbyte"))
import connector_harness as h  # noqa: E402


class StateBase:
    SERVER = None
    TABLE = None
    CURSOR = None
    FIXTURE = None

    @classmethod
    def setUpClass(cls):
        cls.db = h.Database(cls.SERVER)
        cls.schema = h.unique("state_" + cls.SERVER)
        cls.addClassCleanup(cls.db.sql, "DROP SCHEMA IF EXISTS %s CASCADE;" % cls.schema)
        cls.db.sql(cls.FIXTURE.format(s=cls.schema))

    def setUp(self):
        self.shim = h.Shim()
        self.config = self.shim.write("config.json", self.db.config([self.schema]))
        out = self.shim.run("discover", "--config", self.config)
        self.discovered = out.of_type("CATALOG")[0]["catalog"]
        self.catalog_dict = h.configured_catalog(self.discovered, names=[self.TABLE],
                                                 sync_mode="incremental",
                                                 cursor={self.TABLE: self.CURSOR})
        self.catalog = self.shim.write("catalog.json", self.catalog_dict)

    def tearDown(self):
        self.shim.close()

    def read(self, state=None, **kwargs):
        args = ["read", "--config", self.config, "--catalog", self.catalog]
        if state is not None:
            args += ["--state", self.shim.write("state.json", state)]
        return self.shim.run(*args, **kwargs)

    def ids(self, out):
        return sorted(d["id"] for d in out.data(self.TABLE))

    def descriptor(self, namespace=True):
        d = {"name": self.TABLE}
        if namespace:
            d["namespace"] = self.schema
        return d

    def pg_state(self, stream_state):
        return [{"type": "STREAM", "stream": {"stream_descriptor": self.descriptor(),
                                              "stream_state": stream_state}}]


class PostgresState(StateBase, unittest.TestCase):
    SERVER = "pg"
    TABLE = "items"
    CURSOR = "updated"
    FIXTURE = """
        CREATE SCHEMA {s};
        CREATE TABLE {s}.items (id int PRIMARY KEY, updated timestamptz NOT NULL, day date);
        INSERT INTO {s}.items VALUES
          (1, '2024-03-01 10:00:00+00', '2024-03-01'), (2, '2024-03-02 10:00:00+00', '2024-03-02'),
          (3, '2024-03-02 10:00:00+00', '2024-03-02'), (4, '2024-03-03 10:00:00.5+00', '2024-03-05');
    """

    def test_empty_states_are_a_fresh_sync(self):
        for state in ("[]", "{}", "null", " [ ] "):
            out = self.read(state)
            self.assertEqual(self.ids(out), [1, 2, 3, 4], state)

    def test_stream_state_continues_with_the_tie_rule(self):
        first = self.read()
        self.assertEqual(self.ids(first), [1, 2, 3, 4])
        final = first.states(self.TABLE)[-1]["stream"]["stream_state"]
        self.assertTrue(final["tsdb_source"]["completed"])
        self.assertEqual(final["cursor_field"], [self.CURSOR])
        self.assertEqual(final["tsdb_source"]["cursor_field"], [self.CURSOR])
        # source-postgres's fields, the cursor as the RECORD's text of the highest value.
        self.assertEqual({k: v for k, v in final.items() if k != "tsdb_source"}, {
            "state_type": "cursor_based", "version": 2, "stream_name": self.TABLE,
            "stream_namespace": self.schema, "cursor_field": [self.CURSOR],
            "cursor": "2024-03-03T10:00:00.5+00:00", "cursor_record_count": 1})
        self.assertIn("2024-03-03T10:00:00.5+00:00", {d[self.CURSOR] for d in first.data(self.TABLE)})
        # A JSON array of messages, with or without namespace, or one bare message.
        for state in (h.state_input(first), h.state_input(first, with_namespace=False),
                      h.state_input(first)[0]):
            out = self.read(state)
            self.assertEqual(self.ids(out), [4], state)
            self.assertEqual(out.states(self.TABLE)[-1]["stream"]["stream_state"], final)

    def test_state_of_an_earlier_cursor_rereads_the_rows_at_it(self):
        state = self.pg_state({"version": 1, "stream": self.descriptor(),
                               "sync_mode": "SYNC_MODE_INCREMENTAL", "cursor_field": ["updated"],
                               "cursor": {"kind": "VALUE_KIND_TIMESTAMPTZ",
                                          "int64_value": "1709373600000000"}})  # 03-02 10:00
        out = self.read(state)
        self.assertEqual(self.ids(out), [2, 3, 4])

    def test_airbyte_postgres_cursor_state_is_continued(self):
        state = self.pg_state({"state_type": "cursor_based", "version": 2,
                               "stream_name": self.TABLE, "stream_namespace": self.schema,
                               "cursor_field": ["updated"],
                               "cursor": "2024-03-02T10:00:00.000000Z", "cursor_record_count": 2})
        out = self.read(state)
        self.assertEqual(self.ids(out), [2, 3, 4])
        self.assertTrue(any("Airbyte Postgres" in m for m in out.logs("WARN")), out.logs())
        # The state written after it is a tsdb-source state at the highest cursor read.
        final = out.states(self.TABLE)[-1]["stream"]["stream_state"]
        self.assertEqual(final["tsdb_source"]["version"], 1)
        self.assertEqual(final["tsdb_source"]["cursor"]["int64_value"],
                         "1709460000500000")  # 03-03 10:00:00.5
        self.assertEqual(final["cursor"], "2024-03-03T10:00:00.5+00:00")
        # ... which the next read continues.
        self.assertEqual(self.ids(self.read(h.state_input(out))), [4])

    def test_legacy_data_blob_of_airbyte_postgres_is_continued(self):
        entry = {"stream_name": self.TABLE, "stream_namespace": self.schema,
                 "cursor_field": ["updated"], "cursor": "2024-03-03T10:00:00Z",
                 "cursor_record_count": 1}
        for state in ([{"type": "LEGACY", "data": {"cdc": False, "streams": [entry]}}],
                      {"type": "LEGACY", "data": {"cdc": False, "streams": [entry]}},
                      {"cdc": False, "streams": [entry]},       # a bare blob
                      [{"data": {"cdc": False, "streams": [entry]}}]):  # no type: LEGACY
            out = self.read(state)
            self.assertEqual(self.ids(out), [4], state)
            self.assertTrue(any("Airbyte Postgres" in m for m in out.logs("WARN")))

    def test_legacy_blob_of_tsdb_source_states(self):
        first = self.read()
        final = first.states(self.TABLE)[-1]["stream"]["stream_state"]
        out = self.read([{"type": "LEGACY", "data": {"streams": [final]}}])
        self.assertEqual(self.ids(out), [4])

    def test_airbyte_postgres_ctid_and_xmin_states_restart_with_a_warning(self):
        for state_type, stream_state in (
                ("ctid", {"state_type": "ctid", "version": 2, "ctid": "(0,3)",
                          "relation_filenode": 16384,
                          "incremental_state": {"state_type": "cursor_based",
                                                "cursor_field": ["updated"], "cursor": "x"}}),
                ("xmin", {"state_type": "xmin", "version": 2, "xmin_txid": 1234,
                          "xmin_raw_value": 1234, "num_wraparound": 0}),
                ("ctid", {"ctid": "(0,1)"})):
            out = self.read(self.pg_state(stream_state))
            self.assertEqual(self.ids(out), [1, 2, 3, 4], state_type)
            warnings = [m for m in out.logs("WARN") if state_type in m]
            self.assertTrue(warnings, (state_type, out.logs()))

    def test_airbyte_postgres_state_of_another_cursor_starts_over(self):
        state = self.pg_state({"state_type": "cursor_based", "version": 2,
                               "cursor_field": ["day"], "cursor": "2024-03-05"})
        out = self.read(state)
        self.assertEqual(self.ids(out), [1, 2, 3, 4])
        self.assertTrue(out.logs("WARN"))

    def test_state_of_a_stream_not_in_the_catalog_is_ignored_with_a_warning(self):
        state = [{"type": "STREAM", "stream": {
            "stream_descriptor": {"name": "gone", "namespace": self.schema},
            "stream_state": {"version": 1, "sync_mode": "SYNC_MODE_INCREMENTAL"}}}]
        out = self.read(state)
        self.assertEqual(self.ids(out), [1, 2, 3, 4])
        self.assertTrue(any("gone" in m for m in out.logs("WARN")), out.logs())

    def test_two_states_for_one_stream_are_an_error(self):
        first = self.read()
        state = h.state_input(first) * 2
        out = self.read(state, expect_rc=1, input_error=True)
        self.assertIn("two states", out.errors()[0]["message"])
        self.assertEqual(out.errors()[0]["failure_type"], "config_error")

    def test_state_of_an_unknown_version_is_an_error(self):
        out = self.read(self.pg_state({"version": 99}), expect_rc=1, input_error=True)
        self.assertIn("version 99", out.errors()[0]["message"])

    def test_full_refresh_state_given_to_an_incremental_stream_starts_over(self):
        state = self.pg_state({"version": 1, "stream": self.descriptor(),
                               "sync_mode": "SYNC_MODE_FULL_REFRESH", "completed": True})
        out = self.read(state)
        self.assertEqual(self.ids(out), [1, 2, 3, 4])
        self.assertTrue(out.logs("WARN"))

    def test_source_postgres_fields_alone_resume_as_source_postgres_would(self):
        # What source-postgres reads of our state: its own fields, without ours.
        first = self.read()
        final = first.states(self.TABLE)[-1]["stream"]["stream_state"]
        theirs = {k: v for k, v in final.items() if k != "tsdb_source"}
        out = self.read(self.pg_state(theirs))
        self.assertEqual(self.ids(out), [4])
        self.assertTrue(any("Airbyte Postgres" in m for m in out.logs("WARN")), out.logs())


class CursorTypes(StateBase, unittest.TestCase):
    """Every cursor type the reader takes, with abnormally large values: the text cursor is
    the RECORD's text of the highest value, cursor_record_count the records at it, the typed
    state survives, and both our state and source-postgres's fields alone resume with the
    rows at the cursor read again (the tie rule), none lost."""
    SERVER = "pg"
    TABLE = "typed"
    CURSOR = "i4"
    FIXTURE = """
        CREATE SCHEMA {s};
        CREATE TABLE {s}.typed (id int PRIMARY KEY, i4 int, i8 bigint, d date, ts timestamp,
                                tstz timestamptz);
        INSERT INTO {s}.typed VALUES
          (1, -5, -9223372036854775808, '0044-03-15 BC', '1999-12-31 23:59:59', '1970-01-01 00:00:00+00'),
          (2, 7, 9223372036854775806, '2024-01-02', '2024-01-02 03:04:05.25', '2024-01-02 03:04:05.000001+00'),
          (3, 2147483647, 9223372036854775807, '9999-12-31', '9000-01-01 00:00:00', '9999-12-31 23:59:59.999999+00'),
          (4, 2147483647, 9223372036854775807, '9999-12-31', '9000-01-01 00:00:00', '9999-12-31 23:59:59.999999+00'),
          (5, NULL, NULL, NULL, NULL, NULL);
    """
    EXPECTED = {"i4": "2147483647", "i8": "9223372036854775807", "d": "9999-12-31",
                "ts": "9000-01-01T00:00:00", "tstz": "9999-12-31T23:59:59.999999+00:00"}

    def test_every_cursor_type_writes_and_resumes(self):
        for column, text in self.EXPECTED.items():
            with self.subTest(column=column):
                catalog = h.configured_catalog(self.discovered, names=[self.TABLE],
                                               sync_mode="incremental",
                                               cursor={self.TABLE: column})
                self.catalog = self.shim.write("catalog.json", catalog)
                first = self.read()
                self.assertEqual(self.ids(first), [1, 2, 3, 4, 5])
                final = first.states(self.TABLE)[-1]["stream"]["stream_state"]
                self.assertEqual(final["state_type"], "cursor_based")
                self.assertEqual(final["cursor_field"], [column])
                self.assertIsInstance(final["cursor"], str)
                self.assertEqual(final["cursor"], text)
                # The text is the records' own text of that value, and counts them.
                values = [d[column] for d in first.data(self.TABLE)]
                self.assertEqual(final["cursor"], str(values[2]))
                self.assertEqual(final["cursor_record_count"],
                                 sum(1 for v in values if v == values[2]))
                # Resumes: ours, and source-postgres's fields alone.
                self.assertEqual(self.ids(self.read(h.state_input(first))), [3, 4])
                theirs = {k: v for k, v in final.items() if k != "tsdb_source"}
                self.assertEqual(self.ids(self.read(self.pg_state(theirs))), [3, 4])
                # A cursor of source-postgres's own spelling resumes the same way.
                if column in ("tstz", "ts"):
                    spelled = dict(theirs, cursor={
                        "tstz": "9999-12-31T23:59:59.999999Z",
                        "ts": "9000-01-01T00:00:00.000000"}[column])
                    self.assertEqual(self.ids(self.read(self.pg_state(spelled))), [3, 4])

    def test_text_cursor_parses_as_source_postgres_parses_it(self):
        # source-postgres's setCursorField: OffsetDateTime.parse, LocalDateTime.parse,
        # LocalDate.parse, Integer/Long parsing. Python's ISO parsers take the same forms.
        import datetime
        parsers = {"i4": int, "i8": int, "d": datetime.date.fromisoformat,
                   "ts": datetime.datetime.fromisoformat,
                   "tstz": datetime.datetime.fromisoformat}
        for column, text in self.EXPECTED.items():
            value = parsers[column](text)
            if column == "tstz":
                self.assertEqual(value.utcoffset(), datetime.timedelta(0))
            if column == "ts":
                self.assertIsNone(value.tzinfo)


class TimescaleState(StateBase, unittest.TestCase):
    SERVER = "ts"
    TABLE = "metrics"
    CURSOR = "time"
    FIXTURE = """
        CREATE SCHEMA {s};
        CREATE TABLE {s}.metrics (time timestamptz NOT NULL, id int NOT NULL, v float8);
        SELECT create_hypertable('{s}.metrics', 'time', chunk_time_interval => interval '1 day');
        INSERT INTO {s}.metrics
          SELECT '2024-01-01'::timestamptz + i * interval '12 hours', i, i * 0.5
          FROM generate_series(0, 7) i;
    """

    def test_chunk_checkpoints_resume_where_they_stopped(self):
        first = self.read()
        self.assertEqual(self.ids(first), list(range(8)))
        intermediate = [s for s in first.states(self.TABLE)
                        if not s["stream"]["stream_state"]["tsdb_source"].get("completed")]
        self.assertEqual(len(intermediate), 4)  # one per chunk
        for n, state in enumerate(intermediate):
            self.assertEqual(state["sourceStats"]["recordCount"], 2)
            out = self.read([{"type": "STREAM", "stream": state["stream"]}])
            self.assertEqual(self.ids(out), list(range(2 * (n + 1), 8)), n)

    def test_airbyte_postgres_cursor_state_on_a_hypertable(self):
        state = self.pg_state({"state_type": "cursor_based", "version": 2,
                               "cursor_field": ["time"], "cursor": "2024-01-03T00:00:00Z"})
        out = self.read(state)
        self.assertEqual(self.ids(out), [4, 5, 6, 7])
        self.assertTrue(any("Airbyte Postgres" in m for m in out.logs("WARN")))

    def test_ctid_state_restarts_a_hypertable(self):
        out = self.read(self.pg_state({"state_type": "ctid", "version": 2, "ctid": "(0,1)"}))
        self.assertEqual(self.ids(out), list(range(8)))
        self.assertTrue(any("ctid" in m for m in out.logs("WARN")))

    def test_future_state_reads_nothing_and_still_checkpoints(self):
        state = self.pg_state({"version": 1, "stream": self.descriptor(),
                               "sync_mode": "SYNC_MODE_INCREMENTAL", "cursor_field": ["time"],
                               "cursor": {"kind": "VALUE_KIND_TIMESTAMPTZ",
                                          "int64_value": "221845392000000000"}})
        out = self.read(state)
        self.assertEqual(out.records(), [])
        self.assertEqual(len(out.states(self.TABLE)), 1)
        self.assertEqual(out.states(self.TABLE)[0]["sourceStats"]["recordCount"], 0)
        self.assertEqual(out.statuses(self.TABLE), ["STARTED", "COMPLETE"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
