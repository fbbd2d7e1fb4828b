"""The SSH tunnel (tunnel_method, as Airbyte's Postgres source spells it) through a real
bastion: Debian's sshd on loopback (tests/testing/bastion.py), started by this test.

The database's host in the configs is bastion.DB_ALIAS, a name that resolves only inside
the bastion's mount namespace: the shim cannot reach the database directly (the first test
shows it), so every check, discover and read that succeeds went through the tunnel, and
sshd's log names each direct-tcpip forward it served. Failures (bastion unreachable or
silent, wrong key, wrong password, unreadable key, a host key that changed or is not the
pinned one, a database the bastion cannot reach) are FAILED checks naming the cause, and a
tunnel that fails is never bypassed, even when the database is reachable directly. No run
prints the tunnel's key or password (asserted on every run's output and the server's log).
"""
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import unittest

import jsonschema

RUNFILES = os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source")
sys.path.insert(0, os.path.join(RUNFILES, "tests", "airbyte"))
sys.path.insert(0, os.path.join(RUNFILES, "tests", "testing"))
import bastion as b  # noqa: E402
import connector_harness as h  # noqa: E402

ROWS = 20000  # about 2 MB of COPY data: more than the SSH channel windows, both ways


def key_body_lines(key_text):
    """The base64 lines of a private key (what a leak would show even without the header)."""
    return [line for line in key_text.splitlines() if line and not line.startswith("-----")]


class TunnelBase(unittest.TestCase):
    bastion = None

    @classmethod
    def setUpClass(cls):
        cls.bastion = b.Bastion()
        cls.addClassCleanup(cls.bastion.close)
        cls.bastion.start(host_key="a")
        cls.db = h.Database("pg")
        cls.schema = h.unique("tunnel")
        cls.addClassCleanup(cls.db.sql, "DROP SCHEMA IF EXISTS %s CASCADE;" % cls.schema)
        cls.db.sql("""
            CREATE SCHEMA {s};
            CREATE TABLE {s}.events (id bigint PRIMARY KEY, at timestamptz NOT NULL, body text);
            INSERT INTO {s}.events SELECT i, '2024-01-01'::timestamptz + i * interval '1 minute',
                                          repeat(md5(i::text), 3)
                                   FROM generate_series(1, {rows}) i;
            CREATE TABLE {s}.parts (ts timestamptz NOT NULL, v int) PARTITION BY RANGE (ts);
            CREATE TABLE {s}.parts_1 PARTITION OF {s}.parts FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
            CREATE TABLE {s}.parts_2 PARTITION OF {s}.parts FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
            CREATE TABLE {s}.parts_3 PARTITION OF {s}.parts FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
            INSERT INTO {s}.parts SELECT '2024-01-01'::timestamptz + i * interval '1 hour', i
                                  FROM generate_series(0, 2000) i;
        """.format(s=cls.schema, rows=ROWS))
        cls.secrets = [cls.bastion.password]
        for name in ("id_ed25519", "id_rsa_pem", "id_wrong"):
            cls.secrets += key_body_lines(cls.bastion.key(name))
        cls.secrets.append("PRIVATE KEY")

    def setUp(self):
        self.shim = h.Shim()

    def tearDown(self):
        self.shim.close()

    def assert_no_secret(self, text, where):
        for secret in self.secrets:
            # Never print the secret itself, even in a failure message.
            self.assertNotIn(secret, text, "a tunnel secret (%d characters) appears in %s" % (
                len(secret), where))

    def run_shim(self, *args, **kwargs):
        out = self.shim.run(*args, **kwargs)
        self.assert_no_secret(out.stdout.decode("utf-8", "replace") + out.stderr,
                              "the output of %s" % args[0])
        return out

    def config(self, tunnel, server="pg", host=None, **extra):
        db = h.Database(server)
        config = db.config([self.schema] if server == "pg" else ["public"], **extra)
        config["host"] = host or b.DB_ALIAS
        if tunnel is not None:
            config["tunnel_method"] = tunnel
        return config

    def check(self, config, server=None):
        path = self.shim.write("config.json", config)
        out = self.run_shim("check", "--config", path, server=server)
        self.assertEqual([m["type"] for m in out.messages], ["CONNECTION_STATUS"], self.describe(out))
        return out.messages[0]["connectionStatus"], out

    def assert_check_fails(self, config, reason, *phrases, server=None):
        status, out = self.check(config, server=server)
        self.assertEqual(status["status"], "FAILED", self.describe(out))
        if server is None:  # the in-process shim logs the reason
            self.assertIn("(%s)" % reason, out.stderr, self.describe(out))
        for phrase in phrases:
            self.assertIn(phrase, status["message"])
        return status["message"]

    def describe(self, out):
        """A run's output and the end of the bastion's log, for failure messages."""
        return "%s\nthe bastion's log ends:\n%s" % (
            out.describe(), "\n".join(self.bastion.log().splitlines()[-40:]))

    def logins(self):
        """Successful SSH logins so far ("Accepted publickey for jumpuser from ...")."""
        return sum(1 for line in self.bastion.log().splitlines()
                   if line.startswith("Accepted ") and " for %s from " % b.USER in line)


