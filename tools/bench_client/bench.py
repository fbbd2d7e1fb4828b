#!/usr/bin/env python3
"""The measuring part of tools/bench (run it through tools/bench, which builds and starts
the databases first).

Prepares the data on the native PostgreSQL 15 server (database tsdb_bench), then measures
in ONE run, interleaved and repeated:
  (a) psql \\copy (SELECT ...) TO '/dev/null' (FORMAT binary)
  (b) the same in text format
  (c) \\copy (SELECT row_to_json(t) ...) TO '/dev/null'  (JSON made by the server)
  (d) the Read RPC of tsdb-source-server into bench-read-client (decode and discard)
  (e) the shim's `read` writing Airbyte JSON lines to /dev/null
on a plain table and on a table partitioned by day (the chunk path); peak RSS of server and
shim at three sizes; the incremental read of the newest partition of a 1,000-partition
table against a read of that partition alone; discover on the 1,000 partitions; and a
correctness pass over a small hypertable with compressed chunks on the TimescaleDB dev
server. Writes results.json, results.md and (with gnuplot) two PNG charts to --out.

Timing: wall clock of the measured client process. CPU: user+system seconds of our
processes (psql, or server + client, or the shim) from wait4(), plus the PostgreSQL
backends of the run, sampled from /proc every 20 ms (backends are recognised by the
database name tsdb_bench in their process title). Peak RSS: VmHWM of the process.

--suite picks what runs: plain (the default here; the above), hypertable, or all (both).
The hypertable suite (issue 13) runs on the native TimescaleDB of TSDB_NATIVE_HOST,
TSDB_NATIVE_PORT (5432), TSDB_NATIVE_USER (postgres), TSDB_NATIVE_PASSWORD, connecting
first to TSDB_NATIVE_DB (postgres) to create its own database tsdb_bench_ht with the
extension; or, with --ht-server dev, in schemas of the WASM dev server (TSDB_TS_*; dropped
after the run). Data:
hypertable conditions(time, device_id, location, temperature, humidity, status, note),
1-day chunks, a row per 10 s for 40 devices over --ht-days days (28: 9,676,800 rows; 1 on
the dev server), in three variants with the same rows: uncompressed, compressed (segmentby
device_id, orderby time DESC, every chunk) and space-partitioned (4 hash partitions on
device_id); kept and reused while --ht-days stays the same. An untimed pass checks that
(d), (e), (e4) and (e2) return every row; then, interleaved, --reps times:
  (L) COPY (SELECT * FROM <chunk>) TO STDOUT (FORMAT binary), chunk after chunk on one
      psql connection, to /dev/null: the limit
  (a) psql \copy (SELECT * FROM conditions) TO '/dev/null' (FORMAT binary)
  (d) the Read RPC into bench-read-client, as above
  (e) the shim's read to /dev/null; (e4), (e2) with timescaledb_max_concurrent_chunks 4, 2
  (s1j, s2j, s4j, s1p, s2p, s4p; only when --ht-methods names them) the shim in speed mode
      (issue 16): DATA_CHANNEL_MEDIUM=SOCKET, JSONL (j) or PROTOBUF (p) over 1, 2 or 4
      sockets with as many chunk readers, read to the end by socket_sink.py (which decodes
      nothing; its CPU is reported apart); rows are the sum of the STATEs' recordCount
Reported: median wall, rows/s, ratio to (L), and the CPU of the database backends per row
against (L)'s: the postmaster's cutime+cstime (its reaped children) plus its live children,
from /proc before and after each run (see PostmasterCpu; "n/m" with the reason when the
server is not a PostgreSQL on this machine). Then (--ht-only picks the phases: main, the
above; rss; incremental):
  rss          peak RSS (VmHWM) of tsdb-source-server serving (d), of bench-read-client,
               and of the shim (e) and (e4), reading the uncompressed variant's newest
               round(f x chunks) chunks (at least 4) for each f of --ht-rss-fractions
               (0.1,0.4,1: about 1/10, 4/10 and all of the rows): incremental reads whose
               saved cursor (--state) is the range start of the oldest chunk read, so the
               sizes come from the same table, chunks and per-chunk reads; every read's
               row count checked
  incremental  hypertable bench_ht_chunks.conditions (conditions' columns, --ht-chunks
               1-hour chunks of --ht-chunk-rows rows; kept while those stay the same) and a
               plain table bench_ht_newest.conditions of its newest chunk's rows; (d) and
               (e) read it incrementally from a state whose cursor is the newest chunk's
               range start (exactly that chunk's rows), against the same method's full read
               of the plain table (the ratio of the target, <= 1.3) and (L) COPY of that
               chunk alone; interleaved, --reps times
Writes results-hypertable.json and results-hypertable.md to --out. The password goes to
psql in PGPASSWORD, never on a command line or in the output.
"""
import argparse
import datetime
import json
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH_DB = "tsdb_bench"  # --db overrides it (the smoke test uses its own database)
DATA_VERSION = 1
ROWS_PER_DAY = 250000
COLUMNS = ["ts", "seq", "device_id", "host", "value", "status", "note"]
SELECT_LIST = ", ".join(COLUMNS)
CLK_TCK = os.sysconf("SC_CLK_TCK")

METHODS = [
    ("a", "psql \\copy binary"),
    ("b", "psql \\copy text"),
    ("c", "psql \\copy row_to_json"),
    ("d", "Read RPC, decode+discard"),
    ("e", "shim read, Airbyte JSON"),
]


def log(*args):
    print("bench:", *args, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Databases


class Pg:
    """A server to run psql against. With password_in_env the password is passed to psql
    in PGPASSWORD (self.env) instead of the connection string, so that it appears in no
    command line."""

    def __init__(self, host, port, db, user, password, password_in_env=False):
        self.host, self.port, self.db, self.user, self.password = host, int(port), db, user, password
        self.password_in_env = password_in_env
        self.env = dict(os.environ, PGPASSWORD=password) if password_in_env else None

    def dsn(self, db=None):
        if self.password_in_env:
            return "host=%s port=%d dbname=%s user=%s sslmode=disable" % (
                self.host, self.port, db or self.db, self.user)
        return "host=%s port=%d dbname=%s user=%s password=%s sslmode=disable" % (
            self.host, self.port, db or self.db, self.user, self.password)

    def psql(self, sql, db=None, capture=True, check=True):
        cmd = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-d", self.dsn(db), "-c", sql]
        p = subprocess.run(cmd, capture_output=capture, text=True, env=self.env)
        if check and p.returncode != 0:
            raise RuntimeError("psql failed (%s): %s\n%s" % (sql[:200], p.stdout, p.stderr))
        return p.stdout.strip() if capture else ""

    def script(self, sql, db=None):
        p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.dsn(db)],
                           input=sql, capture_output=True, text=True, env=self.env)
        if p.returncode != 0:
            raise RuntimeError("psql script failed: %s\n%s" % (p.stdout[-2000:], p.stderr[-2000:]))

    def config(self, schemas, **extra):
        c = {"host": self.host, "port": self.port, "database": self.db, "username": self.user,
             "password": self.password, "schemas": schemas, "ssl_mode": {"mode": "disable"}}
        c.update(extra)
        return c


