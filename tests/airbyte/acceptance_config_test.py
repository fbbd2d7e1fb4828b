"""acceptance-test-config.yml and its integration_tests/ files, checked by reading them and
with the connector offline (no database): the YAML has the shape of Airbyte's CAT config;
every path it names exists and parses (secrets/ paths have a template in integration_tests/);
the configs validate against `tsdb-source spec`, which expected_spec.json equals; the
configured catalogs use only sync modes and cursors discover offers for their streams (Standard
mode: every stream full_refresh and incremental; cursors of integer, date and timestamp
columns); the abnormal states are in this release's state format and parse in the connector
(a read with them fails on the unreachable database, not on the state); seed.sql is the
TimescaleDB fixture of acceptance_test.py."""
import copy
import json
import os
import pathlib
import sys
import unittest

import jsonschema
import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import acceptance_test as at  # noqa: E402
import connector_harness as h  # noqa: E402

ROOT = h.RUNFILES
CONFIG = ROOT / "acceptance-test-config.yml"
SUITES = {"spec", "connection", "discovery", "basic_read", "full_refresh", "incremental"}
SEED_SCHEMA = "tsdb_cat"
PATH_KEYS = {"spec_path", "config_path", "configured_catalog_path", "path", "future_state_path"}


def paths_in(node):
    """Every (key, path) a CAT config names."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in PATH_KEYS and isinstance(value, str):
                yield key, value
            else:
                yield from paths_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from paths_in(value)


def load(path):
    return json.loads((ROOT / path).read_text(encoding="utf-8"))


class AcceptanceConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cat = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
        shim = h.Shim()
        try:
            cls.spec = shim.run("spec").messages[0]["spec"]
        finally:
            shim.close()

    def suite_tests(self, suite):
        return self.cat["acceptance_tests"][suite]["tests"]

    def test_shape_of_airbyte_cat_config(self):
        self.assertEqual(self.cat["connector_image"].split(":")[0],
                         yaml.safe_load((ROOT / "metadata.yaml").read_text())["data"]["dockerRepository"])
        self.assertEqual(set(self.cat["acceptance_tests"]), SUITES)
        for suite in SUITES:
            self.assertTrue(self.suite_tests(suite), suite)
            for test in self.suite_tests(suite):
                self.assertIn("config_path", test, suite)
        for test in self.suite_tests("connection"):
            self.assertIn(test["status"], ("succeed", "failed", "exception"))
        for suite in ("basic_read", "full_refresh", "incremental"):
            for test in self.suite_tests(suite):
                self.assertIn("configured_catalog_path", test, suite)
        for test in self.suite_tests("incremental"):
            self.assertIn("future_state_path", test["future_state"])
            catalog = load(test["configured_catalog_path"])
            self.assertTrue(all(e["sync_mode"] == "incremental" for e in catalog["streams"]))

    def test_every_path_exists_and_parses(self):
        named = list(paths_in(self.cat))
        self.assertGreaterEqual(len(named), 10)
        for key, path in named:
            self.assertFalse(pathlib.PurePosixPath(path).is_absolute(), path)
            if path.startswith("secrets/"):
                # Credentials stay out of the repository; the template is beside the tests.
                template = ROOT / "integration_tests" / ("sample_" + pathlib.PurePosixPath(path).name)
                self.assertTrue(template.is_file(), (path, template))
                continue
            self.assertTrue(path.startswith("integration_tests/"), path)
            self.assertTrue((ROOT / path).is_file(), path)
            text = (ROOT / path).read_text(encoding="utf-8")
            if path.endswith(".jsonl"):
                lines = [json.loads(line) for line in text.splitlines() if line.strip()]
                self.assertTrue(lines, path)
                for line in lines:
                    self.assertEqual(set(line), {"stream", "data", "emitted_at"}, path)
            else:
                json.loads(text)

    def test_configs_validate_against_the_spec_without_secrets(self):
        self.assertEqual(load("integration_tests/expected_spec.json"), self.spec)
        schema = self.spec["connectionSpecification"]
        for name in ("sample_config.json", "invalid_config.json"):
            config = load("integration_tests/" + name)
            jsonschema.validate(config, schema)
            self.assertIn(config["password"], ("<password>", "not-a-secret"), name)
            self.assertEqual(config["replication_method"]["method"], "Standard", name)
            self.assertEqual(config["schemas"], [SEED_SCHEMA], name)
        self.assertTrue(load("integration_tests/invalid_config.json")["host"].endswith(".invalid"))

    def test_seed_is_the_timescaledb_fixture_of_the_acceptance_test(self):
        text = (ROOT / "integration_tests" / "seed.sql").read_text(encoding="utf-8")
        body = "\n".join(l for l in text.splitlines() if not l.startswith("--"))
        self.assertEqual(body.strip(), at.TS_FIXTURE.format(s=SEED_SCHEMA).strip())

    def catalogs(self):
        seen = {}
        for suite in ("basic_read", "full_refresh", "incremental"):
            for test in self.suite_tests(suite):
                seen[test["configured_catalog_path"]] = load(test["configured_catalog_path"])
        return seen

    def test_catalogs_use_only_what_discover_offers(self):
        for path, catalog in self.catalogs().items():
            names = [e["stream"]["name"] for e in catalog["streams"]]
            # The streams of the acceptance test's TimescaleDB fixture, all of them.
            self.assertEqual(set(names), set(at.CURSORS["ts"]), path)
            for entry in catalog["streams"]:
                stream = entry["stream"]
                where = (path, stream["name"])
                self.assertEqual(stream["namespace"], SEED_SCHEMA, where)
                # Standard mode (the configs' method): discover offers both for every stream.
                self.assertEqual(stream["supported_sync_modes"], ["full_refresh", "incremental"], where)
                self.assertIn(entry["sync_mode"], stream["supported_sync_modes"], where)
                self.assertIn(entry["destination_sync_mode"], ("append", "overwrite", "append_dedup"))
                self.assertEqual(entry["primary_key"], stream.get("source_defined_primary_key", []), where)
                properties = stream["json_schema"]["properties"]
                if entry["sync_mode"] == "incremental":
                    self.assertEqual(entry["cursor_field"], [at.CURSORS["ts"][stream["name"]]], where)
                    column = properties[entry["cursor_field"][0]]
                    types = column["type"] if isinstance(column["type"], list) else [column["type"]]
                    self.assertTrue("integer" in types or column.get("format") in ("date", "date-time"),
                                    where)
                    if stream.get("source_defined_cursor"):
                        self.assertEqual(entry["cursor_field"], stream["default_cursor_field"], where)
                else:
                    self.assertNotIn("cursor_field", entry, where)
                for key in stream.get("source_defined_primary_key", []):
                    self.assertIn(key[0], properties, where)

    def test_expected_records_are_valid_records_of_their_streams(self):
        catalog = load("integration_tests/configured_catalog.json")
        schemas = {e["stream"]["name"]: e["stream"]["json_schema"] for e in catalog["streams"]}
        for line in (ROOT / "integration_tests" / "expected_records.jsonl").read_text().splitlines():
            record = json.loads(line)
            jsonschema.validate(record["data"], schemas[record["stream"]])

    def test_abnormal_states_are_in_this_release_format_and_far_in_the_future(self):
        catalog = load("integration_tests/incremental_configured_catalog.json")
        entries = {e["stream"]["name"]: e for e in catalog["streams"]}
        for test in self.suite_tests("incremental"):
            path = test["future_state"]["future_state_path"]
            states = load(path)
            self.assertEqual({s["stream"]["stream_descriptor"]["name"] for s in states}, set(entries), path)
            for state in states:
                self.assertEqual(state["type"], "STREAM")
                descriptor = state["stream"]["stream_descriptor"]
                s = state["stream"]["stream_state"]
                entry = entries[descriptor["name"]]
                where = (path, descriptor["name"])
                # source-postgres's cursor_based fields, as plain JSON.
                self.assertEqual(s["state_type"], "cursor_based", where)
                self.assertEqual(s["version"], 2, where)
                self.assertEqual((s["stream_namespace"], s["stream_name"]),
                                 (descriptor["namespace"], descriptor["name"]), where)
                self.assertEqual(s["cursor_field"], entry["cursor_field"], where)
                self.assertIsInstance(s["cursor"], str)
                self.assertIsInstance(s["cursor_record_count"], int)
                column = entry["stream"]["json_schema"]["properties"][entry["cursor_field"][0]]
                self.assertIn(s["cursor"], ("9000-01-01T00:00:00+00:00", "2147483647"), where)
                if "tsdb_source" not in s:
                    continue
                # Ours: the typed cursor is the same value as the text.
                own = s["tsdb_source"]
                self.assertEqual(own["version"], 1, where)
                self.assertEqual(own["sync_mode"], "SYNC_MODE_INCREMENTAL", where)
                self.assertEqual(own["stream"], descriptor, where)
                self.assertEqual(own["cursor_field"], s["cursor_field"], where)
                text, value = s["cursor"], int(own["cursor"]["int64_value"])
                if column.get("format") == "date-time":
                    self.assertEqual(own["cursor"]["kind"], "VALUE_KIND_TIMESTAMPTZ", where)
                    self.assertEqual(at.cursor_micros(text, column), value, where)
                else:
                    self.assertEqual(own["cursor"]["kind"], "VALUE_KIND_INT64", where)
                    self.assertEqual(int(text), value, where)
        self.assertTrue(any("tsdb_source" in s["stream"]["stream_state"]
                            for t in self.suite_tests("incremental")
                            for s in load(t["future_state"]["future_state_path"])))

    def offline_read(self, shim, state_path):
        """A read of the incremental catalog with `state_path` against a port where nothing
        listens: the inputs (the state included) are parsed before any connection."""
        config = dict(load("integration_tests/sample_config.json"), host="127.0.0.1", port=1,
                      password="x", connect_timeout_seconds=5)
        return shim.run("read", "--config", shim.write("config.json", config),
                        "--catalog", str(ROOT / "integration_tests" / "incremental_configured_catalog.json"),
                        "--state", state_path, expect_rc=1)

    def test_abnormal_states_parse_in_the_connector(self):
        shim = h.Shim()
        try:
            for test in self.suite_tests("incremental"):
                path = test["future_state"]["future_state_path"]
                out = self.offline_read(shim, str(ROOT / path))
                message = out.errors()[0]["message"]
                self.assertNotIn("state", message, (path, message))
                self.assertIn("127.0.0.1:1", message, (path, message))
                self.assertEqual(out.records(), [])
            # The control: a broken copy of the state is refused as an input error.
            broken = copy.deepcopy(load("integration_tests/abnormal_state.json"))
            broken[0]["stream"]["stream_state"]["tsdb_source"] = "not an object"
            out = self.offline_read(shim, shim.write("broken.json", broken))
            self.assertIn("state", out.errors()[0]["message"])
            self.assertEqual(out.errors()[0]["failure_type"], "config_error")
        finally:
            shim.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
