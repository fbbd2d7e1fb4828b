"""Airbyte's connector acceptance tests, reproduced against the real dev servers.

Each class follows one suite of Airbyte's connector-acceptance-test (CAT) for a database
source — spec, connection, discovery, basic_read, full_refresh, incremental — and runs the
connector as the platform does (files in, JSON lines out). The suites that touch a database
run once against PostgreSQL 15 ("pg") and once against TimescaleDB ("ts").

Every run goes through connector_harness.Shim.run, which validates EVERY line the connector
prints against airbyte_protocol.yaml, every RECORD against its stream's json_schema
(formats and airbyte_type included), the exit code and TRACE ERROR rules, and the
sourceStats.recordCount of every STATE. The tests below add the CAT's own assertions.

Fixtures (created by each suite, dropped at its end):
  pg: <schema>.readings (plain table, primary key, most column types, two rows sharing the
      highest cursor value), <schema>.events (partitioned by month, two partitions),
      <schema>.empty_table.
  ts: <schema>.conditions (hypertable, 1-day chunks, the two oldest compressed),
      <schema>.counters (hypertable on an integer time column), <schema>.devices (plain
      table), <schema>.conditions_daily (continuous aggregate).
"""
import copy
import datetime
import json
import unittest

import jsonschema

import connector_harness as h

PG_FIXTURE = """
CREATE SCHEMA {s};
CREATE TABLE {s}.readings (
  id bigint PRIMARY KEY, updated_at timestamptz NOT NULL, device text NOT NULL,
  value float8, amount numeric(12,3), payload jsonb, tags text[], raw bytea, day date,
  at_time time, flag boolean);
INSERT INTO {s}.readings VALUES
  (1, '2024-03-01 10:00:00+00', 'a', 1.5, 10.125, '{{"k": 1}}', '{{x,y}}', '\\x0102', '2024-03-01', '10:00', true),
  (2, '2024-03-01 11:00:00+00', 'b', -2.25, 0.001, '[1, 2]', '{{}}', '\\x', '2024-03-02', '11:30:15.5', false),
  (3, '2024-03-02 09:30:00+02', 'c', 1e300, 123456789.999, '"s"', '{{z}}', '\\xff', '2024-03-03', '23:59:59.999999', true),
  (4, '2024-03-03 00:00:00+00', 'a', 0, -1, 'null', NULL, NULL, NULL, NULL, NULL),
  (5, '2024-03-04 12:00:00+00', 'b', 3.75, 7, '{{"nested": {{"deep": [true, null]}}}}', '{{w}}', '\\x00', '2024-03-05', '00:00', false),
  (6, '2024-03-04 12:00:00+00', 'c', 4.5, 8, '{{}}', '{{v}}', '\\x10', '2024-03-05', '00:00:01', true);
CREATE TABLE {s}.events (ts timestamptz NOT NULL, kind text NOT NULL, n int NOT NULL)
  PARTITION BY RANGE (ts);
CREATE TABLE {s}.events_2024_01 PARTITION OF {s}.events
  FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE {s}.events_2024_02 PARTITION OF {s}.events
  FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
INSERT INTO {s}.events
  SELECT '2024-01-01'::timestamptz + i * interval '5 days', 'k' || (i % 3), i
  FROM generate_series(0, 11) i;
CREATE TABLE {s}.empty_table (id int PRIMARY KEY, note text);
ANALYZE {s}.readings;
"""

