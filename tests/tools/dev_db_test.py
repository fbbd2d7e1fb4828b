"""tools/dev-db's ports: each checkout has its own pair (derived from its path, stable,
overridable), and `start` refuses a port that something else holds, naming the holder (another
checkout's dev databases with the command that stops them, or the process) before starting
anything. Runs copies of the script in temporary checkouts; no database is started."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

DEV_DB = os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source", "tools", "dev-db")

# A stand-in for another checkout's TimescaleDB dev server: listens on 127.0.0.1 and prints
# its port. It is run as <checkout>/tools/tsdb-server/server.mjs, the path the real one has.
LISTENER = """
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(600)
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def expected_base(checkout):
    """The documented rule: 20000 + 2 * (POSIX cksum of the path mod 5000)."""
    crc = subprocess.run(["cksum"], input=checkout.encode(), capture_output=True, check=True)
    return 20000 + 2 * (int(crc.stdout.split()[0]) % 5000)


class DevDbPorts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def checkout(self, name):
        """A temporary checkout holding a copy of tools/dev-db; returns its path."""
        root = os.path.join(self.tmp, name)
        os.makedirs(os.path.join(root, "tools", "tsdb-server"))
        shutil.copy(DEV_DB, os.path.join(root, "tools", "dev-db"))
        os.chmod(os.path.join(root, "tools", "dev-db"), 0o755)
        return root

    def dev_db(self, root, *args, **env):
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("TSDB_")}
        full_env.update(env)
        return subprocess.run([os.path.join(root, "tools", "dev-db")] + list(args), env=full_env,
                              capture_output=True, text=True, timeout=120)

    def ports(self, root, **env):
        out = self.dev_db(root, "env", **env)
        self.assertEqual(out.returncode, 0, out.stderr)
        pg = int(re.search(r"TSDB_PG_PORT=(\d+)", out.stdout).group(1))
        ts = int(re.search(r"TSDB_TS_PORT=(\d+)", out.stdout).group(1))
        self.assertIn("port=%d " % pg, out.stdout)  # the DSN says the same
        return pg, ts

    def listen(self, script_path):
        """Starts LISTENER as `python3 script_path`; returns its port."""
        with open(script_path, "w") as f:
            f.write(LISTENER)
        proc = subprocess.Popen([sys.executable, script_path], stdout=subprocess.PIPE, text=True)
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        return int(proc.stdout.readline())

    def start_refused(self, root, **env):
        """Runs `start`, which must fail before starting anything; returns its stderr."""
        self.addCleanup(self.dev_db, root, "stop")  # in case it started something after all
        started = time.monotonic()
        out = self.dev_db(root, "start", **env)
        self.assertEqual(out.returncode, 1, out.stdout + out.stderr)
        self.assertLess(time.monotonic() - started, 60)
        status = self.dev_db(root, "status")
        self.assertIn("PostgreSQL 15: not running", status.stdout)
        self.assertIn("TimescaleDB:   not running", status.stdout)
        return out.stderr

    def test_each_checkout_has_its_own_stable_pair(self):
        a, b = self.checkout("a"), self.checkout("b")
        pg_a, ts_a = self.ports(a)
        self.assertEqual((pg_a, ts_a), (expected_base(a), expected_base(a) + 1))
        self.assertEqual(self.ports(a), (pg_a, ts_a))  # stable
        self.assertTrue(20000 <= pg_a <= 29998 and pg_a % 2 == 0, pg_a)
        pg_b, ts_b = self.ports(b)
        self.assertEqual((pg_b, ts_b), (expected_base(b), expected_base(b) + 1))
        if expected_base(a) != expected_base(b):  # 1 in 5000 path pairs share a pair
            self.assertNotEqual(pg_a, pg_b)

    def test_environment_chooses_other_ports(self):
        a = self.checkout("a")
        self.assertEqual(self.ports(a, TSDB_PG_PORT="23456", TSDB_TS_PORT="23999"), (23456, 23999))

    def test_start_names_the_other_checkout_holding_the_port_and_its_stop_command(self):
        mine, other = self.checkout("mine"), self.checkout("other")
        port = self.listen(os.path.join(other, "tools", "tsdb-server", "server.mjs"))
        err = self.start_refused(mine, TSDB_PG_PORT=str(free_port()), TSDB_TS_PORT=str(port))
        self.assertIn("port %d, where this checkout's TimescaleDB dev server would listen, is taken "
                      "by the dev databases of the checkout %s" % (port, other), err)
        self.assertIn("stop them with: %s/tools/dev-db stop" % other, err)
        suggested = re.search(r"TSDB_PG_PORT=(\d+) TSDB_TS_PORT=(\d+) %s/tools/dev-db start"
                              % re.escape(mine), err)
        self.assertIsNotNone(suggested, err)
        self.assertEqual(int(suggested.group(2)), int(suggested.group(1)) + 1)

    def test_start_names_a_foreign_process_holding_the_port(self):
        mine = self.checkout("mine")
        script = os.path.join(self.tmp, "some_server.py")
        port = self.listen(script)
        err = self.start_refused(mine, TSDB_PG_PORT=str(port), TSDB_TS_PORT=str(free_port()))
        self.assertRegex(err, r"port %d, where this checkout's PostgreSQL 15 would listen, is taken "
                              r"by process \d+ \(\S*python3?\S* %s\)" % (port, re.escape(script)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
