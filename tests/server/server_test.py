"""End-to-end tests of //service:tsdb-source-server as a real process on loopback: bearer
tokens, TLS and mutual TLS, health and reflection, cancellation and deadlines (checked in
pg_stat_activity of PostgreSQL 15), graceful shutdown, the concurrent-read limit, error
details, logs and flags. Python client from tools/gen-clients (server_fixture.py).
"""
import os
import re
import signal
import socket
import subprocess
import threading
import time
import unittest

import server_fixture as fx
from server_fixture import grpc, source_service_pb2, catalog_pb2

SCHEMA = "srv_" + fx.random_suffix()
EVENT_ROWS = 200000
SLOW_VIEW_ROWS = 12000  # 50 ms each: ten minutes unless cancelled
TOKEN = "tok-" + fx.random_suffix(24)
PASSWORD = "Pw-" + fx.random_suffix(16)
ROLE = "srv_role_" + fx.random_suffix()


def _create_test_data():
    fx.psql("""
        CREATE SCHEMA {s};
        CREATE VIEW {s}.slow AS
          SELECT g AS id, 'x'::text AS pad FROM generate_series(1, {slow}) g WHERE pg_sleep(0.05) IS NOT NULL;
        CREATE TABLE {s}.events (id bigint PRIMARY KEY, pad text NOT NULL);
        INSERT INTO {s}.events SELECT g, repeat('x', 100) FROM generate_series(1, {rows}) g;
        CREATE TABLE {s}.small (id int PRIMARY KEY, name text);
        INSERT INTO {s}.small VALUES (1, 'one'), (2, 'two'), (3, 'three');
        CREATE ROLE {role} LOGIN PASSWORD '{pw}';
        GRANT USAGE ON SCHEMA {s} TO {role};
        GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {role};
        ANALYZE {s}.events;
    """.format(s=SCHEMA, slow=SLOW_VIEW_ROWS, rows=EVENT_ROWS, role=ROLE, pw=PASSWORD))


def _drop_test_data():
    fx.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'tsdb-source' AND query LIKE '%{s}%'".format(s=SCHEMA))
    fx.psql("DROP SCHEMA {s} CASCADE; DROP ROLE {role};".format(s=SCHEMA, role=ROLE))


class WithTestData(unittest.TestCase):
    """Base of the tests that read the test schema."""

    @classmethod
    def setUpClass(cls):
        fx.test_data(_create_test_data, _drop_test_data)


def write_file(name, content, mode=0o600):
    path = os.path.join(fx.TMP, "%s-%s" % (fx.random_suffix(), name))
    with open(path, "w") as f:
        f.write(content)
    os.chmod(path, mode)
    return path


def read_request(stream, config=None, state=(), **options):
    request = source_service_pb2.ReadRequest(config=config or fx.config_message(schemas=[SCHEMA]))
    request.catalog.streams.add(stream=catalog_pb2.StreamDescriptor(namespace=SCHEMA, name=stream),
                                sync_mode=catalog_pb2.SYNC_MODE_FULL_REFRESH)
    for s in state:
        request.state.add().CopyFrom(s)
    for key, value in options.items():
        setattr(request.options, key, value)
    return request


def slow_query_running():
    return [b for b in fx.server_backends(SCHEMA) if b[1] == "active" and "slow" in b[2]]


def start_read_in_background(stub, request, **kwargs):
    """Starts a Read, consumes it in a thread; returns (call, outcome dict)."""
    call = stub.Read(request, **kwargs)
    outcome = {"messages": []}

    def consume():
        try:
            for m in call:
                outcome["messages"].append(m)
            outcome["code"] = grpc.StatusCode.OK
        except grpc.RpcError as e:
            outcome["error"] = e
            outcome["code"] = e.code()
        outcome["ended"] = time.monotonic()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    outcome["thread"] = thread
    return call, outcome


