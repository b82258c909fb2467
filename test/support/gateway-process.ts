import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { GATEWAY_MAIN } from './gateway-build';

const ROOT = resolve(__dirname, '../..');

/** The built gateway (`node dist/.../main.js`) as its own process. */
export interface GatewayProcess {
  child: ChildProcess;
  port: number;
  httpUrl: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running (for cleanup). */
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((done) => server.close(done));
  return port;
}

export async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((wake) => setTimeout(wake, 25));
  }
}

/**
 * Starts the built gateway on `port` with exactly `env` (plus PATH) and waits until `/readyz`
 * answers 200 and `ready(body)` holds (e.g. Redis connected). Call buildGateway() first.
 */
export async function startGatewayProcess(port: number, env: Record<string, string>, ready: (body: any) => boolean = () => true): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [GATEWAY_MAIN], { cwd: ROOT, env: { PATH: process.env.PATH, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  const httpUrl = `http://127.0.0.1:${port}`;
  const gateway: GatewayProcess = {
    child,
    port,
    httpUrl,
    output: () => output,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null) return true;
        const response = await fetch(`${httpUrl}/readyz`).catch(() => undefined);
        return response?.status === 200 && ready(await response.json());
      },
      30_000,
      `the gateway on port ${port} to be ready`,
    );
  } catch (error) {
    await gateway.kill();
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  if (child.exitCode !== null) throw new Error(`the gateway exited at start:\n${output}`);
  return gateway;
}