TS_FIXTURE = """
CREATE SCHEMA {s};
CREATE TABLE {s}.conditions (
  time timestamptz NOT NULL, device int NOT NULL, temperature float8, humidity numeric(5,2),
  note text);
SELECT create_hypertable('{s}.conditions', 'time', chunk_time_interval => interval '1 day');
INSERT INTO {s}.conditions
  SELECT '2024-01-01'::timestamptz + i * interval '4 hours', i % 3, 20 + i * 0.5,
         40 + (i % 7), CASE WHEN i % 4 = 0 THEN 'check ' || i END
  FROM generate_series(0, 29) i;
ALTER TABLE {s}.conditions SET (timescaledb.compress, timescaledb.compress_segmentby = 'device');
SELECT count(compress_chunk(c))
  FROM show_chunks('{s}.conditions', older_than => '2024-01-03'::timestamptz) c;
CREATE TABLE {s}.counters (tick bigint NOT NULL, name text NOT NULL, total bigint);
SELECT create_hypertable('{s}.counters', 'tick', chunk_time_interval => 100);
INSERT INTO {s}.counters SELECT i * 40, 'c' || (i % 2), i * 1000000000000 FROM generate_series(0, 9) i;
CREATE TABLE {s}.devices (id int PRIMARY KEY, name text NOT NULL, installed date);
INSERT INTO {s}.devices VALUES (0, 'north', '2023-12-01'), (1, 'south', '2023-12-02'),
  (2, 'east', NULL);
CREATE MATERIALIZED VIEW {s}.conditions_daily WITH (timescaledb.continuous) AS
  SELECT time_bucket('1 day', time) AS bucket, device, avg(temperature) AS avg_temperature
  FROM {s}.conditions GROUP BY 1, 2 WITH NO DATA;
CALL refresh_continuous_aggregate('{s}.conditions_daily', NULL, NULL);
"""

# Streams that may be empty (CAT's empty_streams) and the cursor of each incremental stream.
EMPTY_STREAMS = {"pg": {"empty_table"}, "ts": set()}
CURSORS = {
    "pg": {"readings": "updated_at", "events": "ts", "empty_table": "id"},
    "ts": {"conditions": "time", "counters": "tick", "devices": "id",
           "conditions_daily": "bucket"},
}


class AcceptanceBase:
    """A CAT suite against one server; subclasses set SERVER. Each suite creates its own
    fixture schema (and drops it): suites do not depend on each other."""

    SERVER = None

    @classmethod
    def setUpClass(cls):
        cls.db = h.Database(cls.SERVER)
        cls.schema = h.unique("cat_" + cls.SERVER)
        cls.addClassCleanup(cls.db.sql, "DROP SCHEMA IF EXISTS %s CASCADE;" % cls.schema)
        cls.db.sql((PG_FIXTURE if cls.SERVER == "pg" else TS_FIXTURE).format(s=cls.schema))
        cls._catalog = None

    def setUp(self):
        self.shim = h.Shim()
        self.config_path = self.shim.write("config.json", self.db.config([self.schema]))

    def tearDown(self):
        self.shim.close()

    def discovered(self):
        """The catalog of the suite's first discover run."""
        if type(self)._catalog is None:
            out = self.shim.run("discover", "--config", self.config_path)
            type(self)._catalog = out.of_type("CATALOG")[0]["catalog"]
        return type(self)._catalog

    def read(self, catalog, state=None, **kwargs):
        args = ["read", "--config", self.config_path,
                "--catalog", self.shim.write("catalog.json", catalog)]
        if state is not None:
            args += ["--state", self.shim.write("state.json", state)]
        return self.shim.run(*args, **kwargs)

    def full_refresh_catalog(self):
        return h.configured_catalog(self.discovered())

    def incremental_catalog(self):
        return h.configured_catalog(self.discovered(), sync_mode="incremental",
                                    cursor=CURSORS[self.SERVER])


# ---------------------------------------------------------------------------------------
# spec (CAT TestSpec)

SECRET_PROPERTY_NAMES = {
    "client_token", "access_token", "api_token", "token", "secret", "client_secret",
    "password", "key", "service_account_info", "service_account", "tenant_id", "certificate",
    "jwt", "credentials", "app_id", "appid", "refresh_token",
}
RESERVED = {"anyOf", "oneOf", "allOf", "not", "properties", "items", "type", "prefixItems"}


