"""End-to-end tests of the Airbyte shim (//client:tsdb-source) against the real servers:
commands, exit codes, stdout hygiene, emitted_at, and `--server` giving the in-process
output. Every line the shim prints is validated against the Airbyte protocol schema (and
RECORDs against their stream's schema) by tests/airbyte/connector_harness.py.
"""
import fcntl
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
import threading
import time
import unittest

import jsonschema

sys.path.insert(0, os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source", "tests",
                                "airbyte"))
import connector_harness as h  # noqa: E402

SECRET = "Sup3r-Secret-Pa55word"

FIXTURES = {
    "pg": """
        CREATE SCHEMA {s};
        CREATE TABLE {s}.t (id bigint PRIMARY KEY, at timestamptz NOT NULL, n numeric,
                            j jsonb, a text[], b bytea, f real);
        INSERT INTO {s}.t SELECT i, '2024-01-01'::timestamptz + i * interval '1 hour',
                                 i * 1.25, jsonb_build_object('i', i), ARRAY['x' || i, NULL],
                                 int4send(i), i / 3.0
                          FROM generate_series(1, 50) i;
        CREATE TABLE {s}.p (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
        CREATE TABLE {s}.p1 PARTITION OF {s}.p FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
        CREATE TABLE {s}.p2 PARTITION OF {s}.p FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
        INSERT INTO {s}.p VALUES ('2024-01-05', 1), ('2024-02-05', 2);
    """,
    "ts": """
        CREATE SCHEMA {s};
        CREATE TABLE {s}.h (time timestamptz NOT NULL, d int NOT NULL, v float8, n numeric);
        SELECT create_hypertable('{s}.h', 'time', chunk_time_interval => interval '1 day');
        INSERT INTO {s}.h SELECT '2024-01-01'::timestamptz + i * interval '3 hours', i % 4,
                                 i * 0.25, i FROM generate_series(0, 39) i;
        ALTER TABLE {s}.h SET (timescaledb.compress);
        SELECT count(compress_chunk(c)) FROM show_chunks('{s}.h',
                                                         older_than => '2024-01-03'::timestamptz) c;
        CREATE TABLE {s}.plain (id int PRIMARY KEY, name text);
        INSERT INTO {s}.plain VALUES (1, 'one'), (2, 'two');
    """,
}


class ShimBase(unittest.TestCase):
    schemas = {}

    @classmethod
    def setUpClass(cls):
        for server in h.SERVERS:
            db = h.Database(server)
            schema = h.unique("shim_" + server)
            cls.addClassCleanup(db.sql, "DROP SCHEMA IF EXISTS %s CASCADE;" % schema)
            db.sql(FIXTURES[server].format(s=schema))
            cls.schemas[server] = schema

    def setUp(self):
        self.shim = h.Shim()

    def tearDown(self):
        self.shim.close()

    def config(self, server, **extra):
        return self.shim.write("config_%s.json" % server,
                               h.Database(server).config([self.schemas[server]], **extra))

    def catalog(self, server, sync_mode="full_refresh", names=None):
        out = self.shim.run("discover", "--config", self.config(server))
        catalog = out.of_type("CATALOG")[0]["catalog"]
        return self.shim.write("catalog_%s.json" % server, h.configured_catalog(
            catalog, names=names, sync_mode=sync_mode,
            cursor={"plain": "id", "h": "time", "t": "at", "p": "ts"}))


