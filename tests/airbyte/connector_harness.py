"""Runs the Airbyte connector (//client:tsdb-source) the way the platform does and checks
every run against the Airbyte protocol, for the acceptance tests (tests/airbyte) and the
shim's end-to-end tests (tests/client).

Every run_shim() call, whatever the test asserts afterwards, checks that:
  - stdout is nothing but lines of one JSON object each, every one a valid AirbyteMessage
    (validate_messages.py), and with a catalog every RECORD valid against its stream's
    json_schema, formats and airbyte_type included;
  - the exit code is 0 without a TRACE ERROR, or 1 with exactly one TRACE ERROR, the last
    message, and no RECORD when the failure is in the inputs;
  - in a read, each STATE's sourceStats.recordCount equals the RECORDs of its stream since
    the stream's previous STATE, and no RECORD comes before its stream's STARTED status or
    after its COMPLETE status.

The databases are the dev servers of tools/dev-db (TSDB_PG_* and TSDB_TS_* variables, which
.bazelrc passes to tests). Tests create schemas with unique names and drop them.
"""
import collections
import decimal
import json
import os
import pathlib
import secrets
import socket
import subprocess
import sys
import tempfile
import time

RUNFILES = pathlib.Path(os.environ.get("TEST_SRCDIR", "")) / "tsdb_source"
SHIM = RUNFILES / "client" / "tsdb-source"
SERVER = RUNFILES / "service" / "server" / "tsdb-source-server"
AIRBYTE_DIR = RUNFILES / "third_party" / "airbyte"

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import validate_messages as vm  # noqa: E402

SERVERS = ("pg", "ts")
_PROTOCOL = {}


def protocol():
    """(protocol document, WellKnownTypes), loaded once."""
    if not _PROTOCOL:
        _PROTOCOL["loaded"] = (
            vm.load_yaml(AIRBYTE_DIR / "airbyte_protocol.yaml"),
            vm.WellKnownTypes(vm.load_yaml(AIRBYTE_DIR / "well_known_types.yaml")))
    return _PROTOCOL["loaded"]


def unique(prefix):
    """A lower-case identifier no other test run uses."""
    return "%s_%d_%s" % (prefix, os.getpid(), secrets.token_hex(3))


class Database:
    """One dev server: "pg" (PostgreSQL 15) or "ts" (TimescaleDB, one connection at a time)."""

    def __init__(self, server):
        self.server = server
        prefix = {"pg": "TSDB_PG_", "ts": "TSDB_TS_"}[server]
        env = os.environ
        missing = [prefix + k for k in ("HOST", "PORT", "DB", "USER", "PASSWORD")
                   if not env.get(prefix + k)]
        if missing:
            raise AssertionError("%s not set: run through tools/test (it starts the dev "
                                 "databases and exports their settings)" % missing)
        self.host = env[prefix + "HOST"]
        self.port = int(env[prefix + "PORT"])
        self.database = env[prefix + "DB"]
        self.user = env[prefix + "USER"]
        self.password = env[prefix + "PASSWORD"]

    @property
    def dsn(self):
        return "host=%s port=%d dbname=%s user=%s password=%s sslmode=disable" % (
            self.host, self.port, self.database, self.user, self.password)

    def sql(self, text):
        """Runs SQL with psql (closed before returning: the TimescaleDB dev server serves one
        connection at a time); returns the unaligned, tuples-only output."""
        proc = subprocess.run(
            ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.dsn],
            input=text, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise AssertionError("psql on %s failed:\n%s\n%s" % (self.server, proc.stderr, text))
        return proc.stdout

    def config(self, schemas, **extra):
        config = {
            "host": self.host, "port": self.port, "database": self.database,
            "username": self.user, "password": self.password, "schemas": list(schemas),
            "ssl_mode": {"mode": "disable"},
            # Another test may hold the TimescaleDB dev server's one connection for a while.
            "connect_timeout_seconds": 120,
        }
        config.update(extra)
        return config