def walk(node, path=()):
    """(path, node) of every dict and list inside a schema."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, path + (index,))


class Spec(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        shim = h.Shim()
        try:
            cls.out = shim.run("spec")
        finally:
            shim.close()
        cls.spec = cls.out.messages[0]["spec"]
        cls.schema = cls.spec["connectionSpecification"]

    def test_one_spec_message_with_a_valid_draft7_schema(self):
        self.assertEqual([m["type"] for m in self.out.messages], ["SPEC"])
        jsonschema.Draft7Validator.check_schema(self.schema)
        self.assertTrue(self.spec["supportsIncremental"])
        self.assertTrue(self.spec["documentationUrl"].startswith("https://"))

    def test_config_match_spec(self):
        for server in h.SERVERS:
            jsonschema.validate(h.Database(server).config(["public"]), self.schema)

    def test_enum_usage(self):
        for path, node in walk(self.schema):
            if isinstance(node, dict) and "enum" in node:
                self.assertEqual(len(set(node["enum"])), len(node["enum"]), path)

    def test_oneof_usage(self):
        found = 0
        for path, node in walk(self.schema):
            if not isinstance(node, dict):
                continue
            for keyword in ("oneOf", "anyOf"):
                if keyword not in node or not isinstance(node[keyword], list):
                    continue
                found += 1
                self.assertEqual(node.get("type"), "object", path)
                variants = node[keyword]
                for variant in variants:
                    self.assertIn("properties", variant, path)
                common = set.intersection(*[set(v["properties"]) for v in variants])
                consts = [p for p in common if all("const" in v["properties"][p] for v in variants)]
                self.assertEqual(len(consts), 1, "%s: one common const property" % (path,))
                for variant in variants:
                    self.assertNotIn("default", variant["properties"][consts[0]])
                    self.assertNotIn("enum", variant["properties"][consts[0]])
        self.assertGreaterEqual(found, 2)  # ssl_mode, replication_method

    def test_secret_is_properly_marked(self):
        exposed, hidden = [], []
        for path, node in walk(self.schema["properties"]):
            if not isinstance(node, dict) or "type" not in node:
                continue
            names = [p for p in reversed(path) if not isinstance(p, int) and p not in RESERVED]
            if not names or names[0].lower() not in SECRET_PROPERTY_NAMES:
                continue
            types = node["type"] if isinstance(node["type"], list) else [node["type"]]
            can_hold = bool(set(types) & {"string", "integer", "number"}) and not node.get("const")
            marked = node.get("airbyte_secret", False)
            if marked and not can_hold:
                hidden.append(path)
            if can_hold and not marked:
                exposed.append(path)
        self.assertEqual(exposed, [])
        self.assertEqual(hidden, [])
        self.assertTrue(self.schema["properties"]["password"]["airbyte_secret"])
        for variant in self.schema["properties"]["ssl_mode"]["oneOf"]:
            for key, prop in variant["properties"].items():
                if key != "mode":
                    self.assertTrue(prop.get("airbyte_secret"), key)

    def test_property_type_is_a_type_or_a_type_and_null(self):
        for path, node in walk(self.schema):
            if len(path) >= 2 and path[-2] == "properties" and isinstance(node, dict):
                t = node.get("type")
                if isinstance(t, list):
                    self.assertIn(len(t), (1, 2), path)
                    if len(t) == 2:
                        self.assertEqual(t[1], "null", path)

    def test_object_not_empty(self):
        for path, node in walk(self.schema):
            if path and isinstance(node, dict) and node.get("type") == "object":
                self.assertTrue("oneOf" in node or node.get("properties"), path)

    def test_array_type(self):
        for path, node in walk(self.schema):
            if isinstance(node, dict) and node.get("type") == "array" and "items" in node:
                items = node["items"]
                self.assertIsInstance(items, dict, path)
                self.assertTrue(items.get("type") in ("object", "string", "number", "integer")
                                or "enum" in items, path)

    def test_forbidden_complex_types(self):
        forbidden = {"not", "anyOf", "patternProperties", "prefixItems", "allOf", "if", "then",
                     "else", "dependentSchemas", "dependentRequired"}
        for path, node in walk(self.schema):
            if isinstance(node, dict):
                for key in forbidden & set(node):
                    self.assertEqual(path[-1:], ("properties",), "%s/%s" % (path, key))

    def test_no_refs_and_additional_properties_true(self):
        for path, node in walk(self.schema):
            if isinstance(node, dict):
                self.assertNotIn("$ref", node, path)
                if "additionalProperties" in node:
                    self.assertIs(node["additionalProperties"], True, path)

    def test_required_fields_are_enforced_and_optional_ones_have_defaults(self):
        validator = jsonschema.Draft7Validator(self.schema)
        full = h.Database("pg").config(["public"])
        for field in self.schema["required"]:
            broken = {k: v for k, v in full.items() if k != field}
            self.assertFalse(validator.is_valid(broken), field)
        minimal = {k: full[k] for k in self.schema["required"]}
        validator.validate(minimal)


# ---------------------------------------------------------------------------------------
# connection (CAT TestConnection)

class Connection(AcceptanceBase):
    def test_check_succeeds_with_exactly_one_status(self):
        out = self.shim.run("check", "--config", self.config_path)
        self.assertEqual(len(out.of_type("CONNECTION_STATUS")), 1)
        self.assertEqual(out.messages[-1]["connectionStatus"]["status"], "SUCCEEDED")

    def test_check_of_a_failing_config_is_failed(self):
        for config in (self.db.config([self.schema], port=1),
                       self.db.config([self.schema], host="no-such-host.invalid")):
            out = self.shim.run("check", "--config", self.shim.write("bad.json", config))
            statuses = out.of_type("CONNECTION_STATUS")
            self.assertEqual(len(statuses), 1)
            self.assertEqual(statuses[0]["connectionStatus"]["status"], "FAILED")
            self.assertTrue(statuses[0]["connectionStatus"]["message"])

    def test_check_of_an_exception_exits_non_zero_with_one_trace_error(self):
        out = self.shim.run("check", "--config", self.shim.write("c.json", "{\"host\": "),
                            expect_rc=1)
        self.assertEqual(out.errors()[0]["failure_type"], "config_error")
        self.assertIn("c.json", out.errors()[0]["message"])


# ---------------------------------------------------------------------------------------
# discovery (CAT TestDiscovery)

class Discovery(AcceptanceBase):
    def test_discover(self):
        out = self.shim.run("discover", "--config", self.config_path)
        catalogs = out.of_type("CATALOG")
        self.assertEqual(len(catalogs), 1)
        self.assertEqual(len(out.messages), 1)
        streams = catalogs[0]["catalog"]["streams"]
        self.assertTrue(streams)
        names = [(s.get("namespace"), s["name"]) for s in streams]
        self.assertEqual(len(names), len(set(names)))
        self.assertEqual({s["namespace"] for s in streams}, {self.schema})
        self.assertEqual({s["name"] for s in streams}, set(CURSORS[self.SERVER]))

    def test_schemas_are_valid_draft7_objects(self):
        for stream in self.discovered()["streams"]:
            schema = stream["json_schema"]
            jsonschema.Draft7Validator.check_schema(schema)
            self.assertEqual(schema["type"], "object")
            self.assertTrue(schema["properties"], stream["name"])
            for path, node in walk(schema):
                if isinstance(node, dict):
                    self.assertNotIn("$ref", node, (stream["name"], path))
                    self.assertNotIn("allOf", node, (stream["name"], path))
                    self.assertNotIn("not", node, (stream["name"], path))
                    if "additionalProperties" in node:
                        self.assertIs(node["additionalProperties"], True)

    def test_defined_cursors_and_primary_keys_exist_in_schema(self):
        checked = 0
        for stream in self.discovered()["streams"]:
            properties = stream["json_schema"]["properties"]
            for column in stream.get("default_cursor_field", []):
                self.assertIn(column, properties, stream["name"])
                checked += 1
            for key in stream.get("source_defined_primary_key", []):
                self.assertEqual(len(key), 1)
                self.assertIn(key[0], properties, stream["name"])
                checked += 1
        self.assertGreater(checked, 0)

    def test_primary_keys_data_type(self):
        # CAT 3.8: a primary key column is neither an array nor an object. A table whose key
        # is an int[] gets no source_defined_primary_key; a jsonb key is a string
        # (docs/types.md) and is kept, as source-postgres keeps it.
        self.db.sql("CREATE TABLE %s.keyed_by_array (k int[] PRIMARY KEY, v text);"
                    "CREATE TABLE %s.keyed_by_json (k jsonb PRIMARY KEY, v text);"
                    % (self.schema, self.schema))
        try:
            out = self.shim.run("discover", "--config", self.config_path)
        finally:
            self.db.sql("DROP TABLE %s.keyed_by_array, %s.keyed_by_json;"
                        % (self.schema, self.schema))
        streams = {s["name"]: s for s in out.of_type("CATALOG")[0]["catalog"]["streams"]}
        self.assertNotIn("source_defined_primary_key", streams["keyed_by_array"])
        self.assertEqual(streams["keyed_by_json"]["source_defined_primary_key"], [["k"]])
        keyed = 0
        for stream in streams.values():
            for key in stream.get("source_defined_primary_key", []):
                types = stream["json_schema"]["properties"][key[0]]["type"]
                types = types if isinstance(types, list) else [types]
                self.assertNotIn("array", types, stream["name"])
                self.assertNotIn("object", types, stream["name"])
                keyed += 1
        self.assertGreater(keyed, 0)

    def test_streams_have_sync_modes(self):
        for stream in self.discovered()["streams"]:
            self.assertTrue(stream["supported_sync_modes"], stream["name"])
            self.assertLessEqual(set(stream["supported_sync_modes"]),
                                 {"full_refresh", "incremental"})

    def test_timescaledb_metadata_is_kept_in_each_stream(self):
        kinds = {s["name"]: s["timescaledb"]["relation_kind"] for s in self.discovered()["streams"]}
        if self.SERVER == "ts":
            self.assertEqual(kinds["conditions"], "HYPERTABLE")
            self.assertEqual(kinds["counters"], "HYPERTABLE")
            self.assertEqual(kinds["devices"], "TABLE")
            self.assertEqual(kinds["conditions_daily"], "CONTINUOUS_AGGREGATE")
            ht = {s["name"]: s for s in self.discovered()["streams"]}["conditions"]
            self.assertEqual(ht["timescaledb"]["hypertable"]["time_dimension"]["column_name"], "time")
            self.assertEqual(ht["default_cursor_field"], ["time"])
        else:
            self.assertEqual(kinds["readings"], "TABLE")
            self.assertEqual(kinds["events"], "PARTITIONED_TABLE")


# ---------------------------------------------------------------------------------------
# basic_read (CAT TestBasicRead)

class BasicRead(AcceptanceBase):
    def test_read(self):
        catalog = self.full_refresh_catalog()
        out = self.read(catalog)  # every RECORD is validated against its stream's schema
        self.assertTrue(out.records())
        names = {s["stream"]["name"] for s in catalog["streams"]}
        with_records = {r["stream"] for r in out.records()}
        self.assertEqual(names - with_records, EMPTY_STREAMS[self.SERVER])
        for entry in catalog["streams"]:
            stream = entry["stream"]
            properties = set(stream["json_schema"]["properties"])
            for data in out.data(stream["name"]):
                # _validate_records_structure: records have the schema's fields (all of them).
                self.assertEqual(set(data), properties)
                for key in stream.get("source_defined_primary_key", []):
                    self.assertIsNotNone(data[key[0]], (stream["name"], key))

    def test_statuses_estimates_and_states_of_every_stream(self):
        catalog = self.full_refresh_catalog()
        out = self.read(catalog)
        for entry in catalog["streams"]:
            name = entry["stream"]["name"]
            statuses = out.statuses(name)
            expected = ["STARTED", "COMPLETE"] if name in EMPTY_STREAMS[self.SERVER] else [
                "STARTED", "RUNNING", "COMPLETE"]
            self.assertEqual(statuses, expected, name)
            states = out.states(name)
            self.assertGreaterEqual(len(states), 1, name)
            self.assertIn("recordCount", states[-1]["sourceStats"])
            estimates = [t["estimate"] for t in out.traces("ESTIMATE") if t["estimate"]["name"] == name]
            self.assertEqual(len(estimates), 1, name)
            self.assertEqual(estimates[0]["namespace"], self.schema)
            # The last STATE comes after the stream's last RECORD and before COMPLETE.
            kinds = [self._kind(m, name) for m in out.messages]
            kinds = [k for k in kinds if k]
            self.assertEqual(kinds[-2:], ["STATE", "COMPLETE"], name)

    @staticmethod
    def _kind(message, name):
        if message["type"] == "RECORD" and message["record"]["stream"] == name:
            return "RECORD"
        if message["type"] == "STATE" and message["state"]["stream"]["stream_descriptor"]["name"] == name:
            return "STATE"
        if (message["type"] == "TRACE" and message["trace"]["type"] == "STREAM_STATUS"
                and message["trace"]["stream_status"]["stream_descriptor"]["name"] == name):
            return message["trace"]["stream_status"]["status"]
        return None

    def test_every_field_appears_at_least_once(self):
        catalog = self.full_refresh_catalog()
        out = self.read(catalog)
        for entry in catalog["streams"]:
            name = entry["stream"]["name"]
            if name in EMPTY_STREAMS[self.SERVER]:
                continue
            for column in entry["stream"]["json_schema"]["properties"]:
                self.assertTrue(any(d[column] is not None for d in out.data(name)),
                                (name, column))

    def test_airbyte_trace_message_on_failure(self):
        # CAT's invalid catalog: an unknown stream with sync_mode INVALID.
        catalog = {"streams": [{"stream": {
            "name": "__AIRBYTE__stream_that_does_not_exist",
            "json_schema": {"type": "object", "properties": {"f1": {"type": "string"}}},
            "supported_sync_modes": ["full_refresh"]},
            "sync_mode": "INVALID", "destination_sync_mode": "INVALID"}]}
        out = self.read(catalog, expect_rc=1, input_error=True)
        self.assertEqual(out.errors()[0]["failure_type"], "config_error")
        self.assertIn("sync_mode", out.errors()[0]["message"])

    def test_a_stream_that_no_longer_exists_is_skipped_as_airbyte_sources_do(self):
        # Airbyte's sources skip a configured stream that is gone (the CDK marks it
        # INCOMPLETE, the Java database sources log it) and read the others.
        catalog = self.full_refresh_catalog()
        ghost = json.loads(json.dumps(catalog["streams"][0]))
        ghost["stream"]["name"] = "no_such_table"
        catalog["streams"].insert(0, ghost)
        out = self.read(catalog)
        self.assertEqual(out.statuses("no_such_table"), ["INCOMPLETE"])
        self.assertFalse(out.records("no_such_table"))
        warnings = [m for m in out.logs("WARN") if "no_such_table" in m]
        self.assertEqual(len(warnings), 1, warnings)
        self.assertIn("skipped", warnings[0])
        self.assertIn("discover", warnings[0])
        for stream in catalog["streams"][1:]:
            name = stream["stream"]["name"]
            self.assertEqual(out.statuses(name)[-1], "COMPLETE", name)
        self.assertTrue(out.of_type("RECORD"))


# ---------------------------------------------------------------------------------------
# full_refresh (CAT TestFullRefresh)

class FullRefresh(AcceptanceBase):
    def test_sequential_reads(self):
        catalog = self.full_refresh_catalog()
        first = self.read(catalog)
        second = self.read(catalog)
        # emitted_at increases on subsequent runs (CAT sleeps a second between the reads;
        # here the second process starts after the first exited, which is enough).
        self.assertLess(max(r["emitted_at"] for r in first.records()),
                        min(r["emitted_at"] for r in second.records()))
        for entry in catalog["streams"]:
            name = entry["stream"]["name"]
            keys = entry["primary_key"]

            def key_of(data):
                if keys:
                    return tuple(data[k[0]] for k in keys)
                return json.dumps(data, sort_keys=True)
            self.assertLessEqual({key_of(d) for d in first.data(name)},
                                 {key_of(d) for d in second.data(name)}, name)
            # A full refresh reads the same rows every time.
            self.assertEqual(sorted(json.dumps(d, sort_keys=True) for d in first.data(name)),
                             sorted(json.dumps(d, sort_keys=True) for d in second.data(name)))

    def test_final_state_restarts_a_full_refresh(self):
        catalog = self.full_refresh_catalog()
        first = self.read(catalog)
        second = self.read(catalog, state=h.state_input(first))
        self.assertEqual(len(first.records()), len(second.records()))
        for state in first.states():
            self.assertEqual(state["type"], "STREAM")


# ---------------------------------------------------------------------------------------
# incremental (CAT TestIncremental)

def cursor_micros(value, schema):
    """The cursor value of a record, as the integer the state stores (µs for timestamps,
    days for dates, the integer itself otherwise)."""
    if schema.get("format") == "date-time":
        text = value.replace("+00:00", "+0000")
        if schema.get("airbyte_type") == "timestamp_without_timezone":
            text += "+0000"
        fmt = "%Y-%m-%dT%H:%M:%S.%f%z" if "." in text else "%Y-%m-%dT%H:%M:%S%z"
        moment = datetime.datetime.strptime(text, fmt)
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        delta = moment - epoch
        return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds
    if schema.get("format") == "date":
        return (datetime.date.fromisoformat(value) - datetime.date(1970, 1, 1)).days
    return int(value)


class Incremental(AcceptanceBase):
    def cursor_of(self, entry):
        column = entry["cursor_field"][0]
        return column, entry["stream"]["json_schema"]["properties"][column]

    def test_two_sequential_reads(self):
        catalog = self.incremental_catalog()
        first = self.read(catalog)
        self.assertTrue(first.states())
        self.assertTrue(first.records())
        # The platform passes the descriptors without namespace (as CAT builds them).
        second = self.read(catalog, state=h.state_input(first, with_namespace=False))
        self.assertTrue(second.records())
        by_stream_1 = {r["stream"] for r in first.records()}
        self.assertEqual(by_stream_1, {r["stream"] for r in second.records()})
        for entry in catalog["streams"]:
            name = entry["stream"]["name"]
            if name not in by_stream_1:
                continue
            data_1, data_2 = first.data(name), second.data(name)
            self.assertNotEqual(sorted(map(json.dumps, data_1)), sorted(map(json.dumps, data_2)), name)
            column, schema = self.cursor_of(entry)
            max_1 = max(cursor_micros(d[column], schema) for d in data_1 if d[column] is not None)
            min_2 = min(cursor_micros(d[column], schema) for d in data_2 if d[column] is not None)
            self.assertGreaterEqual(min_2, max_1, name)
            # The tie rule: the second read re-reads exactly the rows at the saved cursor.
            self.assertEqual(sorted(map(json.dumps, data_2)), sorted(
                json.dumps(d) for d in data_1
                if d[column] is not None and cursor_micros(d[column], schema) == max_1), name)

    def test_read_sequential_slices(self):
        catalog = self.incremental_catalog()
        first = self.read(catalog)
        entries = {e["stream"]["name"]: e for e in catalog["streams"]}
        final = {}
        for state in first.states():
            final[state["stream"]["stream_descriptor"]["name"]] = state["stream"]["stream_state"]
        # Records are at or below the final cursor of their stream, compared as CAT compares
        # them: the state's cursor is plain text in the records' own format.
        for record in first.records():
            column, schema = self.cursor_of(entries[record["stream"]])
            cursor = final[record["stream"]].get("cursor")
            if record["data"][column] is not None and cursor is not None:
                self.assertIsInstance(cursor, str)
                self.assertLessEqual(cursor_micros(record["data"][column], schema),
                                     cursor_micros(cursor, schema))
        # Resume from every intermediate state: the output continues where it stopped.
        per_stream = {}
        checked = 0
        messages = first.messages
        for index, message in enumerate(messages):
            if message["type"] != "STATE":
                continue
            descriptor = message["state"]["stream"]["stream_descriptor"]
            per_stream[descriptor["name"]] = message["state"]["stream"]["stream_state"]
            if message["state"]["stream"]["stream_state"]["tsdb_source"].get("completed"):
                continue
            name = descriptor["name"]
            state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": n},
                                                   "stream_state": s}}
                     for n, s in per_stream.items()]
            resumed = self.read({"streams": [entries[name]]}, state=[
                s for s in state if s["stream"]["stream_descriptor"]["name"] == name])
            rest = [m["record"]["data"] for m in messages[index + 1:]
                    if m["type"] == "RECORD" and m["record"]["stream"] == name]
            self.assertEqual(sorted(map(json.dumps, resumed.data(name))),
                             sorted(map(json.dumps, rest)), (name, index))
            checked += 1
        if self.SERVER == "ts":
            self.assertGreater(checked, 0)  # hypertables checkpoint after each chunk

    def test_new_rows_are_read_after_the_saved_cursor(self):
        table = h.unique("appended")
        self.db.sql("CREATE TABLE %s.%s (id bigint PRIMARY KEY, at timestamptz NOT NULL, v text);"
                    "INSERT INTO %s.%s VALUES (1, '2024-01-01', 'a'), (2, '2024-01-02', 'b');"
                    % (self.schema, table, self.schema, table))
        try:
            catalog = h.configured_catalog(self._discover_now(), names=[table],
                                           sync_mode="incremental", cursor={table: "at"})
            first = self.read(catalog)
            self.assertEqual([d["v"] for d in first.data(table)], ["a", "b"])
            self.db.sql("INSERT INTO %s.%s VALUES (3, '2024-01-03', 'c'), (4, '2023-12-31', 'old');"
                        % (self.schema, table))
            second = self.read(catalog, state=h.state_input(first))
            self.assertEqual(sorted(d["v"] for d in second.data(table)), ["b", "c"])
            third = self.read(catalog, state=h.state_input(second))
            self.assertEqual([d["v"] for d in third.data(table)], ["c"])
        finally:
            self.db.sql("DROP TABLE %s.%s;" % (self.schema, table))

    def _discover_now(self):
        return self.shim.run("discover", "--config", self.config_path).of_type("CATALOG")[0]["catalog"]

    def test_state_with_abnormally_large_values(self):
        # As CAT's abnormal_state.json of source-postgres: source-postgres's cursor_based
        # fields only, with a plain-text cursor far in the future yet a valid value of the
        # column's type (year 9000, day 2.6 million, or 2^31 - 1: the integer cursors include
        # int4 columns, and a value beyond the column's range fails the read's cast). Then the
        # same values in a state this connector wrote, where its typed cursor is the one read.
        catalog = self.incremental_catalog()
        first = self.read(catalog)
        entries = {e["stream"]["name"]: e for e in catalog["streams"]}
        theirs, ours, texts = [], [], {}
        for item in h.state_input(first):
            name = item["stream"]["stream_descriptor"]["name"]
            stream_state = item["stream"]["stream_state"]
            column, schema = self.cursor_of(entries[name])
            kind = {"timestamp_with_timezone": "VALUE_KIND_TIMESTAMPTZ",
                    "timestamp_without_timezone": "VALUE_KIND_TIMESTAMP"}.get(
                        schema.get("airbyte_type"),
                        "VALUE_KIND_DATE" if schema.get("format") == "date" else "VALUE_KIND_INT64")
            value, text = {
                "VALUE_KIND_DATE": (2567000, "8998-03-17"),
                "VALUE_KIND_INT64": (2 ** 31 - 1, "2147483647"),
                "VALUE_KIND_TIMESTAMP": (221845392000000000, "9000-01-01T00:00:00"),
                "VALUE_KIND_TIMESTAMPTZ": (221845392000000000, "9000-01-01T00:00:00+00:00")}[kind]
            texts[name] = text
            self.assertEqual(stream_state["state_type"], "cursor_based")
            self.assertEqual(stream_state["cursor_field"], [column])
            if "cursor" in stream_state["tsdb_source"]:
                self.assertEqual(stream_state["tsdb_source"]["cursor"]["kind"], kind)
                self.assertIsInstance(stream_state["cursor"], str)
            pg = {"version": 2, "state_type": "cursor_based", "stream_name": name,
                  "stream_namespace": stream_state["stream_namespace"], "cursor_field": [column],
                  "cursor": text, "cursor_record_count": 1}
            theirs.append({"type": "STREAM", "stream": dict(item["stream"], stream_state=pg)})
            own = copy.deepcopy(stream_state)
            own["cursor"] = text
            own["tsdb_source"]["cursor"] = {"kind": kind, "int64_value": str(value)}
            ours.append({"type": "STREAM", "stream": dict(item["stream"], stream_state=own)})
        for future in (theirs, ours):
            out = self.read(catalog, state=future)
            self.assertEqual(out.records(), [])
            for entry in catalog["streams"]:
                name = entry["stream"]["name"]
                self.assertGreaterEqual(len(out.states(name)), 1)
                self.assertEqual(out.states(name)[-1]["sourceStats"]["recordCount"], 0)
                # The state goes on carrying the abnormal cursor, as plain text.
                self.assertEqual(out.states(name)[-1]["stream"]["stream_state"]["cursor"],
                                 texts[name])


# One concrete class per suite and server, so each case is counted and named by server.
for _suite in (Connection, Discovery, BasicRead, FullRefresh, Incremental):
    for _server in h.SERVERS:
        _name = "%s_%s" % (_suite.__name__, _server.upper())
        globals()[_name] = type(_name, (_suite, unittest.TestCase), {"SERVER": _server})
del _suite, _server, _name

if __name__ == "__main__":
    unittest.main(verbosity=2)
