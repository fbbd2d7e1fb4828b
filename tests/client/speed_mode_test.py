"""Speed mode (Airbyte's socket data channel) end to end: the shim's `read` with the
platform's DATA_CHANNEL_* variables, against tests/client/socket_destination.py as the
destination, on a multi-chunk table of each dev server:

- every row arrives exactly as in stdout mode (values compared after decoding: PROTOBUF's
  typed AirbyteValueProtobuf and JSONL's JSON read back to the same Python values), in both
  formats over 1, 2 and 4 sockets, and no RECORD goes to stdout;
- partitions as the destination counts them: each STATE on stdout has a per-stream id 1, 2,
  3, ..., a partition_id and a recordCount equal to the records of that partition that
  arrived; the same STATE reaches a socket after its partition's last record; every record's
  partition is closed by exactly one STATE; the chunks are spread over the sockets;
- failures: a destination that never connects (within the accept timeout), that closes a
  socket early, or that stops reading (write timeout) makes a TRACE ERROR of failure type
  transient_error, and the next sync, from the last state the destination could commit
  (ids consecutive, every record of its partition received), loses no row;
- bad DATA_CHANNEL_* values and socket paths are config errors; PROTOBUF holds exactly the
  configured catalog's fields (Airbyte's field selection), a field the table lacks is a
  config error;
- change data capture (PostgreSQL): GLOBAL states per partition, snapshot and changes.

Tables: <schema>.metrics, 60,000 rows over 7 days, a TimescaleDB hypertable of 1-day chunks
(one compressed) on the TimescaleDB server, a table range-partitioned by day on PostgreSQL.
The WASM TimescaleDB server serves one connection at a time, so its reads use one chunk
reader (the chunks still spread over the sockets, one after the other); PostgreSQL's use up to
one per socket. Under tools/test-native (which sets TSDB_TS_NATIVE=1) the TimescaleDB server
is a native one and its reads use up to one reader per socket too.
"""
import collections
import datetime
import decimal
import json
import os
import sys
import unittest

_RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source", "tests")
sys.path.insert(0, os.path.join(_RUNFILES, "airbyte"))
sys.path.insert(0, os.path.join(_RUNFILES, "client"))
import connector_harness as h  # noqa: E402
import socket_destination as sd  # noqa: E402

ROWS = 60000
TABLE = "metrics"
EPOCH_DATE = datetime.date(1970, 1, 1)
UTC = datetime.timezone.utc

# 10-second steps from 2024-03-01: 8,640 rows a day, 7 days. v holds full-precision doubles
# and one NaN (nulled in both formats, with meta.changes).
ROWS_SQL = """
    INSERT INTO {s}.metrics
    SELECT timestamptz '2024-03-01 00:00:00+00' + i * interval '10 seconds', i,
           CASE WHEN i = 5 THEN 'NaN'::float8 ELSE random() * 1e6 END,
           round(i * 1.234, 3), date '2024-03-01' + i / 8640,
           CASE WHEN i % 7 = 0 THEN NULL ELSE 'n' || i END
    FROM generate_series(0, {rows} - 1) AS i;
"""
COLUMNS = """time timestamptz NOT NULL, id bigint NOT NULL, v double precision,
             amount numeric(12,3), day date, note text"""


def canonical(value):
    """A JSON value read back: exact numbers, timestamps and dates as Python values."""
    if isinstance(value, float):
        return decimal.Decimal(repr(value))
    if isinstance(value, str):
        for parse in (datetime.datetime.fromisoformat, datetime.date.fromisoformat):
            try:
                if parse is datetime.date.fromisoformat and len(value) != 10:
                    continue
                parsed = parse(value)
            except ValueError:
                continue
            if isinstance(parsed, datetime.datetime) and parsed.tzinfo is None:
                continue  # not a timestamp with time zone: keep the text
            return parsed
    return value


def canonical_row(data):
    return {name: canonical(value) for name, value in data.items()}