class Tunnel(TunnelBase):
    def test_without_the_tunnel_the_database_is_unreachable(self):
        for tunnel in (None, {"tunnel_method": "NO_TUNNEL"}):
            self.assert_check_fails(self.config(tunnel), "UNKNOWN_HOST", b.DB_ALIAS)

    def test_spec_describes_tunnel_method_as_source_postgres(self):
        spec = self.run_shim("spec").messages[0]["spec"]["connectionSpecification"]
        tunnel = spec["properties"]["tunnel_method"]
        variants = {v["properties"]["tunnel_method"]["const"]: v for v in tunnel["oneOf"]}
        self.assertEqual(sorted(variants), ["NO_TUNNEL", "SSH_KEY_AUTH", "SSH_PASSWORD_AUTH"])
        self.assertEqual(variants["SSH_KEY_AUTH"]["required"],
                         ["tunnel_method", "tunnel_host", "tunnel_port", "tunnel_user", "ssh_key"])
        self.assertEqual(variants["SSH_PASSWORD_AUTH"]["required"],
                         ["tunnel_method", "tunnel_host", "tunnel_port", "tunnel_user",
                          "tunnel_user_password"])
        self.assertTrue(variants["SSH_KEY_AUTH"]["properties"]["ssh_key"]["airbyte_secret"])
        self.assertTrue(variants["SSH_PASSWORD_AUTH"]["properties"]["tunnel_user_password"]
                        ["airbyte_secret"])
        self.assertEqual(variants["SSH_KEY_AUTH"]["properties"]["tunnel_port"]["default"], 22)
        validator = jsonschema.Draft7Validator(spec)
        for tunnel_config in (self.bastion.tunnel("SSH_KEY_AUTH"),
                              self.bastion.tunnel("SSH_PASSWORD_AUTH"),
                              self.bastion.tunnel("SSH_KEY_AUTH", tunnel_host_key_fingerprint=
                                                  self.bastion.host_fingerprint("a")),
                              {"tunnel_method": "NO_TUNNEL"}):
            self.assertTrue(validator.is_valid(self.config(tunnel_config)), tunnel_config["tunnel_method"])
        self.assertFalse(validator.is_valid(self.config({"tunnel_method": "SSH_KEY_AUTH"})))

    def test_check_discover_and_read_through_key_auth(self):
        config = self.config(self.bastion.tunnel("SSH_KEY_AUTH", key="id_ed25519"),
                             timescaledb_max_concurrent_chunks=3)
        path = self.shim.write("config.json", config)
        forwards, logins = len(self.bastion.forwards()), self.logins()
        status, out = self.check(config)
        self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))

        catalog = self.run_shim("discover", "--config", path).of_type("CATALOG")[0]["catalog"]
        self.assertEqual(sorted(s["name"] for s in catalog["streams"]), ["events", "parts"])
        catalog_path = self.shim.write("catalog.json", h.configured_catalog(catalog))
        read = self.run_shim("read", "--config", path, "--catalog", catalog_path)
        events = read.data("events")
        self.assertEqual(len(events), ROWS)
        self.assertEqual(sorted(r["id"] for r in events), list(range(1, ROWS + 1)))
        expected = self.db.sql("SELECT md5(string_agg(body, ',' ORDER BY id)) FROM %s.events;"
                               % self.schema).strip()
        got = hashlib.md5(",".join(r["body"] for r in sorted(events, key=lambda r: r["id"]))
                          .encode()).hexdigest()
        self.assertEqual(got, expected, "the rows read through the tunnel differ")
        self.assertEqual(len(read.data("parts")), 2001)

        # Every connection went through the bastion to the database as it sees it, and each
        # command logged in once, however many connections it opened.
        served = self.bastion.forwards()[forwards:]
        self.assertEqual(set(served), {(b.DB_ALIAS, self.db.port)})
        self.assertGreaterEqual(len(served), 4)  # check, discover, read (several)
        self.assertEqual(self.logins() - logins, 3, "one SSH login per command")

    def test_rsa_pem_key_also_on_one_line_or_with_crlf(self):
        key = self.bastion.key("id_rsa_pem")
        self.assertIn("BEGIN RSA PRIVATE KEY", key)
        for text in (key, key.replace("\n", "\\n"), key.replace("\n", "\r\n")):
            status, out = self.check(self.config(self.bastion.tunnel("SSH_KEY_AUTH", ssh_key=text)))
            self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))

    def test_check_and_read_through_password_auth(self):
        config = self.config(self.bastion.tunnel("SSH_PASSWORD_AUTH"))
        status, out = self.check(config)
        self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))
        path = self.shim.write("config.json", config)
        catalog = self.run_shim("discover", "--config", path).of_type("CATALOG")[0]["catalog"]
        catalog_path = self.shim.write("catalog.json", h.configured_catalog(
            catalog, ["events"], sync_mode="incremental", cursor={"events": "at"}))
        read = self.run_shim("read", "--config", path, "--catalog", catalog_path)
        self.assertEqual(len(read.data("events")), ROWS)

    def test_password_through_keyboard_interactive(self):
        # Bastions that check passwords with PAM offer only keyboard-interactive.
        pam = b.Bastion(password_auth="pam")
        self.addCleanup(pam.close)
        pam.start()
        status, out = self.check(self.config(pam.tunnel("SSH_PASSWORD_AUTH")))
        self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))
        self.secrets.append(pam.password)
        self.assert_check_fails(self.config(pam.tunnel("SSH_PASSWORD_AUTH",
                                                       tunnel_user_password=b.random_password())),
                                "TUNNEL_AUTH_FAILED", "password", "keyboard-interactive")

    def test_timescaledb_through_the_tunnel(self):
        ts = h.Database("ts")
        config = self.config(self.bastion.tunnel("SSH_KEY_AUTH"), server="ts")
        status, out = self.check(config)
        self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))
        self.assertIn("TimescaleDB", status["message"])
        self.assertIn((b.DB_ALIAS, ts.port), self.bastion.forwards())


