"""End-to-end tests of the Airbyte shim (//client:tsdb-source) against the real servers.

Every line the shim prints is validated against the Airbyte protocol schema
(tests/airbyte/validate_messages.py). Run by Bazel through run_python_test.sh, with the
TSDB_* variables of tools/dev-db.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import jsonschema

RUNFILES = os.environ.get("TEST_SRCDIR", "") + "/tsdb_source"
SHIM = os.path.join(RUNFILES, "client/tsdb-source")
SERVER = os.path.join(RUNFILES, "service/server/tsdb-source-server")
VALIDATOR = os.path.join(RUNFILES, "tests/airbyte/validate_messages.py")
PROTOCOL = os.path.join(RUNFILES, "third_party/airbyte/airbyte_protocol.yaml")
SECRET = "Sup3r-Secret-Pa55word"


def config_for(server):
    prefix = {"pg": "TSDB_PG_", "ts": "TSDB_TS_"}[server]
    env = os.environ
    missing = [prefix + k for k in ("HOST", "PORT", "DB", "USER", "PASSWORD") if not env.get(prefix + k)]
    if missing:
        raise AssertionError("%s not set: run through tools/test (it starts the dev databases)" % missing)
    return {
        "host": env[prefix + "HOST"], "port": int(env[prefix + "PORT"]),
        "database": env[prefix + "DB"], "username": env[prefix + "USER"],
        "password": env[prefix + "PASSWORD"], "ssl_mode": {"mode": "disable"},
    }


class Shim(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, content):
        path = os.path.join(self.tmp.name, name)
        with open(path, "w") as f:
            f.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def run_shim(self, *args, expect_rc=0, server=None):
        cmd = [SHIM] + list(args) + (["--server", server] if server else [])
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, expect_rc, "rc of %s\nstdout:%s\nstderr:%s" % (args, proc.stdout, proc.stderr))
        out_path = self.write("out.jsonl", proc.stdout)
        check = subprocess.run(["/usr/bin/python3", VALIDATOR, "--protocol", PROTOCOL, out_path],
                               capture_output=True, text=True, timeout=120)
        self.assertEqual(check.returncode, 0, "invalid Airbyte output:\n%s\n%s\n%s" % (check.stdout, check.stderr, proc.stdout[:2000]))
        messages = [json.loads(line) for line in proc.stdout.splitlines()]
        return messages, proc.stderr

    def test_spec_is_one_valid_message_and_accepts_configs(self):
        messages, _ = self.run_shim("spec")
        self.assertEqual([m["type"] for m in messages], ["SPEC"])
        spec = messages[0]["spec"]["connectionSpecification"]
        jsonschema.Draft7Validator.check_schema(spec)
        validator = jsonschema.Draft7Validator(spec)
        for server in ("pg", "ts"):
            validator.validate(config_for(server))
        cdc = dict(config_for("pg"), replication_method={"method": "CDC", "replication_slot": "s", "publication": "p"})
        validator.validate(cdc)
        self.assertTrue(spec["properties"]["password"]["airbyte_secret"])
        for variant in spec["properties"]["ssl_mode"]["oneOf"]:
            self.assertIn("const", variant["properties"]["mode"])
            for key in ("ca_certificate", "client_certificate", "client_key"):
                if key in variant["properties"]:
                    self.assertTrue(variant["properties"][key]["airbyte_secret"])
        self.assertFalse(validator.is_valid(dict(config_for("pg"), timescaledb_max_concurrent_chunks=11)))
        self.assertFalse(validator.is_valid(dict(config_for("pg"), port="5432")))

    def test_check_succeeds_on_both_servers(self):
        for server in ("pg", "ts"):
            messages, _ = self.run_shim("check", "--config", self.write("c.json", config_for(server)))
            self.assertEqual(len(messages), 1)
            self.assertEqual(messages[0]["type"], "CONNECTION_STATUS")
            self.assertEqual(messages[0]["connectionStatus"]["status"], "SUCCEEDED", messages[0])

    def test_wrong_password_is_failed_status_without_the_password(self):
        config = dict(config_for("pg"), password=SECRET)
        messages, stderr = self.run_shim("check", "--config", self.write("c.json", config))
        self.assertEqual(len(messages), 1)
        status = messages[0]["connectionStatus"]
        self.assertEqual(status["status"], "FAILED")
        self.assertIn("password", status["message"])
        self.assertNotIn(SECRET, json.dumps(messages))
        self.assertNotIn(SECRET, stderr)

    def test_malformed_config_gives_one_trace_error_naming_the_file(self):
        path = self.write("broken config.json", '{"host": "h", "password": "%s", ' % SECRET)
        messages, stderr = self.run_shim("check", "--config", path, expect_rc=1)
        self.assertEqual([m["type"] for m in messages], ["TRACE"])
        error = messages[0]["trace"]["error"]
        self.assertEqual(error["failure_type"], "config_error")
        self.assertIn("broken config.json", error["message"])
        self.assertNotIn(SECRET, json.dumps(messages) + stderr)

    def test_config_of_wrong_type_names_the_field(self):
        path = self.write("c.json", dict(config_for("pg"), port="not a port"))
        messages, _ = self.run_shim("check", "--config", path, expect_rc=1)
        self.assertEqual(messages[0]["type"], "TRACE")
        self.assertIn("port", messages[0]["trace"]["error"]["message"])

    def test_invalid_config_value_is_a_failed_check(self):
        path = self.write("c.json", dict(config_for("pg"), timescaledb_chunk_discovery_interval_minutes=0))
        messages, _ = self.run_shim("check", "--config", path)
        status = messages[0]["connectionStatus"]
        self.assertEqual(status["status"], "FAILED")
        self.assertIn("timescaledb_chunk_discovery_interval_minutes", status["message"])

    def test_unknown_command_and_missing_arguments(self):
        messages, _ = self.run_shim("frobnicate", expect_rc=1)
        self.assertEqual(messages[0]["trace"]["error"]["failure_type"], "config_error")
        messages, _ = self.run_shim("check", expect_rc=1)
        self.assertIn("--config", messages[0]["trace"]["error"]["message"])

    def test_remote_server_gives_identical_output(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([SERVER, "--listen", "127.0.0.1:%d" % port],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            config = self.write("c.json", config_for("pg"))
            local, _ = self.run_shim("check", "--config", config)
            remote, _ = self.run_shim("check", "--config", config, server="127.0.0.1:%d" % port)
            self.assertEqual(local, remote)
            local, _ = self.run_shim("spec")
            remote, _ = self.run_shim("spec", server="127.0.0.1:%d" % port)
            self.assertEqual(local, remote)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    unittest.main(verbosity=2)