class Commands(ShimBase):
    def test_spec_is_one_valid_message_and_accepts_configs(self):
        out = self.shim.run("spec")
        self.assertEqual([m["type"] for m in out.messages], ["SPEC"])
        spec = out.messages[0]["spec"]["connectionSpecification"]
        jsonschema.Draft7Validator.check_schema(spec)
        validator = jsonschema.Draft7Validator(spec)
        for server in h.SERVERS:
            validator.validate(json.load(open(self.config(server))))
        cdc = dict(h.Database("pg").config(["public"]),
                   replication_method={"method": "CDC", "replication_slot": "s", "publication": "p"})
        validator.validate(cdc)
        self.assertFalse(validator.is_valid(dict(cdc, timescaledb_max_concurrent_chunks=11)))
        self.assertFalse(validator.is_valid(dict(cdc, port="5432")))

    def test_check_succeeds_on_both_servers(self):
        for server in h.SERVERS:
            out = self.shim.run("check", "--config", self.config(server))
            self.assertEqual(len(out.messages), 1)
            self.assertEqual(out.messages[0]["connectionStatus"]["status"], "SUCCEEDED")

    def test_wrong_password_is_failed_status_without_the_password(self):
        out = self.shim.run("check", "--config", self.config("pg", password=SECRET))
        self.assertEqual(len(out.messages), 1)
        status = out.messages[0]["connectionStatus"]
        self.assertEqual(status["status"], "FAILED")
        self.assertIn("password", status["message"])
        self.assertNotIn(SECRET, out.stdout.decode() + out.stderr)

    def test_invalid_config_value_is_a_failed_check(self):
        out = self.shim.run("check", "--config", self.config(
            "pg", timescaledb_chunk_discovery_interval_minutes=0))
        status = out.messages[0]["connectionStatus"]
        self.assertEqual(status["status"], "FAILED")
        self.assertIn("timescaledb_chunk_discovery_interval_minutes", status["message"])

    def test_exit_codes(self):
        for server in h.SERVERS:
            config = self.config(server)
            self.assertEqual(self.shim.run("spec").rc, 0)
            self.assertEqual(self.shim.run("check", "--config", config).rc, 0)
            self.assertEqual(self.shim.run("discover", "--config", config).rc, 0)
            self.assertEqual(self.shim.run("read", "--config", config,
                                           "--catalog", self.catalog(server)).rc, 0)
        # A failed check is a normal answer (0); failures are 1 with one TRACE ERROR.
        self.assertEqual(self.shim.run("check", "--config", self.config("pg", port=1)).rc, 0)
        self.assertEqual(self.shim.run("discover", "--config", self.config("pg", port=1),
                                       expect_rc=1).errors()[0]["failure_type"],
                         "transient_error")
        self.shim.run("frobnicate", expect_rc=1)
        self.shim.run("check", expect_rc=1)

    def test_read_failing_mid_way_is_incomplete_and_one_trace_error(self):
        # A reader that may not read the second partition: the first one's records and
        # checkpoint come out, then the stream is INCOMPLETE and one TRACE ERROR ends the run.
        db = h.Database("pg")
        schema = self.schemas["pg"]
        role = h.unique("shim_reader")
        db.sql("""
            CREATE TABLE {s}.locked (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
            CREATE TABLE {s}.locked_1 PARTITION OF {s}.locked
              FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
            CREATE TABLE {s}.locked_2 PARTITION OF {s}.locked
              FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
            INSERT INTO {s}.locked VALUES ('2024-01-05', 1), ('2024-02-05', 2);
            CREATE ROLE {r} LOGIN PASSWORD 'reader';
            GRANT USAGE ON SCHEMA {s} TO {r};
            GRANT SELECT ON {s}.locked, {s}.locked_1 TO {r};
            """.format(s=schema, r=role))
        try:
            config = self.config("pg", username=role, password="reader")
            out = self.shim.run("discover", "--config", config)
            catalog = self.shim.write("locked.json", h.configured_catalog(
                out.of_type("CATALOG")[0]["catalog"], names=["locked"]))
            out = self.shim.run("read", "--config", config, "--catalog", catalog, expect_rc=1)
        finally:
            db.sql("DROP TABLE {s}.locked; DROP OWNED BY {r}; DROP ROLE {r};".format(
                s=schema, r=role))
        self.assertEqual([d["v"] for d in out.data("locked")], [1])
        self.assertEqual(len(out.states("locked")), 1)
        self.assertEqual(out.statuses("locked"), ["STARTED", "RUNNING", "INCOMPLETE"])
        self.assertIn("permission denied", out.errors()[0]["message"])
        self.assertEqual(out.errors()[0]["failure_type"], "config_error")

    def test_read_through_a_server_that_went_away(self):
        server = h.RemoteServer()
        try:
            catalog = self.catalog("pg")
            config = self.config("pg")
            out = self.shim.run("read", "--config", config, "--catalog", catalog,
                                server=server.target)
            self.assertTrue(out.records())
        finally:
            server.close()
        out = self.shim.run("read", "--config", config, "--catalog", catalog,
                            server=server.target, expect_rc=1)
        self.assertEqual(out.errors()[0]["failure_type"], "transient_error")
        self.assertEqual(out.messages[0]["type"], "TRACE")
        self.assertEqual(out.records(), [])

    def test_emitted_at_is_epoch_milliseconds_of_the_run(self):
        before = int(time.time() * 1000)
        out = self.shim.run("read", "--config", self.config("ts"), "--catalog", self.catalog("ts"))
        after = int(time.time() * 1000)
        stamps = [r["emitted_at"] for r in out.records()]
        stamps += [t["emitted_at"] for t in out.traces("STREAM_STATUS") + out.traces("ESTIMATE")]
        self.assertTrue(stamps)
        for stamp in stamps:
            self.assertIsInstance(stamp, int)
            self.assertGreaterEqual(stamp, before)
            self.assertLessEqual(stamp, after)
        records = [r["emitted_at"] for r in out.records()]
        self.assertEqual(records, sorted(records))

    def test_stdout_holds_only_messages_even_with_verbose_libraries(self):
        # gRPC's and libpq's own logging goes to stderr, never between the JSON lines.
        env = dict(os.environ, GRPC_VERBOSITY="DEBUG", GRPC_TRACE="api,channel")
        for args in (["spec"], ["check", "--config", self.config("pg", port=1)],
                     ["read", "--config", self.config("ts"), "--catalog", self.catalog("ts")]):
            proc = subprocess.run([str(h.SHIM)] + args, capture_output=True, env=env, timeout=120)
            lines = proc.stdout.split(b"\n")
            self.assertEqual(lines[-1], b"")
            for line in lines[:-1]:
                message = json.loads(line)
                self.assertIsInstance(message, dict)
                self.assertIn("type", message)


