"""Test support for tests/server: real tsdb-source-server processes on loopback, the
Python stubs made by tools/gen-clients, and SQL on the dev databases through psql.

Run by Bazel (run_python_test.sh) with the TSDB_* variables of tools/dev-db. A missing
database or tool is a test failure, never a skip.
"""
import atexit
import os
import queue
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import threading
import time

RUNFILES = os.environ.get("TEST_SRCDIR", "") + "/tsdb_source"
SERVER = os.path.join(RUNFILES, "service/server/tsdb-source-server")
GEN_CLIENTS = os.path.join(RUNFILES, "tools/gen-clients")
TEST_PROTOS = os.path.join(RUNFILES, "tests/server/protos")
TMP = os.environ.get("TEST_TMPDIR") or os.environ.get("TMPDIR", "/tmp")
PSQL = shutil.which("psql") or "/usr/lib/postgresql/15/bin/psql"
APPLICATION_NAME = "tsdb-source"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|WARN|ERROR) event=\S+( \S+=(\S+|\"([^\"\\]|\\.)*\"))*$")


def random_suffix(n=10):
    return "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def _generate_stubs():
    """Python stubs of the contract (via tools/gen-clients) and of the test protos."""
    out = os.path.join(TMP, "gen-%d" % os.getpid())
    subprocess.run([GEN_CLIENTS, "--out", out, "python"], check=True, capture_output=True, text=True)
    python = os.path.join(out, "python")
    protos = []
    for root, _, files in os.walk(TEST_PROTOS):
        protos += [os.path.relpath(os.path.join(root, f), TEST_PROTOS) for f in files if f.endswith(".proto")]
    subprocess.run(["protoc", "-I" + TEST_PROTOS, "-I/usr/include", "--python_out=" + python] + sorted(protos),
                   check=True, capture_output=True, text=True)
    sys.path.insert(0, python)
    return python


GENERATED = _generate_stubs()

import grpc  # noqa: E402  (after the stubs exist)
from google.protobuf import json_format  # noqa: E402
from grpc_std import status_pb2  # noqa: E402
from tsdb_source.v1 import catalog_pb2, config_pb2, source_service_pb2, source_service_pb2_grpc  # noqa: E402,F401


# ---- databases ----

def db_env(server="pg"):
    prefix = {"pg": "TSDB_PG_", "ts": "TSDB_TS_"}[server]
    missing = [prefix + k for k in ("HOST", "PORT", "DB", "USER", "PASSWORD") if not os.environ.get(prefix + k)]
    if missing:
        raise AssertionError("%s not set: run through tools/test (it starts the dev databases)" % missing)
    return {k: os.environ[prefix + k] for k in ("HOST", "PORT", "DB", "USER", "PASSWORD")}


def config_dict(server="pg", schemas=None, **overrides):
    env = db_env(server)
    config = {"host": env["HOST"], "port": int(env["PORT"]), "database": env["DB"],
              "username": env["USER"], "password": env["PASSWORD"], "ssl_mode": {"mode": "disable"}}
    if schemas:
        config["schemas"] = schemas
    config.update(overrides)
    return config


def config_message(server="pg", schemas=None, **overrides):
    return json_format.ParseDict(config_dict(server, schemas, **overrides), config_pb2.SourceConfig())


def psql(sql, server="pg", timeout=300):
    """Runs `sql` (several statements allowed) as the dev database's user; returns stdout
    (unaligned, tuples only, '|'-separated)."""
    env = db_env(server)
    proc = subprocess.run(
        [PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", env["HOST"], "-p", env["PORT"],
         "-U", env["USER"], "-d", env["DB"], "-c", sql],
        env=dict(os.environ, PGPASSWORD=env["PASSWORD"], PGSSLMODE="disable", PGAPPNAME="tsdb-server-test"),
        capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError("psql failed (%s): %s" % (sql[:200], proc.stderr))
    return proc.stdout.strip()


def server_backends(marker):
    """(pid, state, query) of the server's PostgreSQL 15 backends whose query mentions `marker`."""
    out = psql("SELECT pid, state, left(query, 200) FROM pg_stat_activity "
               "WHERE application_name = '%s' AND query LIKE '%%%s%%'" % (APPLICATION_NAME, marker))
    return [line.split("|", 2) for line in out.splitlines() if line]


_created = set()


def test_data(create, drop):
    """Runs `create` once per process and `drop` at exit. (tests/testing/xml_unittest.py
    loads a test file without registering it in sys.modules, so unittest would never call
    its setUpModule / tearDownModule.)"""
    if create not in _created:
        _created.add(create)
        atexit.register(drop)
        create()


def wait_for(predicate, timeout, what, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))


# ---- server processes ----

class Server:
    """A tsdb-source-server on 127.0.0.1 with a free port (--listen 127.0.0.1:0); its
    stderr lines are collected (self.lines) and kept in a file."""

    def __init__(self, *flags, expect_start=True):
        self.flags = list(flags)
        self.log_path = os.path.join(TMP, "server-%s.log" % random_suffix())
        self.lines = []
        self._queue = queue.Queue()
        args = [SERVER] + ([] if any(f.startswith("--listen") for f in flags) else ["--listen", "127.0.0.1:0"])
        self.proc = subprocess.Popen(args + self.flags, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = None
        if expect_start:
            line = self.wait_line("event=server_start", timeout=30)
            self.port = int(re.search(r" port=(\d+)", line).group(1))
        self.address = "127.0.0.1:%s" % self.port

    def _read(self):
        with open(self.log_path, "w") as log:
            for line in self.proc.stderr:
                log.write(line)
                log.flush()
                self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_line(self, needle, timeout=30):
        """The first stderr line (from now or already seen) containing `needle`."""
        for line in self.lines:
            if needle in line:
                return line
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("server never logged %r; log:\n%s" % (needle, self.text()))
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError("server exited (rc %s) without logging %r; log:\n%s"
                                     % (self.proc.poll(), needle, self.text()))
            self.lines.append(line)
            if needle in line:
                return line

    def drain(self):
        while True:
            try:
                line = self._queue.get_nowait()
            except queue.Empty:
                return
            if line is None:
                return
            self.lines.append(line)

    def text(self):
        self.drain()
        return "\n".join(self.lines)

    def signal(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)

    def wait(self, timeout=60):
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=10)
        self.drain()
        return rc

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=10)
        self.drain()

    def stub(self, credentials=None, target=None):
        target = target or self.address
        channel = grpc.secure_channel(target, credentials) if credentials else grpc.insecure_channel(target)
        return channel, source_service_pb2_grpc.SourceServiceStub(channel)


def reason_of(error):
    return dict(error.trailing_metadata() or ()).get("tsdb-source-reason")


def status_details(error):
    """(google.rpc.Status, ErrorInfo or None) decoded from grpc-status-details-bin."""
    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if raw is None:
        return None, None
    status = status_pb2.Status.FromString(raw)
    for detail in status.details:
        info = status_pb2.ErrorInfo()
        if detail.Unpack(info):
            return status, info
    return status, None
