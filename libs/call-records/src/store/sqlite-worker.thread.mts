/**
 * The SQLite worker thread: owns one `node:sqlite` database and answers the requests of its
 * SqliteWorkerClient. node:sqlite is synchronous; running it here keeps every write, fsync and WAL
 * checkpoint off the event loop that carries the calls' audio.
 *
 * An ES module on its own (Node built-ins only, types erased): it runs as TypeScript source under the
 * tests (Node 24 strips the types) and as the compiled `.mjs` in the build.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import type { SqliteReply, SqliteRequest, SqliteWorkerData } from './sqlite-worker.js';

const { file, migrations } = workerData as SqliteWorkerData;
const port = parentPort!;
let db: DatabaseSync | undefined;
const statements = new Map<string, StatementSync>();

function prepare(database: DatabaseSync, sql: string): StatementSync {
  let statement = statements.get(sql);
  if (!statement) {
    statement = database.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

/** Opens the file (creating its folder) and applies the pending migrations in one transaction. */
function open(): DatabaseSync {
  if (db) return db;
  mkdirSync(dirname(file), { recursive: true });
  const database = new DatabaseSync(file);
  try {
    database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    database.exec('BEGIN IMMEDIATE');
    try {
      database.exec('CREATE TABLE IF NOT EXISTS call_record_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)');
      const applied = new Set(database.prepare('SELECT version FROM call_record_migrations').all().map((row) => row.version));
      for (const migration of migrations) {
        if (applied.has(migration.version)) continue;
        for (const sql of migration.sql) database.exec(sql);
        database
          .prepare('INSERT INTO call_record_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, new Date().toISOString());
      }
      database.exec('COMMIT');
    } catch (error) {
      database.exec('ROLLBACK');
      throw error;
    }
  } catch (error) {
    database.close();
    throw error;
  }
  db = database;
  return database;
}

port.on('message', (request: SqliteRequest) => {
  let reply: SqliteReply;
  try {
    const statement = prepare(open(), request.sql);
    if (request.op === 'run') {
      statement.run(...request.params);
      reply = { id: request.id };
    } else {
      reply = { id: request.id, result: request.op === 'get' ? statement.get(...request.params) : statement.all(...request.params) };
    }
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