class Help(unittest.TestCase):
    """--help and -h print the usage on stdout and exit 0; Airbyte commands are unchanged."""

    def test_help_prints_usage_on_stdout_and_exits_0(self):
        for args in (["--help"], ["-h"], ["read", "--help"], ["check", "--config", "c.json", "-h"]):
            proc = subprocess.run([str(h.SHIM)] + args, capture_output=True, timeout=60)
            self.assertEqual(proc.returncode, 0, args)
            self.assertEqual(proc.stderr, b"", args)
            text = proc.stdout.decode()
            self.assertTrue(text.startswith("tsdb-source: the Airbyte source connector"), text)
            for part in ("usage:", "spec", "check --config F", "discover --config F",
                         "read --config F --catalog F [--state F]", "--server H:P", "--tls",
                         "--ca-file F", "--cert-file F", "--token-file F", "default:", "example:"):
                self.assertIn(part, text, args)
            self.assertNotIn('"type"', text)  # no Airbyte message

    def test_a_file_named_like_the_flag_is_a_file(self):
        # `--config -h` names a file: the command runs (and fails on the missing file).
        shim = h.Shim()
        try:
            out = shim.run("check", "--config", "-h", expect_rc=1)
        finally:
            shim.close()
        self.assertIn("'-h'", out.errors()[0]["message"])


def normalized(stdout):
    """stdout bytes with what differs between any two runs replaced: emitted_at, and the
    durations in LOG texts."""
    stdout = re.sub(rb'"emitted_at":[0-9]+', b'"emitted_at":0', stdout)
    return re.sub(rb"[0-9.e+-]+ s\b", b"<t> s", stdout)


