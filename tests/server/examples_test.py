"""Runs the client examples (client/python/example.py and client/node/example.js) against a
real tsdb-source-server and a TimescaleDB hypertable on the dev server: each must discover
the hypertable and print every row and the checkpoints, and both must print the same.

The Python example uses the stubs tools/gen-clients generated (server_fixture.py); the Node
example needs client/node/node_modules, which `tools/gen-clients node` installs from the
lock file (npm ci) before the tests run.
"""
import json
import os
import subprocess
import unittest

import server_fixture as fx

SCHEMA = "ex_" + fx.random_suffix()
TOKEN = "example-token-" + fx.random_suffix(20)
ROWS = 36  # 6 hours apart: 9 chunks of one day
PYTHON_EXAMPLE = os.path.join(fx.RUNFILES, "client/python/example.py")
NODE_EXAMPLE = os.path.join(fx.RUNFILES, "client/node/example.js")
PROTO_DIR = os.path.join(fx.RUNFILES, "proto")


def _create_test_data():
    fx.psql("""
        CREATE SCHEMA {s};
        CREATE TABLE {s}.metrics (time timestamptz NOT NULL, device int NOT NULL, value float8,
                                  tags text[], day date);
        SELECT create_hypertable('{s}.metrics', 'time', chunk_time_interval => interval '1 day');
        INSERT INTO {s}.metrics
          SELECT '2024-03-01 00:00:00+00'::timestamptz + g * interval '6 hours', g % 4, g * 0.5,
                 ARRAY['t' || g, NULL], DATE '2024-03-01' + g / 4
          FROM generate_series(0, {last}) g;
        CREATE TABLE {s}.plain (id int PRIMARY KEY);
    """.format(s=SCHEMA, last=ROWS - 1), server="ts")


def _drop_test_data():
    fx.psql("DROP SCHEMA {s} CASCADE".format(s=SCHEMA), server="ts")


def node_modules():
    """client/node/node_modules next to the real package.json (runfiles are symlinks)."""
    return os.path.join(os.path.dirname(os.path.realpath(os.path.join(fx.RUNFILES, "client/node/package.json"))),
                        "node_modules")


class Examples(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        fx.test_data(_create_test_data, _drop_test_data)
        cls.server = fx.Server("--token_file", cls.write("token", TOKEN + "\n"))
        cls.config = cls.write("config.json", json.dumps(fx.config_dict("ts", schemas=[SCHEMA])))

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    @staticmethod
    def write(name, content):
        path = os.path.join(fx.TMP, "%s-%s" % (fx.random_suffix(), name))
        with open(path, "w") as f:
            f.write(content)
        return path

    def run_example(self, command, env=None, expect_rc=0):
        proc = subprocess.run(command, capture_output=True, text=True, timeout=180, env=env)
        self.assertEqual(proc.returncode, expect_rc, "%s\nstdout:\n%s\nstderr:\n%s" % (command, proc.stdout, proc.stderr))
        return proc.stdout.splitlines()

    def python(self, *args, expect_rc=0):
        env = dict(os.environ, PYTHONPATH=fx.GENERATED)
        return self.run_example(["/usr/bin/python3", PYTHON_EXAMPLE, "--server", self.server.address,
                                 "--config", self.config] + list(args), env=env, expect_rc=expect_rc)

    def node(self, *args, expect_rc=0):
        if not os.path.isdir(os.path.join(node_modules(), "@grpc", "grpc-js")):
            raise AssertionError("%s is missing: run tools/gen-clients node (npm ci from the lock file)"
                                 % node_modules())
        return self.run_example(["node", NODE_EXAMPLE, "--proto-dir", PROTO_DIR, "--server", self.server.address,
                                 "--config", self.config] + list(args), expect_rc=expect_rc)

    def check_output(self, lines):
        self.assertIn("stream %s.metrics RELATION_KIND_HYPERTABLE" % SCHEMA, lines)
        self.assertIn("stream %s.plain RELATION_KIND_TABLE" % SCHEMA, lines)
        columns = [l for l in lines if l.startswith("columns ")]
        self.assertEqual(columns, ["columns time:timestamp with time zone device:integer value:double precision "
                                   "tags:text[] day:date"])
        rows = [json.loads(l[len("row "):]) for l in lines if l.startswith("row ")]
        self.assertEqual(len(rows), ROWS)
        self.assertEqual(rows[0], {"time": rows[0]["time"], "device": 0, "value": 0, "tags": ["t0", None],
                                   "day": "2024-03-01"})
        self.assertTrue(rows[0]["time"].startswith("2024-03-01T00:00:00"), rows[0])
        self.assertTrue(rows[-1]["time"].startswith("2024-03-09T18:00:00"), rows[-1])
        self.assertEqual(sorted(r["value"] for r in rows), [g * 0.5 for g in range(ROWS)])
        checkpoints = [l.split(" ", 2) for l in lines if l.startswith("checkpoint ")]
        self.assertGreaterEqual(len(checkpoints), 9, "one per chunk, and a final one")
        states = [json.loads(c[2]) for c in checkpoints]
        self.assertTrue(states[-1].get("completed"))
        self.assertEqual(int(checkpoints[-1][1]), ROWS)
        self.assertIn("chunks", states[0])
        summary = [l for l in lines if l.startswith("summary ")]
        self.assertEqual(len(summary), 1)
        self.assertIn("chunks_read=9", summary[0])
        self.assertIn("rows=%d" % ROWS, summary[0])
        return rows, states

    def test_python_example_streams_the_hypertable(self):
        self.check_output(self.python("--token-file", self.write("t", TOKEN)))

    def test_node_example_streams_the_hypertable(self):
        self.check_output(self.node("--token-file", self.write("t", TOKEN)))

    def test_both_examples_print_the_same_rows_and_states(self):
        py_rows, py_states = self.check_output(self.python("--token-file", self.write("t", TOKEN)))
        node_rows, node_states = self.check_output(self.node("--token-file", self.write("t", TOKEN)))
        self.assertEqual([r["value"] for r in py_rows], [r["value"] for r in node_rows])
        self.assertEqual([r["tags"] for r in py_rows], [r["tags"] for r in node_rows])
        self.assertEqual([r["day"] for r in py_rows], [r["day"] for r in node_rows])
        self.assertEqual(py_states, node_states)

    def test_examples_report_a_refused_token(self):
        for run in (self.python, self.node):
            lines = run("--token-file", self.write("t", "not-the-right-token-at-all"), expect_rc=1)
            self.assertEqual(len(lines), 1, lines)
            self.assertTrue(lines[0].startswith("error UNAUTHENTICATED "), lines)


if __name__ == "__main__":
    unittest.main(verbosity=2)