class Output:
    """One run of the shim: exit code, raw streams and the parsed messages."""

    def __init__(self, args, rc, stdout, stderr):
        self.args = args
        self.rc = rc
        self.stdout = stdout  # bytes
        self.stderr = stderr  # str
        lines = vm.split_lines(stdout)
        self.messages = [json.loads(line) for line in lines]
        # Exact numbers: decimals for non-integers (ints are exact in Python anyway).
        self.exact = [json.loads(line, parse_float=decimal.Decimal) for line in lines]

    def of_type(self, kind):
        return [m for m in self.messages if m["type"] == kind]

    def records(self, stream=None):
        return [m["record"] for m in self.messages
                if m["type"] == "RECORD" and (stream is None or m["record"]["stream"] == stream)]

    def exact_records(self, stream=None):
        return [m["record"] for m in self.exact
                if m["type"] == "RECORD" and (stream is None or m["record"]["stream"] == stream)]

    def data(self, stream=None):
        return [r["data"] for r in self.records(stream)]

    def states(self, stream=None):
        return [m["state"] for m in self.messages if m["type"] == "STATE" and (
            stream is None or m["state"]["stream"]["stream_descriptor"]["name"] == stream)]

    def traces(self, kind):
        return [m["trace"] for m in self.messages
                if m["type"] == "TRACE" and m["trace"]["type"] == kind]

    def errors(self):
        return [t["error"] for t in self.traces("ERROR")]

    def statuses(self, stream):
        return [t["stream_status"]["status"] for t in self.traces("STREAM_STATUS")
                if t["stream_status"]["stream_descriptor"]["name"] == stream]

    def logs(self, level=None):
        return [m["log"]["message"] for m in self.messages
                if m["type"] == "LOG" and (level is None or m["log"]["level"] == level)]

    def describe(self):
        text = self.stdout.decode("utf-8", "replace")
        return "rc %d of %s\nstdout (%d bytes):\n%s\nstderr:\n%s" % (
            self.rc, " ".join(self.args), len(self.stdout), text[:4000], self.stderr[-4000:])