def prepare_pg(pg, rows, force, npart=1000):
    """Creates (or keeps) the benchmark data for `rows` rows. Returns the layout."""
    admin_db = pg.db
    if pg.psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % BENCH_DB, db=admin_db) != "1":
        pg.psql("CREATE DATABASE %s" % BENCH_DB, db=admin_db)
    pg.db = BENCH_DB
    days = max(1, math.ceil(rows / ROWS_PER_DAY))
    per_partition = max(10, rows // npart)
    sizes = sorted(set([max(1, rows // 10), max(1, rows * 4 // 10)]))
    layout = {"rows": rows, "days": days, "per_partition": per_partition,
              "rss_sizes": sizes + [rows], "partitions": npart}
    marker = json.dumps({"version": DATA_VERSION, "rows": rows, "partitions": npart})
    have = ""
    if pg.psql("SELECT to_regclass('bench.meta') IS NOT NULL") == "t":
        have = pg.psql("SELECT info FROM bench.meta")
    if have == marker and not force:
        log("data for %d rows already present in %s" % (rows, BENCH_DB))
        return layout
    log("preparing %d rows (plain, %d daily partitions, %d-partition table, RSS sizes %s)"
        % (rows, days, npart, sizes))
    t0 = time.time()
    step_us = 86400 * 1000000 // ROWS_PER_DAY
    ts_expr = "timestamptz '2024-01-01 00:00:00+00' + (i * %d) * interval '1 microsecond'" % step_us
    gen_cols = """%s AS ts, i::bigint AS seq, (i %% 1000)::int AS device_id,
                  'host-' || (i %% 200) AS host,
                  round((50 + 30 * sin(i / 100.0))::numeric, 3)::float8 AS value,
                  (i %% 5)::smallint AS status,
                  CASE WHEN i %% 10 = 0 THEN 'maintenance window ' || (i / 10) END AS note""" % ts_expr
    table_cols = """ts timestamptz NOT NULL, seq bigint NOT NULL, device_id int NOT NULL,
                    host text NOT NULL, value float8, status smallint, note text"""
    parts = []
    for d in range(days):
        lo = datetime.datetime(2024, 1, 1) + datetime.timedelta(days=d)
        hi = lo + datetime.timedelta(days=1)
        parts.append("CREATE TABLE bench.metrics_part_%s PARTITION OF bench.metrics_part "
                     "FOR VALUES FROM ('%s+00') TO ('%s+00');" % (lo.strftime("%Y%m%d"), lo, hi))
    p1000 = []
    for d in range(npart):
        lo = datetime.datetime(2021, 1, 1) + datetime.timedelta(days=d)
        hi = lo + datetime.timedelta(days=1)
        p1000.append("CREATE TABLE bench_parts.m1000_%s PARTITION OF bench_parts.metrics_1000p "
                     "FOR VALUES FROM ('%s+00') TO ('%s+00');" % (lo.strftime("%Y%m%d"), lo, hi))
    step_1000 = 86400 * 1000000 // per_partition
    ts_1000 = ("timestamptz '2021-01-01 00:00:00+00' + (i / %d) * interval '1 day' + "
               "(i %% %d) * %d * interval '1 microsecond'" % (per_partition, per_partition, step_1000))
    newest = datetime.datetime(2021, 1, 1) + datetime.timedelta(days=npart - 1)
    sql = """
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench CASCADE;
DROP SCHEMA IF EXISTS bench_rss CASCADE;
DROP SCHEMA IF EXISTS bench_parts CASCADE;
DROP SCHEMA IF EXISTS bench_newest CASCADE;
CREATE SCHEMA bench; CREATE SCHEMA bench_rss; CREATE SCHEMA bench_parts; CREATE SCHEMA bench_newest;
CREATE TABLE bench.metrics (%(table_cols)s);
INSERT INTO bench.metrics SELECT %(gen_cols)s FROM generate_series(0::bigint, %(rows)d - 1) i;
CREATE TABLE bench.metrics_part (%(table_cols)s) PARTITION BY RANGE (ts);
%(parts)s
INSERT INTO bench.metrics_part SELECT * FROM bench.metrics;
%(rss)s
CREATE TABLE bench_parts.metrics_1000p (%(table_cols)s) PARTITION BY RANGE (ts);
%(p1000)s
INSERT INTO bench_parts.metrics_1000p
  SELECT %(gen_1000)s FROM generate_series(0::bigint, %(npart)d * %(per)d - 1) i;
CREATE TABLE bench_newest.metrics_newest AS
  SELECT * FROM bench_parts.metrics_1000p WHERE ts >= '%(newest)s+00';
VACUUM (FREEZE, ANALYZE);
CREATE TABLE bench.meta (info text);
INSERT INTO bench.meta VALUES ('%(marker)s');
""" % {"table_cols": table_cols, "gen_cols": gen_cols, "rows": rows, "parts": "\n".join(parts),
       "rss": "\n".join("CREATE TABLE bench_rss.metrics_%d AS SELECT * FROM bench.metrics LIMIT %d;" % (s, s)
                        for s in sizes),
       "p1000": "\n".join(p1000), "gen_1000": gen_cols.replace(ts_expr, ts_1000),
       "per": per_partition, "npart": npart, "newest": newest, "marker": marker}
    pg.script(sql)
    log("data prepared in %.1f s" % (time.time() - t0))
    return layout


def newest_partition_start_micros(npart):
    newest = datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(days=npart - 1)
    return int(newest.timestamp()) * 1000000


# ---------------------------------------------------------------------------------------
# Measuring


class BackendCpu(threading.Thread):
    """Samples the CPU time of PostgreSQL backends serving the benchmark database: the
    postmaster's children whose process title names the database, every 20 ms."""

    postmaster = None  # pid, found once by find_postmaster()

    def __init__(self, db):
        super().__init__(daemon=True)
        self.tag = " %s " % db
        self.seen = {}
        self.stop_event = threading.Event()

    @classmethod
    def find_postmaster(cls, pg):
        pid = pg.psql("SELECT pg_backend_pid()")
        try:
            with open("/proc/%s/stat" % pid) as f:
                cls.postmaster = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            # Not visible (another pid namespace, e.g. Bazel's sandbox): every process is
            # looked at, and backends that cannot be seen count as 0 s.
            cls.postmaster = None

    def children(self):
        if self.postmaster is None:
            return [p for p in os.listdir("/proc") if p.isdigit()]
        try:
            with open("/proc/%d/task/%d/children" % (self.postmaster, self.postmaster)) as f:
                return f.read().split()
        except OSError:
            return []

    def sample(self):
        for pid in self.children():
            try:
                if pid not in self.seen:
                    # Not cached when it does not match: a new backend shows the
                    # postmaster's command line until it has set its title.
                    with open("/proc/%s/cmdline" % pid, "rb") as f:
                        cmd = f.read(200).replace(b"\0", b" ").decode("latin-1")
                    if not cmd.startswith("postgres: ") or self.tag not in cmd:
                        continue
                with open("/proc/%s/stat" % pid) as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                ticks = int(fields[11]) + int(fields[12])
                self.seen[pid] = max(self.seen.get(pid, 0), ticks)
            except (OSError, IndexError, ValueError):
                continue

    def run(self):
        while not self.stop_event.is_set():
            self.sample()
            time.sleep(0.02)

    def finish(self):
        self.stop_event.set()
        self.join()
        return sum(self.seen.values()) / CLK_TCK


def loadavg():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


class Counted:
    """What a sizing run wrote: its size and how many Airbyte RECORD lines it held."""

    MARK = b'{"type":"RECORD"'

    def __init__(self):
        self.bytes = 0
        self.records = 0

    def drain(self, pipe):
        tail = b""
        while True:
            chunk = pipe.read(1 << 20)
            if not chunk:
                break
            self.bytes += len(chunk)
            data = tail + chunk
            self.records += data.count(self.MARK)
            # Keep a marker's worth of bytes minus one: a marker split across reads counts
            # once, one already counted cannot fit in the kept tail.
            tail = data[-(len(self.MARK) - 1):]


def vm_hwm_mb(pid):
    """Peak RSS (VmHWM) of a live process in MB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


class PeakRss(threading.Thread):
    """Follows a child's VmHWM until it exits. (wait4's ru_maxrss cannot be used: it also
    counts the memory the child shared with this Python process before its exec.) VmHWM is
    the peak of the current image and only grows, so the last reading is the peak, up to
    the growth of the last 10 ms."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = None
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            v = vm_hwm_mb(self.pid)
            if v is not None:
                self.peak = v
            time.sleep(0.01)


def run_measured(cmd, stdout=subprocess.DEVNULL, env=None):
    """Runs cmd; returns (wall seconds, rusage, stdout): stdout captured ("capture"),
    counted ("count", a Counted), or None."""
    counted = None
    if stdout in ("capture", "count"):
        mode, stdout = stdout, subprocess.PIPE
    else:
        mode = None
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    stderr_chunks = []
    reader = threading.Thread(target=lambda: stderr_chunks.append(proc.stderr.read()), daemon=True)
    reader.start()
    peak = PeakRss(proc.pid)
    peak.start()
    captured = None
    if mode == "capture":
        captured = proc.stdout.read()
    elif mode == "count":
        counted = Counted()
        counted.drain(proc.stdout)
        captured = counted
    # Reap only once the process has exited (waitid with WNOWAIT), so that its last
    # VmHWM can still be read.
    os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
    wall = time.perf_counter() - t0
    peak.done.set()
    peak.join()
    _, status, usage = os.wait4(proc.pid, 0)
    usage = Usage(usage, peak.peak)
    reader.join()
    usage.stderr = b"".join(c for c in stderr_chunks if c).decode(errors="replace")
    if proc.stdout is not None:
        proc.stdout.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd[:3]), proc.returncode,
                                                   b"".join(stderr_chunks).decode(errors="replace")[-3000:]))
    return wall, usage, captured


class Usage:
    """CPU times from wait4, peak RSS from VmHWM."""

    def __init__(self, rusage, peak_mb):
        self.ru_utime = rusage.ru_utime
        self.ru_stime = rusage.ru_stime
        self.peak_mb = peak_mb if peak_mb is not None else float("nan")
        self.stderr = ""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A fresh tsdb-source-server per measurement, so its peak RSS is that run's."""

    log_path = None  # where every server's stderr goes (set by main)

    def __init__(self, binary):
        self.port = free_port()
        # stderr to a file, never an unread pipe: a server blocked on a full pipe stalls
        self.log = open(Server.log_path or os.devnull, "ab")
        self.proc = subprocess.Popen([binary, "--listen", "127.0.0.1:%d" % self.port],
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("server exited (log: %s)" % Server.log_path)
                time.sleep(0.05)
        raise RuntimeError("server did not listen on port %d" % self.port)

    def stop(self):
        peak = vm_hwm_mb(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        _, _, usage = os.wait4(self.proc.pid, 0)
        self.log.close()
        return Usage(usage, peak)


def cpu_of(usage):
    return usage.ru_utime + usage.ru_stime


def rss_mb(usage):
    return usage.peak_mb


class Bench:
    def __init__(self, args, pg, ts):
        self.args, self.pg, self.ts = args, pg, ts
        self.tmp = tempfile.mkdtemp(prefix="tsdb-bench-")
        self.files = {}

    def write_json(self, name, obj):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            json.dump(obj, f)
        return path

    def catalog(self, name, namespace, incremental=False):
        stream = {"stream": {"name": name, "namespace": namespace, "json_schema": {},
                             "supported_sync_modes": ["full_refresh", "incremental"]},
                  "sync_mode": "incremental" if incremental else "full_refresh",
                  "destination_sync_mode": "append"}
        if incremental:
            stream["cursor_field"] = ["ts"]
        return {"streams": [stream]}

    def files_for(self, key, schema, table, incremental=False, **config_extra):
        if key not in self.files:
            cfg = self.write_json(key + ".config.json", self.pg.config([schema], **config_extra))
            cat = self.write_json(key + ".catalog.json", self.catalog(table, schema, incremental))
            self.files[key] = (cfg, cat)
        return self.files[key]

    # -- the five methods --
    def psql_copy(self, relation, method, to="'/dev/null'"):
        if method == "a":
            sql = "\\copy (SELECT %s FROM %s) TO %s (FORMAT binary)" % (SELECT_LIST, relation, to)
        elif method == "b":
            sql = "\\copy (SELECT %s FROM %s) TO %s" % (SELECT_LIST, relation, to)
        else:
            sql = "\\copy (SELECT row_to_json(t) FROM (SELECT %s FROM %s) t) TO %s" % (
                SELECT_LIST, relation, to)
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.pg.dsn(), "-c", sql]

    def measure(self, method, target, state=None, sizing=False):
        """One run of `method` on `target` (dict with relation, schema, table, key, extra)."""
        cpu_sampler = BackendCpu(BENCH_DB)
        load_before = loadavg()
        cpu_sampler.start()
        result = {"method": method, "target": target["name"]}
        try:
            if method in "abc":
                cmd = self.psql_copy(target["relation"], method, "STDOUT" if sizing else "'/dev/null'")
                wall, usage, out = run_measured(cmd, stdout="count" if sizing else subprocess.DEVNULL)
                result.update(wall=wall, cpu=cpu_of(usage), rss_client=rss_mb(usage))
                if sizing:
                    result["out_bytes"] = out.bytes
            elif method == "d":
                cfg, cat = self.files_for(target["key"], target["schema"], target["table"],
                                          target.get("incremental", False), **target.get("extra", {}))
                server = Server(self.args.server)
                try:
                    cmd = [self.args.client, "--server", "127.0.0.1:%d" % server.port,
                           "--config", cfg, "--catalog", cat]
                    if state:
                        cmd += ["--state", state]
                    if sizing:
                        cmd += ["--bytes"]
                    wall, usage, out = run_measured(cmd, stdout="capture")
                finally:
                    server_usage = server.stop()
                figures = json.loads(out.decode().strip().splitlines()[-1])
                if usage.stderr.strip():
                    result["warnings"] = usage.stderr.strip()
                    log("(d) warnings: %s" % usage.stderr.strip()[:500])
                result.update(wall=wall, cpu=cpu_of(usage) + cpu_of(server_usage),
                              cpu_server=cpu_of(server_usage), cpu_client=cpu_of(usage),
                              rss_server=rss_mb(server_usage), rss_client=rss_mb(usage),
                              rows=figures["rows"], batches=figures["batches"],
                              copy_bytes=figures["copy_bytes"], checkpoints=figures["checkpoints"])
                if sizing:
                    result["out_bytes"] = figures["wire_bytes"]
            elif method == "e":
                cfg, cat = self.files_for(target["key"], target["schema"], target["table"],
                                          target.get("incremental", False), **target.get("extra", {}))
                cmd = [self.args.shim, "read", "--config", cfg, "--catalog", cat]
                if state:
                    cmd += ["--state", state]
                wall, usage, out = run_measured(cmd, stdout="count" if sizing else subprocess.DEVNULL)
                result.update(wall=wall, cpu=cpu_of(usage), rss_shim=rss_mb(usage))
                if sizing:
                    result["out_bytes"] = out.bytes
                    result["rows"] = out.records
        finally:
            result["cpu_pg"] = cpu_sampler.finish()
        result["load"] = (load_before + loadavg()) / 2
        return result


def median(values):
    return statistics.median(values) if values else None


# ---------------------------------------------------------------------------------------
# Phases


def phase_main(bench, layout, reps, log_runs):
    targets = [
        {"name": "plain", "relation": "bench.metrics", "schema": "bench", "table": "metrics",
         "key": "plain"},
        {"name": "partitioned", "relation": "bench.metrics_part", "schema": "bench",
         "table": "metrics_part", "key": "part"},
    ]
    if bench.args.concurrent > 1:
        targets.append({"name": "partitioned, %d readers" % bench.args.concurrent,
                        "relation": "bench.metrics_part", "schema": "bench", "table": "metrics_part",
                        "key": "part_conc", "methods": "de",
                        "extra": {"timescaledb_max_concurrent_chunks": bench.args.concurrent}})
    # Output sizes, once (untimed): text and JSON through a pipe, protobuf via ByteSizeLong.
    sizes = {}
    log("sizing pass (output bytes of each method, untimed)")
    for m in "bcde":
        for attempt in range(3):
            r = bench.measure(m, targets[0], sizing=True)
            if "rows" not in r or r["rows"] == layout["rows"]:
                break
            # A read retried after a lost connection re-emits a keyless table from the start.
            log("sizing run (%s) returned %d rows; again" % (m, r["rows"]))
        sizes[m] = r["out_bytes"]
        if m == "d":
            sizes["a"] = r["copy_bytes"]
            rows_seen = r["rows"]
        if m == "e" and r["rows"] != layout["rows"]:
            raise RuntimeError("the shim emitted %d records for %d rows" % (r["rows"], layout["rows"]))
    if rows_seen != layout["rows"]:
        raise RuntimeError("the Read RPC returned %d rows for %d" % (rows_seen, layout["rows"]))
    runs = []
    for rep in range(reps):
        for target in targets:
            for m, _ in METHODS:
                if m not in target.get("methods", "abcde"):
                    continue
                r = bench.measure(m, target)
                r["rep"] = rep
                if "rows" in r and r["rows"] != layout["rows"]:
                    # Kept out of the medians and listed in the report.
                    r["invalid"] = "%d rows instead of %d" % (r["rows"], layout["rows"])
                    log("INVALID RUN: (%s) on %s returned %s; server log: %s" % (
                        m, target["name"], r["invalid"], Server.log_path))
                runs.append(r)
                if log_runs:
                    log("rep %d %-22s (%s) %6.2f s  cpu %.2f+%.2f s  load %.2f" % (
                        rep + 1, target["name"], m, r["wall"], r["cpu"], r["cpu_pg"], r["load"]))
    table = []
    for target in targets:
        base = None
        for m, label in METHODS:
            rs = [r for r in runs if r["method"] == m and r["target"] == target["name"]
                  and "invalid" not in r]
            if not rs:
                continue
            wall = median([r["wall"] for r in rs])
            row = {"target": target["name"], "method": m, "label": label, "wall": wall,
                   "wall_best": min(r["wall"] for r in rs), "walls": [r["wall"] for r in rs],
                   "rows_per_s": layout["rows"] / wall, "mb_per_s": sizes[m] / wall / 1e6,
                   "out_bytes": sizes[m], "cpu": median([r["cpu"] for r in rs]),
                   "cpu_pg": median([r["cpu_pg"] for r in rs]),
                   "load": statistics.mean(r["load"] for r in rs)}
            for k in ("rss_server", "rss_client", "rss_shim", "cpu_server", "cpu_client"):
                if k in rs[0]:
                    row[k] = max(r[k] for r in rs) if k.startswith("rss") else median([r[k] for r in rs])
            if m == "a":
                base = wall
            # Ratio to (a) of the same target; the concurrent variant compares with the
            # single-reader partitioned (a).
            if base is None:
                base = next(t["wall"] for t in table if t["target"] == "partitioned" and t["method"] == "a")
            row["ratio"] = base / wall
            table.append(row)
    return {"runs": runs, "table": table, "sizes": sizes}


def phase_rss(bench, layout):
    points = []
    for n in layout["rss_sizes"]:
        if n == layout["rows"]:
            target = {"name": "rss %d" % n, "relation": "bench.metrics", "schema": "bench",
                      "table": "metrics", "key": "plain"}
        else:
            target = {"name": "rss %d" % n, "relation": "bench_rss.metrics_%d" % n,
                      "schema": "bench_rss", "table": "metrics_%d" % n, "key": "rss%d" % n}
        d = bench.measure("d", target)
        e = bench.measure("e", target)
        if d["rows"] != n:
            raise RuntimeError("RSS run at %d rows returned %d" % (n, d["rows"]))
        points.append({"rows": n, "rss_server": d["rss_server"], "rss_client": d["rss_client"],
                       "rss_shim": e["rss_shim"], "wall_d": d["wall"], "wall_e": e["wall"]})
        log("RSS at %d rows: server %.1f MB, bench client %.1f MB, shim %.1f MB" % (
            n, d["rss_server"], d["rss_client"], e["rss_shim"]))
    return points


def phase_incremental(bench, layout, reps):
    micros = newest_partition_start_micros(layout["partitions"])
    state = [{"type": "STREAM", "stream": {
        "stream_descriptor": {"name": "metrics_1000p", "namespace": "bench_parts"},
        "stream_state": {"version": 1, "stream": {"name": "metrics_1000p", "namespace": "bench_parts"},
                         "sync_mode": "SYNC_MODE_INCREMENTAL", "cursor_field": ["ts"],
                         "cursor": {"kind": "VALUE_KIND_TIMESTAMPTZ", "int64_value": str(micros)},
                         "completed": True}}}]
    state_path = bench.write_json("incremental.state.json", state)
    inc = {"name": "incremental newest partition", "schema": "bench_parts", "table": "metrics_1000p",
           "key": "inc", "incremental": True, "relation": "bench_parts.metrics_1000p"}
    alone = {"name": "newest partition alone", "schema": "bench_newest", "table": "metrics_newest",
             "key": "alone", "relation": "bench_newest.metrics_newest"}
    out = {"rows": layout["per_partition"], "partitions": layout["partitions"]}
    for m in "de":
        walls = {"inc": [], "alone": []}
        for _ in range(reps):
            r = bench.measure(m, inc, state=state_path)
            if m == "d" and r["rows"] != layout["per_partition"]:
                raise RuntimeError("incremental read returned %d rows, expected %d" % (
                    r["rows"], layout["per_partition"]))
            walls["inc"].append(r["wall"])
            r = bench.measure(m, alone)
            walls["alone"].append(r["wall"])
        out[m] = {"incremental": median(walls["inc"]), "alone": median(walls["alone"]),
                  "incremental_all": walls["inc"], "alone_all": walls["alone"]}
        out[m]["ratio"] = out[m]["incremental"] / out[m]["alone"]
        log("incremental (%s): newest of %d partitions %.3f s, alone %.3f s, ratio %.2f" % (
            m, out["partitions"], out[m]["incremental"], out[m]["alone"], out[m]["ratio"]))
    return out


def phase_discover(bench, reps):
    cfg = bench.write_json("discover.config.json", bench.pg.config(["bench_parts"]))
    walls = []
    streams = None
    for _ in range(reps):
        wall, _, out = run_measured([bench.args.shim, "discover", "--config", cfg], stdout="capture")
        walls.append(wall)
        for line in out.decode().splitlines():
            msg = json.loads(line)
            if msg.get("type") == "CATALOG":
                streams = msg["catalog"]["streams"]
    partitions = None
    for s in streams or []:
        if s["name"] == "metrics_1000p":
            partitions = s.get("timescaledb", {})
    res = {"seconds": median(walls), "best": min(walls), "all": walls,
           "streams": len(streams or []), "metadata": partitions}
    log("discover on the partitioned schema: %.3f s (best %.3f)" % (res["seconds"], res["best"]))
    return res


def phase_timescale(bench):
    """Correctness of the measured path on a small hypertable with compressed chunks."""
    ts = bench.ts
    schema = bench.args.ts_schema
    rows_per_day = 2000 if not bench.args.smoke else 200
    days = 6
    ts.script("""
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS %(schema)s CASCADE;
CREATE SCHEMA %(schema)s;
CREATE TABLE %(schema)s.metrics (ts timestamptz NOT NULL, seq bigint NOT NULL, device_id int NOT NULL,
  host text NOT NULL, value float8, status smallint, note text);
SELECT create_hypertable('%(schema)s.metrics', 'ts', chunk_time_interval => interval '1 day');
INSERT INTO %(schema)s.metrics
  SELECT timestamptz '2024-01-01 00:00:00+00' + i * (interval '1 day' / %(per)d), i, i %% 50, 'host-' || (i %% 7),
         round((50 + 30 * sin(i / 100.0))::numeric, 3)::float8, (i %% 5)::smallint,
         CASE WHEN i %% 10 = 0 THEN 'note ' || i END
  FROM generate_series(0::bigint, %(n)d - 1) i;
ALTER TABLE %(schema)s.metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id');
SELECT count(compress_chunk(c)) FROM show_chunks('%(schema)s.metrics', older_than => timestamptz '2024-01-05 00:00:00+00') c;
""" % {"per": rows_per_day, "n": rows_per_day * days, "schema": schema})
    expected = ts.psql("SELECT count(*), sum(seq), count(note) FROM %s.metrics" % schema).split("|")
    compressed = ts.psql("SELECT count(*) FILTER (WHERE is_compressed), count(*) FROM "
                         "timescaledb_information.chunks WHERE hypertable_schema = '%s'" % schema).split("|")
    cfg = bench.write_json("ts.config.json", ts.config([schema]))
    cat = bench.write_json("ts.catalog.json", bench.catalog("metrics", schema))
    server = Server(bench.args.server)
    try:
        wall_d, _, out = run_measured([bench.args.client, "--server", "127.0.0.1:%d" % server.port,
                                       "--config", cfg, "--catalog", cat], stdout="capture")
    finally:
        server.stop()
    figures = json.loads(out.decode().strip().splitlines()[-1])
    wall_e, _, out = run_measured([bench.args.shim, "read", "--config", cfg, "--catalog", cat],
                                  stdout="capture")
    n = seq_sum = notes = 0
    for line in out.decode().splitlines():
        msg = json.loads(line)
        if msg["type"] == "RECORD":
            n += 1
            seq_sum += msg["record"]["data"]["seq"]
            notes += msg["record"]["data"]["note"] is not None
    got = [str(n), str(seq_sum), str(notes)]
    ok = got == expected and figures["rows"] == int(expected[0])
    res = {"rows": int(expected[0]), "chunks": int(compressed[1]), "compressed_chunks": int(compressed[0]),
           "rpc_rows": figures["rows"], "shim": {"records": n, "seq_sum": seq_sum, "notes": notes},
           "expected": {"count": expected[0], "seq_sum": expected[1], "notes": expected[2]},
           "ok": ok, "wall_d": wall_d, "wall_e": wall_e}
    log("TimescaleDB hypertable (%s of %s chunks compressed): %s rows; RPC %d, shim %d records: %s" % (
        compressed[0], compressed[1], expected[0], figures["rows"], n, "OK" if ok else "MISMATCH"))
    if not ok:
        raise RuntimeError("TimescaleDB correctness check failed: %s" % json.dumps(res))
    ts.psql("DROP SCHEMA %s CASCADE" % schema)
    return res


# ---------------------------------------------------------------------------------------
# Hypertables (issue 13): the same hypertable in three variants, read by the limit (L),
# psql (a), the Read RPC (d) and the shim with 1, 4 and 2 concurrent chunks (e, e4, e2).

HT_DB = "tsdb_bench_ht"  # --ht-db overrides it (native server only)
HT_DATA_VERSION = 1
HT_DEVICES = 40
HT_STEP_SECONDS = 10
HT_ROWS_PER_DAY = 86400 // HT_STEP_SECONDS * HT_DEVICES  # 345,600
HT_START = "2024-01-01 00:00:00+00"
HT_META_SCHEMA = "bench_ht"
HT_TABLE = "conditions"
HT_VARIANTS = [  # name, schema, what
    ("uncompressed", "bench_ht_plain", "1-day chunks"),
    ("compressed", "bench_ht_compressed",
     "1-day chunks, all compressed: segmentby device_id, orderby time DESC"),
    ("space-partitioned", "bench_ht_space", "1-day chunks x 4 hash partitions on device_id"),
]
HT_METHODS = [  # key, label, concurrent chunks of the shim
    ("L", "per-chunk COPY binary (the limit)", None),
    ("a", "psql \\copy binary of the hypertable", None),
    ("d", "Read RPC, decode+discard", None),
    ("e", "shim read, Airbyte JSON", 1),
    ("e4", "shim read, 4 concurrent chunks", 4),
    ("e2", "shim read, 2 concurrent chunks", 2),
    # Speed mode (issue 16): the shim's records over N Unix sockets to socket_sink.py, N chunk
    # readers; not in the default --ht-methods (`--ht-methods L,e,e4,s1j,...`).
    ("s1j", "shim, speed mode JSONL, 1 socket", 1),
    ("s2j", "shim, speed mode JSONL, 2 sockets", 2),
    ("s4j", "shim, speed mode JSONL, 4 sockets", 4),
    ("s1p", "shim, speed mode PROTOBUF, 1 socket", 1),
    ("s2p", "shim, speed mode PROTOBUF, 2 sockets", 2),
    ("s4p", "shim, speed mode PROTOBUF, 4 sockets", 4),
]
HT_DEFAULT_METHODS = "L,a,d,e,e4,e2"
SOCKET_SINK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "socket_sink.py")
HT_COLUMNS = """time timestamptz NOT NULL, device_id int NOT NULL, location text,
  temperature float8, humidity float8, status smallint, note text"""
# Peak RSS against rows read: the uncompressed variant, read by these methods.
HT_RSS_VARIANT = "uncompressed"
HT_RSS_METHODS = ["d", "e", "e4"]
HT_RSS_FLAT = 0.10  # "flat": the largest read's peak within 10 % of the smallest read's
HT_RSS_LIMIT_MB = 64
# The incremental read of the newest of many chunks: hypertable conditions (same columns) in
# HT_C_SCHEMA with 1-hour chunks, and a plain table holding the newest chunk's rows in
# HT_C_ALONE_SCHEMA. Kept (marker: the hypertable's comment) while its shape stays the same.
HT_C_SCHEMA = "bench_ht_chunks"
HT_C_ALONE_SCHEMA = "bench_ht_newest"
HT_C_VERSION = 1
HT_C_INSERT_CHUNKS = 50  # chunks created per INSERT statement (each its own transaction)
HT_C_TARGET = 1.3  # incremental <= 1.3 x the same method reading the chunk's rows alone
HT_PHASES = ["main", "rss", "incremental", "xmin"]
# The Xmin sync (issue 17) on the many-chunk hypertable: one late row in an old chunk (that
# chunk: HT_X_CHUNK_INDEX in range order), its rows in a plain table in HT_X_ALONE_SCHEMA.
HT_X_ALONE_SCHEMA = "bench_ht_xmin_alone"
HT_X_CHUNK_INDEX = 100
HT_X_NOTE = "xmin bench late row"
HT_X_TARGET = 2.0  # an Xmin sync with one late row <= 2 x reading that chunk's rows alone
# Compression of an unchanged chunk under Xmin: a hypertable of HT_X_COMP_CHUNKS chunks of
# the many-chunk hypertable's rows per chunk, in HT_X_COMP_SCHEMA (made again each run).
HT_X_COMP_SCHEMA = "bench_ht_xmin_comp"
HT_X_COMP_CHUNKS = 20


def ht_steps(days):
    """Time steps (rows per device) of `days` days, which may be a fraction (a small test)."""
    return max(1, int(round(days * 86400 / HT_STEP_SECONDS)))


def prepare_ht(pg, days, force, dev):
    """Creates (or keeps) the three variants of `days` days. On the native server they live
    in their own database (created, with the extension); on the dev server (one database)
    in schemas of its database. Returns the layout: rows and, per variant, its chunks."""
    if not dev:
        if pg.psql("SELECT 1 FROM pg_database WHERE datname = '%s'" % HT_DB) != "1":
            log("creating database %s" % HT_DB)
            pg.psql("CREATE DATABASE %s" % HT_DB)
        pg.db = HT_DB
        pg.psql("SET client_min_messages = warning; CREATE EXTENSION IF NOT EXISTS timescaledb")
    steps = ht_steps(days)
    rows = steps * HT_DEVICES
    marker = json.dumps({"version": HT_DATA_VERSION, "steps": steps, "devices": HT_DEVICES,
                         "step_seconds": HT_STEP_SECONDS})
    have = ""
    if pg.psql("SELECT to_regclass('%s.meta') IS NOT NULL" % HT_META_SCHEMA) == "t":
        have = pg.psql("SELECT info FROM %s.meta" % HT_META_SCHEMA)
    if have == marker and not force:
        log("hypertable data for %g days (%d rows a variant) already present in %s" % (days, rows, pg.db))
    else:
        log("preparing hypertables: %g days x %d devices every %d s = %d rows, 3 variants" % (
            days, HT_DEVICES, HT_STEP_SECONDS, rows))
        t0 = time.time()
        schemas = [HT_META_SCHEMA] + [s for _, s, _ in HT_VARIANTS]
        plain, comp, space = (s for _, s, _ in HT_VARIANTS)
        sql = ["SET client_min_messages = warning;"]
        sql += ["DROP SCHEMA IF EXISTS %s CASCADE;" % s for s in schemas]
        sql += ["CREATE SCHEMA %s;" % s for s in schemas]
        for s in (plain, comp, space):
            sql.append("CREATE TABLE %s.%s (%s);" % (s, HT_TABLE, HT_COLUMNS))
            sql.append("SELECT create_hypertable('%s.%s', by_range('time', INTERVAL '1 day'));" % (s, HT_TABLE))
        sql.append("SELECT add_dimension('%s.%s', by_hash('device_id', 4));" % (space, HT_TABLE))
        # Generated once, copied into the other two: the variants hold the same rows.
        sql.append("""SELECT setseed(0.13);
INSERT INTO %(plain)s.%(t)s
  SELECT t, d, 'site-' || (d %% 8), 20 + random() * 10, 40 + random() * 30,
         floor(random() * 4)::smallint,
         CASE WHEN random() < 0.1 THEN 'maintenance window ' || d END
  FROM generate_series(timestamptz '%(start)s',
                       timestamptz '%(start)s' + interval '%(last)d s',
                       interval '%(step)d s') t,
       generate_series(1, %(devices)d) d;
INSERT INTO %(comp)s.%(t)s SELECT * FROM %(plain)s.%(t)s;
INSERT INTO %(space)s.%(t)s SELECT * FROM %(plain)s.%(t)s;
ALTER TABLE %(comp)s.%(t)s SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id',
                                timescaledb.compress_orderby = 'time DESC');
SELECT count(compress_chunk(c)) FROM show_chunks('%(comp)s.%(t)s') c;
VACUUM (FREEZE, ANALYZE);
CREATE TABLE %(meta)s.meta (info text);
INSERT INTO %(meta)s.meta VALUES ('%(marker)s');""" % {
            "plain": plain, "comp": comp, "space": space, "t": HT_TABLE, "start": HT_START,
            "last": (steps - 1) * HT_STEP_SECONDS, "step": HT_STEP_SECONDS, "devices": HT_DEVICES,
            "meta": HT_META_SCHEMA,
            "marker": marker})
        pg.script("\n".join(sql))
        log("hypertable data prepared in %.1f s" % (time.time() - t0))
    layout = {"days": days, "rows": rows, "devices": HT_DEVICES, "step_seconds": HT_STEP_SECONDS,
              "variants": []}
    for name, schema, what in HT_VARIANTS:
        chunks = []
        for line in pg.psql("""SELECT format('%%I.%%I', chunk_schema, chunk_name), is_compressed
            FROM timescaledb_information.chunks
            WHERE hypertable_schema = '%s' AND hypertable_name = '%s'
            ORDER BY range_start, chunk_name""" % (schema, HT_TABLE)).splitlines():
            rel, compressed = line.split("|")
            chunks.append((rel, compressed == "t"))
        count = int(pg.psql("SELECT count(*) FROM %s.%s" % (schema, HT_TABLE)))
        if count != rows:
            raise RuntimeError("%s.%s holds %d rows, expected %d (rerun with --force-prepare)" % (
                schema, HT_TABLE, count, rows))
        size = int(pg.psql("SELECT hypertable_size('%s.%s')" % (schema, HT_TABLE)) or 0)
        jobs = pg.psql("SELECT count(*) FROM timescaledb_information.jobs "
                       "WHERE hypertable_schema = '%s' AND hypertable_name = '%s'" % (schema, HT_TABLE))
        if jobs not in ("", "0"):
            log("warning: %s.%s has %s background job(s) (a policy): they may run during the "
                "measurements" % (schema, HT_TABLE, jobs))
        layout["variants"].append({
            "name": name, "schema": schema, "what": what, "chunks": [c for c, _ in chunks],
            "n_chunks": len(chunks), "compressed_chunks": sum(1 for _, c in chunks if c),
            "bytes": size})
    return layout


def ht_chunk_ranges(pg, schema):
    """The chunks of schema.conditions, oldest first: (relation, range start in microseconds
    since 1970)."""
    out = []
    for line in pg.psql("""SELECT format('%%I.%%I', chunk_schema, chunk_name),
            (extract(epoch FROM range_start) * 1000000)::bigint
        FROM timescaledb_information.chunks
        WHERE hypertable_schema = '%s' AND hypertable_name = '%s'
        ORDER BY range_start, chunk_name""" % (schema, HT_TABLE)).splitlines():
        rel, start = line.split("|")
        out.append((rel, int(start)))
    return out


def micros_sql(micros):
    """A timestamptz literal of `micros` microseconds since 1970, exact."""
    return "(timestamptz 'epoch' + %d * interval '1 microsecond')" % micros


def drop_ht_chunks(pg):
    """Drops the many-chunk hypertable's chunks a few at a time (oldest first), then its
    schemas: one DROP of 1,000 chunks (each with its index and TOAST table) takes more
    locks than max_locks_per_transaction (64 by default) allows."""
    table = "%s.%s" % (HT_C_SCHEMA, HT_TABLE)
    if pg.psql("SELECT to_regclass('%s') IS NOT NULL" % table) == "t":
        for _ in range(100000):
            edge = pg.psql("""SELECT (extract(epoch FROM range_end) * 1000000)::bigint
                FROM timescaledb_information.chunks
                WHERE hypertable_schema = '%s' AND hypertable_name = '%s'
                ORDER BY range_start, chunk_name OFFSET %d LIMIT 1""" % (
                HT_C_SCHEMA, HT_TABLE, HT_C_INSERT_CHUNKS - 1))
            if not edge:
                break
            pg.psql("SET client_min_messages = warning; SELECT count(*) FROM drop_chunks('%s', "
                    "older_than => %s)" % (table, micros_sql(int(edge) + 1)))
    pg.psql("SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE; "
            "DROP SCHEMA IF EXISTS %s CASCADE" % (HT_C_SCHEMA, HT_C_ALONE_SCHEMA))


def prepare_ht_chunks(pg, n_chunks, rows_per_chunk, force):
    """Creates (or keeps) the many-chunk hypertable HT_C_SCHEMA.conditions (1-hour chunks,
    `rows_per_chunk` rows each, conditions' columns and value distributions) and the plain
    table HT_C_ALONE_SCHEMA.conditions holding the rows of its newest chunk. Returns the
    layout: chunks, the newest chunk, its range start and rows."""
    table = "%s.%s" % (HT_C_SCHEMA, HT_TABLE)
    alone = "%s.%s" % (HT_C_ALONE_SCHEMA, HT_TABLE)
    marker = json.dumps({"version": HT_C_VERSION, "chunks": n_chunks, "rows_per_chunk": rows_per_chunk,
                         "devices": HT_DEVICES, "chunk_interval": "1 hour", "start": HT_START})
    have = pg.psql("SELECT obj_description(to_regclass('%s'), 'pg_class')" % table)
    alone_there = pg.psql("SELECT to_regclass('%s') IS NOT NULL" % alone) == "t"
    if have == marker and alone_there and not force:
        log("%d-chunk hypertable (%d rows a chunk) already present in %s" % (n_chunks, rows_per_chunk, pg.db))
    else:
        log("preparing the %d-chunk hypertable %s: 1-hour chunks of %d rows (%d rows), and %s" % (
            n_chunks, table, rows_per_chunk, n_chunks * rows_per_chunk, alone))
        t0 = time.time()
        drop_ht_chunks(pg)
        start = datetime.datetime.fromisoformat(HT_START.replace("+00", "+00:00"))
        newest = start + datetime.timedelta(hours=n_chunks - 1)
        newest_us = (newest - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) // \
            datetime.timedelta(microseconds=1)
        step_us = 3600 * 1000000 // rows_per_chunk
        sql = ["SET client_min_messages = warning;",
               "CREATE SCHEMA %s;" % HT_C_SCHEMA, "CREATE SCHEMA %s;" % HT_C_ALONE_SCHEMA,
               "CREATE TABLE %s (%s);" % (table, HT_COLUMNS),
               "SELECT create_hypertable('%s', by_range('time', INTERVAL '1 hour'));" % table,
               "SELECT setseed(0.17);"]
        # Row i: chunk i / R, position i % R in it (every 3600 s / R), device i % 40 + 1.
        # A few chunks per statement (autocommit): each statement's new chunks hold locks
        # until it commits.
        for lo in range(0, n_chunks, HT_C_INSERT_CHUNKS):
            hi = min(n_chunks, lo + HT_C_INSERT_CHUNKS)
            sql.append("""INSERT INTO %(t)s
  SELECT t, d, 'site-' || (d %% 8), 20 + random() * 10, 40 + random() * 30,
         floor(random() * 4)::smallint,
         CASE WHEN random() < 0.1 THEN 'maintenance window ' || d END
  FROM (SELECT timestamptz '%(start)s' + (i / %(r)d) * interval '1 hour'
               + (i %% %(r)d) * %(step)d * interval '1 microsecond' AS t,
               (i %% %(devices)d)::int + 1 AS d
        FROM generate_series(%(lo)d::bigint, %(hi)d::bigint - 1) i) g;""" % {
                "t": table, "start": HT_START, "r": rows_per_chunk, "step": step_us,
                "devices": HT_DEVICES, "lo": lo * rows_per_chunk, "hi": hi * rows_per_chunk})
        sql += ["CREATE TABLE %s AS SELECT * FROM %s WHERE time >= %s;" % (alone, table, micros_sql(newest_us)),
                "VACUUM (FREEZE, ANALYZE) %s;" % table,
                "VACUUM (FREEZE, ANALYZE) %s;" % alone,
                # Last: an interrupted preparation leaves no marker and is done again.
                "COMMENT ON TABLE %s IS '%s';" % (table, marker)]
        pg.script("\n".join(sql))
        log("%d-chunk hypertable prepared in %.1f s" % (n_chunks, time.time() - t0))
    chunks = ht_chunk_ranges(pg, HT_C_SCHEMA)
    if len(chunks) != n_chunks:
        raise RuntimeError("%s has %d chunks, expected %d (rerun with --force-prepare)" % (
            table, len(chunks), n_chunks))
    newest_rel, newest_us = chunks[-1]
    counts = pg.psql("SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM %s), "
                     "(SELECT count(*) FROM %s WHERE time >= %s)" % (
                         newest_rel, alone, table, micros_sql(newest_us))).split("|")
    if counts != [str(rows_per_chunk)] * 3:
        raise RuntimeError("the newest chunk, %s and the rows of %s from the newest chunk's start "
                           "hold %s rows, expected %d each (rerun with --force-prepare)" % (
                               alone, table, "/".join(counts), rows_per_chunk))
    return {"schema": HT_C_SCHEMA, "alone_schema": HT_C_ALONE_SCHEMA, "n_chunks": len(chunks),
            "rows_per_chunk": rows_per_chunk, "rows": rows_per_chunk * n_chunks,
            "newest_chunk": newest_rel, "newest_start_us": newest_us,
            "bytes": int(pg.psql("SELECT hypertable_size('%s')" % table) or 0),
            "alone_bytes": int(pg.psql("SELECT pg_total_relation_size('%s')" % alone) or 0)}


def host_is_local(host):
    """True when host is a Unix socket directory or resolves to an address of this
    machine (one a socket can be bound to)."""
    if not host or host.startswith("/"):
        return True
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return False
    for family, _, _, _, addr in infos:
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.bind((addr[0], 0) if family == socket.AF_INET else (addr[0], 0, 0, addr[3]))
            return True
        except OSError:
            continue
    return False


def proc_stat(pid):
    """The fields of /proc/<pid>/stat after the command name (index 0 is the state)."""
    with open("/proc/%s/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()


def proc_title(pid):
    with open("/proc/%s/cmdline" % pid, "rb") as f:
        return f.read(300).replace(b"\0", b" ").decode("latin-1").strip()


class PostmasterCpu:
    """CPU of a local PostgreSQL server's backends over a run, from /proc: the
    postmaster's cutime+cstime (every child it has reaped: a backend is reaped once its
    client has disconnected) plus the utime+stime of its live children, before and after.
    The difference is exact for every backend of the run: one reaped in between moves
    from the live sum into cutime. Long-lived auxiliary processes (checkpointer, writers,
    launchers, TimescaleDB's schedulers) are left out of the live sum; autovacuum and
    TimescaleDB job workers that end during a run cannot be told apart from backends once
    reaped, so they would count (the data is frozen and has no policies, so none should
    run). A
    thread samples the children every 20 ms to notice other sessions' backends (another
    database in the process title): a run that saw one is flagged."""

    AUXILIARY = ("postgres: checkpointer", "postgres: background writer", "postgres: walwriter",
                 "postgres: autovacuum launcher", "postgres: logical replication launcher",
                 "postgres: archiver", "postgres: stats collector", "postgres: startup",
                 "postgres: TimescaleDB Background Worker Launcher",
                 "postgres: TimescaleDB Background Worker Scheduler")

    # A client backend's process title: "postgres: user database host(port) state" or
    # "... [local] state" (Unix socket).
    CLIENT_BACKEND = re.compile(r"^postgres: (\S+) (\S+) (?:\[local\]|\S+\(\d+\))")

    def __init__(self, postmaster, db):
        self.pid = postmaster
        self.db = db
        self.tag = " %s " % db

    @staticmethod
    def find(pg):
        """(PostmasterCpu, None) for a server whose postmaster this process can see, else
        (None, the reason). The postmaster is the first line of postmaster.pid in the
        server's data directory (SHOW data_directory; superusers and pg_read_all_settings)
        or else the parent of this connection's backend; either way it is checked against
        a live backend of ours: /proc/<pg_backend_pid()> must be a postgres process whose
        parent is that postmaster."""
        if not host_is_local(pg.host):
            return None, "the server %s is not on this machine" % pg.host
        candidate = None
        try:
            data_dir = pg.psql("SHOW data_directory")
            with open(os.path.join(data_dir, "postmaster.pid")) as f:
                candidate = int(f.readline())
        except (RuntimeError, OSError, ValueError):
            candidate = None
        p = subprocess.Popen(["psql", "-X", "-At", "-d", pg.dsn()], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=pg.env)
        try:
            p.stdin.write("SELECT pg_backend_pid();\n")
            p.stdin.flush()
            backend = int(p.stdout.readline())
            try:
                parent = int(proc_stat(backend)[1])
                title = proc_title(backend)
            except (OSError, IndexError, ValueError):
                return None, ("its backends are not visible in /proc here (another machine, "
                              "container or pid namespace)")
        except ValueError:
            return None, "pg_backend_pid() could not be read"
        finally:
            p.stdin.close()
            p.wait()
        if not title.startswith("postgres: ") or pg.db not in title:
            return None, "process %d here is not its backend (another machine or pid namespace)" % backend
        if candidate is not None and candidate != parent:
            return None, "postmaster.pid names %d, but our backend's parent is %d" % (candidate, parent)
        try:
            if not proc_title(parent).startswith(("/", "postgres")):
                return None, "the parent of its backend is not a postmaster"
        except OSError:
            return None, "its postmaster is not visible in /proc here"
        return PostmasterCpu(parent, pg.db), None

    def children(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.pid, self.pid)) as f:
                return f.read().split()
        except OSError:
            return []

    def is_auxiliary(self, pid):
        try:
            return proc_title(pid).startswith(self.AUXILIARY)
        except OSError:
            return False

    def ticks(self):
        """cutime+cstime of the postmaster plus utime+stime of its live non-auxiliary
        children, read until the postmaster's figure is the same before and after reading
        the children (no child was reaped in between, so none is counted twice or not at
        all)."""
        for _ in range(100):
            s = proc_stat(self.pid)
            reaped = int(s[13]) + int(s[14])
            live = 0
            for pid in self.children():
                if self.is_auxiliary(pid):
                    continue
                try:
                    f = proc_stat(pid)
                    live += int(f[11]) + int(f[12])
                except (OSError, IndexError, ValueError):
                    continue  # gone: reaped (cutime has it) or not yet (re-read below)
            s = proc_stat(self.pid)
            if int(s[13]) + int(s[14]) == reaped:
                return reaped + live
        raise RuntimeError("the postmaster's children kept changing while being read")

    def settle(self, timeout=10.0):
        """Waits until no backend of the benchmark database, no new (untitled) child and no
        zombie is left: every backend of the previous command has ended and been reaped."""
        deadline = time.time() + timeout
        while True:
            busy = []
            for pid in self.children():
                try:
                    state = proc_stat(pid)[0]
                    title = proc_title(pid)
                except (OSError, IndexError):
                    continue
                if state == "Z" or self.tag in title + " " or not title.startswith("postgres: "):
                    busy.append(pid)
            if not busy or time.time() > deadline:
                return not busy
            time.sleep(0.01)

    def begin(self):
        self.settle()
        self.foreign = set()
        self.stop_event = threading.Event()
        self.watcher = threading.Thread(target=self.watch, daemon=True)
        self.watcher.start()
        return self.ticks()

    def watch(self):
        while not self.stop_event.is_set():
            for pid in self.children():
                try:
                    title = proc_title(pid)
                except OSError:
                    continue
                m = self.CLIENT_BACKEND.match(title)
                if m and m.group(2) != self.db:
                    self.foreign.add("%s@%s" % (m.group(1), m.group(2)))
            self.stop_event.wait(0.02)

    def end(self, before):
        settled = self.settle()
        after = self.ticks()
        self.stop_event.set()
        self.watcher.join()
        return (after - before) / CLK_TCK, settled, sorted(self.foreign)


class HtBench:
    def __init__(self, args, pg, layout, cpu, tmp):
        self.args, self.pg, self.layout, self.cpu, self.tmp = args, pg, layout, cpu, tmp
        self.files = {}

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def shim_files(self, variant, concurrent, incremental=False):
        key = (variant["schema"], concurrent, "incremental" if incremental else "full")
        if key not in self.files:
            extra = {"timescaledb_max_concurrent_chunks": concurrent} if concurrent else {}
            cfg = self.write("ht-%s-%s-%s.config.json" % key, json.dumps(self.pg.config([variant["schema"]], **extra)))
            stream = {"stream": {"name": HT_TABLE, "namespace": variant["schema"], "json_schema": {},
                                 "supported_sync_modes": ["full_refresh", "incremental"]},
                      "sync_mode": "full_refresh", "destination_sync_mode": "append"}
            if incremental:
                stream.update(sync_mode="incremental", cursor_field=["time"])
            self.files[key] = (cfg, self.write("ht-%s-%s-%s.catalog.json" % key, json.dumps({"streams": [stream]})))
        return self.files[key]

    def cursor_state(self, schema, micros):
        """A saved state (the array of Airbyte STATE messages `--state` takes, for the shim
        and bench-read-client alike) of a completed incremental sync of schema.conditions
        whose cursor, the time column, is `micros` microseconds since 1970: the next sync
        reads the rows with time >= it, and skips the chunks that end at or before it."""
        state = [{"type": "STREAM", "stream": {
            "stream_descriptor": {"name": HT_TABLE, "namespace": schema},
            "stream_state": {"version": 1, "stream": {"name": HT_TABLE, "namespace": schema},
                             "sync_mode": "SYNC_MODE_INCREMENTAL", "cursor_field": ["time"],
                             "cursor": {"kind": "VALUE_KIND_TIMESTAMPTZ", "int64_value": str(micros)},
                             "completed": True}}}]
        return self.write("ht-%s-%d.state.json" % (schema, micros), json.dumps(state))

    def psql_cmd(self, *args):
        return ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.pg.dsn()] + list(args)

    def measure(self, method, variant, verify=False, state=None):
        """One run of `method` on `variant` (name, schema, chunks for (L)); with `state` (a
        state file from cursor_state) an incremental read from that state."""
        concurrent = dict((k, c) for k, _, c in HT_METHODS)[method]
        incremental = state is not None
        result = {"method": method, "variant": variant["name"]}
        if incremental and method in ("L", "a"):
            raise ValueError("(%s) has no incremental form" % method)
        state_args = ["--state", state] if incremental else []
        load_before = loadavg()
        if method == "L":
            script = self.write("ht-%s.chunks.sql" % re.sub(r"\W+", "_", variant["name"]), "".join(
                "COPY (SELECT * FROM %s) TO STDOUT (FORMAT binary);\n" % c for c in variant["chunks"]))
        before = self.cpu.begin() if self.cpu else None
        try:
            if method == "L":
                wall, usage, _ = run_measured(self.psql_cmd("-f", script), env=self.pg.env)
                result.update(wall=wall, cpu_client=cpu_of(usage))
            elif method == "a":
                sql = "\\copy (SELECT * FROM %s.%s) TO '/dev/null' (FORMAT binary)" % (variant["schema"], HT_TABLE)
                wall, usage, _ = run_measured(self.psql_cmd("-c", sql), env=self.pg.env)
                result.update(wall=wall, cpu_client=cpu_of(usage))
            elif method == "d":
                cfg, cat = self.shim_files(variant, None, incremental)
                server = Server(self.args.server)
                try:
                    wall, usage, out = run_measured(
                        [self.args.client, "--server", "127.0.0.1:%d" % server.port, "--config", cfg,
                         "--catalog", cat] + state_args, stdout="capture")
                finally:
                    server_usage = server.stop()
                figures = json.loads(out.decode().strip().splitlines()[-1])
                if usage.stderr.strip():
                    result["warnings"] = usage.stderr.strip()[:2000]
                    log("(d) warnings: %s" % usage.stderr.strip()[:500])
                result.update(wall=wall, cpu_client=cpu_of(usage), cpu_server=cpu_of(server_usage),
                              rows=figures["rows"], retries=figures["retries"],
                              rss_server=rss_mb(server_usage), rss_client=rss_mb(usage))
            elif method.startswith("s"):
                result.update(self.measure_speed_mode(method, variant, concurrent, state_args,
                                                      incremental))
            else:
                cfg, cat = self.shim_files(variant, concurrent, incremental)
                wall, usage, out = run_measured([self.args.shim, "read", "--config", cfg, "--catalog", cat]
                                                + state_args, stdout="count" if verify else subprocess.DEVNULL)
                result.update(wall=wall, cpu_client=cpu_of(usage), rss_shim=rss_mb(usage))
                if verify:
                    result["rows"] = out.records
        finally:
            if self.cpu:
                cpu, settled, foreign = self.cpu.end(before)
                result["cpu_pg"] = cpu
                if not settled:
                    result["unsettled"] = True
                if foreign:
                    result["foreign"] = foreign
        result["load"] = (load_before + loadavg()) / 2
        return result


    def measure_speed_mode(self, method, variant, sockets, state_args, incremental):
        """The shim in speed mode: DATA_CHANNEL_* set, `sockets` sockets read by
        socket_sink.py (started first; it retries until the shim listens). Rows: the sum of
        the recordCount of the STATEs on stdout (each its partition's)."""
        fmt = "JSONL" if method.endswith("j") else "PROTOBUF"
        cfg, cat = self.shim_files(variant, sockets, incremental)
        paths = [os.path.join(self.tmp, "%s-%d.sock" % (method, i)) for i in range(sockets)]
        sink = subprocess.Popen([sys.executable, SOCKET_SINK, fmt] + paths,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        env = dict(os.environ, DATA_CHANNEL_MEDIUM="SOCKET", DATA_CHANNEL_FORMAT=fmt,
                   DATA_CHANNEL_SOCKET_PATHS=",".join(paths))
        try:
            wall, usage, out = run_measured([self.args.shim, "read", "--config", cfg, "--catalog", cat]
                                            + state_args, stdout="capture", env=env)
        except BaseException:
            sink.kill()
            raise
        sink_out = sink.stdout.read()
        sink_err = sink.stderr.read()
        _, status, sink_rusage = os.wait4(sink.pid, 0)
        sink.returncode = os.waitstatus_to_exitcode(status)
        if sink.returncode != 0:
            raise RuntimeError("socket_sink.py failed (%d): %s" % (sink.returncode,
                                                                   sink_err.decode(errors="replace")[-2000:]))
        figures = json.loads(sink_out.decode().strip().splitlines()[-1])
        rows = 0
        for line in out.splitlines():
            message = json.loads(line)
            if message.get("type") == "STATE":
                rows += message["state"].get("sourceStats", {}).get("recordCount", 0)
        return {"wall": wall, "cpu_client": cpu_of(usage), "rss_shim": rss_mb(usage),
                "cpu_sink": cpu_of(Usage(sink_rusage, None)), "rows": rows,
                "socket_bytes": figures["bytes"], "per_socket_bytes": figures["per_socket_bytes"]}


def ht_check_rows(r, expected, what):
    """Raises when a verification run returned other than `expected` rows, or retried."""
    if r.get("rows") != expected or r.get("retries"):
        raise RuntimeError("(%s) on %s returned %s rows (expected %d), %s retries" % (
            r["method"], what, r.get("rows"), expected, r.get("retries", 0)))


def phase_ht_rss(bench, layout, fractions):
    """Peak RSS against rows read, on the uncompressed variant: for each fraction f, an
    incremental read whose saved cursor is the range start of the newest round(f * n) of
    its n chunks, so the read covers exactly those chunks, through the same per-chunk
    reads as a full refresh (the cursor filter `time >= cursor` keeps every row of them);
    at least 4 chunks, so that (e4) always has 4 readers; the largest size (f = 1) starts at
    the first chunk and reads every row. Methods: the server
    serving (d) to bench-read-client (one reader), the shim (e) and the shim with 4
    concurrent chunks (e4). The shim's output is counted (a pipe instead of /dev/null) to
    check the number of records; one run per size and method."""
    variant = next(v for v in layout["variants"] if v["name"] == HT_RSS_VARIANT)
    chunks = ht_chunk_ranges(bench.pg, variant["schema"])
    n = len(chunks)
    # At least 4 chunks (when there are), so that (e4) has its 4 readers at every size.
    ks = sorted(set(max(min(n, 4), min(n, int(round(f * n)))) for f in fractions))
    points = []
    for k in ks:
        rel, start_us = chunks[n - k]
        expected = int(bench.pg.psql("SELECT count(*) FROM %s.%s WHERE time >= %s" % (
            variant["schema"], HT_TABLE, micros_sql(start_us))))
        state = bench.cursor_state(variant["schema"], start_us)
        point = {"chunks": k, "of_chunks": n, "rows": expected, "cursor_us": start_us,
                 "first_chunk": rel, "runs": []}
        for m in HT_RSS_METHODS:
            r = bench.measure(m, variant, verify=True, state=state)
            ht_check_rows(r, expected, "%s from the newest %d chunks" % (variant["name"], k))
            point["runs"].append(r)
            if m == "d":
                point.update(rss_server=r["rss_server"], rss_client=r["rss_client"])
            else:
                point["rss_" + m] = r["rss_shim"]
        points.append(point)
        log("peak RSS, newest %d of %d chunks (%d rows): server %.1f MB, bench client %.1f MB, "
            "shim %.1f MB, shim with 4 concurrent chunks %.1f MB" % (
                k, n, expected, point["rss_server"], point["rss_client"], point["rss_e"], point["rss_e4"]))
    verdict = {}
    for key in ("rss_server", "rss_e", "rss_e4"):
        lo, hi = points[0][key], points[-1][key]
        peak = max(p[key] for p in points)
        growth = (hi - lo) / lo if lo else float("nan")
        verdict[key] = {"smallest": lo, "largest": hi, "peak": peak, "growth": growth,
                        "below_limit": peak < HT_RSS_LIMIT_MB,
                        "flat": len(points) > 1 and abs(growth) <= HT_RSS_FLAT}
    return {"variant": variant["name"], "schema": variant["schema"], "points": points,
            "verdict": verdict, "sizes_compared": len(points) > 1}


def phase_ht_incremental(bench, c, reps, verify):
    """The incremental read of the newest chunk of the many-chunk hypertable `c` (from
    prepare_ht_chunks): the saved cursor is that chunk's range start, so every other chunk
    ends at or before it and is skipped by its range, and the read returns exactly that
    chunk's rows. Against: the same method reading a plain table holding those rows (a full
    refresh of one relation: the same process start, connection, description and read
    setup, without the chunk listing), and (L) a COPY binary of the chunk alone in one psql
    process. Interleaved, `reps` times."""
    inc = {"name": "newest of %d chunks, incremental" % c["n_chunks"], "schema": c["schema"]}
    alone = {"name": "the newest chunk's rows in a plain table", "schema": c["alone_schema"]}
    chunk = {"name": "the newest chunk alone", "schema": c["schema"], "chunks": [c["newest_chunk"]]}
    state = bench.cursor_state(c["schema"], c["newest_start_us"])
    expected = c["rows_per_chunk"]
    plan = [("d", "incremental", inc, state), ("d", "alone", alone, None),
            ("e", "incremental", inc, state), ("e", "alone", alone, None), ("L", "chunk", chunk, None)]
    if verify:
        for m, kind, target, st in plan:
            if m != "L":
                r = bench.measure(m, target, verify=True, state=st)
                ht_check_rows(r, expected, target["name"])
                log("verified (%s) on %s: %d rows" % (m, target["name"], r["rows"]))
    runs = []
    for rep in range(reps):
        for m, kind, target, st in plan:
            r = bench.measure(m, target, state=st)
            r.update(rep=rep, kind=kind)
            if "rows" in r and (r["rows"] != expected or r.get("retries")):
                r["invalid"] = "%d rows instead of %d, %d retries" % (r["rows"], expected, r.get("retries", 0))
                log("INVALID RUN: (%s) on %s: %s; server log: %s" % (m, target["name"], r["invalid"],
                                                                     Server.log_path))
            runs.append(r)
            log("rep %d %-42s (%s) %6.3f s  load %.2f" % (rep + 1, target["name"], m, r["wall"], r["load"]))

    def walls(m, kind):
        return [r["wall"] for r in runs if r["method"] == m and r["kind"] == kind and "invalid" not in r]

    out = dict(c, reps=reps, runs=runs, target=HT_C_TARGET)
    chunk_walls = walls("L", "chunk")
    out["chunk"] = {"wall": median(chunk_walls), "walls": chunk_walls}
    for m in "de":
        w_inc, w_alone = walls(m, "incremental"), walls(m, "alone")
        row = {"incremental": median(w_inc), "incremental_all": w_inc,
               "alone": median(w_alone), "alone_all": w_alone}
        if w_inc and w_alone:
            row["ratio"] = row["incremental"] / row["alone"]
        if w_inc and chunk_walls:
            row["ratio_chunk"] = row["incremental"] / out["chunk"]["wall"]
        out[m] = row
        if "ratio" in row:
            log("incremental (%s): newest of %d chunks %.3f s, plain table of its rows %.3f s, ratio "
                "%.2f; the chunk's COPY alone %.3f s" % (m, c["n_chunks"], row["incremental"], row["alone"],
                                                         row["ratio"], out["chunk"]["wall"] or float("nan")))
    return out


def phase_ht_xmin(bench, c, reps):
    """The Xmin sync (replication_method Xmin) of the many-chunk hypertable `c`. A first,
    untimed Xmin sync reads every row and saves its state S0. Then, from S0, `reps` times:
    (n) nothing changed: the shim's Xmin sync, which must emit nothing and scan no chunk (the
    chunks' scan counters before and after); one late row inserted into an old chunk, then
    (x) the shim's Xmin sync from S0, which must emit exactly that row; against (alone) the
    shim reading a plain table holding that chunk's rows (the same process start, connection
    and description), (L) a COPY binary of the chunk alone in one psql process, and (W) the
    whole-table xmin scan source-postgres runs (`WHERE xmin::text::bigint >= S0's
    xmin_xid_value`) in one psql process. The late row is deleted at the end."""
    pg = bench.pg
    table = "%s.%s" % (c["schema"], HT_TABLE)
    chunks = ht_chunk_ranges(pg, c["schema"])
    late_chunk, late_start_us = chunks[min(HT_X_CHUNK_INDEX, len(chunks) - 2)]
    alone = "%s.%s" % (HT_X_ALONE_SCHEMA, HT_TABLE)
    pg.psql("DELETE FROM %s WHERE note = '%s'" % (table, HT_X_NOTE))
    chunk_rows = int(pg.psql("SELECT count(*) FROM %s" % late_chunk))
    if pg.psql("SELECT to_regclass('%s') IS NOT NULL" % alone) != "t" or \
            pg.psql("SELECT count(*) FROM %s" % alone) != str(chunk_rows):
        pg.script("SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s; "
                  "CREATE TABLE %s AS SELECT * FROM %s; VACUUM (FREEZE, ANALYZE) %s;" % (
                      HT_X_ALONE_SCHEMA, HT_X_ALONE_SCHEMA, alone, late_chunk, alone))
    xcfg = bench.write("xmin.config.json", json.dumps(pg.config([c["schema"]], replication_method={"method": "Xmin"})))
    xcat = bench.write("xmin.catalog.json", json.dumps({"streams": [{
        "stream": {"name": HT_TABLE, "namespace": c["schema"], "json_schema": {},
                   "supported_sync_modes": ["full_refresh", "incremental"]},
        "sync_mode": "incremental", "destination_sync_mode": "append"}]}))
    acfg = bench.write("xmin-alone.config.json", json.dumps(pg.config([HT_X_ALONE_SCHEMA])))
    acat = bench.write("xmin-alone.catalog.json", json.dumps({"streams": [{
        "stream": {"name": HT_TABLE, "namespace": HT_X_ALONE_SCHEMA, "json_schema": {},
                   "supported_sync_modes": ["full_refresh"]},
        "sync_mode": "full_refresh", "destination_sync_mode": "append"}]}))

    log("Xmin: first sync of %s (every row, untimed) for the saved state" % table)
    proc = subprocess.Popen([bench.args.shim, "read", "--config", xcfg, "--catalog", xcat],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    records, last_state = 0, None
    for line in proc.stdout:
        if line.startswith(b'{"type":"RECORD"'):
            records += 1
        elif line.startswith(b'{"type":"STATE"'):
            last_state = json.loads(line)["state"]
    if proc.wait() != 0 or last_state is None or records != c["rows"]:
        raise RuntimeError("the first Xmin sync returned %d rows (expected %d), exit %s" % (
            records, c["rows"], proc.returncode))
    stream_state = last_state["stream"]["stream_state"]
    horizon32 = int(stream_state["xmin_xid_value"])
    state = bench.write("xmin.state.json", json.dumps([last_state]))
    scans_sql = ("SELECT sum(pg_stat_get_numscans(inhrelid)) FROM pg_inherits "
                 "WHERE inhparent = '%s'::regclass" % table)

    def run(kind, cmd, expect=None):
        before = bench.cpu.begin() if bench.cpu else None
        load_before = loadavg()
        wall, usage, out = run_measured(cmd, stdout="count" if expect is not None else subprocess.DEVNULL,
                                        env=pg.env if cmd[0] == "psql" else None)
        r = {"kind": kind, "wall": wall, "cpu_client": cpu_of(usage)}
        if bench.cpu:
            cpu, settled, foreign = bench.cpu.end(before)
            r["cpu_pg"] = cpu
            if foreign:
                r["foreign"] = foreign
        if expect is not None:
            r["rows"] = out.records
            if out.records != expect:
                r["invalid"] = "%d records instead of %d" % (out.records, expect)
                log("INVALID RUN: %s: %s" % (kind, r["invalid"]))
        r["load"] = (load_before + loadavg()) / 2
        return r

    shim_x = [bench.args.shim, "read", "--config", xcfg, "--catalog", xcat, "--state", state]
    runs = []
    try:
        for rep in range(reps):
            time.sleep(1)  # the previous runs' backends have exited and flushed their counters
            scans_before = int(pg.psql(scans_sql) or 0)
            r = run("nothing", shim_x, expect=0)
            time.sleep(1)
            pg.psql("SELECT pg_stat_force_next_flush()")
            r["chunk_scans"] = int(pg.psql(scans_sql) or 0) - scans_before
            r["rep"] = rep
            runs.append(r)
            log("rep %d Xmin sync, nothing changed   %6.3f s  chunk scans %d" % (rep + 1, r["wall"], r["chunk_scans"]))
        pg.script("INSERT INTO %s (time, device_id, location, temperature, humidity, status, note) "
                  "VALUES (%s + interval '1 second', 1, 'late', 21, 50, 0, '%s'); "
                  "SELECT pg_stat_force_next_flush();" % (table, micros_sql(late_start_us), HT_X_NOTE))
        whole = ("COPY (SELECT * FROM %s WHERE xmin::text::bigint >= %d) TO STDOUT (FORMAT binary)"
                 % (table, horizon32))
        plan = [("late", shim_x, 1),
                ("alone", [bench.args.shim, "read", "--config", acfg, "--catalog", acat], chunk_rows),
                ("chunk", bench.psql_cmd("-o", "/dev/null", "-c",
                                         "COPY (SELECT * FROM %s) TO STDOUT (FORMAT binary)" % late_chunk), None),
                ("whole", bench.psql_cmd("-o", "/dev/null", "-c", whole), None)]
        for rep in range(reps):
            for kind, cmd, expect in plan:
                r = run(kind, cmd, expect)
                r["rep"] = rep
                runs.append(r)
                log("rep %d Xmin %-8s %7.3f s  backend cpu %s  load %.2f" % (
                    rep + 1, kind, r["wall"], "%.3f s" % r["cpu_pg"] if "cpu_pg" in r else "n/m", r["load"]))
    finally:
        pg.psql("DELETE FROM %s WHERE note = '%s'" % (table, HT_X_NOTE))

    # Compressing an unchanged chunk: the next Xmin sync emits that chunk once more, whole.
    comp = "%s.%s" % (HT_X_COMP_SCHEMA, HT_TABLE)
    pg.script("SET client_min_messages = warning; DROP SCHEMA IF EXISTS %(s)s CASCADE; CREATE SCHEMA %(s)s; "
              "CREATE TABLE %(t)s (LIKE %(src)s); "
              "SELECT create_hypertable('%(t)s', by_range('time', INTERVAL '1 hour')); "
              "INSERT INTO %(t)s SELECT * FROM %(src)s WHERE time < (SELECT min(time) FROM %(src)s) "
              "+ interval '%(n)d hours'; "
              "ALTER TABLE %(t)s SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id'); "
              "VACUUM (FREEZE, ANALYZE) %(t)s;" % {
                  "s": HT_X_COMP_SCHEMA, "t": comp, "src": table, "n": HT_X_COMP_CHUNKS})
    comp_chunks = ht_chunk_ranges(pg, HT_X_COMP_SCHEMA)
    comp_rel = comp_chunks[len(comp_chunks) // 2][0]
    comp_rows = int(pg.psql("SELECT count(*) FROM %s" % comp_rel))
    ccfg = bench.write("xmin-comp.config.json", json.dumps(pg.config([HT_X_COMP_SCHEMA], replication_method={"method": "Xmin"})))
    ccat = bench.write("xmin-comp.catalog.json", json.dumps({"streams": [{
        "stream": {"name": HT_TABLE, "namespace": HT_X_COMP_SCHEMA, "json_schema": {},
                   "supported_sync_modes": ["full_refresh", "incremental"]},
        "sync_mode": "incremental", "destination_sync_mode": "append"}]}))
    proc = subprocess.run([bench.args.shim, "read", "--config", ccfg, "--catalog", ccat],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=True)
    comp_state = [json.loads(l)["state"] for l in proc.stdout.splitlines() if l.startswith(b'{"type":"STATE"')][-1]
    comp_state_path = bench.write("xmin-comp.state.json", json.dumps([comp_state]))
    pg.psql("SELECT compress_chunk('%s')" % comp_rel)
    time.sleep(1)
    pg.psql("SELECT pg_stat_force_next_flush()")
    shim_c = [bench.args.shim, "read", "--config", ccfg, "--catalog", ccat, "--state", comp_state_path]
    try:
        for rep in range(reps):
            r = run("compressed", shim_c, expect=comp_rows)
            r["rep"] = rep
            runs.append(r)
            log("rep %d Xmin sync after compress_chunk %7.3f s  %s records" % (rep + 1, r["wall"], r.get("rows")))
    finally:
        pg.psql("SET client_min_messages = warning; DROP SCHEMA IF EXISTS %s CASCADE" % HT_X_COMP_SCHEMA)

    def med(kind, key="wall"):
        vals = [r[key] for r in runs if r["kind"] == kind and "invalid" not in r and key in r]
        return (median(vals), vals) if vals else (None, [])

    out = {"n_chunks": c["n_chunks"], "rows": c["rows"], "schema": c["schema"], "late_chunk": late_chunk,
           "chunk_rows": chunk_rows, "alone_relation": alone, "horizon32": horizon32, "reps": reps,
           "runs": runs, "target": HT_X_TARGET, "comp_chunks": len(comp_chunks),
           "comp_chunk": comp_rel, "comp_rows": comp_rows,
           "state_bytes": len(json.dumps(last_state))}
    for kind in ("nothing", "late", "alone", "chunk", "whole", "compressed"):
        wall, walls = med(kind)
        cpu, _ = med(kind, "cpu_pg")
        out[kind] = {"wall": wall, "walls": walls, "cpu_pg": cpu}
    out["nothing"]["chunk_scans"] = [r["chunk_scans"] for r in runs if r["kind"] == "nothing"]
    if out["late"]["wall"] and out["alone"]["wall"]:
        out["ratio_alone"] = out["late"]["wall"] / out["alone"]["wall"]
    if out["late"]["wall"] and out["chunk"]["wall"]:
        out["ratio_chunk"] = out["late"]["wall"] / out["chunk"]["wall"]
    if out["late"]["wall"] and out["whole"]["wall"]:
        out["whole_over_late"] = out["whole"]["wall"] / out["late"]["wall"]
    log("Xmin: nothing changed %.3f s (chunk scans %s); one late row %.3f s, the chunk's rows alone "
        "%.3f s (ratio %.2f), (L) the chunk %.3f s, whole-table xmin scan %.3f s" % (
            out["nothing"]["wall"], out["nothing"]["chunk_scans"], out["late"]["wall"], out["alone"]["wall"],
            out.get("ratio_alone", float("nan")), out["chunk"]["wall"], out["whole"]["wall"]))
    return out


def phase_hypertable(args, pg, dev, server_desc):
    """Prepares, verifies (untimed) and measures the hypertable variants. Returns the
    result (results-hypertable.json)."""
    global HT_DB
    HT_DB = args.ht_db
    phases = [p for p in args.ht_only.split(",") if p]
    for p in phases:
        if p not in HT_PHASES:
            raise SystemExit("bench: unknown --ht-only entry %r (known: %s)" % (p, ",".join(HT_PHASES)))
    try:
        fractions = [float(f) for f in args.ht_rss_fractions.split(",") if f]
    except ValueError:
        raise SystemExit("bench: --ht-rss-fractions takes fractions such as 0.1,0.4,1")
    if "rss" in phases and (not fractions or any(not 0 < f <= 1 for f in fractions)):
        raise SystemExit("bench: --ht-rss-fractions takes fractions in (0, 1], such as 0.1,0.4,1")
    if ("incremental" in phases or "xmin" in phases) and (args.ht_chunks < 2 or args.ht_chunk_rows < 1 or
                                    args.ht_chunk_rows > 3600 * 1000000):
        raise SystemExit("bench: --ht-chunks must be at least 2 and --ht-chunk-rows at least 1")
    layout = prepare_ht(pg, args.ht_days, args.force_prepare, dev)
    many = None
    if "incremental" in phases or "xmin" in phases:
        many = prepare_ht_chunks(pg, args.ht_chunks, args.ht_chunk_rows, args.force_prepare)
    methods = [m for m in args.ht_methods.split(",") if m]
    known = [k for k, _, _ in HT_METHODS]
    for m in methods:
        if m not in known:
            raise SystemExit("bench: unknown --ht-methods entry %r (known: %s)" % (m, ",".join(known)))
    methods = [k for k in known if k in methods]  # the table's order
    variants = [v for v in layout["variants"] if v["name"] in args.ht_variants.split(",")]
    if not variants:
        raise SystemExit("bench: --ht-variants selects none of %s" % ",".join(n for n, _, _ in HT_VARIANTS))
    cpu, why = (None, "the dev server is PGlite (WASM) inside one Node.js process, no PostgreSQL "
                      "backends") if dev else PostmasterCpu.find(pg)
    if cpu:
        log("backend CPU from postmaster %d (children's cutime+cstime and live children)" % cpu.pid)
    else:
        log("backend CPU cannot be measured: %s" % why)
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "reps": args.reps, "machine": machine_info(), "server": server_desc, "dev": dev,
           "pg_version": pg.psql("SHOW server_version"),
           "timescaledb_version": pg.psql("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"),
           "layout": layout, "methods": methods, "phases": phases, "backend_cpu": {
               "measured": cpu is not None, "reason": why, "postmaster": cpu.pid if cpu else None}}
    rows = layout["rows"]
    tmp = tempfile.mkdtemp(prefix="tsdb-bench-ht-")
    bench = HtBench(args, pg, layout, cpu, tmp)
    loads = [loadavg()]
    runs = []
    try:
        if "main" in phases and not args.ht_no_verify:
            log("hypertables: verification pass (untimed): every reader returns every row")
            for v in variants:
                for m in methods:
                    if m in ("L", "a"):
                        continue
                    r = bench.measure(m, v, verify=True)
                    if r.get("rows") != rows or r.get("retries"):
                        raise RuntimeError("(%s) on %s returned %s rows (expected %d), %s retries" % (
                            m, v["name"], r.get("rows"), rows, r.get("retries", 0)))
                    log("verified (%s) on %s: %d rows" % (m, v["name"], r["rows"]))
        for rep in range(args.reps if "main" in phases else 0):
            for v in variants:
                for m in methods:
                    r = bench.measure(m, v)
                    r["rep"] = rep
                    if "rows" in r and (r["rows"] != rows or r.get("retries")):
                        r["invalid"] = "%d rows instead of %d, %d retries" % (r["rows"], rows, r.get("retries", 0))
                        log("INVALID RUN: (%s) on %s: %s; server log: %s" % (m, v["name"], r["invalid"],
                                                                             Server.log_path))
                    runs.append(r)
                    loads.append(r["load"])
                    log("rep %d %-18s (%-2s) %7.2f s  client cpu %.2f s  backend cpu %s  load %.2f%s" % (
                        rep + 1, v["name"], m, r["wall"], r["cpu_client"] + r.get("cpu_server", 0),
                        "%.2f s" % r["cpu_pg"] if "cpu_pg" in r else "n/m", r["load"],
                        "  (other sessions: %s)" % ", ".join(r["foreign"]) if r.get("foreign") else ""))
        if "rss" in phases:
            log("hypertables: peak RSS against rows read (%s, incremental reads from the newest "
                "chunks)" % HT_RSS_VARIANT)
            res["rss"] = phase_ht_rss(bench, layout, fractions)
            loads += [r["load"] for p in res["rss"]["points"] for r in p["runs"]]
        if "incremental" in phases:
            log("hypertables: incremental read of the newest of %d chunks" % many["n_chunks"])
            res["incremental"] = phase_ht_incremental(bench, many, args.reps, not args.ht_no_verify)
            loads += [r["load"] for r in res["incremental"]["runs"]]
        if "xmin" in phases:
            if dev:
                raise SystemExit("bench: the xmin phase needs a native server (statistics counters)")
            log("hypertables: Xmin sync of the %d-chunk hypertable" % many["n_chunks"])
            res["xmin"] = phase_ht_xmin(bench, many, args.reps)
            loads += [r["load"] for r in res["xmin"]["runs"]]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if dev:
            # The dev server is shared (one connection at a time) and keeps its data:
            # nothing is left on it.
            if "incremental" in phases or "xmin" in phases:
                drop_ht_chunks(pg)
            pg.psql("SET client_min_messages = warning; " + " ".join(
                "DROP SCHEMA IF EXISTS %s CASCADE;" % s for s in [HT_META_SCHEMA] + [s for _, s, _ in HT_VARIANTS]))
    loads.append(loadavg())
    table = []
    for v in variants:
        base = None
        for m, label, _ in HT_METHODS:
            rs = [r for r in runs if r["method"] == m and r["variant"] == v["name"] and "invalid" not in r]
            if not rs:
                continue
            wall = median([r["wall"] for r in rs])
            row = {"variant": v["name"], "method": m, "label": label, "wall": wall,
                   "walls": [r["wall"] for r in rs], "rows_per_s": rows / wall,
                   "cpu_client": median([r["cpu_client"] for r in rs]),
                   "load": statistics.mean(r["load"] for r in rs),
                   "foreign_runs": sum(1 for r in rs if r.get("foreign"))}
            if "cpu_server" in rs[0]:
                row["cpu_server"] = median([r["cpu_server"] for r in rs])
            if "cpu_sink" in rs[0]:
                row["cpu_sink"] = median([r["cpu_sink"] for r in rs])
                row["socket_bytes"] = rs[0]["socket_bytes"]
            if cpu:
                row["cpu_pg"] = median([r["cpu_pg"] for r in rs])
                row["cpu_pg_per_row_us"] = row["cpu_pg"] / rows * 1e6
            if m == "L":
                base = row
            if base is not None:
                row["ratio"] = base["wall"] / wall
                if cpu and base["cpu_pg"] > 0:
                    row["cpu_pg_ratio"] = row["cpu_pg"] / base["cpu_pg"]
            table.append(row)
    res.update(runs=runs, table=table, load_min=min(loads), load_max=max(loads))
    return res


def report_ht_md(res):
    lay = res["layout"]
    m = res["machine"]
    lines = ["Hypertable run of %s: %g day(s) x %d devices, one row per %d s: %d rows per variant; "
             "%d repetitions (median shown), all methods interleaved. %s, %d cores, %.0f GB; "
             "TimescaleDB %s on PostgreSQL %s (%s). Load average during the runs: %.2f to %.2f." % (
                 res["date"], lay["days"], lay["devices"], lay["step_seconds"], lay["rows"], res["reps"],
                 m["cpu"], m["cores"], m["memory_gb"], res["timescaledb_version"], res["pg_version"],
                 res["server"], res["load_min"], res["load_max"]), ""]
    shown = set(r["variant"] for r in res["table"])
    if res.get("rss"):
        shown.add(res["rss"]["variant"])
    if shown:
        lines.append("| variant | layout | chunks | compressed chunks | size MB |")
        lines.append("|---|---|---|---|---|")
        for v in lay["variants"]:
            if v["name"] in shown:
                lines.append("| %s | %s | %d | %d | %.0f |" % (v["name"], v["what"], v["n_chunks"],
                                                             v["compressed_chunks"], v["bytes"] / 1e6))
        lines.append("")
    if res["table"]:
        report_ht_main(res, lines)
    if res.get("rss"):
        report_ht_rss(res["rss"], lines)
    if res.get("incremental"):
        report_ht_incremental(res["incremental"], lines)
    if res.get("xmin"):
        report_ht_xmin(res["xmin"], lines)
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def report_ht_main(res, lines):
    """The table of the variants read by each method (appended to lines)."""
    cpu_ok = res["backend_cpu"]["measured"]
    lines.append("| variant | method | wall s (runs) | rows/s | ratio to (L) | backend CPU s | "
                 "backend CPU µs/row | backend CPU/row vs (L) | client CPU s |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in res["table"]:
        if r["method"] == "d":
            client = "server %.2f + client %.2f" % (r["cpu_server"], r["cpu_client"])
        elif r["method"] in ("L", "a"):
            client = "psql %.2f" % r["cpu_client"]
        elif "cpu_sink" in r:
            client = "shim %.2f (+ sink %.2f)" % (r["cpu_client"], r["cpu_sink"])
        else:
            client = "shim %.2f" % r["cpu_client"]
        if cpu_ok:
            backend = ("%.2f" % r["cpu_pg"], "%.3f" % r["cpu_pg_per_row_us"],
                       "%.2f" % r["cpu_pg_ratio"] if "cpu_pg_ratio" in r else "-")
        else:
            backend = ("n/m",) * 3
        lines.append("| %s | (%s) %s | %.2f (%s) | %s | %s | %s | %s | %s | %s |" % (
            r["variant"], r["method"], r["label"], r["wall"], ", ".join("%.2f" % w for w in r["walls"]),
            fmt_rate(r["rows_per_s"]), "%.2f" % r["ratio"] if "ratio" in r else "-",
            backend[0], backend[1], backend[2], client))
    lines.append("")
    lines.append("Ratio to (L): (L)'s wall time / the method's. Backend CPU/row vs (L): the method's "
                 "backend CPU per row / (L)'s.")
    if cpu_ok:
        lines.append("Backend CPU: user+system time of the server's backends during each run, from "
                     "/proc/<postmaster>/stat (cutime+cstime of its reaped children) plus its live "
                     "children, before and after the run.")
        foreign = sum(r["foreign_runs"] for r in res["table"])
        if foreign:
            lines.append("Other sessions had backends on the server during %d of the runs: their CPU "
                         "may be in those runs' backend figures." % foreign)
    else:
        lines.append("Backend CPU not measured (n/m): %s." % res["backend_cpu"]["reason"])
    if res.get("dev"):
        lines.append("The dev server serves one connection at a time (other connections queue): "
                     "these figures check that every path runs, they do not measure speed, least "
                     "of all (e4) and (e2).")
    invalid = [r for r in res["runs"] if "invalid" in r]
    for r in invalid:
        lines.append("")
        lines.append("Invalid run, left out of the medians: (%s) on %s, repetition %d: %s." % (
            r["method"], r["variant"], r["rep"] + 1, r["invalid"]))
    lines.append("")


def report_ht_rss(rss, lines):
    """Peak RSS against rows read (appended to lines)."""
    pts = rss["points"]
    n = pts[0]["of_chunks"]
    lines.append("Peak RSS against rows read, %s variant: incremental reads whose saved cursor is the "
                 "range start of its newest %s of %d chunks%s, so each reads exactly those chunks, "
                 "through the same per-chunk reads as a full refresh%s. One run per size; the server "
                 "is tsdb-source-server "
                 "serving the Read to bench-read-client (one reader), the shim `tsdb-source read` "
                 "(in-process service; its output counted through a pipe to check the records)." % (
                     rss["variant"], ", ".join("%d" % p["chunks"] for p in pts[:-1]) +
                     (" and " if len(pts) > 1 else "") + "%d" % pts[-1]["chunks"], n,
                     " (at least 4, so that (e4) has its 4 readers at every size)" if n >= 4 else "",
                     " (the largest starts at the first chunk: every row)" if pts[-1]["chunks"] == n else ""))
    lines.append("")
    lines.append("| rows read | chunks read | server peak RSS MB (d) | bench client MB (d) | "
                 "shim peak RSS MB (e) | shim, 4 concurrent chunks, MB (e4) |")
    lines.append("|---|---|---|---|---|---|")
    for p in pts:
        lines.append("| %d | %d of %d | %.1f | %.1f | %.1f | %.1f |" % (
            p["rows"], p["chunks"], p["of_chunks"], p["rss_server"], p["rss_client"], p["rss_e"], p["rss_e4"]))
    lines.append("")
    parts = []
    met = True
    for key, name in (("rss_server", "server"), ("rss_e", "shim"), ("rss_e4", "shim with 4 chunks")):
        v = rss["verdict"][key]
        if rss["sizes_compared"]:
            parts.append("%s %.1f -> %.1f MB (%+.1f %%)" % (name, v["smallest"], v["largest"], 100 * v["growth"]))
        else:
            parts.append("%s %.1f MB" % (name, v["peak"]))
        met = met and v["below_limit"] and v["flat"]
    if not rss["sizes_compared"]:
        verdict = "flatness not measured: one size only"
    elif met:
        verdict = "met"
    else:
        why = []
        for key, name in (("rss_server", "server"), ("rss_e", "shim"), ("rss_e4", "shim with 4 chunks")):
            v = rss["verdict"][key]
            if not v["below_limit"]:
                why.append("%s peaks at %.1f MB" % (name, v["peak"]))
            if not v["flat"]:
                why.append("%s grows %+.1f %%" % (name, 100 * v["growth"]))
        verdict = "not met (%s)" % "; ".join(why)
    span = " (%.2f M -> %.2f M rows)" % (pts[0]["rows"] / 1e6, pts[-1]["rows"] / 1e6) if len(pts) > 1 else ""
    lines.append("Target: peak RSS < %d MB and flat, the largest read within %d %% of the smallest%s: "
                 "%s: %s." % (HT_RSS_LIMIT_MB, round(100 * HT_RSS_FLAT), span, ", ".join(parts), verdict))
    lines.append("")


def report_ht_incremental(inc, lines):
    """The incremental read of the newest of many chunks (appended to lines)."""
    lines.append("Incremental read of the newest chunk (%d rows) of a %d-chunk hypertable (`%s.%s`: "
                 "conditions' columns, 1-hour chunks of %d rows, %d rows, %.0f MB). The saved cursor "
                 "(a completed incremental state, passed with `--state` to the shim and to "
                 "bench-read-client) is that chunk's range start: the other %d chunks end at or "
                 "before it and are skipped by their ranges, and the read returns exactly the "
                 "chunk's rows. Compared with the same method's full read of a plain table holding "
                 "those rows (`%s.%s`): the fair comparison, and the one the target is about, since "
                 "both pay the process start, the connection, describing the stream and setting up "
                 "the read, and differ by listing and skipping the chunks; and with (L), a COPY "
                 "binary of the chunk alone in one psql process (start and connection included). "
                 "Medians of %d interleaved runs:" % (
                     inc["rows_per_chunk"], inc["n_chunks"], inc["schema"], HT_TABLE, inc["rows_per_chunk"],
                     inc["rows"], inc["bytes"] / 1e6, inc["n_chunks"] - 1, inc["alone_schema"], HT_TABLE,
                     inc["reps"]))
    lines.append("")
    lines.append("| method | incremental s (runs) | plain table of the chunk's rows s (runs) | "
                 "incremental / plain table | incremental / (L) |")
    lines.append("|---|---|---|---|---|")
    labels = dict((k, label) for k, label, _ in HT_METHODS)
    verdicts = []
    for m in "de":
        r = inc[m]
        if "ratio" not in r:
            continue
        lines.append("| (%s) %s | %.3f (%s) | %.3f (%s) | %.2f | %s |" % (
            m, labels[m], r["incremental"], ", ".join("%.3f" % w for w in r["incremental_all"]),
            r["alone"], ", ".join("%.3f" % w for w in r["alone_all"]), r["ratio"],
            "%.2f" % r["ratio_chunk"] if "ratio_chunk" in r else "-"))
        verdicts.append("(%s) %.2f" % (m, r["ratio"]))
    lines.append("")
    if inc["chunk"]["walls"]:
        lines.append("(L) `COPY (SELECT * FROM %s) TO STDOUT (FORMAT binary)`, the newest chunk alone, "
                     "one psql process: %.3f s (%s)." % (
                         inc["newest_chunk"], inc["chunk"]["wall"],
                         ", ".join("%.3f" % w for w in inc["chunk"]["walls"])))
        lines.append("")
    ok = [inc[m]["ratio"] <= inc["target"] for m in "de" if "ratio" in inc[m]]
    if ok:
        lines.append("Target: incremental <= %.1f x the same method on the plain table: %s: %s." % (
            inc["target"], ", ".join(verdicts), "met" if all(ok) else "not met" if not any(ok) else
            "met by " + ", ".join("(%s)" % m for m in "de" if "ratio" in inc[m] and inc[m]["ratio"] <= inc["target"])))
    invalid = [r for r in inc["runs"] if "invalid" in r]
    for r in invalid:
        lines.append("")
        lines.append("Invalid run, left out of the medians: (%s) on %s, repetition %d: %s." % (
            r["method"], r["variant"], r["rep"] + 1, r["invalid"]))
    lines.append("")


def report_ht_xmin(x, lines):
    """The Xmin sync of the many-chunk hypertable (appended to lines)."""
    def cell(kind):
        r = x[kind]
        if r["wall"] is None:
            return "- | - | -"
        return "%.3f | %s | %s" % (r["wall"], ", ".join("%.3f" % w for w in r["walls"]),
                                   "%.3f" % r["cpu_pg"] if r.get("cpu_pg") is not None else "n/m")
    lines.append("Xmin sync (`replication_method: Xmin`) of the %d-chunk hypertable `%s.%s` (%d rows), "
                 "from the state of a completed Xmin sync (%d bytes of state: one entry per chunk). "
                 "Medians of %d runs; backend CPU is the database's, per run:" % (
                     x["n_chunks"], x["schema"], HT_TABLE, x["rows"], x["state_bytes"], x["reps"]))
    lines.append("")
    lines.append("| run | wall s | runs | backend CPU s |")
    lines.append("|---|---|---|---|")
    lines.append("| (n) Xmin sync, nothing changed (the shim) | %s |" % cell("nothing"))
    lines.append("| (x) Xmin sync, one late row in `%s` (the shim) | %s |" % (x["late_chunk"], cell("late")))
    lines.append("| (alone) the shim reading `%s`, that chunk's %d rows in a plain table | %s |" % (
        x["alone_relation"], x["chunk_rows"], cell("alone")))
    lines.append("| (L) COPY binary of that chunk alone, one psql process | %s |" % cell("chunk"))
    lines.append("| (W) whole-table xmin scan as source-postgres runs it, one psql process | %s |" % cell("whole"))
    if x.get("compressed", {}).get("wall") is not None:
        lines.append("| (c) Xmin sync after `compress_chunk` of one unchanged chunk of %d (%d rows), another hypertable | %s |" % (
            x["comp_chunks"], x["comp_rows"], cell("compressed")))
    lines.append("")
    scans = x["nothing"]["chunk_scans"]
    lines.append("(n) scanned %s chunks (the chunks' `pg_stat_get_numscans` before and after each run)." % (
        "/".join(str(s) for s in scans)))
    if "ratio_alone" in x:
        lines.append("Target: (x) <= %.1f x reading that chunk's rows alone: %.2f x (alone), %.2f x (L): %s. "
                     "The whole-table xmin scan takes %.1f x as long as (x)." % (
                         x["target"], x["ratio_alone"], x.get("ratio_chunk", float("nan")),
                         "met" if x["ratio_alone"] <= x["target"] else "not met",
                         x.get("whole_over_late", float("nan"))))
    if x.get("compressed", {}).get("wall") is not None:
        lines.append("(c) emitted the compressed chunk's %d rows once more (checked on every run): the "
                     "stated cost of a compression under Xmin, one read of that chunk." % x["comp_rows"])
    invalid = [r for r in x["runs"] if "invalid" in r]
    for r in invalid:
        lines.append("")
        lines.append("Invalid run, left out of the medians: %s, repetition %d: %s." % (
            r["kind"], r["rep"] + 1, r["invalid"]))
    lines.append("")


def ht_connection(args):
    """The server of the hypertable suite: (Pg, dev?, description without password)."""
    env = os.environ
    if args.ht_server == "dev":
        for v in ("TSDB_TS_HOST", "TSDB_TS_PORT", "TSDB_TS_DB", "TSDB_TS_USER"):
            if not env.get(v):
                raise SystemExit("bench: --ht-server dev needs %s (tools/dev-db env)" % v)
        pg = Pg(env["TSDB_TS_HOST"], env["TSDB_TS_PORT"], env["TSDB_TS_DB"], env["TSDB_TS_USER"],
                env.get("TSDB_TS_PASSWORD", ""), password_in_env=True)
        return pg, True, "the WASM dev server at %s:%d" % (pg.host, pg.port)
    if not env.get("TSDB_NATIVE_HOST"):
        raise SystemExit("bench: the hypertable suite needs TSDB_NATIVE_HOST (and TSDB_NATIVE_PORT, "
                         "TSDB_NATIVE_USER, TSDB_NATIVE_PASSWORD) for a native TimescaleDB, or "
                         "--ht-server dev")
    pg = Pg(env["TSDB_NATIVE_HOST"], env.get("TSDB_NATIVE_PORT") or 5432,
            env.get("TSDB_NATIVE_DB") or "postgres", env.get("TSDB_NATIVE_USER") or "postgres",
            env.get("TSDB_NATIVE_PASSWORD", ""), password_in_env=True)
    return pg, False, "native, %s:%d" % (pg.host, pg.port)


# ---------------------------------------------------------------------------------------
# Reporting


def machine_info():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(), "os": platform.platform()}


def fmt_rate(v):
    if v >= 1e6:
        return "%.2f M" % (v / 1e6)
    return "%.0f k" % (v / 1e3)


def report_md(res):
    lines = []
    m = res["machine"]
    lines.append("Run of %s: %d rows, %d repetitions (median shown), %s, %d cores, %.0f GB; "
                 "PostgreSQL %s. Load average during the runs: %.2f to %.2f." % (
                     res["date"], res["rows"], res["reps"], m["cpu"], m["cores"], m["memory_gb"],
                     res["pg_version"], res["load_min"], res["load_max"]))
    lines.append("")
    lines.append("| table | method | rows/s | MB/s | ratio to (a) | wall s (runs) | CPU s ours | CPU s PG backend | peak RSS MB |")
    lines.append("|---|---|---|---|---|---|---|---|---|")
    for r in res["main"]["table"]:
        if r["method"] == "d":
            rss = "server %.0f, client %.0f" % (r["rss_server"], r["rss_client"])
        elif r["method"] == "e":
            rss = "shim %.0f" % r["rss_shim"]
        else:
            rss = "psql %.0f" % r["rss_client"]
        lines.append("| %s | (%s) %s | %s | %.0f | %.2f | %.2f (%s) | %.2f | %.2f | %s |" % (
            r["target"], r["method"], r["label"], fmt_rate(r["rows_per_s"]), r["mb_per_s"], r["ratio"],
            r["wall"], ", ".join("%.2f" % w for w in r["walls"]), r["cpu"], r["cpu_pg"], rss))
    lines.append("")
    invalid = [r for r in res["main"]["runs"] if "invalid" in r]
    for r in invalid:
        lines.append("Invalid run, left out of the medians: (%s) on %s, repetition %d: %s." % (
            r["method"], r["target"], r["rep"] + 1, r["invalid"]))
    if invalid:
        lines.append("")
    s = res["main"]["sizes"]
    lines.append("MB/s counts each method's own output: binary COPY %.0f MB, text %.0f MB, "
                 "row_to_json %.0f MB, protobuf ReadResponses %.0f MB, Airbyte JSON lines %.0f MB." % (
                     s["a"] / 1e6, s["b"] / 1e6, s["c"] / 1e6, s["d"] / 1e6, s["e"] / 1e6))
    lines.append("")
    lines.append("| rows | server peak RSS MB (d) | bench client MB (d) | shim peak RSS MB (e) |")
    lines.append("|---|---|---|---|")
    for p in res["rss"]:
        lines.append("| %d | %.1f | %.1f | %.1f |" % (p["rows"], p["rss_server"], p["rss_client"], p["rss_shim"]))
    lines.append("")
    inc = res["incremental"]
    lines.append("Incremental read of the newest partition (%d rows) of a %d-partition table "
                 "against a full read of that partition alone (a plain copy of it), medians:" % (
                     inc["rows"], inc["partitions"]))
    lines.append("")
    lines.append("| method | incremental s | alone s | ratio |")
    lines.append("|---|---|---|---|")
    for m in "de":
        lines.append("| (%s) | %.3f | %.3f | %.2f |" % (m, inc[m]["incremental"], inc[m]["alone"], inc[m]["ratio"]))
    lines.append("")
    d = res["discover"]
    lines.append("Discover (shim, whole process) on a schema holding the %d-partition table: "
                 "median %.3f s, best %.3f s." % (res["layout"]["partitions"], d["seconds"], d["best"]))
    if res.get("timescale"):
        t = res["timescale"]
        lines.append("")
        lines.append("TimescaleDB dev server (WASM; correctness, not speed): hypertable of %d rows in "
                     "%d chunks, %d compressed; Read RPC returned %d rows, the shim %d records with "
                     "matching sum(seq) and NULL count: %s." % (
                         t["rows"], t["chunks"], t["compressed_chunks"], t["rpc_rows"],
                         t["shim"]["records"], "OK" if t["ok"] else "MISMATCH"))
    return "\n".join(lines) + "\n"


def charts(res, out_dir):
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        log("gnuplot not found: no charts")
        return []
    dat = os.path.join(out_dir, "throughput.dat")
    targets = []
    for r in res["main"]["table"]:
        if r["target"] not in targets:
            targets.append(r["target"])
    with open(dat, "w") as f:
        f.write("method " + " ".join('"%s"' % t for t in targets) + "\n")
        for m, label in METHODS:
            vals = []
            for t in targets:
                row = next((r for r in res["main"]["table"] if r["target"] == t and r["method"] == m), None)
                vals.append("%.4f" % (row["rows_per_s"] / 1e6) if row else "NaN")
            f.write('"(%s) %s" %s\n' % (m, label.replace("\\", ""), " ".join(vals)))
    rss_dat = os.path.join(out_dir, "rss.dat")
    with open(rss_dat, "w") as f:
        for p in res["rss"]:
            f.write("%f %f %f %f\n" % (p["rows"] / 1e6, p["rss_server"], p["rss_shim"], p["rss_client"]))
    title = "%d rows, median of %d, %s" % (res["rows"], res["reps"], res["date"][:10])
    plot_cols = ", ".join("'%s' using %d:xtic(1) ti col" % (dat, i + 2) for i in range(len(targets)))
    script = """
set terminal pngcairo size 1000,560 font 'DejaVu Sans,10' noenhanced
set output '%(out)s/benchmark-throughput.png'
set title 'tsdb-source read throughput (million rows/s), %(title)s'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel 'million rows per second'
set yrange [0:*]
set grid ytics
set key top left
set xtics rotate by -15 scale 0
plot %(plot)s
set output '%(out)s/benchmark-rss.png'
set terminal pngcairo size 800,480 font 'DejaVu Sans,10' noenhanced
set title 'peak RSS against rows read, plain table'
set style data linespoints
set xlabel 'million rows'
set ylabel 'peak RSS (MB)'
set yrange [0:*]
set xrange [0:*]
set xtics auto rotate by 0
set key top left
plot '%(rss)s' using 1:2 ti 'tsdb-source-server (d)' lw 2 pt 7, \\
     '%(rss)s' using 1:3 ti 'shim read (e)' lw 2 pt 5, \\
     '%(rss)s' using 1:4 ti 'bench client (d)' lw 1 pt 3, \\
     150 ti 'target 150 MB' dt 2 lc rgb 'red'
""" % {"out": out_dir, "title": title, "plot": plot_cols, "rss": rss_dat}
    p = subprocess.run([gnuplot], input=script, text=True, capture_output=True)
    if p.returncode != 0:
        log("gnuplot failed: %s" % p.stderr)
        return []
    return [os.path.join(out_dir, "benchmark-throughput.png"), os.path.join(out_dir, "benchmark-rss.png")]


def main():
    global BENCH_DB
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", choices=["plain", "hypertable", "all"], default="plain",
                    help="plain: the plain-table benchmarks (results.md); hypertable: the "
                         "hypertable benchmarks (results-hypertable.md); all: both")
    ap.add_argument("--rows", type=int, default=10000000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--client", required=True)
    ap.add_argument("--concurrent", type=int, default=2,
                    help="also read the partitioned table with this many readers (1: skip)")
    ap.add_argument("--partitions", type=int, default=1000,
                    help="partitions of the table for the incremental and discover figures")
    ap.add_argument("--db", default=BENCH_DB, help="PostgreSQL database for the benchmark data")
    ap.add_argument("--ts-schema", default="bench_ts", help="schema on the TimescaleDB dev server")
    ap.add_argument("--force-prepare", action="store_true")
    ap.add_argument("--no-timescale", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes; only checks that it all runs")
    ap.add_argument("--only", default="main,rss,incremental,discover,timescale")
    ht = ap.add_argument_group("hypertable suite")
    ht.add_argument("--ht-server", choices=["native", "dev"], default="native",
                    help="native: the TimescaleDB of TSDB_NATIVE_HOST/PORT/USER/PASSWORD (database "
                         "TSDB_NATIVE_DB, default postgres, to create --ht-db from); dev: the WASM "
                         "dev server of TSDB_TS_* (schemas in its database; no backend CPU)")
    ht.add_argument("--ht-days", type=float, default=None,
                    help="days of data, %d rows a day; a fraction for a tiny test (default 28 "
                         "native, 1 dev)" % HT_ROWS_PER_DAY)
    ht.add_argument("--ht-db", default=HT_DB, help="database created on the native server")
    ht.add_argument("--ht-methods", default=HT_DEFAULT_METHODS,
                    help="subset of L,a,d,e,e4,e2")
    ht.add_argument("--ht-variants", default=",".join(n for n, _, _ in HT_VARIANTS),
                    help="subset of " + ",".join(n for n, _, _ in HT_VARIANTS))
    ht.add_argument("--ht-no-verify", action="store_true",
                    help="skip the untimed passes that check every reader's row count")
    ht.add_argument("--ht-only", default=None,
                    help="subset of %s: main (the variants read by --ht-methods), rss (peak RSS "
                         "against rows read, uncompressed), incremental (the newest of --ht-chunks "
                         "chunks); default all on the native server, main on the dev server"
                         % ",".join(HT_PHASES))
    ht.add_argument("--ht-rss-fractions", default="0.1,0.4,1",
                    help="rss: the sizes read, as fractions of the uncompressed variant's chunks "
                         "(the newest round(f x chunks) chunks)")
    ht.add_argument("--ht-chunks", type=int, default=1000,
                    help="incremental: chunks (1-hour) of the many-chunk hypertable")
    ht.add_argument("--ht-chunk-rows", type=int, default=None,
                    help="incremental: rows per chunk of the many-chunk hypertable (default "
                         "10000 native, 40 dev)")
    args = ap.parse_args()
    BENCH_DB = args.db
    os.makedirs(args.out, exist_ok=True)
    Server.log_path = os.path.join(args.out, "server.log")
    open(Server.log_path, "w").close()
    if args.suite in ("hypertable", "all"):
        # Checked before the (long) plain suite runs.
        ht_pg, ht_dev, ht_desc = ht_connection(args)
        if args.ht_days is None:
            args.ht_days = 1 if ht_dev else 28
        if args.ht_days <= 0:
            raise SystemExit("bench: --ht-days must be more than 0")
        if args.ht_only is None:
            args.ht_only = "main" if ht_dev else ",".join(HT_PHASES)
        if args.ht_chunk_rows is None:
            args.ht_chunk_rows = 40 if ht_dev else 10000
    if args.suite in ("plain", "all"):
        main_plain(args)
    if args.suite in ("hypertable", "all"):
        res = phase_hypertable(args, ht_pg, ht_dev, ht_desc)
        with open(os.path.join(args.out, "results-hypertable.json"), "w") as f:
            json.dump(res, f, indent=1)
        md = report_ht_md(res)
        with open(os.path.join(args.out, "results-hypertable.md"), "w") as f:
            f.write(md)
        print(md)
    log("results in %s" % args.out)


def main_plain(args):
    env = os.environ
    pg = Pg(env["TSDB_PG_HOST"], env["TSDB_PG_PORT"], env["TSDB_PG_DB"], env["TSDB_PG_USER"],
            env["TSDB_PG_PASSWORD"])
    ts = None
    if not args.no_timescale:
        ts = Pg(env["TSDB_TS_HOST"], env["TSDB_TS_PORT"], env["TSDB_TS_DB"], env["TSDB_TS_USER"],
                env["TSDB_TS_PASSWORD"])
    phases = args.only.split(",")
    layout = prepare_pg(pg, args.rows, args.force_prepare, args.partitions)
    BackendCpu.find_postmaster(pg)
    bench = Bench(args, pg, ts)
    res = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "rows": args.rows, "reps": args.reps, "machine": machine_info(),
           "pg_version": pg.psql("SHOW server_version"), "layout": layout}
    loads = [loadavg()]
    try:
        if "main" in phases:
            res["main"] = phase_main(bench, layout, args.reps, True)
            loads += [r["load"] for r in res["main"]["runs"]]
        if "rss" in phases:
            res["rss"] = phase_rss(bench, layout)
        if "incremental" in phases:
            res["incremental"] = phase_incremental(bench, layout, args.reps)
        if "discover" in phases:
            res["discover"] = phase_discover(bench, args.reps)
        if "timescale" in phases and ts is not None:
            res["timescale"] = phase_timescale(bench)
    finally:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    loads.append(loadavg())
    res["load_min"], res["load_max"] = min(loads), max(loads)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
    if all(k in res for k in ("main", "rss", "incremental", "discover")):
        md = report_md(res)
        with open(os.path.join(args.out, "results.md"), "w") as f:
            f.write(md)
        print(md)
        for png in charts(res, args.out):
            log("chart: %s" % png)


if __name__ == "__main__":
    main()