class Auth(WithTestData):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = fx.Server("--token_file", write_file("token", "\n  old-token-0123456789abcdef \n%s\n" % TOKEN))
        cls.channel, cls.stub = cls.server.stub()

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.stop()

    def test_right_token_is_accepted(self):
        response, call = self.stub.Spec.with_call(source_service_pb2.SpecRequest(), timeout=10,
                                                  metadata=[("authorization", "Bearer " + TOKEN)])
        self.assertTrue(response.connection_specification_json)
        self.assertIn("x-request-id", dict(call.initial_metadata()))
        # Every line of the token file is a valid token (rotation), scheme case-insensitive.
        self.stub.Spec(source_service_pb2.SpecRequest(), timeout=10,
                       metadata=[("authorization", "bearer old-token-0123456789abcdef")])

    def test_missing_or_wrong_token_is_unauthenticated_and_nothing_else(self):
        for metadata in ([], [("authorization", "Bearer " + TOKEN[:-1])], [("authorization", "Bearer " + TOKEN + "x")],
                         [("authorization", "Basic " + TOKEN)], [("authorization", TOKEN)],
                         [("authorization", "Bearer ")]):
            for method, request in ((self.stub.Spec, source_service_pb2.SpecRequest()),
                                    (self.stub.Discover, source_service_pb2.DiscoverRequest(
                                        config=fx.config_message(schemas=[SCHEMA])))):
                with self.assertRaises(grpc.RpcError) as caught:
                    method(request, timeout=10, metadata=metadata)
                error = caught.exception
                self.assertEqual(error.code(), grpc.StatusCode.UNAUTHENTICATED, metadata)
                self.assertEqual(dict(error.trailing_metadata() or ()), {}, "no details, no reason")
                self.assertEqual(dict(error.initial_metadata() or ()), {}, "no request id")
        # A Read is refused before anything is streamed.
        with self.assertRaises(grpc.RpcError) as caught:
            list(self.stub.Read(read_request("small"), timeout=10))
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        self.assertIn("event=auth_refused", self.server.wait_line("event=auth_refused"))

    def test_read_with_token_streams(self):
        messages = list(self.stub.Read(read_request("small"), timeout=30,
                                       metadata=[("authorization", "Bearer " + TOKEN)]))
        self.assertEqual(sum(m.records.row_count for m in messages if m.HasField("records")), 3)

    def test_health_answers_without_token(self):
        channel = grpc.insecure_channel(self.server.address)
        try:
            check = channel.unary_unary("/grpc.health.v1.Health/Check",
                                        request_serializer=health_request_bytes,
                                        response_deserializer=health_response)
            self.assertEqual(check("", timeout=10).status, 1)  # SERVING
            self.assertEqual(check("tsdb_source.v1.SourceService", timeout=10).status, 1)
        finally:
            channel.close()


def health_request_bytes(service):
    from grpc_std import health_pb2
    return health_pb2.HealthCheckRequest(service=service).SerializeToString()


def health_response(raw):
    from grpc_std import health_pb2
    return health_pb2.HealthCheckResponse.FromString(raw)


