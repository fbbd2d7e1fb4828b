#!/usr/bin/env bash
# Runs tools/bench_client/bench.py (the measuring part of tools/bench) at a tiny size, in its
# own database and TimescaleDB schema, and checks that every table of its report is there,
# with a row for each method. Timing is never asserted.
set -euo pipefail
R=${TEST_SRCDIR:?}/tsdb_source
for v in TSDB_PG_HOST TSDB_PG_PORT TSDB_TS_HOST TSDB_TS_PORT; do
  [ -n "${!v:-}" ] || { echo "$v not set: run through tools/test (it starts the dev databases)"; exit 1; }
done
OUT=${TEST_TMPDIR:?}/bench
/usr/bin/python3 "$R/tools/bench_client/bench.py" --rows 20000 --reps 1 --partitions 20 \
  --db tsdb_bench_smoke --ts-schema bench_ts_smoke --out "$OUT" \
  --shim "$R/client/tsdb-source" --server "$R/service/server/tsdb-source-server" \
  --client "$R/tools/bench_client/bench-read-client"

md=$OUT/results.md
fail=0
expect() {
  if ! grep -qF -- "$1" "$md"; then echo "FAIL: results.md lacks: $1"; fail=1; fi
}
expect "| table | method | rows/s | MB/s | ratio to (a) |"
for t in plain partitioned; do
  for m in "(a) psql" "(b) psql" "(c) psql" "(d) Read RPC" "(e) shim read"; do
    expect "| $t | $m"
  done
done
expect "| rows | server peak RSS MB (d) |"
for n in 2000 8000 20000; do expect "| $n |"; done
expect "| method | incremental s | alone s | ratio |"
expect "Discover (shim, whole process)"
expect "the shim 12000 records with matching sum(seq) and NULL count: OK"
/usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['main']['sizes']['e'] > 0" \
  "$OUT/results.json" || { echo "FAIL: results.json"; fail=1; }
[ "$fail" = 0 ] && echo "bench smoke: OK" || { cat "$md"; exit 1; }