class Terminal(ShimBase):
    """A read whose stderr is a terminal shows its progress there, and stdout stays the same."""

    ROWS = 10000

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # About 2 s to read: 10 pauses of 0.2 s spread over the rows (batches of 4096 rows
        # reach the shim about 0.8 s apart).
        h.Database("pg").sql("""
            CREATE VIEW {s}.slow AS SELECT g AS id, 'row ' || g AS note
              FROM generate_series(1, {rows}) g WHERE g % 1000 <> 0 OR pg_sleep(0.2) IS NOT NULL;
            CREATE VIEW {s}.failing AS SELECT g AS id FROM {s}.slow s(g)
              WHERE CASE WHEN g = {rows} THEN 1 / (g - g) ELSE 1 END = 1;
            """.format(s=cls.schemas["pg"], rows=cls.ROWS))

    def run_on_terminal(self, args, stdout_too=False):
        """Runs the shim with stderr (and stdout, with stdout_too) on a new pseudo-terminal of
        200 columns; returns (rc, stdout bytes, terminal bytes)."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
        chunks = []

        def drain():
            while True:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: every writer closed the terminal
                    return
                if not data:
                    return
                chunks.append(data)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        try:
            proc = subprocess.Popen([str(h.SHIM)] + args, stdin=subprocess.DEVNULL,
                                    stdout=slave if stdout_too else subprocess.PIPE, stderr=slave)
            os.close(slave)
            stdout = b"" if stdout_too else proc.stdout.read()
            rc = proc.wait(timeout=600)
            reader.join(timeout=30)
        finally:
            os.close(master)
        return rc, stdout, b"".join(chunks)

    def test_progress_on_a_terminal_and_the_same_stdout(self):
        args = ["read", "--config", self.config("pg"), "--catalog",
                self.catalog("pg", names=["slow"])]
        plain = self.shim.run(*args)  # stderr is a pipe: validated Airbyte output
        self.assertEqual(len(plain.records()), self.ROWS)
        self.assertNotIn("\r", plain.stderr)
        self.assertNotIn("done:", plain.stderr)

        rc, stdout, terminal = self.run_on_terminal(args)
        self.assertEqual(rc, 0, terminal)
        self.assertEqual(normalized(stdout), normalized(plain.stdout))
        self.assertNotIn(b"\r", stdout)
        text = terminal.decode()
        # At least two updates of one line (rewritten with \r, no newline between them),
        # then the summary, ended by the only newline (the terminal shows it as \r\n).
        updates = re.findall(r"\r\[\d+:\d\d\] stream 1/1 %s\.slow: [\d,]+ rows, [\d,]+ rows/s"
                             % self.schemas["pg"], text)
        self.assertGreaterEqual(len(updates), 2, repr(text))
        self.assertRegex(text, r"\rdone: 1 of 1 stream, 10,000 rows in [\d.]+ s \([\d,]+ rows/s\) *\r\n$")
        self.assertEqual(text.count("\n"), 1, repr(text))

    def test_no_progress_when_stdout_is_the_terminal_too(self):
        args = ["read", "--config", self.config("pg"), "--catalog",
                self.catalog("pg", names=["slow"])]
        rc, _, terminal = self.run_on_terminal(args, stdout_too=True)
        self.assertEqual(rc, 0)
        text = terminal.decode()
        self.assertEqual(text.count('"type":"RECORD"'), self.ROWS)
        self.assertFalse("done:" in text or "\r[" in text, text[:300] + " ... " + text[-300:])

    def test_a_failed_read_erases_the_line_before_its_error(self):
        # The view fails at its last rows, about 2 s in: the line was shown by then.
        args = ["read", "--config", self.config("pg"), "--catalog",
                self.catalog("pg", names=["failing"])]
        rc, stdout, terminal = self.run_on_terminal(args)
        self.assertEqual(rc, 1)
        self.assertIn(b'"failure_type"', stdout.splitlines()[-1])
        text = terminal.decode()
        self.assertNotIn("done:", text)
        # The last progress line, then spaces over it, then the error on a clean line.
        self.assertRegex(text, r"\r\[\d+:\d\d\] stream 1/1 [^\r\n]*\r +\rtsdb-source: read failed: ")

def comparable(out):
    """Messages of a run with what may differ between two runs removed: emitted_at, and
    durations in LOG texts."""
    messages = h.without_emitted_at(out.messages)
    for m in messages:
        if m["type"] == "LOG":
            m["log"]["message"] = re.sub(r"[0-9.e+-]+ s\b", "<t> s", m["log"]["message"])
    return messages


class RemoteServer(ShimBase):
    """`--server HOST:PORT` prints what the in-process service prints."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = h.RemoteServer()
        cls.addClassCleanup(cls.server.close)

    def same(self, *args, **kwargs):
        local = self.shim.run(*args, **kwargs)
        remote = self.shim.run(*args, server=self.server.target, **kwargs)
        self.assertEqual(comparable(local), comparable(remote), args)
        self.assertEqual(local.rc, remote.rc)
        return local

    def test_spec_check_and_discover(self):
        self.same("spec")
        for server in h.SERVERS:
            self.same("check", "--config", self.config(server))
            self.same("check", "--config", self.config(server, password=SECRET))
            self.same("discover", "--config", self.config(server))

    def test_full_refresh_and_incremental_reads(self):
        for server in h.SERVERS:
            config = self.config(server)
            out = self.same("read", "--config", config, "--catalog", self.catalog(server))
            self.assertTrue(out.records())
            catalog = self.catalog(server, sync_mode="incremental")
            first = self.same("read", "--config", config, "--catalog", catalog)
            state = self.shim.write("state.json", h.state_input(first))
            second = self.same("read", "--config", config, "--catalog", catalog, "--state", state)
            self.assertTrue(second.records())

    def test_errors(self):
        config = self.config("pg")
        ghost = self.shim.write("ghost.json", {"streams": [{
            "stream": {"name": "ghost", "namespace": self.schemas["pg"],
                       "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh"]},
            "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]})
        out = self.same("read", "--config", config, "--catalog", ghost)
        self.assertEqual(out.statuses("ghost"), ["INCOMPLETE"])
        with open(self.catalog("pg", sync_mode="incremental")) as f:
            catalog = json.load(f)
        catalog["streams"][0]["cursor_field"] = ["no_such_column"]
        bad_cursor = self.shim.write("bad_cursor.json", catalog)
        out = self.same("read", "--config", config, "--catalog", bad_cursor, expect_rc=1)
        self.assertIn("no_such_column", out.errors()[0]["message"])
        self.same("discover", "--config", self.config("pg", port=1), expect_rc=1)

    def test_unreachable_server_is_a_transient_error(self):
        out = self.shim.run("check", "--config", self.config("pg"), server="127.0.0.1:1",
                            expect_rc=1)
        self.assertEqual(out.errors()[0]["failure_type"], "transient_error")
        self.assertEqual(len(out.messages), 1)


class SecureServer(ShimBase):
    """`--server` with `--tls --ca-file` and `--token-file`, where the server asks for them."""

    TOKEN = "tok-" + "7" * 24

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki = h.Shim()
        cls.addClassCleanup(cls.pki.close)

        def openssl(*args):
            subprocess.run(["openssl"] + list(args), cwd=cls.pki.dir, check=True,
                           capture_output=True, timeout=60)
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ("ca", "other-ca"):
            openssl("req", "-x509", *ec, "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2",
                    "-subj", "/CN=tsdb-source shim test " + ca,
                    "-addext", "basicConstraints=critical,CA:TRUE",
                    "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        openssl("req", "-new", *ec, "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=server")
        cls.pki.write("server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                    "extendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "server.ext")
        # A client certificate of the CA, for the mutual-TLS server below.
        openssl("req", "-new", *ec, "-keyout", "client.key", "-out", "client.csr",
                "-subj", "/CN=shim")
        cls.pki.write("client.ext", "extendedKeyUsage=clientAuth\n")
        openssl("x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "client.pem", "-days", "2", "-extfile", "client.ext")
        tokens = cls.pki.write("tokens", cls.TOKEN + "\n")
        cls.server = h.RemoteServer("--tls_cert", str(cls.pki.dir / "server.pem"),
                                    "--tls_key", str(cls.pki.dir / "server.key"),
                                    "--token_file", tokens)
        cls.addClassCleanup(cls.server.close)

    def secure(self, ca="ca.pem", token=None):
        args = ["--tls", "--ca-file", str(self.pki.dir / ca)]
        if token is not None:
            args += ["--token-file", self.shim.write("token", token + "\n")]
        return args

    def test_tls_and_token_give_the_in_process_output(self):
        for server in h.SERVERS:
            config = self.config(server)
            catalog = self.catalog(server)
            for args in (["spec"], ["check", "--config", config],
                         ["discover", "--config", config],
                         ["read", "--config", config, "--catalog", catalog]):
                local = self.shim.run(*args)
                remote = self.shim.run(*(args + self.secure(token=self.TOKEN)),
                                       server=self.server.target)
                self.assertEqual(comparable(local), comparable(remote), args)

    def test_a_wrong_or_missing_token_is_one_config_error(self):
        for token in ("not-the-token", None):
            out = self.shim.run("check", "--config", self.config("pg"),
                                *self.secure(token=token), server=self.server.target,
                                expect_rc=1)
            self.assertEqual(len(out.messages), 1)
            self.assertEqual(out.errors()[0]["failure_type"], "config_error")
            self.assertNotIn("not-the-token", out.stdout.decode() + out.stderr)

    def test_an_untrusted_certificate_or_plaintext_is_one_transient_error(self):
        for args in (self.secure(ca="other-ca.pem", token=self.TOKEN), []):
            out = self.shim.run("spec", *args, server=self.server.target, expect_rc=1)
            self.assertEqual(len(out.messages), 1)
            self.assertEqual(out.errors()[0]["failure_type"], "transient_error")

    def test_mutual_tls_with_a_client_certificate(self):
        server = h.RemoteServer("--tls_cert", str(self.pki.dir / "server.pem"),
                                "--tls_key", str(self.pki.dir / "server.key"),
                                "--client_ca", str(self.pki.dir / "ca.pem"))
        try:
            tls = ["--tls", "--ca-file", str(self.pki.dir / "ca.pem")]
            local = self.shim.run("spec")
            remote = self.shim.run("spec", *tls, "--cert-file", str(self.pki.dir / "client.pem"),
                                   "--key-file", str(self.pki.dir / "client.key"), server=server.target)
            self.assertEqual(comparable(local), comparable(remote))
            # Without a client certificate the server refuses the handshake.
            refused = self.shim.run("spec", *tls, server=server.target, expect_rc=1)
            self.assertEqual(len(refused.messages), 1)
            # Half of the pair is a usage error.
            half = self.shim.run("spec", *tls, "--cert-file", str(self.pki.dir / "client.pem"),
                                 server=server.target, expect_rc=1, input_error=True)
            self.assertIn("--key-file", half.errors()[0]["message"])
        finally:
            server.close()

    def test_a_missing_ca_file_is_one_trace_error_naming_it(self):
        missing = str(self.pki.dir / "nowhere.pem")
        out = self.shim.run("spec", "--tls", "--ca-file", missing, server=self.server.target,
                            expect_rc=1, input_error=True)
        self.assertIn(missing, out.errors()[0]["message"])
        self.assertIn("CA file", out.errors()[0]["message"])
        self.assertEqual(out.errors()[0]["failure_type"], "config_error")


if __name__ == "__main__":
    unittest.main(verbosity=2)