class Failures(TunnelBase):
    def test_unreachable_bastion_fails_and_is_never_bypassed(self):
        closed = b.free_port()
        tunnel = self.bastion.tunnel("SSH_KEY_AUTH", tunnel_port=closed)
        # Even with a database host this process reaches directly.
        for host in (b.DB_ALIAS, self.db.host):
            self.assert_check_fails(self.config(tunnel, host=host), "TUNNEL_CONNECTION_REFUSED",
                                    "127.0.0.1:%d" % closed)
        self.assert_check_fails(self.config(dict(tunnel, tunnel_host="bastion.example.invalid")),
                                "TUNNEL_UNKNOWN_HOST", "tunnel_host")
        # A discover fails the same way, as a config or transient error, never with rows.
        path = self.shim.write("config.json", self.config(tunnel, host=self.db.host))
        out = self.run_shim("discover", "--config", path, expect_rc=1)
        self.assertIn("127.0.0.1:%d" % closed, out.errors()[0]["message"])

    def test_silent_bastion_times_out(self):
        # A peer that accepts TCP connections but never speaks SSH.
        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(8)
            port = silent.getsockname()[1]
            self.assert_check_fails(
                self.config(self.bastion.tunnel("SSH_KEY_AUTH", tunnel_port=port),
                            host=self.db.host, connect_timeout_seconds=2),
                "TUNNEL_CONNECT_TIMEOUT", "127.0.0.1:%d" % port)

    def test_wrong_key_or_password_is_refused(self):
        message = self.assert_check_fails(
            self.config(self.bastion.tunnel("SSH_KEY_AUTH", key="id_wrong")),
            "TUNNEL_AUTH_FAILED", "tunnel_method.ssh_key", "jumpuser@127.0.0.1")
        self.assertIn("publickey", message)
        self.assert_check_fails(
            self.config(self.bastion.tunnel("SSH_PASSWORD_AUTH",
                                            tunnel_user_password=b.random_password())),
            "TUNNEL_AUTH_FAILED", "tunnel_method.tunnel_user_password")
        self.assert_check_fails(
            self.config(self.bastion.tunnel("SSH_KEY_AUTH", ssh_key="-----BEGIN OPENSSH PRIVATE "
                                            "KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----")),
            "TUNNEL_KEY_INVALID", "tunnel_method.ssh_key")

    def test_config_errors_name_the_key(self):
        tunnel = self.bastion.tunnel("SSH_KEY_AUTH")
        del tunnel["tunnel_host"]
        self.assert_check_fails(self.config(tunnel), "INVALID_CONFIG", "'tunnel_method.tunnel_host'")
        self.assert_check_fails(self.config(self.bastion.tunnel("SSH_AGENT_AUTH")), "INVALID_CONFIG",
                                "'tunnel_method.tunnel_method'", "SSH_AGENT_AUTH")
        self.assert_check_fails(self.config(self.bastion.tunnel("SSH_KEY_AUTH", tunnel_port=0)),
                                "INVALID_CONFIG", "'tunnel_method.tunnel_port'")

    def test_database_the_bastion_cannot_reach(self):
        port = b.free_port()
        self.assert_check_fails(self.config(self.bastion.tunnel("SSH_KEY_AUTH"), port=port),
                                "TUNNEL_FORWARD_FAILED", "%s:%d" % (b.DB_ALIAS, port),
                                "as the bastion")

    def test_pinned_host_key(self):
        pinned = self.bastion.tunnel("SSH_KEY_AUTH",
                                     tunnel_host_key_fingerprint=self.bastion.host_fingerprint("a"))
        status, out = self.check(self.config(pinned))
        self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))
        other = self.bastion.host_fingerprint("b")
        self.assert_check_fails(
            self.config(dict(pinned, tunnel_host_key_fingerprint=other)),
            "TUNNEL_HOST_KEY_MISMATCH", self.bastion.host_fingerprint("a"), other)