class HealthAndReflection(unittest.TestCase):
    def setUp(self):
        self.server = fx.Server()
        self.channel = grpc.insecure_channel(self.server.address)

    def tearDown(self):
        self.channel.close()
        self.server.stop()

    def test_health_serves_the_server_and_source_service(self):
        check = self.channel.unary_unary("/grpc.health.v1.Health/Check",
                                         request_serializer=health_request_bytes,
                                         response_deserializer=health_response)
        self.assertEqual(check("", timeout=10).status, 1)
        self.assertEqual(check("tsdb_source.v1.SourceService", timeout=10).status, 1)
        with self.assertRaises(grpc.RpcError) as caught:
            check("no.such.Service", timeout=10)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_reflection_lists_services_and_serves_descriptors(self):
        from grpc_std import reflection_pb2
        from google.protobuf import descriptor_pb2
        info = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
            response_deserializer=reflection_pb2.ServerReflectionResponse.FromString)
        requests = [reflection_pb2.ServerReflectionRequest(list_services=""),
                    reflection_pb2.ServerReflectionRequest(file_containing_symbol="tsdb_source.v1.SourceService")]
        responses = list(info(iter(requests), timeout=10))
        self.assertEqual(len(responses), 2)
        services = {s.name for s in responses[0].list_services_response.service}
        self.assertIn("tsdb_source.v1.SourceService", services)
        self.assertIn("grpc.health.v1.Health", services)
        files = [descriptor_pb2.FileDescriptorProto.FromString(raw)
                 for raw in responses[1].file_descriptor_response.file_descriptor_proto]
        by_name = {f.name: f for f in files}
        self.assertIn("tsdb_source/v1/source_service.proto", by_name)
        methods = [m.name for m in by_name["tsdb_source/v1/source_service.proto"].service[0].method]
        self.assertEqual(methods, ["Spec", "Check", "Discover", "Read"])
        self.assertEqual(by_name["tsdb_source/v1/source_service.proto"].options.java_package, "io.tsdbsource.v1")
        self.assertTrue(by_name["tsdb_source/v1/source_service.proto"].options.go_package)


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        d = os.path.join(fx.TMP, "pki-" + fx.random_suffix())
        os.makedirs(d)
        cls.dir = d

        def run(*args):
            subprocess.run(["openssl"] + list(args), cwd=d, check=True, capture_output=True, timeout=60)

        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for ca in ("ca", "other-ca"):
            run("req", "-x509", *ec, "-keyout", ca + ".key", "-out", ca + ".pem", "-days", "2",
                "-subj", "/CN=tsdb-source test " + ca, "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth"),
                          ("client", "extendedKeyUsage=clientAuth")):
            run("req", "-new", *ec, "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name)
            with open(os.path.join(d, name + ".ext"), "w") as f:
                f.write(ext + "\n")
            run("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext")

    def path(self, name):
        return os.path.join(self.dir, name)

    def read(self, name):
        with open(self.path(name), "rb") as f:
            return f.read()

    def spec(self, server, credentials):
        channel, stub = server.stub(credentials)
        try:
            return stub.Spec(source_service_pb2.SpecRequest(), timeout=10)
        finally:
            channel.close()

    def assert_refused(self, server, credentials):
        with self.assertRaises(grpc.RpcError) as caught:
            self.spec(server, credentials)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAVAILABLE)

    def test_tls_accepted_with_the_right_ca_refused_otherwise(self):
        server = fx.Server("--tls_cert", self.path("server.pem"), "--tls_key", self.path("server.key"))
        try:
            self.assertIn("tls=true", server.wait_line("event=server_start"))
            self.assertTrue(self.spec(server, grpc.ssl_channel_credentials(self.read("ca.pem"))).documentation_url)
            self.assert_refused(server, grpc.ssl_channel_credentials(self.read("other-ca.pem")))
            self.assert_refused(server, None)  # plaintext to a TLS port
        finally:
            server.stop()

    def test_mutual_tls_needs_a_client_certificate_of_the_client_ca(self):
        server = fx.Server("--tls_cert", self.path("server.pem"), "--tls_key", self.path("server.key"),
                           "--client_ca", self.path("ca.pem"))
        try:
            self.assertIn("mutual_tls=true", server.wait_line("event=server_start"))
            good = grpc.ssl_channel_credentials(self.read("ca.pem"), self.read("client.key"), self.read("client.pem"))
            self.assertTrue(self.spec(server, good).documentation_url)
            self.assert_refused(server, grpc.ssl_channel_credentials(self.read("ca.pem")))
            # A certificate the client CA did not sign (the server's own is signed by it, so
            # use a self-signed one: the other CA's).
            bad = grpc.ssl_channel_credentials(self.read("ca.pem"), self.read("other-ca.key"), self.read("other-ca.pem"))
            self.assert_refused(server, bad)
        finally:
            server.stop()

    def test_tls_with_token(self):
        server = fx.Server("--tls_cert", self.path("server.pem"), "--tls_key", self.path("server.key"),
                           "--token_file", write_file("token", TOKEN))
        try:
            ssl = grpc.ssl_channel_credentials(self.read("ca.pem"))
            with_token = grpc.composite_channel_credentials(
                ssl, grpc.access_token_call_credentials(TOKEN))
            self.assertTrue(self.spec(server, with_token).documentation_url)
            with self.assertRaises(grpc.RpcError) as caught:
                self.spec(server, ssl)
            self.assertEqual(caught.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        finally:
            server.stop()

    def test_bad_tls_flags_are_refused(self):
        for flags, needle in ((["--tls_cert", self.path("server.pem")], "go together"),
                              (["--client_ca", self.path("ca.pem")], "needs TLS"),
                              (["--tls_cert", self.path("server.csr") + ".missing", "--tls_key", self.path("server.key")],
                               "cannot read")):
            server = fx.Server(*flags, expect_start=False)
            self.assertEqual(server.wait(timeout=30), 2, flags)
            self.assertIn(needle, server.text())


class Cancellation(WithTestData):
    """A cancelled or expired Read stops its PostgreSQL query within a second."""

    def setUp(self):
        self.server = fx.Server("--max_concurrent_reads", "1")
        self.channel, self.stub = self.server.stub()

    def tearDown(self):
        self.channel.close()
        self.server.stop()
        self.assertEqual(slow_query_running(), [])

    def test_cancelled_read_stops_its_query_and_frees_its_connection(self):
        call, outcome = start_read_in_background(self.stub, read_request("slow"))
        fx.wait_for(slow_query_running, 30, "the slow COPY to run")
        cancelled = time.monotonic()
        call.cancel()
        fx.wait_for(lambda: not slow_query_running(), 5, "the query to stop")
        stopped = time.monotonic() - cancelled
        fx.wait_for(lambda: not fx.server_backends(SCHEMA), 5, "the connection to close")
        closed = time.monotonic() - cancelled
        print("cancel: query stopped after %.3f s, connection closed after %.3f s" % (stopped, closed))
        self.assertLess(stopped, 1.0, "query still ran %.2f s after the cancel" % stopped)
        self.assertLess(closed, 2.0, "connection still open %.2f s after the cancel" % closed)
        line = self.server.wait_line("method=Read code=CANCELLED")
        self.assertIn("reason=CLIENT_CANCELLED", line)

    def test_expired_deadline_stops_the_query(self):
        call, outcome = start_read_in_background(self.stub, read_request("slow"), timeout=3)
        fx.wait_for(slow_query_running, 30, "the slow COPY to run")
        outcome["thread"].join(timeout=30)
        self.assertEqual(outcome.get("code"), grpc.StatusCode.DEADLINE_EXCEEDED)
        fx.wait_for(lambda: not slow_query_running(), 1.0, "the query to stop within 1 s of the deadline")
        print("deadline: query stopped %.3f s after the client saw DEADLINE_EXCEEDED"
              % (time.monotonic() - outcome["ended"]))
        fx.wait_for(lambda: not fx.server_backends(SCHEMA), 2.0, "the connection to close")
        self.assertIn("reason=DEADLINE_EXCEEDED", self.server.wait_line("method=Read code=DEADLINE_EXCEEDED"))

    def test_concurrent_read_limit(self):
        call, outcome = start_read_in_background(self.stub, read_request("slow"))
        fx.wait_for(slow_query_running, 30, "the first read's query")
        started = time.monotonic()
        with self.assertRaises(grpc.RpcError) as caught:
            list(self.stub.Read(read_request("small"), timeout=30))
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertEqual(fx.reason_of(caught.exception), "TOO_MANY_READS")
        self.assertIn("--max_concurrent_reads", caught.exception.details())
        # Other calls are not limited.
        self.assertTrue(self.stub.Spec(source_service_pb2.SpecRequest(), timeout=10).documentation_url)
        call.cancel()
        outcome["thread"].join(timeout=30)
        self.server.wait_line("method=Read code=CANCELLED")
        messages = list(self.stub.Read(read_request("small"), timeout=30))
        self.assertEqual(sum(m.records.row_count for m in messages if m.HasField("records")), 3)


class CheckAndDiscoverStopEarly(WithTestData):
    """Check and Discover stop their queries when the client cancels or the deadline passes.

    A transaction holds an exclusive lock on a catalog the call reads (pg_extension: both
    calls read it first; new connections do not), so the call's query waits until it is
    cancelled."""

    LOCK_HOLDER = "tsdb-server-test-lock"

    def setUp(self):
        self.server = fx.Server()
        self.channel, self.stub = self.server.stub()
        env = fx.db_env()
        self.locker = subprocess.Popen(
            [fx.PSQL, "-X", "-q", "-h", env["HOST"], "-p", env["PORT"], "-U", env["USER"],
             "-d", env["DB"], "-c", "BEGIN; LOCK TABLE pg_catalog.pg_extension IN ACCESS "
             "EXCLUSIVE MODE; SELECT pg_sleep(120); COMMIT;"],
            env=dict(os.environ, PGPASSWORD=env["PASSWORD"], PGSSLMODE="disable",
                     PGAPPNAME=self.LOCK_HOLDER),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        fx.wait_for(lambda: fx.psql(
            "SELECT count(*) FROM pg_locks WHERE relation = 'pg_catalog.pg_extension'::regclass "
            "AND mode = 'AccessExclusiveLock' AND granted") == "1", 30, "the lock")

    def tearDown(self):
        fx.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = '%s'" % self.LOCK_HOLDER)
        self.locker.wait(timeout=30)
        self.channel.close()
        self.server.stop()

    def waiting_backends(self):
        return fx.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = '%s' "
                       "AND wait_event_type = 'Lock'" % fx.APPLICATION_NAME)

    def test_discover_stops_its_query_at_the_deadline(self):
        request = source_service_pb2.DiscoverRequest(config=fx.config_message(schemas=[SCHEMA]))
        started = time.monotonic()
        with self.assertRaises(grpc.RpcError) as caught:
            self.stub.Discover(request, timeout=2)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
        fx.wait_for(lambda: self.waiting_backends() == "0", 1.5,
                    "Discover's query to stop within 1.5 s of the deadline")
        print("discover: query stopped %.3f s after the call started" % (time.monotonic() - started))
        self.assertIn("reason=DEADLINE_EXCEEDED",
                      self.server.wait_line("method=Discover code=DEADLINE_EXCEEDED"))

    def test_connecting_stops_at_the_deadline(self):
        # A listener that never answers: connecting waits for the connect timeout (60 s
        # here), unless the call's deadline is nearer.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        try:
            config = fx.config_message(schemas=[SCHEMA], port=listener.getsockname()[1],
                                       connect_timeout_seconds=60)
            for method, call in (
                    ("Check", lambda: self.stub.Check(
                        source_service_pb2.CheckRequest(config=config), timeout=2)),
                    ("Discover", lambda: self.stub.Discover(
                        source_service_pb2.DiscoverRequest(config=config), timeout=2)),
                    ("Read", lambda: list(self.stub.Read(
                        read_request("small", config=config), timeout=2)))):
                started = time.monotonic()
                with self.assertRaises(grpc.RpcError) as caught:
                    call()
                self.assertEqual(caught.exception.code(), grpc.StatusCode.DEADLINE_EXCEEDED)
                self.server.wait_line("method=%s code=DEADLINE_EXCEEDED" % method, timeout=10)
                self.assertLess(time.monotonic() - started, 6, method)
        finally:
            listener.close()

    def test_cancelled_check_stops_its_query(self):
        request = source_service_pb2.CheckRequest(config=fx.config_message(schemas=[SCHEMA]))
        call = self.stub.Check.future(request, timeout=60)
        fx.wait_for(lambda: self.waiting_backends() == "1", 30, "Check's query to wait for the lock")
        call.cancel()
        fx.wait_for(lambda: self.waiting_backends() == "0", 1.5,
                    "Check's query to stop within 1.5 s of the cancel")
        self.assertIn("reason=CLIENT_CANCELLED",
                      self.server.wait_line("method=Check code=CANCELLED"))


class Shutdown(WithTestData):
    def test_sigterm_during_read_ends_after_a_checkpoint_and_resumes(self):
        server = fx.Server("--shutdown_grace", "30s")
        channel, stub = server.stub()
        ids, messages = [], []
        try:
            call = stub.Read(read_request("events", checkpoint_every_records=2000, batch_max_rows=500), timeout=120)
            with self.assertRaises(grpc.RpcError) as caught:
                for m in call:
                    messages.append(m)
                    if m.HasField("records"):
                        ids += list(m.records.columns[0].int64s.values)
                    if m.HasField("checkpoint") and server.proc.poll() is None and "shutdown_start" not in server.text():
                        server.signal(signal.SIGTERM)
                        # The read is paused by flow control until we read on.
                        self.assertIn("running_reads=1", server.wait_line("event=shutdown_start"))
            error = caught.exception
            self.assertEqual(error.code(), grpc.StatusCode.UNAVAILABLE, error.details())
            self.assertEqual(fx.reason_of(error), "SERVER_SHUTTING_DOWN")
            _, info = fx.status_details(error)
            self.assertEqual(info.reason, "SERVER_SHUTTING_DOWN")
            self.assertEqual(info.metadata["stream"], SCHEMA + ".events")
            self.assertEqual(server.wait(timeout=60), 0)
        finally:
            channel.close()
            server.stop()
        events = [m.WhichOneof("event") for m in messages]
        last_checkpoint = max(i for i, e in enumerate(events) if e == "checkpoint")
        self.assertNotIn("records", events[last_checkpoint:], "rows after the last checkpoint")
        checkpoint = messages[last_checkpoint].checkpoint
        self.assertFalse(checkpoint.state.completed)
        self.assertEqual(checkpoint.records_total, len(ids))
        self.assertLess(len(ids), EVENT_ROWS, "the read ended before the signal")
        self.assertIn("event=shutdown_done", server.text())
        self.assertEqual(fx.server_backends(SCHEMA), [])

        # The state resumes exactly after the last row received.
        again = fx.Server()
        channel, stub = again.stub()
        try:
            rest = [i for m in stub.Read(read_request("events", state=[checkpoint.state]), timeout=120)
                    if m.HasField("records") for i in m.records.columns[0].int64s.values]
        finally:
            channel.close()
            again.stop()
        self.assertEqual(sorted(ids + rest), list(range(1, EVENT_ROWS + 1)))

    def test_grace_period_over_cancels_the_read_with_unavailable(self):
        server = fx.Server("--shutdown_grace", "1s")
        channel, stub = server.stub()
        try:
            call, outcome = start_read_in_background(stub, read_request("slow"))
            fx.wait_for(slow_query_running, 30, "the slow COPY to run")
            signalled = time.monotonic()
            server.signal(signal.SIGTERM)
            outcome["thread"].join(timeout=30)
            self.assertEqual(outcome.get("code"), grpc.StatusCode.UNAVAILABLE)
            self.assertEqual(fx.reason_of(outcome["error"]), "SERVER_SHUTTING_DOWN")
            _, info = fx.status_details(outcome["error"])
            self.assertEqual(info.metadata["stream"], SCHEMA + ".slow")
            self.assertLess(outcome["ended"] - signalled, 3.5)
            self.assertEqual(server.wait(timeout=30), 0)
            self.assertIn("why=\"grace period over\"", server.wait_line("event=shutdown_cancel_reads"))
            fx.wait_for(lambda: not fx.server_backends(SCHEMA), 2.0, "the connection to close")
        finally:
            channel.close()
            server.stop()

    def test_new_calls_are_refused_after_sigterm(self):
        server = fx.Server("--shutdown_grace", "30s")
        channel, stub = server.stub()
        try:
            call, outcome = start_read_in_background(stub, read_request("slow"))
            fx.wait_for(slow_query_running, 30, "the slow COPY to run")
            server.signal(signal.SIGINT)
            server.wait_line("event=shutdown_start")
            fresh = grpc.insecure_channel(server.address)
            with self.assertRaises(grpc.RpcError) as caught:
                source_service_pb2_grpc_stub(fresh).Spec(source_service_pb2.SpecRequest(), timeout=5)
            # Refused by gRPC itself: UNAVAILABLE once the port is closed, CANCELLED for a
            # call that reaches it while it closes.
            self.assertIn(caught.exception.code(), (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED))
            fresh.close()
            server.signal(signal.SIGINT)  # a second signal cancels at once
            outcome["thread"].join(timeout=30)
            self.assertEqual(outcome.get("code"), grpc.StatusCode.UNAVAILABLE)
            self.assertIn("why=\"second signal\"", server.wait_line("event=shutdown_cancel_reads"))
            self.assertEqual(server.wait(timeout=30), 0)
        finally:
            channel.close()
            server.stop()


def source_service_pb2_grpc_stub(channel):
    from tsdb_source.v1 import source_service_pb2_grpc
    return source_service_pb2_grpc.SourceServiceStub(channel)


class ErrorsAndLogs(WithTestData):
    def test_error_details_carry_reason_and_no_password(self):
        server = fx.Server()
        channel, stub = server.stub()
        try:
            wrong = fx.config_message(schemas=[SCHEMA], username=ROLE, password=PASSWORD + "-wrong")
            with self.assertRaises(grpc.RpcError) as caught:
                stub.Discover(source_service_pb2.DiscoverRequest(config=wrong), timeout=30)
            error = caught.exception
            status, info = fx.status_details(error)
            self.assertEqual(status.code, error.code().value[0])
            self.assertEqual(status.message, error.details())
            self.assertEqual(info.domain, "tsdb-source")
            self.assertEqual(info.reason, fx.reason_of(error))
            self.assertNotIn(PASSWORD, error.details())

            bad_state = read_request("small")
            state = bad_state.state.add()
            state.version = 99
            state.stream.namespace, state.stream.name = SCHEMA, "small"
            with self.assertRaises(grpc.RpcError) as caught:
                list(stub.Read(bad_state, timeout=30))
            self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
            self.assertEqual(fx.status_details(caught.exception)[1].reason, "INVALID_STATE")
        finally:
            channel.close()
            server.stop()

    def test_logs_one_line_per_event_with_request_ids_and_no_secrets(self):
        token_file = write_file("token", TOKEN)
        server = fx.Server("--token_file", token_file)
        channel, stub = server.stub()
        auth = [("authorization", "Bearer " + TOKEN)]
        wrong_token = "tok-wrong-" + fx.random_suffix(20)
        try:
            config = fx.config_message(schemas=[SCHEMA], username=ROLE, password=PASSWORD)
            _, call = stub.Discover.with_call(source_service_pb2.DiscoverRequest(config=config), timeout=30,
                                              metadata=auth + [("x-request-id", "client-req-42")])
            self.assertEqual(dict(call.initial_metadata())["x-request-id"], "client-req-42")
            stub.Check(source_service_pb2.CheckRequest(config=config), timeout=30, metadata=auth)
            messages = list(stub.Read(read_request("events", config=config), timeout=120, metadata=auth))
            self.assertEqual(sum(m.records.row_count for m in messages if m.HasField("records")), EVENT_ROWS)
            wrong = fx.config_message(schemas=[SCHEMA], username=ROLE, password=PASSWORD + "-wrong")
            with self.assertRaises(grpc.RpcError):
                stub.Discover(source_service_pb2.DiscoverRequest(config=wrong), timeout=30, metadata=auth)
            with self.assertRaises(grpc.RpcError):
                stub.Spec(source_service_pb2.SpecRequest(), timeout=10,
                          metadata=[("authorization", "Bearer " + wrong_token)])
            server.signal(signal.SIGTERM)
            self.assertEqual(server.wait(timeout=60), 0)
        finally:
            channel.close()
            server.stop()
        with open(server.log_path) as f:
            log = f.read()
        for secret in (TOKEN, wrong_token, PASSWORD):
            self.assertNotIn(secret, log)
        lines = log.splitlines()
        for line in lines:
            self.assertRegex(line, fx.LOG_LINE)
        rpc_lines = [l for l in lines if re.search(r"event=(rpc_|stream_summary|auth_refused)", l)]
        self.assertTrue(all(" rid=" in l for l in rpc_lines))
        self.assertIn("rid=client-req-42", log)
        summary = [l for l in lines if "event=stream_summary" in l and "stream=%s.events" % SCHEMA in l]
        self.assertEqual(len(summary), 1)
        for figure in ("chunks_read=", "chunks_skipped=", "rows=%d" % EVENT_ROWS, "bytes=", "seconds=", "retries="):
            self.assertIn(figure, summary[0])
        read_end = [l for l in lines if "event=rpc_end" in l and "method=Read" in l]
        self.assertIn("rows=%d" % EVENT_ROWS, read_end[0])
        self.assertIn("code=OK", read_end[0])
        self.assertIn("why=wrong_token", log)


class Flags(unittest.TestCase):
    def test_help_prints_the_usage_with_every_flag_and_exits_0(self):
        for flag in ("--help", "-h", "-help"):
            proc = subprocess.run([fx.SERVER, flag], capture_output=True, text=True, timeout=30)
            self.assertEqual(proc.returncode, 0, flag)
            self.assertEqual(proc.stderr, "", flag)
            text = proc.stdout
            self.assertTrue(text.startswith("tsdb-source-server: serves the tsdb_source.v1.SourceService"))
            self.assertNotIn("No flags matched", text)
            for name, default in (("listen", "127.0.0.1:50051"), ("tls_cert", "none"), ("tls_key", "none"),
                                  ("client_ca", "none"), ("insecure", "false"), ("token_file", "none"),
                                  ("max_concurrent_reads", "16"), ("shutdown_grace", "20s"),
                                  ("keepalive_time", "1m"), ("keepalive_timeout", "20s"),
                                  ("keepalive_min_client_interval", "10s"), ("reflection", "true")):
                self.assertIn("  --%s (default: %s)\n" % (name, default), text)
            self.assertIn("examples:\n  tsdb-source-server --listen 127.0.0.1:50051\n", text)
            # Only the server's flags: none of absl's or gRPC's own.
            self.assertNotIn("--flagfile", text)
            self.assertTrue(all(len(line) <= 90 for line in text.splitlines()), text)

    def test_non_loopback_without_tls_needs_insecure(self):
        server = fx.Server("--listen", "0.0.0.0:0", expect_start=False)
        self.assertEqual(server.wait(timeout=30), 2)
        self.assertIn("--insecure", server.text())
        self.assertNotIn("server_start", server.text())

    def test_insecure_says_so_at_start(self):
        # 192.0.2.1 (TEST-NET-1) is never a local address: the warning is logged, then
        # listening fails, so nothing is exposed by the test.
        server = fx.Server("--listen", "192.0.2.1:0", "--insecure", expect_start=False)
        self.assertEqual(server.wait(timeout=30), 1)
        text = server.text()
        self.assertIn("WARN event=insecure_listen", text)
        self.assertIn("event=listen_failed", text)

    def test_bad_values_are_refused(self):
        for flags in (["--max_concurrent_reads", "-1"], ["--keepalive_time", "0s"],
                      ["--shutdown_grace", "-1s"], ["--keepalive_timeout", "soon"]):
            server = fx.Server(*flags, expect_start=False)
            self.assertNotEqual(server.wait(timeout=30), 0, flags)
            self.assertNotIn("server_start", server.text())

    def test_bad_token_file_is_refused(self):
        for content in ("", "short\n", "has a space inside the token\n"):
            server = fx.Server("--token_file", write_file("token", content), expect_start=False)
            self.assertEqual(server.wait(timeout=30), 2)
            self.assertIn("token file", server.text())
            if content.strip():
                self.assertNotIn(content.strip(), server.text())


if __name__ == "__main__":
    unittest.main(verbosity=2)
