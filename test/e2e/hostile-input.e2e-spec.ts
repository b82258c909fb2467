import { randomBytes, randomInt } from 'node:crypto';
import v8 from 'node:v8';
import vm from 'node:vm';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeTwilioCall, SimulatedSession } from '@app/simulators';
import { CallRegistry } from '@app/orchestration';
import { GatewayHarness, sleep, startGateway } from '../support/gateway-harness';
import { expectNothingLeaked } from '../support/leak-check';

const noise = (bytes: number) => randomBytes(bytes);

/** A garbage collector for honest heap measurements (the flag can be set at run time). */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** One random or mutated frame aimed at a live call (never a well-formed `stop` for it). */
function hostileFrame(call: FakeTwilioCall): string | Buffer {
  const valid = () => ({
    event: 'media',
    sequenceNumber: String(randomInt(1e6)),
    streamSid: call.streamSid,
    media: { track: 'inbound', chunk: '1', timestamp: '20', payload: randomBytes(160).toString('base64') },
  });
  const junk = (): unknown =>
    [null, 0, -1, 1e308, '', 'x'.repeat(randomInt(300)), [], {}, true, { payload: 1 }, [1, [2, [3]]], '\u0000\uffff'][randomInt(12)];
  switch (randomInt(12)) {
    case 0:
      return randomBytes(randomInt(1, 400)); // binary
    case 1:
      return randomBytes(randomInt(1, 400)).toString('latin1'); // not JSON
    case 2:
      return JSON.stringify(valid()).slice(0, randomInt(1, 120)); // truncated JSON
    case 3:
      return JSON.stringify({ ...valid(), streamSid: 'MZ' + randomBytes(16).toString('hex') }); // another stream
    case 4:
      return JSON.stringify({ ...valid(), media: { payload: randomBytes(120).toString('latin1') } }); // bad base64
    case 5:
      return JSON.stringify({ ...valid(), media: { payload: '####' + randomBytes(30).toString('base64') } });
    case 6:
      return JSON.stringify({ event: ['nonsense', 'clear', 'hello', '__proto__', 'constructor'][randomInt(5)], streamSid: call.streamSid });
    case 7:
      return JSON.stringify({ event: 'start', streamSid: 'MZ' + randomInt(1e9), start: { streamSid: junk(), callSid: junk(), customParameters: junk() } });
    case 8: {
      const frame: Record<string, unknown> = valid();
      for (const key of ['event', 'streamSid', 'media', 'sequenceNumber']) if (randomInt(3) === 0) frame[key] = junk();
      if (frame.event === 'stop') frame.event = 'media';
      return JSON.stringify(frame);
    }
    case 9:
      return JSON.stringify({ event: 'mark', streamSid: call.streamSid, mark: { name: randomInt(3) ? junk() : String(randomInt(1e6)) } });
    case 10:
      return JSON.stringify({ event: 'dtmf', streamSid: randomInt(2) ? call.streamSid : 'MZx', dtmf: { digit: junk() } });
    default:
      return JSON.stringify(junk());
  }
}

describe('hostile input on the media stream', () => {
  let gateway: GatewayHarness | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('drops media with bad base64 instead of sending it to OpenAI', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const call = gateway.newCall();
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await call.waitUntil(() => session.inputAudio().length > 0, 3000, 'caller audio at OpenAI');
    for (const payload of ['not base64!', 'QUJD=', '', 'QUJ', '====', 'QU JD']) {
      call.sendRaw(JSON.stringify({ event: 'media', streamSid: call.streamSid, media: { payload } }));
    }
    const before = session.inputAudio().length;
    await call.waitUntil(() => session.inputAudio().length > before + 800, 3000, 'more caller audio');
    expect(session.invalidAppends).toBe(0);
    expect(session.sentErrors).toEqual([]);
    expect(call.isOpen).toBe(true);
  });

  it('closes a socket that never sends start, without opening an OpenAI session', async () => {
    gateway = await startGateway({ MEDIA_STREAM_START_TIMEOUT_MS: '300' });
    const idle = gateway.newCall();
    await idle.connect({ sendStart: false });
    expect(await idle.waitForClose(3000)).toBe(1008);
    expect(gateway.simulator.sessions).toHaveLength(0);
    await expectNothingLeaked(gateway);
  });

  it('refuses a frame larger than the cap, closing only that socket', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
    const victim = gateway.newCall();
    const bystander = gateway.newCall();
    await Promise.all([victim.connect(), bystander.connect()]);
    victim.sendRaw(JSON.stringify({ event: 'media', streamSid: victim.streamSid, media: { payload: 'A'.repeat(100 * 1024) } }));
    expect(await victim.waitForClose(3000)).toBe(1009);
    await sleep(100);
    expect(bystander.isOpen).toBe(true);
  });

  it('survives 10,000+ random and mutated frames at live calls; a normal call then works and memory stays flat', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' });
    const targets = [gateway.newCall(), gateway.newCall(), gateway.newCall()];
    await Promise.all(targets.map((c) => c.connect()));
    const sessions: SimulatedSession[] = await Promise.all(targets.map((_c, i) => gateway!.simulator.nextSession(i)));
    // A connection that never said `start` gets the same treatment.
    const raw = new WebSocket(gateway.mediaStreamUrl, { headers: gateway.streamUpgradeHeaders });
    await new Promise((resolve) => raw.once('open', resolve));
    raw.on('error', () => undefined);

    const round = async (frames: number) => {
      for (let i = 0; i < frames; i++) {
        const frame = hostileFrame(targets[i % targets.length]);
        if (i % 50 === 49) raw.send(frame);
        else targets[i % targets.length].sendRaw(frame);
        if (i % 200 === 199) await sleep(1); // let the gateway keep up, as a real peer's TCP window would
      }
      await sleep(200);
    };
    await round(2000); // warm-up: JIT, buffers
    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    await round(5000);
    await round(5000);
    collectGarbage();
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;

    expect(heapGrowthMb).toBeLessThan(8);
    for (const call of targets) expect(call.isOpen).toBe(true);
    // Nothing hostile reached OpenAI: every append was valid base64 and nothing drew an error.
    for (const session of sessions) {
      expect(session.invalidAppends).toBe(0);
      expect(session.sentErrors).toEqual([]);
    }
    // The connection that never sent a good `start`: whatever start-shaped junk it sent carried no
    // stream token, so it never became a call (and one that does is closed at once).
    const registry = gateway.app.get(CallRegistry);
    expect(registry.size).toBe(3);
    const rawClosed = new Promise<number>((resolve) => (raw.readyState === WebSocket.CLOSED ? resolve(1008) : raw.once('close', resolve)));
    raw.send(JSON.stringify({ event: 'start', streamSid: 'MZforged', start: { streamSid: 'MZforged', callSid: 'CA' + '9'.repeat(32), customParameters: {} } }));
    expect(await rawClosed).toBe(1008);
    await targets[0].waitUntil(() => registry.all().length === 3, 3000, 'the forged stream to leave the registry');

    const normal = gateway.newCall();
    await normal.connect();
    const session = await gateway.simulator.nextSession(3);
    await normal.say(noise(8 * 400));
    await normal.waitForAudio(8 * 500, 8000);
    expect(session.sentErrors).toEqual([]);
    raw.terminate();
  });
});
