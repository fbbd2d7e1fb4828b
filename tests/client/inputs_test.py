"""Malformed input files: config, configured catalog and state.

Each must give exactly one message, a TRACE ERROR (config_error) that names the file and
the problem, exit code 1, no RECORD, no secret from the file in stdout or stderr, and come
quickly (deep nesting once took minutes in the protobuf JSON parser). The files are read
before any connection is made: no database is involved, but a config that would reach one
is used so that nothing else can fail.
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source", "tests",
                                "airbyte"))
import connector_harness as h  # noqa: E402

SECRET = "Sup3r-Secret-Pa55word"

GOOD_CATALOG = {"streams": [{
    "stream": {"name": "t", "namespace": "public", "json_schema": {"type": "object"},
               "supported_sync_modes": ["full_refresh"]},
    "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]}


def deep(levels):
    return "[" * levels + "]" * levels


class InputErrors(unittest.TestCase):
    def setUp(self):
        self.shim = h.Shim()
        config = h.Database("pg").config(["public"], password=SECRET)
        self.config = self.shim.write("config.json", config)
        self.catalog = self.shim.write("catalog.json", GOOD_CATALOG)

    def tearDown(self):
        self.shim.close()

    def expect_error(self, args, path, *fragments):
        start = time.monotonic()
        out = self.shim.run(*args, expect_rc=1, input_error=True)
        self.assertLess(time.monotonic() - start, 10, "the error took too long")
        self.assertEqual([m["type"] for m in out.messages], ["TRACE"], out.describe())
        error = out.errors()[0]
        self.assertEqual(error["failure_type"], "config_error")
        self.assertIn(path, error["message"])
        for fragment in fragments:
            self.assertIn(fragment, error["message"])
        self.assertNotIn(SECRET, out.stdout.decode("utf-8", "replace") + out.stderr)
        return error

    def config_error(self, content, *fragments, name="config.json"):
        path = self.shim.write(name, content)
        for command in ("check", "discover"):
            self.expect_error([command, "--config", path], path, *fragments)
        self.expect_error(["read", "--config", path, "--catalog", self.catalog], path, *fragments)

    def catalog_error(self, content, *fragments):
        path = self.shim.write("broken catalog.json", content)
        self.expect_error(["read", "--config", self.config, "--catalog", path], path, *fragments)

    def state_error(self, content, *fragments):
        path = self.shim.write("state.json", content)
        self.expect_error(["read", "--config", self.config, "--catalog", self.catalog,
                           "--state", path], path, *fragments)

    # --- config ---------------------------------------------------------------------

    def test_truncated_config(self):
        text = json.dumps(json.load(open(self.config)))
        self.config_error(text[:-20], "config file", "truncated JSON", "line 1, column")

    def test_empty_config(self):
        self.config_error("", "the file is empty")
        self.config_error("  \n", "the file is empty")

    def test_config_of_wrong_types(self):
        config = json.load(open(self.config))
        # Airbyte's connectors reject what does not validate against their spec; protobuf's
        # JSON parser alone would accept "5432" and "public" for an integer and a list.
        for key, value, fragment in (
                ("port", "not a port", "port must be an integer, got a string"),
                ("port", "5432", "port must be an integer, got a string"),
                ("port", 5432.5, "port must be an integer, got a number"),
                ("port", 1e10, "port must be an integer from -2147483648 to 2147483647"),
                ("schemas", "public", "schemas must be an array, got a string"),
                ("schemas", ["a", 1], "schemas[1] must be a string, got a number"),
                ("ssl_mode", "disable", "ssl_mode must be an object, got a string"),
                ("ssl_mode", {"mode": 1}, "ssl_mode.mode must be a string, got a number"),
                ("timescaledb_support", "yes", "timescaledb_support must be a boolean"),
                ("host", ["h"], "host must be a string, got an array"),
                ("replication_method", {"method": "CDC", "initial_waiting_seconds": "5"},
                 "replication_method.initial_waiting_seconds must be an integer")):
            self.config_error(dict(config, **{key: value}), fragment)

    def test_config_that_is_not_an_object(self):
        self.config_error("[]", "must be a JSON object")
        self.config_error('"host"', "must be a JSON object")

    def test_deeply_nested_config(self):
        config = json.dumps(json.load(open(self.config)))
        self.config_error(config[:-1] + ', "x": %s}' % deep(200000), "nested deeper than 64 levels")
        self.config_error(deep(100), "nested deeper than 64 levels")

    def test_config_with_huge_numbers(self):
        config = json.dumps(json.load(open(self.config)))
        self.config_error(config[:-1] + ', "port": 1e999}', "1e999 is out of range")
        self.config_error(config[:-1] + ', "port": 123456789012345678901234567890}', "port")
        self.config_error(config[:-1] + ', "unused": -1e400}', "out of range")

    def test_config_with_invalid_bytes_or_trailing_data(self):
        config = json.dumps(json.load(open(self.config))).encode()
        self.config_error(config[:-1] + b', "host": "\xff"}', "invalid UTF-8")
        self.config_error(config + b" {}", "unexpected data after the JSON value")
        self.config_error(b"\x00\x01\x02", "unexpected byte 0x00")

    def test_missing_config_file(self):
        path = os.path.join(self.shim.dir, "no such config.json")
        self.expect_error(["check", "--config", path], path, "cannot open", "No such file")

    def test_config_password_never_echoed(self):
        config = json.load(open(self.config))
        # The parser would quote the offending value: the password itself here.
        self.config_error(dict(config, port=SECRET), "port")
        self.config_error(json.dumps(config)[:-1] + ', "password": "%s' % SECRET, "truncated")

    # --- catalog --------------------------------------------------------------------

    def test_truncated_catalog(self):
        self.catalog_error(json.dumps(GOOD_CATALOG)[:-7], "catalog file", "truncated JSON")

    def test_catalog_of_wrong_types(self):
        def variant(**changes):
            stream = dict(GOOD_CATALOG["streams"][0], **changes)
            return {"streams": [stream]}
        self.catalog_error({"streams": "x"}, "\"streams\" array")
        self.catalog_error({}, "\"streams\" array")
        self.catalog_error([1], "\"streams\" array")
        self.catalog_error({"streams": [1]}, "streams[0].stream is required")
        self.catalog_error(variant(stream={"name": 5}), "streams[0].stream.name must be a string")
        self.catalog_error(variant(stream={"namespace": "x"}), "streams[0].stream.name is required")
        self.catalog_error(variant(sync_mode=1), "streams[0].sync_mode must be a string")
        self.catalog_error(variant(sync_mode="INVALID"), "sync_mode must be full_refresh or incremental")
        self.catalog_error(variant(cursor_field="x"), "cursor_field must be an array")
        self.catalog_error(variant(primary_key=[["a", "b"]]), "nested fields are not supported")
        self.catalog_error(variant(primary_key=[[1]]), "column names")

    def test_deeply_nested_catalog(self):
        catalog = json.dumps(GOOD_CATALOG)
        self.catalog_error(catalog[:-1] + ', "x": %s}' % deep(100000), "nested deeper than 64 levels")

    def test_catalog_with_huge_numbers(self):
        self.catalog_error(json.dumps(GOOD_CATALOG)[:-1] + ', "n": 9e999}', "out of range")

    # --- state ----------------------------------------------------------------------

    def test_truncated_state(self):
        state = json.dumps([{"type": "STREAM", "stream": {
            "stream_descriptor": {"name": "t", "namespace": "public"},
            "stream_state": {"version": 1}}}])
        self.state_error(state[:-3], "state file", "truncated JSON")

    def test_state_of_wrong_types(self):
        def stream(state, descriptor=None):
            return [{"type": "STREAM", "stream": {
                "stream_descriptor": descriptor or {"name": "t", "namespace": "public"},
                "stream_state": state}}]
        self.state_error("5", "expected an array of state messages")
        self.state_error('"x"', "expected an array of state messages")
        self.state_error("[5]", "state[0] must be an object")
        self.state_error([{"type": 5}], "state[0].type must be a string")
        self.state_error([{"type": "PER_STREAM"}], "state[0].type must be STREAM, GLOBAL or LEGACY")
        self.state_error([{"type": "STREAM"}], "stream_descriptor is required")
        self.state_error(stream({"version": 1}, {"name": 3}), "stream_descriptor.name must be a string")
        self.state_error(stream("abc"), "stream_state must be an object")
        self.state_error(stream({"version": "one"}), "not a valid tsdb-source state", "version")
        self.state_error(stream({"version": 1, "cursor": {"int64_value": "x"}}), "int64_value")
        self.state_error(stream({"foo": 1}), "neither a tsdb-source state")
        self.state_error(stream({"version": 1, "stream": {"name": "other"}}),
                         "is the state of stream", "other")
        self.state_error([{"type": "LEGACY", "data": {"streams": 3}}], "data.streams")
        self.state_error([{"type": "LEGACY", "data": {"streams": [7]}}], "must be an object")
        self.state_error([{"type": "LEGACY", "data": {"cdc": True, "streams": []}}], "CDC")
        self.state_error([{"type": "GLOBAL", "global": {"stream_states": []}}], "GLOBAL")

    def test_deeply_nested_state(self):
        self.state_error(deep(100000), "nested deeper than 64 levels")
        self.state_error('[{"type": "STREAM", "stream": {"stream_descriptor": {"name": "t"}, '
                         '"stream_state": {"version": 1, "x": %s}}}]' % deep(70),
                         "nested deeper than 64 levels")

    def test_state_with_huge_numbers(self):
        def cursor(value):
            return ('[{"type": "STREAM", "stream": {"stream_descriptor": {"name": "t"}, '
                    '"stream_state": {"version": 1, "sync_mode": "SYNC_MODE_INCREMENTAL", '
                    '"cursor_field": ["id"], "cursor": {"kind": "VALUE_KIND_INT64", '
                    '"int64_value": %s}}}}]' % value)
        self.state_error(cursor('"99999999999999999999999999"'), "int64_value")
        self.state_error(cursor("1e999"), "out of range")
        self.state_error(cursor("1e30"), "int64_value")

    # --- command line ---------------------------------------------------------------

    def test_arguments(self):
        for args, fragment in ((["frobnicate"], "unknown command"),
                               ([], "no command given"),
                               (["check"], "--config"),
                               (["read", "--config", self.config], "--catalog"),
                               (["check", "--config"], "incomplete argument"),
                               (["check", "--bogus", "x"], "unknown or incomplete argument")):
            out = self.shim.run(*args, expect_rc=1, input_error=True)
            self.assertEqual([m["type"] for m in out.messages], ["TRACE"])
            self.assertIn(fragment, out.errors()[0]["message"])
            self.assertEqual(out.errors()[0]["failure_type"], "config_error")


if __name__ == "__main__":
    unittest.main(verbosity=2)
