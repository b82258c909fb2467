// Load benchmark: `npm run bench -- --calls 200 [--duration 30] [--batch-ms 100] [--delta-ms 20] ...`
// Runs the floor (a bare relay, floor-relay.mjs) and the built gateway one after the other under
// identical load, each against its own echoing fake OpenAI (its own process), with the fake Twilio
// callers in worker threads of this process. Prints a table with the gateway's figures as ratios
// to the floor measured in the same run, and one `BENCH_JSON {...}` line. Not part of `npm test`.
import { fork } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { merge, newHistogram, nowUs, percentileMs } from './shared.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const DEFAULT_GATEWAY_MAIN = join(root, 'dist/apps/voice-gateway/apps/voice-gateway/src/main.js');
const CLOCK_TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux
/** The Node flags production starts the gateway with (`npm run start:prod`); both servers get them. */
const PRODUCTION_NODE_FLAGS = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  .scripts['start:prod'].split(' ')
  .filter((token) => token.startsWith('--'));

const { values: options } = parseArgs({
  options: {
    calls: { type: 'string', default: '50' },
    duration: { type: 'string', default: '20' },
    'batch-ms': { type: 'string', default: '100' },
    'delta-ms': { type: 'string' },
    'ramp': { type: 'string' },
    'warmup': { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    targets: { type: 'string', default: 'floor,gateway' },
    rounds: { type: 'string', default: '1' },
    'cpu-prof': { type: 'boolean', default: false },
    'node-flags': { type: 'string', default: '' },
    'gateway-main': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (options.help) {
  console.log(`npm run bench -- [options]
  --calls 50            concurrent calls
  --duration 20         seconds measured per round
  --batch-ms 100        the fake OpenAI answers every this many ms of caller audio
  --delta-ms n          ... in deltas of n ms sent back to back (default: one delta of --batch-ms)
  --ramp s              seconds to connect the calls (default calls/50, at least 3)
  --warmup 3            seconds between the last call connecting and measuring
  --workers 2           caller threads
  --targets floor,gateway
  --rounds 1            alternate the targets this many times; figures are pooled per target
  --node-flags=...      Node flags added to start:prod's, for both servers
  --gateway-main path   measure another build of the gateway
  --cpu-prof            write CPU profiles of the servers to tmp/bench-profiles/`);
  process.exit(0);
}
const calls = Number(options.calls);
const durationS = Number(options.duration);
const batchMs = Number(options['batch-ms']);
const deltaMs = options['delta-ms'] !== undefined ? Number(options['delta-ms']) : batchMs;
const rampS = options.ramp !== undefined ? Number(options.ramp) : Math.max(3, calls / 50);
const warmupS = Number(options.warmup);
const workerCount = Math.max(1, Math.min(Number(options.workers), calls));
const targets = options.targets.split(',');
/** Another build of the gateway (e.g. an older commit's dist) can be measured with --gateway-main. */
const GATEWAY_MAIN = options['gateway-main'] ?? DEFAULT_GATEWAY_MAIN;
const rounds = Math.max(1, Number(options.rounds));
const FRAME_MS = 20;
if (batchMs % FRAME_MS !== 0) throw new Error('--batch-ms must be a multiple of 20');
// Each delta carries an 18-byte stamp (shared.mjs): at least 3 ms of µ-law.
if (!Number.isInteger(deltaMs) || deltaMs < 3 || batchMs % deltaMs !== 0) throw new Error('--delta-ms must be a whole number of ms, at least 3, that divides --batch-ms');
if (targets.includes('gateway') && !existsSync(GATEWAY_MAIN)) throw new Error(`build the gateway first (npm run build): ${GATEWAY_MAIN} is missing`);

function freePort() {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, child, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`server did not listen on ${port}`);
}

function nextMessage(emitter, type, timeoutMs = 10000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} message within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message) => {
      if (message?.type !== type) return;
      clearTimeout(timer);
      emitter.off('message', onMessage);
      resolve(message);
    };
    emitter.on('message', onMessage);
  });
}

/** utime and stime of a process in milliseconds, from /proc/<pid>/stat. */
function cpuTimes(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: (Number(fields[11]) * 1000) / CLOCK_TICKS_PER_SECOND, system: (Number(fields[12]) * 1000) / CLOCK_TICKS_PER_SECOND };
}

