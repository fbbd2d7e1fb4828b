#!/usr/bin/env python3
"""Self-test of validate_messages.py: a valid and an invalid message of each type, the
line rules, catalog-based record validation, and the command line.

Run: python3 tests/airbyte/validate_messages_test.py  (needs airbyte_protocol.yaml, found as
validate_messages.py finds it: $TSDB_AIRBYTE_DIR or ../shared/airbyte/ beside the repo).
"""

import io
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import validate_messages as vm  # noqa: E402

PROTOCOL_PATH = vm.default_protocol_path()


def line(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


STREAM_DESCRIPTOR = {"name": "conditions", "namespace": "public"}

VALID = {
    "RECORD": {"type": "RECORD", "record": {"stream": "conditions", "namespace": "public",
                                            "data": {"a": 1}, "emitted_at": 1700000000000}},
    "STATE": {"type": "STATE", "state": {
        "type": "STREAM",
        "stream": {"stream_descriptor": STREAM_DESCRIPTOR, "stream_state": {"cursor": "x"}},
        "sourceStats": {"recordCount": 12.0}}},
    "LOG": {"type": "LOG", "log": {"level": "INFO", "message": "reading"}},
    "SPEC": {"type": "SPEC", "spec": {"connectionSpecification": {"type": "object"},
                                      "supportsIncremental": True}},
    "CONNECTION_STATUS": {"type": "CONNECTION_STATUS",
                          "connectionStatus": {"status": "FAILED", "message": "bad password"}},
    "CATALOG": {"type": "CATALOG", "catalog": {"streams": [{
        "name": "conditions", "namespace": "public", "json_schema": {"type": "object"},
        "supported_sync_modes": ["full_refresh", "incremental"]}]}},
    "TRACE_ERROR": {"type": "TRACE", "trace": {
        "type": "ERROR", "emitted_at": 1.0,
        "error": {"message": "m", "internal_message": "i", "failure_type": "config_error"}}},
    "TRACE_ESTIMATE": {"type": "TRACE", "trace": {
        "type": "ESTIMATE", "emitted_at": 1,
        "estimate": {"name": "conditions", "namespace": "public", "type": "STREAM",
                     "row_estimate": 10, "byte_estimate": 1000}}},
    "TRACE_STREAM_STATUS": {"type": "TRACE", "trace": {
        "type": "STREAM_STATUS", "emitted_at": 1,
        "stream_status": {"stream_descriptor": STREAM_DESCRIPTOR, "status": "COMPLETE"}}},
    "CONTROL": {"type": "CONTROL", "control": {
        "type": "CONNECTOR_CONFIG", "emitted_at": 1,
        "connectorConfig": {"config": {"host": "h"}}}},
}

INVALID = {
    "RECORD": {"type": "RECORD", "record": {"stream": "conditions", "data": {}}},  # emitted_at
    "RECORD_DATA_NOT_OBJECT": {"type": "RECORD", "record": {
        "stream": "conditions", "data": [1], "emitted_at": 1}},
    "STATE": {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_state": {}}}},
    "STATE_BAD_TYPE": {"type": "STATE", "state": {"type": "PER_STREAM"}},
    "LOG": {"type": "LOG", "log": {"level": "VERBOSE", "message": "x"}},
    "SPEC": {"type": "SPEC", "spec": {"documentationUrl": "https://x"}},
    "CONNECTION_STATUS": {"type": "CONNECTION_STATUS", "connectionStatus": {"status": "OK"}},
    "CATALOG": {"type": "CATALOG", "catalog": {"streams": [{
        "name": "t", "json_schema": {}, "supported_sync_modes": []}]}},
    "TRACE_ERROR": {"type": "TRACE", "trace": {
        "type": "ERROR", "emitted_at": 1, "error": {"message": "m", "failure_type": "oops"}}},
    "TRACE_ESTIMATE": {"type": "TRACE", "trace": {
        "type": "ESTIMATE", "emitted_at": 1, "estimate": {"type": "STREAM"}}},
    "TRACE_STREAM_STATUS": {"type": "TRACE", "trace": {
        "type": "STREAM_STATUS", "emitted_at": 1,
        "stream_status": {"stream_descriptor": STREAM_DESCRIPTOR, "status": "DONE"}}},
    "TRACE_WITHOUT_PAYLOAD": {"type": "TRACE", "trace": {"type": "ERROR", "emitted_at": 1}},
    "CONTROL": {"type": "CONTROL", "control": {"type": "CONNECTOR_CONFIG"}},
    "UNKNOWN_TYPE": {"type": "RECORDS"},
    "NO_TYPE": {"record": {"stream": "t", "data": {}, "emitted_at": 1}},
    "TYPE_WITHOUT_PAYLOAD": {"type": "RECORD"},
}

STREAM_SCHEMA = {
    "type": "object",
    "additionalProperties": True,
    "properties": {
        "id": {"type": "integer"},
        "ts": {"type": ["string", "null"], "format": "date-time",
               "airbyte_type": "timestamp_with_timezone"},
        "ts_ntz": {"type": "string", "format": "date-time",
                   "airbyte_type": "timestamp_without_timezone"},
        "d": {"type": "string", "format": "date"},
        "t": {"type": "string", "format": "time", "airbyte_type": "time_without_timezone"},
        "ttz": {"type": "string", "format": "time", "airbyte_type": "time_with_timezone"},
        "n": {"type": ["number", "null"]},
        "dates": {"type": "array", "items": {"type": ["string", "null"], "format": "date"}},
    },
}

AIRBYTE_CATALOG = {"streams": [
    {"name": "conditions", "namespace": "public", "json_schema": STREAM_SCHEMA,
     "supported_sync_modes": ["full_refresh"]},
    {"name": "other", "namespace": "public", "json_schema": {"type": "object"},
     "supported_sync_modes": ["full_refresh"]},
]}

CONFIGURED_CATALOG = {"streams": [
    {"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "append"}
    for s in AIRBYTE_CATALOG["streams"]]}

GOOD_DATA = {"id": 1, "ts": "2023-11-14T22:13:20.123456+00:00",
             "ts_ntz": "0001-12-31T23:59:59.999999 BC", "d": "4714-11-24 BC",
             "t": "24:00:00", "ttz": "12:34:56.5-11:30", "n": 1.5,
             "dates": ["2000-02-29", None]}


def record(data, stream="conditions", namespace="public"):
    r = {"stream": stream, "data": data, "emitted_at": 1}
    if namespace is not None:
        r["namespace"] = namespace
    return {"type": "RECORD", "record": r}


class ProtocolFixture(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not PROTOCOL_PATH.is_file():
            raise AssertionError(f"airbyte_protocol.yaml not found at {PROTOCOL_PATH}; "
                                 "set TSDB_AIRBYTE_DIR")
        cls.protocol = vm.load_yaml(PROTOCOL_PATH)
        cls.well_known_doc = vm.load_yaml(PROTOCOL_PATH.parent / "well_known_types.yaml")
        cls.validator = vm.Validator(cls.protocol)

    def catalog_validator(self, catalog=AIRBYTE_CATALOG):
        well_known = vm.WellKnownTypes(self.well_known_doc)
        return vm.Validator(self.protocol, vm.Catalog(catalog, self.protocol, well_known))


class MessageTypesTest(ProtocolFixture):
    def test_valid_message_of_each_type(self):
        for name, message in VALID.items():
            with self.subTest(name):
                self.assertEqual(self.validator.errors(message), [])

    def test_invalid_message_of_each_type(self):
        for name, message in INVALID.items():
            with self.subTest(name):
                self.assertNotEqual(self.validator.errors(message), [])

    def test_every_type_is_covered(self):
        covered = {m["type"] for m in VALID.values()}
        self.assertEqual(covered, set(vm.PAYLOAD_OF_TYPE) - {"DESTINATION_CATALOG"})


class LinesTest(ProtocolFixture):
    def run_lines(self, data):
        reported = []
        total, invalid, _ = self.validator.validate_stream(vm.split_lines(data),
                                                           reported.append, 100)
        return total, invalid, reported

    def test_each_line_must_be_one_json_object(self):
        good = line(VALID["LOG"])
        bad_lines = {
            "not json": b"Starting connector...",
            "array": b"[1,2]",
            "string": b'"x"',
            "two objects": good + b" " + good,
            "trailing text": good + b" x",
            "NaN literal": b'{"type":"RECORD","record":{"stream":"t","data":{"a":NaN},'
                           b'"emitted_at":1}}',
            "duplicate key": b'{"type":"LOG","type":"LOG","log":{"level":"INFO","message":""}}',
            "blank": b"",
            "whitespace only": b"   ",
            "invalid utf-8": b'{"type":"LOG","log":{"level":"INFO","message":"\xff"}}',
        }
        for name, bad in bad_lines.items():
            with self.subTest(name):
                total, invalid, reported = self.run_lines(good + b"\n" + bad + b"\n" + good)
                self.assertEqual((total, invalid), (3, 1))
                self.assertTrue(reported[0].startswith("line 2: "), reported)

    def test_final_newline_is_optional(self):
        good = line(VALID["LOG"])
        self.assertEqual(self.run_lines(good + b"\n" + good + b"\n")[:2], (2, 0))
        self.assertEqual(self.run_lines(good + b"\n" + good)[:2], (2, 0))
        self.assertEqual(self.run_lines(good + b"\n\n")[:2], (2, 1))
        self.assertEqual(self.run_lines(b"")[:2], (0, 0))

    def test_escaped_unicode_and_big_integers_are_fine(self):
        data = line(record({"s": "\u2028\U0001F600\ufffd", "big": 9223372036854775807}))
        self.assertEqual(self.run_lines(data)[:2], (1, 0))


class CatalogTest(ProtocolFixture):
    def test_valid_record_with_well_known_formats(self):
        for catalog in (AIRBYTE_CATALOG, CONFIGURED_CATALOG, VALID["CATALOG"] | {
                "catalog": AIRBYTE_CATALOG}):
            v = self.catalog_validator(catalog)
            self.assertEqual(v.errors(record(GOOD_DATA)), [])
            self.assertEqual(v.errors(record({"ts": None, "n": None})), [])

    def test_invalid_formats_and_types(self):
        v = self.catalog_validator()
        bad_values = {
            "ts": ["2023-11-14 22:13:20+00:00", "2023-11-14T22:13:20", "2023-11-14",
                   "20231114T221320Z", "2023-11-14T22:13:20+00:00BC", 1700000000],
            "ts_ntz": ["2023-11-14T22:13:20Z", "2023-11-14T22:13:20+00:00",
                       "2023-11-14T22:13:20\n"],
            "d": ["2023-1-1", "23-01-01", "2023-01-01T00:00:00", "2023-01-01 bc",
                  "\u0662\u0660\u0662\u0663-01-01"],  # Arabic-Indic digits are not \d here
            "t": ["1:02:03", "01:02:03+00:00", "01:02"],
            "ttz": ["01:02:03"],
            "n": ["1.5", "NaN"],
            "id": [1.5, "1"],
            "dates": [["2023-01-01", "yesterday"]],
        }
        for field, values in bad_values.items():
            for value in values:
                with self.subTest(field=field, value=value):
                    errors = v.errors(record(dict(GOOD_DATA, **{field: value})))
                    self.assertNotEqual(errors, [])
                    self.assertTrue(all(e.startswith("record/data/") for e in errors), errors)

    def test_long_years_are_rejected(self):
        data = dict(GOOD_DATA, d="10000-01-01", ts="294247-01-10T04:00:54.775806+00:00")
        self.assertEqual(len(self.catalog_validator().errors(record(data))), 3)  # format x2

    def test_unknown_stream(self):
        v = self.catalog_validator()
        self.assertNotEqual(v.errors(record({}, stream="nope")), [])
        self.assertNotEqual(v.errors(record({}, namespace="other_schema")), [])
        # Without a namespace, a unique name is enough.
        self.assertEqual(v.errors(record({"id": 1}, namespace=None)), [])

    def test_invalid_catalogs_are_usage_errors(self):
        well_known = vm.WellKnownTypes(self.well_known_doc)
        for catalog in ({"streams": "x"}, [1], {"streams": [{"name": "t"}]},
                        {"streams": [{"name": "t", "supported_sync_modes": ["full_refresh"],
                                      "json_schema": {"type": "objekt"}}]},
                        {"streams": [AIRBYTE_CATALOG["streams"][0]] * 2}):
            with self.subTest(catalog=catalog):
                with self.assertRaises(vm.UsageError):
                    vm.Catalog(catalog, self.protocol, well_known)


class CommandLineTest(unittest.TestCase):
    SCRIPT = HERE / "validate_messages.py"

    def run_cli(self, data, *args):
        result = subprocess.run([sys.executable, str(self.SCRIPT), *args], input=data,
                                capture_output=True, check=False)
        return result.returncode, result.stdout.decode("utf-8").splitlines()

    def test_valid_stream(self):
        data = b"\n".join(line(m) for m in VALID.values()) + b"\n"
        code, out = self.run_cli(data, "--protocol", str(PROTOCOL_PATH))
        self.assertEqual(code, 0, out)
        self.assertEqual(len(out), 1)
        self.assertTrue(out[0].startswith(f"{len(VALID)} messages valid ("), out)

    def test_invalid_stream_lists_lines(self):
        data = line(VALID["LOG"]) + b"\noops\n" + line(INVALID["LOG"]) + b"\n"
        code, out = self.run_cli(data)
        self.assertEqual(code, 1, out)
        self.assertTrue(out[0].startswith("line 2: "), out)
        self.assertTrue(out[1].startswith("line 3: log/level: "), out)
        self.assertEqual(out[-1], "2 of 3 messages invalid")

    def test_catalog_and_file_arguments(self):
        with tempfile.TemporaryDirectory() as tmp:
            catalog = pathlib.Path(tmp) / "catalog.json"
            catalog.write_text(json.dumps(CONFIGURED_CATALOG))
            messages = pathlib.Path(tmp) / "out.jsonl"
            messages.write_bytes(line(record(GOOD_DATA)) + b"\n" +
                                 line(record(dict(GOOD_DATA, d="2023-02-30x"))) + b"\n")
            code, out = self.run_cli(b"", "--catalog", str(catalog), str(messages))
            self.assertEqual(code, 1, out)
            self.assertTrue(out[0].startswith("line 2: record/data/d: "), out)
            self.assertEqual(out[-1], "1 of 2 messages invalid")

    def test_missing_files_exit_2(self):
        code, out = self.run_cli(b"", "--protocol", "/nonexistent/airbyte_protocol.yaml")
        self.assertEqual(code, 2, out)
        code, out = self.run_cli(b"", "--catalog", "/nonexistent/catalog.json")
        self.assertEqual(code, 2, out)

    def test_protocol_from_environment(self):
        env = dict(os.environ, TSDB_AIRBYTE_DIR=str(PROTOCOL_PATH.parent))
        result = subprocess.run([sys.executable, str(self.SCRIPT)], input=line(VALID["LOG"]),
                                capture_output=True, env=env, check=False)
        self.assertEqual(result.returncode, 0, result.stdout)


class MainInProcessTest(unittest.TestCase):
    def test_main_reads_stdin(self):
        out = io.StringIO()
        code = vm.main(["--protocol", str(PROTOCOL_PATH)],
                       stdin=io.BytesIO(line(VALID["RECORD"]) + b"\n"), stdout=out)
        self.assertEqual(code, 0)
        self.assertEqual(out.getvalue(), "1 messages valid (RECORD 1)\n")


if __name__ == "__main__":
    unittest.main()
