import { Worker } from 'node:worker_threads';

/**
 * The body of the SQLite worker thread, kept as plain JavaScript so it runs the same from the
 * TypeScript sources (tests) and the compiled build. node:sqlite is synchronous; running it here
 * keeps every write, fsync and WAL checkpoint off the event loop that carries the calls' audio.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const { mkdirSync } = require('node:fs');
const { dirname } = require('node:path');
let db;
const statements = new Map();
function prepare(sql) {
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
function open() {
  if (db) return;
  mkdirSync(dirname(workerData.file), { recursive: true });
  const database = new DatabaseSync(workerData.file);
  try {
    database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;');
    database.exec('BEGIN IMMEDIATE');
    try {
      database.exec('CREATE TABLE IF NOT EXISTS call_record_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)');
      const applied = new Set(database.prepare('SELECT version FROM call_record_migrations').all().map((row) => row.version));
      for (const migration of workerData.migrations) {
        if (applied.has(migration.version)) continue;
        for (const sql of migration.sql) database.exec(sql);
        database.prepare('INSERT INTO call_record_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, new Date().toISOString());
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
}
parentPort.on('message', (message) => {
  try {
    open();
    let result;
    if (message.op === 'run') prepare(message.sql).run(...message.params);
    else if (message.op === 'get') result = prepare(message.sql).get(...message.params);
    else if (message.op === 'all') result = prepare(message.sql).all(...message.params);
    parentPort.postMessage({ id: message.id, result });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: error && error.message ? error.message : String(error) });
  }
});
`;

type Param = string | number | null;
interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export interface SqliteMigration {
  version: number;
  name: string;
  sql: string[];
}

/** A SQLite database file served by its own worker thread; started on first use, restarted after a crash. */
export class SqliteWorkerClient {
  private worker?: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor(
    private readonly file: string,
    private readonly migrations: SqliteMigration[],
  ) {}

  run(sql: string, params: Param[] = []): Promise<void> {
    return this.request('run', sql, params) as Promise<void>;
  }

  get<T>(sql: string, params: Param[] = []): Promise<T | undefined> {
    return this.request('get', sql, params) as Promise<T | undefined>;
  }

  all<T>(sql: string, params: Param[] = []): Promise<T[]> {
    return this.request('all', sql, params) as Promise<T[]>;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    this.failAll(new Error('the SQLite store was closed'));
  }

  private request(op: 'run' | 'get' | 'all', sql: string, params: Param[]): Promise<unknown> {
    const worker = this.worker ?? this.start();
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, sql, params });
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file: this.file, migrations: this.migrations } });
    worker.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve(message.result);
    });
    const onGone = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(error);
    };
    worker.on('error', onGone);
    worker.on('exit', (code) => onGone(new Error(`the SQLite worker exited (code ${code})`)));
    // The worker never keeps the process alive on its own.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