class HostKeyChange(TunnelBase):
    """A bastion whose host key changes between two connections of one process (the
    server's): the second is refused before any credential is sent."""

    def test_a_changed_host_key_is_refused_within_a_process(self):
        log = tempfile.NamedTemporaryFile(prefix="tsdb-server-", suffix=".log")
        self.addCleanup(log.close)
        port = b.free_port()
        server = subprocess.Popen([str(h.SERVER), "--listen", "127.0.0.1:%d" % port],
                                  stdout=subprocess.DEVNULL, stderr=log)
        self.addCleanup(lambda: (server.terminate(), server.wait(timeout=30)))
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                threading.Event().wait(0.05)
        target = "127.0.0.1:%d" % port
        config = self.config(self.bastion.tunnel("SSH_KEY_AUTH"))
        status, out = self.check(config, server=target)
        self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))

        logins = self.logins()
        self.bastion.restart(host_key="b")
        self.addCleanup(self.bastion.restart, "a")
        message = self.assert_check_fails(config, "TUNNEL_HOST_KEY_CHANGED",
                                          self.bastion.host_fingerprint("a"),
                                          self.bastion.host_fingerprint("b"), server=target)
        self.assertIn("changed", message)
        self.assertEqual(self.logins(), logins, "no login to a bastion whose key changed")
        self.assertNotIn("userauth-request", self.bastion.log().split("Server listening")[-1],
                         "no credential sent to a bastion whose key changed")
        # The same config pinned to the new key is accepted: the pin is authoritative.
        pinned = self.config(self.bastion.tunnel(
            "SSH_PASSWORD_AUTH", tunnel_host_key_fingerprint=self.bastion.host_fingerprint("b")))
        status, out = self.check(pinned, server=target)
        self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))
        # A new process knows no key yet: it trusts the first it sees.
        status, out = self.check(config)
        self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))

        server.terminate()
        server.wait(timeout=30)
        with open(log.name, errors="replace") as f:
            server_log = f.read()
        self.assertIn("tunnel_host=127.0.0.1", server_log)
        self.assert_no_secret(server_log, "the server's log")


