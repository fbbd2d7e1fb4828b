"""Load: eight concurrent Reads against one tsdb-source-server for a bounded time. Every
read's output is checked complete and correct, the server's memory stays bounded, and the
database connections never exceed what the limits allow."""
import os
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.environ.get("TEST_SRCDIR", ""), "tsdb_source", "tests", "server"))
import server_fixture as fx  # noqa: E402
from server_fixture import source_service_pb2, catalog_pb2  # noqa: E402

SCHEMA = "load_" + fx.random_suffix()
PARTITIONS = 6
ROWS_PER_PARTITION = 4000
ROWS = PARTITIONS * ROWS_PER_PARTITION
READERS = 8
CHUNKS_PER_READ = 2


def create():
    parts = "".join(
        "CREATE TABLE %s.events_%d PARTITION OF %s.events FOR VALUES FROM (%d) TO (%d);"
        % (SCHEMA, p, SCHEMA, p * ROWS_PER_PARTITION, (p + 1) * ROWS_PER_PARTITION) for p in range(PARTITIONS))
    fx.psql("CREATE SCHEMA %s; CREATE TABLE %s.events (id bigint NOT NULL, note text) PARTITION BY RANGE (id); %s"
            "INSERT INTO %s.events SELECT g, repeat('x', g %% 64) FROM generate_series(0, %d) g;"
            % (SCHEMA, SCHEMA, parts, SCHEMA, ROWS - 1))


def drop():
    fx.psql("DROP SCHEMA IF EXISTS %s CASCADE" % SCHEMA)


def read_request():
    request = source_service_pb2.ReadRequest()
    request.config.CopyFrom(fx.config_message("pg", schemas=[SCHEMA], timescaledb_max_concurrent_chunks=CHUNKS_PER_READ))
    stream = request.catalog.streams.add()
    stream.stream.name = "events"
    stream.stream.namespace = SCHEMA
    stream.sync_mode = catalog_pb2.SYNC_MODE_FULL_REFRESH
    request.options.batch_max_rows = 500
    return request


def vm_hwm_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


class Load(unittest.TestCase):
    def setUp(self):
        fx.test_data(create, drop)

    def test_eight_concurrent_reads_are_complete_and_bounded(self):
        server = fx.Server("--max_concurrent_reads=%d" % READERS)
        try:
            channel, stub = server.stub()
            errors, results = [], []
            stop_watching = threading.Event()
            max_connections = [0]

            def watch_connections():
                while not stop_watching.is_set():
                    n = int(fx.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tsdb-source'") or 0)
                    max_connections[0] = max(max_connections[0], n)
                    time.sleep(0.05)

            def one_read():
                ids_sum, rows, checkpoints = 0, 0, 0
                for response in stub.Read(read_request(), timeout=120):
                    kind = response.WhichOneof("event")
                    if kind == "records":
                        values = response.records.columns[0].int64s.values
                        rows += len(values)
                        ids_sum += sum(values)
                    elif kind == "checkpoint":
                        checkpoints += 1
                return rows, ids_sum, checkpoints

            def worker(deadline):
                try:
                    while time.monotonic() < deadline:
                        results.append(one_read())
                except Exception as e:  # noqa: BLE001 - any failure fails the test below
                    errors.append(repr(e))

            watcher = threading.Thread(target=watch_connections, daemon=True)
            watcher.start()
            deadline = time.monotonic() + 8  # bounded: waves of reads for 8 s
            threads = [threading.Thread(target=worker, args=(deadline,)) for _ in range(READERS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=300)
            stop_watching.set()
            watcher.join(timeout=10)
            channel.close()

            self.assertEqual(errors, [])
            self.assertGreaterEqual(len(results), READERS)
            expected_sum = ROWS * (ROWS - 1) // 2
            for rows, ids_sum, checkpoints in results:
                self.assertEqual(rows, ROWS)
                self.assertEqual(ids_sum, expected_sum)
                self.assertGreaterEqual(checkpoints, PARTITIONS)
            # Each read holds a main connection and up to CHUNKS_PER_READ reader connections.
            # pg_stat_activity may still list a just-closed connection's backend for a moment
            # while its reader opens the next one: a slack of two.
            self.assertLessEqual(max_connections[0], READERS * (1 + CHUNKS_PER_READ) + 2)
            self.assertGreater(max_connections[0], 0)
            hwm_mb = vm_hwm_kb(server.proc.pid) / 1024.0
            print("load: %d reads, peak %d connections, server peak RSS %.1f MB"
                  % (len(results), max_connections[0], hwm_mb))
            # Under --config=asan the allocator's quarantine (256 MB) and shadow memory come on
            # top (.bazelrc sets TSDB_SANITIZER).
            self.assertLess(hwm_mb, 800 if os.environ.get("TSDB_SANITIZER") else 400)
        finally:
            server.stop()


class SlowClient(unittest.TestCase):
    """A client that takes one batch a second: the server waits for it (gRPC flow control
    pauses the read) instead of buffering the table."""

    def setUp(self):
        self.schema = "slow_" + fx.random_suffix()
        # About 200 MB of COPY data: far more than any transport window.
        fx.psql("CREATE SCHEMA %s; CREATE TABLE %s.big (id bigint NOT NULL, note text);"
                "INSERT INTO %s.big SELECT g, repeat('y', 90) FROM generate_series(1, 2000000) g;"
                % (self.schema, self.schema, self.schema), timeout=600)

    def tearDown(self):
        fx.psql("DROP SCHEMA IF EXISTS %s CASCADE" % self.schema)

    def test_server_memory_stays_bounded(self):
        server = fx.Server()
        try:
            channel, stub = server.stub()
            request = source_service_pb2.ReadRequest()
            request.config.CopyFrom(fx.config_message("pg", schemas=[self.schema]))
            stream = request.catalog.streams.add()
            stream.stream.name = "big"
            stream.stream.namespace = self.schema
            stream.sync_mode = catalog_pb2.SYNC_MODE_FULL_REFRESH
            call = stub.Read(request, timeout=120)
            batches = 0
            start_hwm = vm_hwm_kb(server.proc.pid)
            for response in call:
                if response.WhichOneof("event") == "records":
                    batches += 1
                    if batches >= 6:
                        break
                    time.sleep(1.0)
            hwm_mb = vm_hwm_kb(server.proc.pid) / 1024.0
            call.cancel()
            channel.close()
            print("slow client: %d batches in ~%d s, server peak RSS %.1f MB (at start %.1f MB)"
                  % (batches, batches - 1, hwm_mb, start_hwm / 1024.0))
            self.assertEqual(batches, 6)
            # The table is ~200 MB on the wire; a server that buffered it would grow by that
            # much. Under --config=asan the allocator's quarantine and shadow memory add to
            # every figure (.bazelrc sets TSDB_SANITIZER).
            growth_mb = hwm_mb - start_hwm / 1024.0
            self.assertLess(growth_mb, 150 if os.environ.get("TSDB_SANITIZER") else 60)
        finally:
            server.stop()


if __name__ == "__main__":
    unittest.main()