def proto_value(value):
    """One decoded AirbyteValueProtobuf as the same Python value as canonical()."""
    if value.get("is_null"):
        return None
    (member, v), = [(k, v) for k, v in value.items() if k != "is_null"]
    if member in ("integer", "boolean", "string"):
        return v
    if member == "big_integer":
        return int(v)
    if member == "number":
        return decimal.Decimal(repr(v))
    if member == "big_decimal":
        return decimal.Decimal(v)
    if member == "date":
        return EPOCH_DATE + datetime.timedelta(days=v)
    if member == "timestamp_with_timezone":
        offset = datetime.timezone(datetime.timedelta(seconds=v.get("offset_seconds", 0)))
        instant = datetime.datetime.fromtimestamp(v.get("epoch_second", 0), UTC)
        return (instant + datetime.timedelta(microseconds=v.get("nano", 0) // 1000)).astimezone(
            offset)
    raise AssertionError("unexpected member %s in %r" % (member, value))


class Delivery:
    """What the destination received, per socket, as ("RECORD"|"STATE"|"TRACE", payload):
    a record {"stream", "namespace", "partition_id", "data" (canonical), "meta"}, or the
    protocol message's "state" / "trace" object."""

    def __init__(self, fmt, results, field_names):
        self.results = results
        self.sockets = []
        for result in results:
            messages = []
            for m in result.messages:
                if fmt == sd.PROTOBUF:
                    m = sd.decode_frame(m)
                    if "record" in m:
                        r = m["record"]
                        values = r.get("data", [])
                        if len(values) != len(field_names):
                            raise AssertionError("%d values for fields %s" % (len(values),
                                                                           field_names))
                        messages.append(("RECORD", {
                            "stream": r.get("stream_name"),
                            "namespace": r.get("stream_namespace"),
                            "partition_id": r.get("partition_id"),
                            "data": {n: proto_value(v) for n, v in zip(field_names, values)},
                            "meta": r.get("meta")}))
                        continue
                    if "protocol_message" not in m:
                        raise AssertionError("unexpected frame %r" % (m,))
                    m = m["protocol_message"]
                if m["type"] == "RECORD":
                    r = m["record"]
                    messages.append(("RECORD", {
                        "stream": r["stream"], "namespace": r.get("namespace"),
                        "partition_id": r.get("partition_id"), "data": canonical_row(r["data"]),
                        "meta": r.get("meta")}))
                elif m["type"] in ("STATE", "TRACE"):
                    messages.append((m["type"], m[m["type"].lower()]))
                else:
                    raise AssertionError("unexpected message on a socket: %r" % (m,))
            self.sockets.append(messages)

    def records(self):
        return [p for socket in self.sockets for kind, p in socket if kind == "RECORD"]

    def states(self):
        return [p for socket in self.sockets for kind, p in socket if kind == "STATE"]

    def committed_state(self):
        """The last STATE of the stream the destination could commit: ids consecutive from 1,
        each with recordCount records of its partition received (the Bulk CDK's StateStore);
        None when there is none."""
        counts = collections.Counter(r["partition_id"] for r in self.records())
        by_id = {s["id"]: s for s in self.states()}
        committed = None
        k = 1
        while k in by_id and counts[by_id[k]["partition_id"]] == \
                by_id[k]["sourceStats"]["recordCount"]:
            committed = by_id[k]
            k += 1
        return committed


class SpeedModeBase:
    SERVER = None
    FIXTURE = None

    @classmethod
    def setUpClass(cls):
        cls.db = h.Database(cls.SERVER)
        cls.schema = h.unique("speed_" + cls.SERVER)
        cls.addClassCleanup(cls.db.sql, "DROP SCHEMA IF EXISTS %s CASCADE;" % cls.schema)
        cls.db.sql(cls.FIXTURE.format(s=cls.schema, columns=COLUMNS) +
                   ROWS_SQL.format(s=cls.schema, rows=ROWS))
        cls.ids = set(range(ROWS))

    @classmethod
    def concurrency(cls):
        return 4

    def setUp(self):
        self.shim = h.Shim()
        self.runs = 0
        config = self.db.config([self.schema],
                                timescaledb_max_concurrent_chunks=self.concurrency())
        self.config = self.shim.write("config.json", config)
        out = self.shim.run("discover", "--config", self.config)
        discovered = out.of_type("CATALOG")[0]["catalog"]
        self.catalog_dict = h.configured_catalog(discovered, names=[TABLE])
        self.catalog = self.shim.write("catalog.json", self.catalog_dict)
        schema = self.catalog_dict["streams"][0]["stream"]["json_schema"]
        # PROTOBUF's data holds every configured field, by name in UTF-16 order (ASCII here).
        self.fields = sorted(schema["properties"])

    def tearDown(self):
        self.shim.close()

    def read(self, state=None, **kwargs):
        args = ["read", "--config", self.config, "--catalog", self.catalog]
        if state is not None:
            args += ["--state", self.shim.write("state%d.json" % self.runs, state)]
        return self.shim.run(*args, **kwargs)

    def speed_read(self, fmt, sockets, expect_rc=0, destination=None, env=None, state=None,
                   server=None):
        """A read in speed mode against a test destination: (stdout Output, Delivery)."""
        self.runs += 1
        paths = [str(self.shim.dir / ("r%d-%d.sock" % (self.runs, i))) for i in range(sockets)]
        dest = sd.SocketDestination(paths, fmt, **(destination or {})).start()
        variables = {"DATA_CHANNEL_MEDIUM": "SOCKET", "DATA_CHANNEL_FORMAT": fmt,
                     "DATA_CHANNEL_SOCKET_PATHS": ",".join(paths)}
        variables.update(env or {})
        try:
            out = self.read(state, env=variables, expect_rc=expect_rc, records_on_sockets=True,
                            server=server)
        finally:
            dest.stop()
        results = dest.wait(120)
        return out, Delivery(fmt, results, self.fields)

    def stdout_rows(self):
        out = self.read()
        rows = sorted((canonical_row(d) for d in out.data(TABLE)), key=lambda r: r["id"])
        self.assertEqual({r["id"] for r in rows}, self.ids)
        return rows

    def check_partitions(self, out, delivery, sockets):
        """The partition bookkeeping of a completed speed-mode read (module comment)."""
        self.assertEqual(out.records(), [], "RECORDs on stdout in speed mode")
        for result in delivery.results:
            self.assertTrue(result.eof and result.error is None, result)
        states = out.states(TABLE)
        self.assertTrue(states)
        self.assertEqual([s["id"] for s in states], list(range(1, len(states) + 1)))
        counts = collections.Counter(r["partition_id"] for r in delivery.records())
        closed = [s["partition_id"] for s in states]
        self.assertEqual(len(closed), len(set(closed)), "a partition closed twice")
        self.assertLessEqual(set(counts), set(closed), "records of a partition no STATE closes")
        for s in states:
            self.assertEqual(s["sourceStats"]["recordCount"], counts[s["partition_id"]], s)
        self.assertEqual(sum(s["sourceStats"]["recordCount"] for s in states), ROWS)
        # Each STATE also on a socket, after the last record of its partition there.
        for s in states:
            where = [(i, k) for i, socket in enumerate(delivery.sockets)
                     for k, (kind, p) in enumerate(socket) if kind == "STATE" and p == s]
            self.assertEqual(len(where), 1, s)
            i, k = where[0]
            for j, socket in enumerate(delivery.sockets):
                positions = [n for n, (kind, p) in enumerate(socket)
                             if kind == "RECORD" and p["partition_id"] == s["partition_id"]]
                if positions:
                    self.assertEqual(j, i, "a partition's records on two sockets")
                    self.assertLess(positions[-1], k, "a STATE before its partition's records")
        # Statuses: on stdout as always, and (but INCOMPLETE) on a socket.
        on_sockets = [p["stream_status"]["status"] for socket in delivery.sockets
                      for kind, p in socket if kind == "TRACE" and p["type"] == "STREAM_STATUS"]
        self.assertIn("STARTED", on_sockets)
        self.assertIn("COMPLETE", on_sockets)
        self.assertNotIn("INCOMPLETE", on_sockets)
        self.assertEqual(out.statuses(TABLE)[-1], "COMPLETE")
        # The chunks spread over the sockets.
        used = [i for i, socket in enumerate(delivery.sockets)
                if any(kind == "RECORD" for kind, _ in socket)]
        self.assertEqual(len(used), sockets, "sockets without records: %s" % delivery.results)

    def test_every_row_arrives_as_in_stdout_mode(self):
        expected = self.stdout_rows()
        for fmt in (sd.JSONL, sd.PROTOBUF):
            for sockets in (1, 2, 4):
                with self.subTest(format=fmt, sockets=sockets):
                    out, delivery = self.speed_read(fmt, sockets)
                    # One chunk reader per socket, within the config's limit.
                    self.assertIn("speed mode: %s records over %d socket(s), up to %d chunk(s) "
                                  "read at once" % (fmt, sockets,
                                                    min(sockets, self.concurrency())),
                                  "\n".join(out.logs("INFO")))
                    rows = sorted((r["data"] for r in delivery.records()),
                                  key=lambda r: r["id"])
                    self.assertEqual(len(rows), ROWS)
                    self.assertEqual(rows, expected)
                    self.check_partitions(out, delivery, sockets)
                    nulled = [r for r in delivery.records() if r["meta"]]
                    self.assertEqual([r["data"]["id"] for r in nulled], [5])
                    changes = nulled[0]["meta"]["changes"]
                    self.assertEqual(len(changes), 1)
                    self.assertEqual(changes[0]["field"], "v")
                    self.assertIn(changes[0].get("change", 0), ("NULLED", 0))  # PROTOBUF: 0, omitted

    def configure_fields(self, names):
        """The configured catalog with only `names` in its json_schema (Airbyte's field
        selection; a name may be one the table lacks)."""
        catalog = json.loads(json.dumps(self.catalog_dict))
        schema = catalog["streams"][0]["stream"]["json_schema"]
        schema["properties"] = {n: schema["properties"].get(n, {"type": ["null", "string"]})
                                for n in names}
        self.catalog = self.shim.write("catalog-%s.json" % "-".join(names), catalog)
        self.fields = sorted(names)

    def test_protobuf_holds_exactly_the_selected_fields(self):
        # The destination reads PROTOBUF data by position against the configured fields.
        expected = [{k: r[k] for k in ("id", "time", "v")} for r in self.stdout_rows()]
        self.configure_fields(["v", "id", "time"])
        out, delivery = self.speed_read(sd.PROTOBUF, 2)
        rows = sorted((r["data"] for r in delivery.records()), key=lambda r: r["id"])
        self.assertEqual(rows, expected)
        self.check_partitions(out, delivery, 2)
        # A field the table no longer has: a config error naming it, before any record.
        self.configure_fields(["id", "gone"])
        out, delivery = self.speed_read(sd.PROTOBUF, 1, expect_rc=1)
        error = out.traces("ERROR")[0]["error"]
        self.assertEqual(error["failure_type"], "config_error", error)
        self.assertIn('"gone"', error["message"])
        self.assertEqual(delivery.records(), [])

    def resume_loses_nothing(self, out, delivery):
        """The next sync from the destination's last committable state, in stdout mode: with
        the rows the destination received, every row of the table."""
        self.assertEqual(out.rc, 1)
        error = out.traces("ERROR")[0]["error"]
        self.assertEqual(error["failure_type"], "transient_error", error)
        self.assertIn("speed mode", error["message"])
        self.assertEqual(out.statuses(TABLE)[-1], "INCOMPLETE")
        received = {r["data"]["id"] for r in delivery.records()}
        committed = delivery.committed_state()
        state = None
        if committed is not None:
            state = [{"type": "STREAM", "stream": committed["stream"]}]
        again = self.read(state)
        self.assertEqual(received | {d["id"] for d in again.data(TABLE)}, self.ids)
        return error

    def test_through_a_remote_server(self):
        # --server: the same partitions and states from a tsdb-source-server's Read stream; a
        # destination that closes a socket cancels the call, and nothing is lost.
        expected = self.stdout_rows()
        server = h.RemoteServer()
        self.addCleanup(server.close)
        out, delivery = self.speed_read(sd.PROTOBUF, 2, server=server.target)
        self.assertEqual(sorted((r["data"] for r in delivery.records()), key=lambda r: r["id"]),
                         expected)
        self.check_partitions(out, delivery, 2)
        out, delivery = self.speed_read(sd.JSONL, 2, expect_rc=1, server=server.target,
                                        destination={"close_after": {1: 20000}})
        self.resume_loses_nothing(out, delivery)

    def test_destination_that_never_connects(self):
        out, delivery = self.speed_read(
            sd.JSONL, 2, expect_rc=1, destination={"never_connect": (0, 1)},
            env={"TSDB_SOURCE_SOCKET_ACCEPT_TIMEOUT_SECONDS": "1"})
        error = out.traces("ERROR")[0]["error"]
        self.assertEqual(error["failure_type"], "transient_error", error)
        self.assertIn("did not connect", error["message"])
        self.assertEqual(out.states(), [])
        self.assertEqual(delivery.records(), [])

    def test_destination_that_closes_a_socket_early(self):
        for fmt in (sd.JSONL, sd.PROTOBUF):
            with self.subTest(format=fmt):
                out, delivery = self.speed_read(fmt, 2, expect_rc=1,
                                                destination={"close_after": {0: 20000}})
                self.assertTrue(delivery.results[0].closed_early, delivery.results)
                self.resume_loses_nothing(out, delivery)

    def test_destination_that_stops_reading(self):
        out, delivery = self.speed_read(
            sd.PROTOBUF, 1, expect_rc=1,
            destination={"stall_after": {0: 1 << 20}, "stall_seconds": 60},
            env={"TSDB_SOURCE_SOCKET_WRITE_TIMEOUT_SECONDS": "2"})
        error = self.resume_loses_nothing(out, delivery)
        self.assertIn("2 s", error["message"])

    def test_bad_channel_settings_are_config_errors(self):
        cases = [
            ({"DATA_CHANNEL_MEDIUM": "CARRIER_PIGEON"}, "DATA_CHANNEL_MEDIUM"),
            ({"DATA_CHANNEL_MEDIUM": "SOCKET", "DATA_CHANNEL_FORMAT": "XML",
              "DATA_CHANNEL_SOCKET_PATHS": str(self.shim.dir / "a.sock")}, "DATA_CHANNEL_FORMAT"),
            ({"DATA_CHANNEL_MEDIUM": "SOCKET"}, "DATA_CHANNEL_SOCKET_PATHS"),
            ({"DATA_CHANNEL_MEDIUM": "SOCKET",
              "DATA_CHANNEL_SOCKET_PATHS": str(self.shim.dir / "missing" / "a.sock")},
             "missing"),
        ]
        for env, named in cases:
            with self.subTest(env=env):
                out = self.read(env=env, expect_rc=1, input_error=True)
                error = out.traces("ERROR")[0]["error"]
                self.assertEqual(error["failure_type"], "config_error", error)
                self.assertIn(named, error["message"])


class TimescaleSpeedMode(SpeedModeBase, unittest.TestCase):
    SERVER = "ts"
    FIXTURE = """
        CREATE SCHEMA {s};
        CREATE TABLE {s}.metrics ({columns}, PRIMARY KEY (time, id));
        SELECT create_hypertable('{s}.metrics', 'time', chunk_time_interval => interval '1 day');
        ALTER TABLE {s}.metrics SET (timescaledb.compress, timescaledb.compress_orderby = 'time');
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.db.sql("SELECT compress_chunk(c) FROM show_chunks('%s.metrics') AS c "
                   "ORDER BY c LIMIT 1;" % cls.schema)

    @classmethod
    def concurrency(cls):
        # The WASM dev server serves one connection at a time; a native one several.
        return 4 if os.environ.get("TSDB_TS_NATIVE") == "1" else 1


class PostgresSpeedMode(SpeedModeBase, unittest.TestCase):
    SERVER = "pg"
    FIXTURE = """
        CREATE SCHEMA {s};
        CREATE TABLE {s}.metrics ({columns}, PRIMARY KEY (time, id)) PARTITION BY RANGE (time);
        SELECT format('CREATE TABLE {s}.metrics_%s PARTITION OF {s}.metrics FOR VALUES FROM (%L) TO (%L)',
                      d, timestamptz '2024-03-01 00:00:00+00' + d * interval '1 day',
                      timestamptz '2024-03-01 00:00:00+00' + (d + 1) * interval '1 day')
        FROM generate_series(0, 6) AS d \\gexec
    """


class PostgresCdcSpeedMode(unittest.TestCase):
    """Change data capture over sockets (PostgreSQL: the TimescaleDB dev server has no logical
    replication): GLOBAL states, one per partition a checkpoint closes, with ids 1, 2, 3 ...
    per read and each recordCount equal to its partition's records; the snapshot and then the
    changes (insert, update, delete with _ab_cdc_deleted_at) arrive on the sockets."""

    def setUp(self):
        self.db = h.Database("pg")
        self.schema = h.unique("speed_cdc")
        self.slot = h.unique("slot")
        self.publication = h.unique("pub")
        self.db.sql("CREATE SCHEMA %s; CREATE TABLE %s.items (id bigint PRIMARY KEY, note text);"
                    "INSERT INTO %s.items SELECT g, 'n' || g FROM generate_series(1, 500) g;"
                    "CREATE PUBLICATION %s FOR TABLES IN SCHEMA %s;"
                    "SELECT pg_create_logical_replication_slot('%s', 'pgoutput');"
                    % (self.schema, self.schema, self.schema, self.publication, self.schema,
                       self.slot))
        self.shim = h.Shim()
        self.runs = 0

    def tearDown(self):
        self.shim.close()
        self.db.sql("SELECT pg_drop_replication_slot('%s'); DROP PUBLICATION %s; "
                    "DROP SCHEMA %s CASCADE;" % (self.slot, self.publication, self.schema))

    def speed_read(self, fmt, config, catalog, fields, state=None):
        self.runs += 1
        paths = [str(self.shim.dir / ("c%d-%d.sock" % (self.runs, i))) for i in range(2)]
        dest = sd.SocketDestination(paths, fmt).start()
        args = ["read", "--config", config, "--catalog", catalog]
        if state is not None:
            args += ["--state", self.shim.write("state%d.json" % self.runs, state)]
        try:
            out = self.shim.run(*args, records_on_sockets=True, env={
                "DATA_CHANNEL_MEDIUM": "SOCKET", "DATA_CHANNEL_FORMAT": fmt,
                "DATA_CHANNEL_SOCKET_PATHS": ",".join(paths)})
        finally:
            dest.stop()
        delivery = Delivery(fmt, dest.wait(120), fields)
        for result in delivery.results:
            self.assertTrue(result.eof and result.error is None, result)
        self.assertEqual(out.records(), [])
        states = [m["state"] for m in out.of_type("STATE")]
        self.assertTrue(states)
        self.assertTrue(all(s["type"] == "GLOBAL" for s in states), states)
        self.assertEqual([s["id"] for s in states], list(range(1, len(states) + 1)))
        counts = collections.Counter(r["partition_id"] for r in delivery.records())
        closed = [s["partition_id"] for s in states]
        self.assertEqual(len(closed), len(set(closed)))
        self.assertLessEqual(set(counts), set(closed))
        for s in states:
            self.assertEqual(s["sourceStats"]["recordCount"], counts[s["partition_id"]], s)
        on_sockets = [p for p in delivery.states()]
        self.assertEqual(sorted(p["id"] for p in on_sockets), [s["id"] for s in states])
        return out, delivery

    def test_snapshot_then_changes_over_sockets(self):
        for fmt in (sd.JSONL, sd.PROTOBUF):
            with self.subTest(format=fmt):
                self.db.sql("SELECT pg_drop_replication_slot('%s');"
                            "SELECT pg_create_logical_replication_slot('%s', 'pgoutput');"
                            % (self.slot, self.slot))
                config = self.shim.write("config.json", self.db.config(
                    [self.schema], replication_method={
                        "method": "CDC", "replication_slot": self.slot,
                        "publication": self.publication, "initial_waiting_seconds": 5}))
                discovered = self.shim.run("discover", "--config", config)
                catalog = h.configured_catalog(discovered.of_type("CATALOG")[0]["catalog"],
                                               ["items"], sync_mode="incremental")
                fields = sorted(catalog["streams"][0]["stream"]["json_schema"]["properties"])
                catalog_path = self.shim.write("catalog.json", catalog)
                first, delivery = self.speed_read(fmt, config, catalog_path, fields)
                self.assertEqual(sorted(r["data"]["id"] for r in delivery.records()),
                                 list(range(1, 501)))
                self.db.sql("INSERT INTO %s.items VALUES (501, 'new');"
                            "UPDATE %s.items SET note = 'changed' WHERE id = 2;"
                            "DELETE FROM %s.items WHERE id = 3;"
                            % (self.schema, self.schema, self.schema))
                second, delivery = self.speed_read(fmt, config, catalog_path, fields,
                                                   state=h.state_input(first))
                rows = {r["data"]["id"]: r["data"] for r in delivery.records()}
                self.assertEqual(sorted(rows), [2, 3, 501])
                self.assertEqual(rows[2]["note"], "changed")
                self.assertIsNotNone(rows[3]["_ab_cdc_deleted_at"])
                self.assertIsNone(rows[501]["_ab_cdc_deleted_at"])
                self.assertIsInstance(rows[501]["_ab_cdc_lsn"], (int, decimal.Decimal))
                # Put the table back for the other format.
                self.db.sql("DELETE FROM %s.items WHERE id = 501;"
                            "UPDATE %s.items SET note = 'n2' WHERE id = 2;"
                            "INSERT INTO %s.items VALUES (3, 'n3');"
                            % (self.schema, self.schema, self.schema))


if __name__ == "__main__":
    unittest.main(verbosity=2)
