import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * The worker thread's module, next to this one: the TypeScript source when this file runs from the
 * sources (the tests; Node 24 strips the types), the compiled `.mjs` in the build.
 */
const WORKER_FILE = join(__dirname, __filename.endsWith('.ts') ? 'sqlite-worker.thread.mts' : 'sqlite-worker.thread.mjs');

type Param = string | number | null;

export interface SqliteMigration {
  version: number;
  name: string;
  sql: string[];
}

/** What the client sends the worker thread, and what the thread answers. */
export interface SqliteRequest {
  id: number;
  op: 'run' | 'get' | 'all';
  sql: string;
  params: Param[];
}
export interface SqliteReply {
  id: number;
  result?: unknown;
  error?: string;
}
export interface SqliteWorkerData {
  file: string;
  migrations: SqliteMigration[];
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
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
      // Awaited work keeps the process alive (e.g. `db:migrate`, which has nothing else to wait for).
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, sql, params } satisfies SqliteRequest);
    });
  }

  private start(): Worker {
    const workerData: SqliteWorkerData = { file: this.file, migrations: this.migrations };
    const worker = new Worker(WORKER_FILE, { workerData });
    worker.on('message', (message: SqliteReply) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.pending.delete(message.id);
      if (this.pending.size === 0) worker.unref();
      if (message.error !== undefined) pending.reject(new Error(message.error));
      else pending.resolve(message.result);
    });
    const onGone = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(explain(error));
    };
    worker.on('error', onGone);
    worker.on('exit', (code) => onGone(new Error(`the SQLite worker exited (code ${code})`)));
    // An idle worker never keeps the process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

/** Runtimes without node:sqlite fail to load the worker with a terse message; say what is needed. */
function explain(error: Error & { code?: string }): Error {
  if (error.code !== 'ERR_UNKNOWN_BUILTIN_MODULE') return error;
  return new Error(`the embedded SQLite store needs Node.js 24 (node:sqlite); this process runs Node ${process.version}`);
}