class Cdc(TunnelBase):
    """The replication connection of a CDC read goes through the tunnel too."""

    def test_cdc_read_through_the_tunnel(self):
        slot, publication = h.unique("slot"), h.unique("pub")
        schema = h.unique("tunnel_cdc")
        self.db.sql("CREATE SCHEMA %s; CREATE TABLE %s.items (id bigint PRIMARY KEY, note text);"
                    "INSERT INTO %s.items SELECT g, 'n' || g FROM generate_series(1, 5) g;"
                    "CREATE PUBLICATION %s FOR TABLES IN SCHEMA %s;"
                    "SELECT pg_create_logical_replication_slot('%s', 'pgoutput');"
                    % (schema, schema, schema, publication, schema, slot))
        self.addCleanup(self.db.sql, "SELECT pg_drop_replication_slot('%s'); DROP PUBLICATION %s;"
                        "DROP SCHEMA %s CASCADE;" % (slot, publication, schema))
        config = self.config(self.bastion.tunnel("SSH_KEY_AUTH"),
                             replication_method={"method": "CDC", "replication_slot": slot,
                                                 "publication": publication,
                                                 "initial_waiting_seconds": 5})
        config["schemas"] = [schema]
        path = self.shim.write("config.json", config)
        status, out = self.check(config)
        self.assertEqual(status["status"], "SUCCEEDED", self.describe(out))
        catalog = self.run_shim("discover", "--config", path).of_type("CATALOG")[0]["catalog"]
        catalog_path = self.shim.write("catalog.json", h.configured_catalog(
            catalog, ["items"], sync_mode="incremental"))
        first = self.run_shim("read", "--config", path, "--catalog", catalog_path)
        self.assertEqual(sorted(r["id"] for r in first.data("items")), [1, 2, 3, 4, 5])

        self.db.sql("INSERT INTO %s.items VALUES (6, 'new'); DELETE FROM %s.items WHERE id = 3;"
                    % (schema, schema))
        forwards, logins = len(self.bastion.forwards()), self.logins()
        second = self.run_shim("read", "--config", path, "--catalog", catalog_path,
                               "--state", self.shim.write("state.json", h.state_input(first)))
        by_id = {r["id"]: r for r in second.data("items")}
        self.assertEqual(sorted(by_id), [3, 6], self.describe(second))
        self.assertIsNotNone(by_id[3]["_ab_cdc_deleted_at"])
        # The changes came over a replication connection: through the bastion too.
        self.assertGreaterEqual(len(self.bastion.forwards()) - forwards, 2)
        self.assertEqual(self.logins() - logins, 1)


if __name__ == "__main__":
    unittest.main()