/** Read and write system calls so far (/proc/<pid>/io), the bulk of a relay's CPU. */
function syscalls(pid) {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  return { reads: Number(/syscr: (\d+)/.exec(io)[1]), writes: Number(/syscw: (\d+)/.exec(io)[1]) };
}

function rssBytes(pid) {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match[1]) * 1024;
}

async function startServer(target, port, openAiUrl) {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    NODE_ENV: 'production',
    OPENAI_API_KEY: 'sk-bench-0000000000000000000000',
    OPENAI_REALTIME_URL: openAiUrl,
    LOG_LEVEL: 'warn',
    // The bench callers do not sign their upgrades; validation costs once per call, not per frame.
    TWILIO_VALIDATE_SIGNATURES: 'false',
    // Production needs its public URL and a signing secret (the stream tokens each call fetches from the webhook).
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    GATEWAY_SIGNING_SECRET: 'bench-signing-secret-0123456789abcdef',
    // One gateway on its embedded record store (production otherwise needs a shared DATABASE_URL).
    SINGLE_REPLICA: 'true',
    HTTP_MAX_CONNECTIONS: '100000',
    // The echo fake never reports caller speech: without this every bench call would count as idle.
    CALLER_IDLE_TIMEOUT_S: '0',
  };
  const execArgv = ['--require', join(here, 'probe.cjs'), ...PRODUCTION_NODE_FLAGS, ...options['node-flags'].split(' ').filter(Boolean)];
  if (options['cpu-prof']) execArgv.push('--cpu-prof', `--cpu-prof-dir=${join(root, 'tmp', 'bench-profiles')}`, `--cpu-prof-name=${target}-${calls}-${Date.now()}.cpuprofile`);
  const script = target === 'floor' ? join(here, 'floor-relay.mjs') : GATEWAY_MAIN;
  const child = fork(script, [], { env, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
  await waitForPort(port, child);
  return child;
}

async function probe(child) {
  const reply = nextMessage(child, 'probe');
  child.send({ type: 'probe-read' });
  return reply;
}

async function runTarget(target) {
  const fake = fork(join(here, 'echo-openai.mjs'), [], {
    env: { ...process.env, BENCH_BATCH_FRAMES: String(batchMs / FRAME_MS), BENCH_DELTA_MS: String(deltaMs) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  const { port: fakePort } = await nextMessage(fake, 'listening');
  const port = await freePort();
  const server = await startServer(target, port, `ws://127.0.0.1:${fakePort}/v1/realtime`);
  await sleep(1000);
  const idle = await probe(server);
  const baselineRss = rssBytes(server.pid);

  const workers = [];
  const perWorker = Math.ceil(calls / workerCount);
  for (let w = 0; w < workerCount; w++) {
    const firstCall = w * perWorker;
    const callCount = Math.min(perWorker, calls - firstCall);
    if (callCount <= 0) break;
    workers.push(new Worker(join(here, 'caller-worker.mjs'), { workerData: { url: `ws://127.0.0.1:${port}/media-stream`, firstCall, callCount, rampMs: rampS * 1000, frameMs: FRAME_MS } }));
  }
  const status = async () => {
    const replies = await Promise.all(workers.map((worker) => { const r = nextMessage(worker, 'status'); worker.postMessage({ type: 'status' }); return r; }));
    return replies.reduce((sum, r) => ({ connected: sum.connected + r.connected, failed: sum.failed + r.failed, closedEarly: sum.closedEarly + r.closedEarly }), { connected: 0, failed: 0, closedEarly: 0 });
  };
  const rampDeadline = Date.now() + rampS * 1000 + 10000;
  let connected = await status();
  while (connected.connected + connected.failed < calls && Date.now() < rampDeadline) {
    await sleep(250);
    connected = await status();
  }
  await sleep(warmupS * 1000);

  const windowStart = nowUs() + 50_000;
  const windowEnd = windowStart + durationS * 1e6;
  for (const worker of workers) worker.postMessage({ type: 'window', start: windowStart, end: windowEnd });
  fake.send({ type: 'window', start: windowStart, end: windowEnd });
  await sleep(50);
  server.send({ type: 'probe-reset' });
  const cpuStart = cpuTimes(server.pid);
  const ioStart = syscalls(server.pid);
  const rssSamples = [];
  const handlesAtStart = (await probe(server)).handles;
  for (let s = 0; s < durationS; s++) {
    await sleep(1000);
    rssSamples.push(rssBytes(server.pid));
  }
  const cpuEnd = cpuTimes(server.pid);
  const ioEnd = syscalls(server.pid);
  const loaded = await probe(server);
  await sleep(1500); // let stamped frames still in flight arrive

  const workerReports = await Promise.all(workers.map((worker) => { const r = nextMessage(worker, 'report'); worker.postMessage({ type: 'report' }); return r; }));
  const fakeReport = await (async () => { const r = nextMessage(fake, 'report'); fake.send({ type: 'report' }); return r; })();
  const outbound = workerReports.reduce((h, r) => merge(h, r.outbound), newHistogram());
  const totals = workerReports.reduce((sum, r) => {
    for (const [key, value] of Object.entries(r.totals)) sum[key] = (sum[key] ?? 0) + value;
    return sum;
  }, {});
  const statusAtEnd = await status();

  for (const worker of workers) worker.postMessage({ type: 'hangup' });
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('exit', resolve))));
  await sleep(2000);
  const afterHangUp = await probe(server);
  server.kill('SIGTERM');
  fake.disconnect();
  await new Promise((resolve) => (server.exitCode !== null ? resolve() : server.once('exit', resolve)));

  return { target, statusAtEnd, totals, fakeReport, outbound, cpu: cpuEnd.user + cpuEnd.system - cpuStart.user - cpuStart.system, cpuSystem: cpuEnd.system - cpuStart.system, reads: ioEnd.reads - ioStart.reads, writes: ioEnd.writes - ioStart.writes, rssSamples, baselineRss, loaded, idle, handlesAtStart, afterHangUp };
}

/** Pools the rounds of one target: sums and merged histograms; worst case for the rest. */
function summarise(target, runs) {
  const sum = (pick) => runs.reduce((total, run) => total + pick(run), 0);
  const worst = (pick) => Math.max(...runs.map(pick));
  const inbound = runs.reduce((h, run) => merge(h, run.fakeReport.inbound), newHistogram());
  const outbound = runs.reduce((h, run) => merge(h, run.outbound), newHistogram());
  const connected = Math.min(...runs.map((run) => run.statusAtEnd.connected));
  const callSeconds = sum((run) => run.statusAtEnd.connected * durationS);
  const rssPerCall = (run) => (run.rssSamples.reduce((a, b) => a + b, 0) / run.rssSamples.length - run.baselineRss) / 1024 / Math.max(1, run.statusAtEnd.connected);
  const last = runs[runs.length - 1];
  return {
    target,
    rounds: runs.length,
    calls: connected,
    failed: sum((run) => run.statusAtEnd.failed),
    closedEarly: sum((run) => run.statusAtEnd.closedEarly),
    framesIn: sum((run) => run.totals.framesSentInWindow),
    framesInLost: sum((run) => run.totals.framesSentInWindow - run.fakeReport.inbound.n),
    framesOut: sum((run) => run.fakeReport.deltasSentInWindow),
    framesOutLost: sum((run) => run.fakeReport.deltasSentInWindow - run.outbound.n),
    marksEchoed: sum((run) => run.totals.marksEchoed),
    // Messages per call-second, as the callers (Twilio's side) send and receive them.
    mediaInPerCallSecond: sum((run) => run.totals.framesSentInWindow) / callSeconds,
    markEchoesPerCallSecond: sum((run) => run.totals.marksEchoed) / callSeconds,
    mediaOutPerCallSecond: sum((run) => run.totals.mediaReceived) / callSeconds,
    marksOutPerCallSecond: sum((run) => run.totals.marksReceived) / callSeconds,
    clearsOutPerCallSecond: sum((run) => run.totals.clearsReceived) / callSeconds,
    messagesInPerCallSecond: sum((run) => run.totals.framesSentInWindow + run.totals.marksEchoed) / callSeconds,
    messagesOutPerCallSecond: sum((run) => run.totals.mediaReceived + run.totals.marksReceived + run.totals.clearsReceived) / callSeconds,
    inP50: percentileMs(inbound, 50),
    inP99: percentileMs(inbound, 99),
    inMax: inbound.max / 1000,
    outP50: percentileMs(outbound, 50),
    outP99: percentileMs(outbound, 99),
    outMax: outbound.max / 1000,
    cpuMsPerCallSecond: sum((run) => run.cpu) / callSeconds,
    systemCpuMsPerCallSecond: sum((run) => run.cpuSystem) / callSeconds,
    readsPerCallSecond: sum((run) => run.reads) / callSeconds,
    writesPerCallSecond: sum((run) => run.writes) / callSeconds,
    cpuCorePercent: (sum((run) => run.cpu) / (runs.length * durationS * 1000)) * 100,
    rssPerCallKB: worst(rssPerCall),
    rssGrowthKB: worst((run) => (run.rssSamples[run.rssSamples.length - 1] - run.rssSamples[0]) / 1024),
    rssMB: worst((run) => run.rssSamples.reduce((a, b) => a + b, 0) / run.rssSamples.length) / 1048576,
    loopDelayP50: worst((run) => run.loaded.loopDelayMs.p50),
    loopDelayP99: worst((run) => run.loaded.loopDelayMs.p99),
    loopDelayMax: worst((run) => run.loaded.loopDelayMs.max),
    gcPauseMsPerSecond: sum((run) => run.loaded.gc.totalMs) / (runs.length * durationS),
    gcPauseMax: worst((run) => run.loaded.gc.maxMs),
    gcMajorCount: sum((run) => run.loaded.gc.majorCount),
    gcMajorMax: worst((run) => run.loaded.gc.majorMaxMs),
    newSpaceIdleMB: worst((run) => run.idle.heapSpacesKB.new_space ?? 0) / 1024,
    newSpaceMB: worst((run) => run.loaded.heapSpacesKB.new_space ?? 0) / 1024,
    handlesIdle: last.idle.handles,
    handlesAtStart: last.handlesAtStart,
    handlesAtEnd: last.loaded.handles,
    handlesAfterHangUp: last.afterHangUp.handles,
  };
}

const ROWS = [
  ['calls connected', 'calls', 0],
  ['frames in (caller->OpenAI)', 'framesIn', 0],
  ['  lost', 'framesInLost', 0],
  ['frames out (OpenAI->caller)', 'framesOut', 0],
  ['  lost', 'framesOutLost', 0],
  ['marks echoed', 'marksEchoed', 0],
  ['caller->server msgs per call-second', 'messagesInPerCallSecond', 1, true],
  ['  media', 'mediaInPerCallSecond', 1],
  ['  mark echoes', 'markEchoesPerCallSecond', 1],
  ['server->caller msgs per call-second', 'messagesOutPerCallSecond', 1, true],
  ['  media', 'mediaOutPerCallSecond', 1],
  ['  marks', 'marksOutPerCallSecond', 1],
  ['  clears', 'clearsOutPerCallSecond', 2],
  ['latency in p50 ms', 'inP50', 2, true],
  ['latency in p99 ms', 'inP99', 2, true],
  ['latency in max ms', 'inMax', 1],
  ['latency out p50 ms', 'outP50', 2, true],
  ['latency out p99 ms', 'outP99', 2, true],
  ['latency out max ms', 'outMax', 1],
  ['CPU ms per call-second', 'cpuMsPerCallSecond', 3, true],
  ['  of which kernel', 'systemCpuMsPerCallSecond', 3, true],
  ['CPU % of a core', 'cpuCorePercent', 1],
  ['read syscalls per call-second', 'readsPerCallSecond', 1, true],
  ['write syscalls per call-second', 'writesPerCallSecond', 1, true],
  ['RSS MB', 'rssMB', 1],
  ['RSS KB per call', 'rssPerCallKB', 1],
  ['RSS growth over run KB', 'rssGrowthKB', 0],
  ['event-loop lag p50 ms', 'loopDelayP50', 2, true],
  ['event-loop lag p99 ms', 'loopDelayP99', 2, true],
  ['event-loop lag max ms', 'loopDelayMax', 1],
  ['GC pause ms per second', 'gcPauseMsPerSecond', 2, true],
  ['GC pause max ms', 'gcPauseMax', 1],
  ['GC non-scavenge pauses', 'gcMajorCount', 0],
  ['  longest ms', 'gcMajorMax', 1],
  ['V8 new space MB idle', 'newSpaceIdleMB', 1],
  ['V8 new space MB loaded', 'newSpaceMB', 1],
  ['handles idle/start/end/after', null, 0],
];

function printTable(results) {
  const byTarget = Object.fromEntries(results.map((r) => [r.target, r]));
  const columns = results.map((r) => r.target);
  const hasRatio = byTarget.floor && byTarget.gateway;
  const header = ['metric', ...columns, ...(hasRatio ? ['gateway/floor'] : [])];
  const lines = [header];
  for (const [label, key, digits, ratio] of ROWS) {
    if (key === null) {
      lines.push([label, ...results.map((r) => `${r.handlesIdle}/${r.handlesAtStart}/${r.handlesAtEnd}/${r.handlesAfterHangUp}`)]);
      continue;
    }
    const cells = results.map((r) => (Number.isFinite(r[key]) ? r[key].toFixed(digits) : String(r[key])));
    if (hasRatio) cells.push(ratio ? (byTarget.gateway[key] / byTarget.floor[key]).toFixed(2) : '');
    lines.push([label, ...cells]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((line) => String(line[i] ?? '').length)));
  for (const line of lines) console.log(line.map((cell, i) => (i === 0 ? String(cell ?? '').padEnd(widths[i]) : String(cell ?? '').padStart(widths[i]))).join('  '));
}

function verdicts(results) {
  const floor = results.find((r) => r.target === 'floor');
  const gateway = results.find((r) => r.target === 'gateway');
  if (!gateway) return {};
  const checks = {
    allConnected: gateway.calls === calls && gateway.closedEarly === 0,
    noFrameLost: gateway.framesInLost === 0 && gateway.framesOutLost === 0,
    rssPerCallUnder150KB: gateway.rssPerCallKB <= 150,
    noHandleLeak: gateway.handlesAtEnd <= gateway.handlesAtStart && gateway.handlesAfterHangUp <= gateway.handlesIdle,
  };
  if (floor) {
    checks.cpuWithin115 = gateway.cpuMsPerCallSecond <= 1.15 * floor.cpuMsPerCallSecond;
    checks.p99InWithin130 = gateway.inP99 <= 1.3 * floor.inP99;
    checks.p99OutWithin130 = gateway.outP99 <= 1.3 * floor.outP99;
  }
  return checks;
}

console.log(`servers run with the production Node flags: ${PRODUCTION_NODE_FLAGS.join(' ') || 'none'} ${options['node-flags']}`);
console.log(`bench: ${calls} calls, ${rounds} round(s) of ${durationS} s measured after ${rampS} s ramp + ${warmupS} s warm-up, echo every ${batchMs} ms in ${deltaMs} ms deltas, ${workerCount} caller threads, node ${process.version}`);
const runs = Object.fromEntries(targets.map((target) => [target, []]));
for (let round = 1; round <= rounds; round++) {
  for (const target of round % 2 === 1 ? targets : [...targets].reverse()) {
    console.log(`round ${round}/${rounds}: ${target}...`);
    runs[target].push(await runTarget(target));
  }
}
const results = targets.map((target) => summarise(target, runs[target]));
printTable(results);
const checks = verdicts(results);
for (const [name, ok] of Object.entries(checks)) console.log(`${ok ? 'PASS' : 'FAIL'} ${name}`);
const round = (value) => (typeof value === 'number' ? Math.round(value * 1000) / 1000 : value);
console.log('BENCH_JSON ' + JSON.stringify({
  at: new Date().toISOString(),
  options: { calls, durationS, batchMs, deltaMs, rampS, warmupS, workers: workerCount, rounds, nodeFlags: [...PRODUCTION_NODE_FLAGS, options['node-flags']].join(' ').trim() },
  machine: { cpus: (await import('node:os')).cpus().length, loadavg: (await import('node:os')).loadavg().map(round), node: process.version },
  results: results.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]))),
  checks,
}));