class Shim:
    """Runs the shim in a temporary directory; writes input files there."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.dir = pathlib.Path(self._tmp.name)
        self._count = 0

    def close(self):
        self._tmp.cleanup()

    def write(self, name, content):
        """Writes `content` (str, bytes, or a value to serialize as JSON); returns the path."""
        path = self.dir / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content if isinstance(content, str) else json.dumps(content),
                            encoding="utf-8")
        return str(path)

    def run(self, *args, expect_rc=0, catalog=None, server=None, input_error=None, env=None,
            records_on_sockets=False):
        """Runs `tsdb-source args...` and checks its output (see the module comment).

        catalog: the configured catalog (a dict) whose json_schemas validate the RECORDs;
          by default the one named by --catalog, when the file parses.
        server: HOST:PORT of a running tsdb-source-server (--server).
        input_error: True when the run must fail on its inputs (no RECORD at all); by
          default, any rc 1 run of read that printed no STARTED status.
        env: variables added to the shim's environment (speed mode's DATA_CHANNEL_*).
        records_on_sockets: speed mode: RECORDs went to sockets, so the recordCount of a
          STATE on stdout is its partition's, which the caller checks against the sockets.
        """
        cmd = [str(SHIM)] + [str(a) for a in args] + (["--server", server] if server else [])
        proc = subprocess.run(cmd, capture_output=True, timeout=600,
                              env=None if env is None else {**os.environ, **env})
        stderr = proc.stderr.decode("utf-8", "replace")
        if catalog is None and "--catalog" in args:
            try:
                catalog = json.loads(pathlib.Path(args[list(args).index("--catalog") + 1])
                                     .read_text(encoding="utf-8"))
            except (OSError, ValueError, IndexError, RecursionError):
                catalog = None
        self._check_lines(cmd, proc.stdout, stderr, catalog)
        out = Output(cmd[1:], proc.returncode, proc.stdout, stderr)
        if expect_rc is not None and out.rc != expect_rc:
            raise AssertionError("expected rc %d\n%s" % (expect_rc, out.describe()))
        check_run(out, input_error, records_on_sockets)
        return out

    @staticmethod
    def _check_lines(cmd, stdout, stderr, catalog):
        protocol_doc, well_known = protocol()
        catalog_obj = None
        if catalog is not None:
            try:
                catalog_obj = vm.Catalog(catalog, protocol_doc, well_known)
            except vm.UsageError:
                catalog_obj = None  # an invalid catalog on purpose: messages only
        validator = vm.Validator(protocol_doc, catalog_obj)
        if stdout and not stdout.endswith(b"\n"):
            raise AssertionError("stdout of %s does not end with a newline" % cmd)
        problems = []
        validator.validate_stream(vm.split_lines(stdout), problems.append, 20)
        if problems:
            raise AssertionError("%s printed invalid Airbyte output:\n%s\nstdout:\n%s\nstderr:\n%s" % (
                " ".join(cmd[1:]), "\n".join(problems), stdout.decode("utf-8", "replace")[:3000],
                stderr[-2000:]))


def check_run(out, input_error=None, records_on_sockets=False):
    """The protocol rules of a whole run (see the module comment)."""
    errors = out.traces("ERROR")
    if out.rc == 0:
        if errors:
            raise AssertionError("a TRACE ERROR in a successful run\n" + out.describe())
    elif out.rc == 1:
        if len(errors) != 1:
            raise AssertionError("a failed run must print exactly one TRACE ERROR, got %d\n%s" % (
                len(errors), out.describe()))
        if out.messages[-1]["type"] != "TRACE" or out.messages[-1]["trace"]["type"] != "ERROR":
            raise AssertionError("the TRACE ERROR must be the last message\n" + out.describe())
        if input_error is None:
            input_error = not out.traces("STREAM_STATUS")
        if input_error and out.of_type("RECORD"):
            raise AssertionError("RECORDs before an input error\n" + out.describe())
    else:
        raise AssertionError("exit code must be 0 or 1\n" + out.describe())
    # Per-stream bookkeeping of a read.
    since_state = collections.Counter()
    status = {}
    for m in out.messages:
        if m["type"] == "TRACE" and m["trace"]["type"] == "STREAM_STATUS":
            s = m["trace"]["stream_status"]
            status[_key(s["stream_descriptor"])] = s["status"]
        elif m["type"] == "RECORD":
            key = (m["record"].get("namespace"), m["record"]["stream"])
            if status.get(key) not in ("STARTED", "RUNNING"):
                raise AssertionError("RECORD of %s while its status is %s\n%s" % (
                    key, status.get(key), out.describe()))
            since_state[key] += 1
        elif m["type"] == "STATE" and records_on_sockets:
            continue
        elif m["type"] == "STATE" and m["state"].get("type") == "GLOBAL":
            # CDC: one state for all captured streams; its count covers all of them.
            state = m["state"]
            keys = [_key(s["stream_descriptor"]) for s in state["global"]["stream_states"]]
            count = state.get("sourceStats", {}).get("recordCount")
            total = sum(since_state[k] for k in keys)
            if count != total:
                raise AssertionError("GLOBAL STATE says recordCount %s, %d RECORDs of its streams "
                                     "since the previous STATE\n%s" % (count, total, out.describe()))
            for k in keys:
                since_state[k] = 0
        elif m["type"] == "STATE":
            state = m["state"]
            if state.get("type") != "STREAM":
                raise AssertionError("a STATE that is not of type STREAM or GLOBAL: %s" % state)
            key = _key(state["stream"]["stream_descriptor"])
            count = state.get("sourceStats", {}).get("recordCount")
            if count != since_state[key]:
                raise AssertionError("STATE of %s says recordCount %s, %d RECORDs since its "
                                     "previous STATE\n%s" % (key, count, since_state[key],
                                                             out.describe()))
            since_state[key] = 0


def _key(descriptor):
    return (descriptor.get("namespace"), descriptor["name"])


def configured_catalog(catalog, names=None, sync_mode="full_refresh", cursor=None,
                       destination_sync_mode=None):
    """A ConfiguredAirbyteCatalog of the discovered streams named in `names` (all by
    default), as the platform builds it. cursor: {stream name: column} for incremental."""
    streams = []
    for stream in catalog["streams"]:
        if names is not None and stream["name"] not in names:
            continue
        entry = {"stream": stream, "sync_mode": sync_mode,
                 "destination_sync_mode": destination_sync_mode or (
                     "append" if sync_mode == "incremental" else "overwrite"),
                 "primary_key": stream.get("source_defined_primary_key", [])}
        if sync_mode == "incremental":
            column = (cursor or {}).get(stream["name"])
            if column is None:
                column = stream.get("default_cursor_field", [None])[0]
            if column is None:
                raise AssertionError("stream %s needs a cursor" % stream["name"])
            entry["cursor_field"] = [column]
        streams.append(entry)
    if names is not None and len(streams) != len(names):
        raise AssertionError("streams %s not all discovered: %s" % (
            names, [s["name"] for s in catalog["streams"]]))
    return {"streams": streams}


def state_input(out, with_namespace=True):
    """The state the platform passes to the next read: the last STATE of each stream (the
    last GLOBAL state, for CDC)."""
    globals_ = [m["state"] for m in out.of_type("STATE") if m["state"].get("type") == "GLOBAL"]
    if globals_:
        return [globals_[-1]]
    latest = collections.OrderedDict()
    for state in out.states():
        latest[_key(state["stream"]["stream_descriptor"])] = state
    result = []
    for (namespace, name), state in latest.items():
        descriptor = {"name": name}
        if with_namespace and namespace is not None:
            descriptor["namespace"] = namespace
        result.append({"type": "STREAM", "stream": {
            "stream_descriptor": descriptor, "stream_state": state["stream"]["stream_state"]}})
    return result


class RemoteServer:
    """A tsdb-source-server on a free local port, for --server runs."""

    def __init__(self, *flags):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.target = "127.0.0.1:%d" % self.port
        self.proc = subprocess.Popen([str(SERVER), "--listen", self.target] + list(flags),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise AssertionError("tsdb-source-server exited: %s" % self.proc.stderr.read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.close()
                    raise AssertionError("tsdb-source-server did not listen on %s" % self.target)
                time.sleep(0.05)

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()


def without_emitted_at(messages):
    """Messages with every emitted_at removed (the only field allowed to differ between two
    runs of the same read)."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "emitted_at"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value
    return [strip(m) for m in messages]
