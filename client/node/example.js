#!/usr/bin/env node
// Calls tsdb_source.v1.SourceService from Node.js with @grpc/grpc-js and
// @grpc/proto-loader (pinned in package.json / package-lock.json): Discover, then stream
// one hypertable, printing its rows and checkpoints. The .proto files are loaded at run
// time, so there is no code generation step.
//
//   tools/gen-clients node          # npm ci in client/node, from the lock file
//   node client/node/example.js --config config.json [--server 127.0.0.1:50051]
//       [--stream public.metrics] [--token-file token] [--tls [--ca-file ca.pem]
//       [--cert-file c.pem --key-file c.key]] [--max-rows N] [--timeout SECONDS]
//       [--proto-dir proto]
//
// Output lines are those of client/python/example.py:
//   stream <name> <kind> / columns ... / row {...} / checkpoint <records_total> <state> /
//   summary ... / error <CODE> <reason> <message> (exit status 1).
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const USAGE = 'usage: example.js --config FILE [--server HOST:PORT] [--stream NS.NAME] ' +
  '[--token-file F] [--tls] [--ca-file F] [--cert-file F] [--key-file F] [--max-rows N] ' +
  '[--timeout S] [--proto-dir D]';

function parseArgs(argv) {
  const args = { server: '127.0.0.1:50051', maxRows: -1,
                 protoDir: path.join(__dirname, '..', '..', 'proto') };
  const names = { '--server': 'server', '--config': 'config', '--stream': 'stream',
                  '--token-file': 'tokenFile', '--ca-file': 'caFile', '--cert-file': 'certFile',
                  '--key-file': 'keyFile', '--max-rows': 'maxRows', '--timeout': 'timeout',
                  '--proto-dir': 'protoDir' };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--tls') { args.tls = true; continue; }
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) throw new Error(USAGE);
    args[key] = argv[++i];
  }
  if (!args.config) throw new Error(USAGE);
  args.maxRows = Number(args.maxRows);
  return args;
}

function loadService(protoDir) {
  const definition = protoLoader.loadSync('tsdb_source/v1/source_service.proto', {
    includeDirs: [protoDir, '/usr/include'],
    keepCase: true,     // field names as in the .proto (and the Airbyte config keys)
    longs: String,      // 64-bit integers as decimal strings: no precision lost
    enums: String,
    defaults: true,
    oneofs: true,       // the ReadResponse oneof name arrives as response.event
  });
  return grpc.loadPackageDefinition(definition).tsdb_source.v1;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function isoMicros(micros, withZone) {
  const ms = micros / 1000n;
  const rest = Number(((micros % 1000n) + 1000n) % 1000n);
  const iso = new Date(Number(ms - (micros < 0n && rest ? 1n : 0n))).toISOString();
  const text = iso.replace('Z', '') + String(rest).padStart(3, '0');
  return withZone ? text + '+00:00' : text;
}

// A JSON-friendly form of one non-null value of `kind`.
function leafValue(kind, v) {
  switch (kind) {
    case 'VALUE_KIND_TIMESTAMP':
    case 'VALUE_KIND_TIMESTAMPTZ': {
      const micros = BigInt(v);
      if (micros === INT64_MAX) return 'infinity';
      if (micros === INT64_MIN) return '-infinity';
      return isoMicros(micros, kind === 'VALUE_KIND_TIMESTAMPTZ');
    }
    case 'VALUE_KIND_DATE': {
      const days = Number(v);
      if (days === 2147483647) return 'infinity';
      if (days === -2147483648) return '-infinity';
      return new Date(days * 86400000).toISOString().slice(0, 10);
    }
    case 'VALUE_KIND_TIME': {
      const micros = BigInt(v);
      return isoMicros(micros, false).slice(11);
    }
    case 'VALUE_KIND_INT64':
      return Number.isSafeInteger(Number(v)) ? Number(v) : v;
    case 'VALUE_KIND_BYTES':
      return Buffer.from(v).toString('base64');
    default:
      return Buffer.isBuffer(v) ? v.toString('utf8') : v;
  }
}

// The `count` values of a ColumnValues (arrays for list columns, null for NULL).
function columnValues(values, leafKind, count) {
  let raw;
  if (values.values === 'lists') {
    const lengths = values.lists.lengths.map(Number);
    const elements = columnValues(values.lists.elements, leafKind,
                                  lengths.reduce((a, b) => a + b, 0));
    raw = [];
    let at = 0;
    for (const n of lengths) { raw.push(elements.slice(at, at + n)); at += n; }
  } else if (!values.values) {
    raw = new Array(count).fill(null);
  } else {
    raw = values[values.values].values.map((v) => leafValue(leafKind, v));
  }
  const nulls = values.null_bitmap;
  return raw.slice(0, count).map((v, i) =>
    (nulls.length && (nulls[i >> 3] >> (i & 7)) & 1) ? null : v);
}

function rowsOf(batch, columns) {
  const decoded = columns.map((c, i) =>
    columnValues(batch.columns[i], c.kind === 'VALUE_KIND_ARRAY' ? c.element_kind : c.kind,
                 batch.row_count));
  const rows = [];
  for (let r = 0; r < batch.row_count; r++) {
    const row = {};
    columns.forEach((c, i) => { row[c.name] = decoded[i][r]; });
    rows.push(row);
  }
  return rows;
}

// Field names as the Python example prints them: a StreamState as JSON, sorted keys,
// unset fields left out.
function compact(value) {
  if (Array.isArray(value)) return value.length ? value.map(compact) : undefined;
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out = {};
    for (const key of Object.keys(value).sort()) {
      const v = compact(value[key]);
      if (v !== undefined && v !== null && v !== '' && v !== false && v !== '0' && v !== 0 &&
          !(typeof v === 'string' && v.endsWith('_UNSPECIFIED'))) {
        out[key] = v;
      }
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}

function credentialsFor(args) {
  if (!args.tls) return grpc.credentials.createInsecure();
  const read = (f) => (f ? fs.readFileSync(f) : null);
  return grpc.credentials.createSsl(read(args.caFile), read(args.keyFile), read(args.certFile));
}

function reportError(error) {
  const reason = (error.metadata && error.metadata.get('tsdb-source-reason')[0]) || '-';
  const code = Object.keys(grpc.status).find((k) => grpc.status[k] === error.code) || error.code;
  console.log(`error ${code} ${reason} ${error.details}`);
  process.exitCode = 1;
}

function main() {
  let args;
  try { args = parseArgs(process.argv.slice(2)); } catch (e) { console.error(e.message); process.exit(2); }
  const v1 = loadService(args.protoDir);
  const client = new v1.SourceService(args.server, credentialsFor(args));
  const config = JSON.parse(fs.readFileSync(args.config, 'utf8'));
  const metadata = new grpc.Metadata();
  if (args.tokenFile) {
    metadata.set('authorization', 'Bearer ' + fs.readFileSync(args.tokenFile, 'utf8').trim());
  }
  const options = () => (args.timeout ? { deadline: Date.now() + Number(args.timeout) * 1000 } : {});

  client.Discover({ config }, metadata, options(), (error, response) => {
    if (error) { reportError(error); client.close(); return; }
    const streams = response.catalog.streams;
    for (const s of streams) console.log(`stream ${s.stream.namespace}.${s.stream.name} ${s.kind}`);
    const name = (s) => `${s.stream.namespace}.${s.stream.name}`;
    const stream = args.stream ? streams.find((s) => name(s) === args.stream)
      : (streams.find((s) => s.kind === 'RELATION_KIND_HYPERTABLE') || streams[0]);
    if (!stream) {
      console.log(`error NOT_FOUND - no stream ${args.stream || 'at all'}`);
      process.exitCode = 1;
      client.close();
      return;
    }
    const request = {
      config,
      catalog: { streams: [{ stream: stream.stream, sync_mode: 'SYNC_MODE_FULL_REFRESH',
                             destination_sync_mode: 'DESTINATION_SYNC_MODE_OVERWRITE' }] },
    };
    let columns = [];
    let printed = 0;
    const call = client.Read(request, metadata, options());
    call.on('data', (response) => {
      switch (response.event) {
        case 'stream_start':
          columns = response.stream_start.columns;
          console.log('columns ' + columns.map((c) => `${c.name}:${c.pg_type}`).join(' '));
          break;
        case 'records':
          for (const row of rowsOf(response.records, columns)) {
            if (args.maxRows < 0 || printed < args.maxRows) {
              console.log('row ' + JSON.stringify(row));
              printed++;
            }
          }
          break;
        case 'checkpoint':
          console.log(`checkpoint ${response.checkpoint.records_total} ` +
                      JSON.stringify(compact(response.checkpoint.state) || {}));
          break;
        case 'summary': {
          const s = response.summary;
          console.log(`summary chunks_read=${s.chunks_read} chunks_skipped=${s.chunks_skipped} ` +
                      `rows=${s.rows} bytes=${s.bytes} seconds=${s.seconds.toFixed(3)} retries=${s.retries}`);
          break;
        }
        case 'log':
          console.log(`log ${response.log.level} ${response.log.message}`);
          break;
        default:
          break;
      }
    });
    call.on('error', (error) => { reportError(error); client.close(); });
    call.on('end', () => client.close());
  });
}

main();
