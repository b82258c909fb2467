import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FakeTwilioCall, mulawSilence, mulawTone, SimulatedSession } from '@app/simulators';
import { GatewayHarness, sleep, startGateway } from '../support/gateway-harness';

/**
 * What the caller heard, measured end to end: the fake Twilio caller plays the assistant's audio in
 * real time and knows what it had played when each `clear` arrived; the gateway's
 * `conversation.item.truncate` says what it believes was heard. Error = audio_end_ms minus the
 * truth. Mark echoes come back 50-150 ms late, at random, as over a distant network.
 */

const ECHO_DELAY: [number, number] = [50, 150];
const ANSWER_MS = 1200;
const TRIALS = 8;
/** Deterministic spread of barge-in points over the answer (no two trials alike). */
const bargeInAfter = (trial: number, fromMs: number, toMs: number) => fromMs + ((trial + 0.5) / TRIALS) * (toMs - fromMs);

interface Figures {
  errors: number[];
  clears: number;
  marksPerAudioSecond: number;
}

const table: string[] = [];
afterAll(() => {
  if (table.length > 0) console.log(['condition (8 barge-ins each)               | mean |error| | max |error| | clears | marks per s of audio', ...table].join('\n'));
});

/**
 * One call; the caller interrupts `TRIALS` answers of ANSWER_MS at spread points (ms of playback
 * after the answer's first audio reached the caller). Server VAD interrupts the response itself.
 */
async function measureTruncation(
  gateway: GatewayHarness,
  options: { bargeInMs: [number, number]; stall?: { afterMs: number; forMs: number } },
): Promise<Figures> {
  const call = gateway.newCall({ markEchoDelayMs: ECHO_DELAY });
  await call.connect();
  const session = await gateway.simulator.nextSession(0);
  await session.waitForClientEvent('session.update');
  await sleep(50);
  const errors: number[] = [];
  let clears = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    await call.waitForPlaybackEnd();
    const heardBefore = call.heardBytes();
    const clearsBefore = call.clears.length;
    const { itemId } = session.respond({ audio: mulawTone(ANSWER_MS, 300), stall: options.stall });
    await call.waitUntil(() => call.isPlaying, 3000, 'the answer to start playing');
    const playingSince = performance.now();
    const target = bargeInAfter(trial, ...options.bargeInMs);
    await sleep(Math.max(0, target - (performance.now() - playingSince)));
    session.startSpeech();
    const cut = await session.waitForClientEvent('conversation.item.truncate', (e) => e.item_id === itemId, 2000);
    // The clear travels on the Twilio socket: it may arrive a moment after the truncate reached OpenAI.
    await call.waitUntil(() => call.clears.length > clearsBefore || !call.isPlaying, 3000, 'a clear or the end of playback');
    const cleared = call.clears.length > clearsBefore;
    if (cleared) clears++;
    // Without a clear, everything sent plays out: the truth is all of it.
    if (!cleared) await call.waitForPlaybackEnd();
    const truthBytes = (cleared ? call.clears.at(-1)!.heardBytes : call.heardBytes()) - heardBefore;
    errors.push(cut.audio_end_ms - truthBytes / 8);
    session.stopSpeech({ respond: false });
  }
  await call.waitForPlaybackEnd();
  const marks = call.messages.filter((m) => m.event === 'mark').length;
  const audioMs = call.receivedAudio().length / 8;
  expectNoNeedlessCancel(session);
  call.hangUp();
  return { errors, clears, marksPerAudioSecond: (marks * 1000) / audioMs };
}

function expectNoNeedlessCancel(session: SimulatedSession): void {
  // Server VAD cancelled every response itself: the gateway sent no response.cancel, and the strict
  // simulator accepted every truncate (it rejects one beyond the audio it sent).
  expect(session.eventsOfType('response.cancel')).toEqual([]);
  expect(session.sentErrors).toEqual([]);
  expect(session.eventsOfType('conversation.item.delete')).toEqual([]);
}

function report(condition: string, figures: Figures): { meanAbs: number; maxAbs: number } {
  const abs = figures.errors.map(Math.abs);
  const meanAbs = abs.reduce((a, b) => a + b, 0) / abs.length;
  const maxAbs = Math.max(...abs);
  table.push(
    `${condition.padEnd(44)} | ${meanAbs.toFixed(1).padStart(12)} | ${maxAbs.toFixed(1).padStart(11)} | ${String(figures.clears).padStart(6)} | ${figures.marksPerAudioSecond.toFixed(1)}`,
  );
  return { meanAbs, maxAbs };
}

/** A gateway whose simulated OpenAI answers in `deltaMs` deltas, twice as fast as real time (so audio queues at Twilio, as it does for real). */
async function withGateway<T>(deltaMs: number, run: (gateway: GatewayHarness) => Promise<T>): Promise<T> {
  const gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false, deltaMs, deltaIntervalMs: deltaMs / 2 });
  try {
    return await run(gateway);
  } finally {
    await gateway.close();
  }
}

// Each condition is one call on its own gateway; they run side by side (a few calls are no load).
describe.concurrent('truncation error: audio_end_ms minus what the caller had heard when the clear arrived', () => {
  for (const deltaMs of [20, 100, 500]) {
    it(`within 20 ms mean and 50 ms max with ${deltaMs} ms deltas and echoes 50-150 ms late`, async () => {
      const figures = await withGateway(deltaMs, (gateway) => measureTruncation(gateway, { bargeInMs: [30, ANSWER_MS - 100] }));
      const { meanAbs, maxAbs } = report(`${deltaMs} ms deltas`, figures);
      expect(meanAbs).toBeLessThanOrEqual(20);
      expect(maxAbs).toBeLessThanOrEqual(50);
      // Inside the first delta too: truncated at what was heard, never deleted (see expectNoNeedlessCancel).
      expect(figures.clears).toBe(TRIALS);
    }, 60_000);
  }

  it('within the targets when the answer stalls mid-stream (barge-in during and after the stall)', async () => {
    // 400 ms of audio arrive in 200 ms, then nothing for 800 ms: the caller hears 400 ms, then silence.
    const figures = await withGateway(100, (gateway) => measureTruncation(gateway, { bargeInMs: [250, 1100], stall: { afterMs: 400, forMs: 800 } }));
    const { meanAbs, maxAbs } = report('100 ms deltas, an 800 ms stall mid-answer', figures);
    expect(meanAbs).toBeLessThanOrEqual(20);
    expect(maxAbs).toBeLessThanOrEqual(50);
    // During the stall nothing is left to play: the cut needs no clear.
    expect(figures.clears).toBeLessThan(TRIALS);
  }, 60_000);
});

describe('what the caller heard, end to end', () => {
  let gateway: GatewayHarness | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('marks a few times a second, not after every delta, and the end of the answer is proven heard', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false, deltaMs: 20, deltaIntervalMs: 10 });
    const call = gateway.newCall({ markEchoDelayMs: ECHO_DELAY });
    await call.connect();
    const session = await gateway.simulator.nextSession(0);
    await session.waitForClientEvent('session.update');
    await session.respond({ audio: mulawTone(2000, 300) }).finished;
    await call.waitForPlaybackEnd();
    const marks = call.messages.filter((m) => m.event === 'mark');
    const media = call.receivedAudio().length / 160;
    expect(media).toBe(100); // 2 s in 20 ms deltas
    // One per 300 ms of audio and one at the end: 7, where a mark per delta made 100.
    expect(marks.length).toBeGreaterThanOrEqual(2);
    expect(marks.length).toBeLessThanOrEqual(8);
    table.push(`${'2 s answer in 20 ms deltas: marks'.padEnd(44)} | ${marks.length} marks for ${media} media frames (${((marks.length * 1000) / 2000).toFixed(1)} per s)`);
    // The last mark followed the last audio, and its echo proved the end was heard.
    expect(call.echoedMarks.at(-1)).toMatchObject({ name: marks.at(-1)!.mark.name, cleared: false });
    call.hangUp();
  });

  it('after a reconnect, the new session is told only the 4-5 words of a 12-word answer the caller heard before interrupting', async () => {
    gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false, deltaMs: 100, deltaIntervalMs: 50 });
    const call = gateway.newCall();
    await call.connect();
    const first = await gateway.simulator.nextSession(0);
    await first.waitForClientEvent('session.update');
    const words = 'one1 two2 thr3 fou4 fiv5 six6 sev7 eig8 nin9 ten0 ele1 twe2';
    const { itemId } = first.respond({ text: words, audio: mulawTone(2400, 300) }); // 200 ms a word
    await call.waitUntil(() => call.isPlaying, 3000, 'the answer to play');
    await sleep(900);
    first.startSpeech();
    const cut = await first.waitForClientEvent('conversation.item.truncate', (e) => e.item_id === itemId);
    first.stopSpeech({ respond: false, transcript: 'Sorry, one question first.' });
    await sleep(50);

    first.closeFromServer(1011, 'internal error');
    const second = await gateway.simulator.nextSession(1);
    await call.waitUntil(() => second.eventsOfType('conversation.item.create').length >= 1, 3000, 'the replayed conversation');
    await sleep(50);
    const replayed = second.eventsOfType('conversation.item.create').map((e) => [e.item.role, e.item.content[0].text]);
    const heard = replayed.find(([role]) => role === 'assistant')![1] as string;
    expect(cut.audio_end_ms).toBeGreaterThan(850);
    expect(words.startsWith(heard)).toBe(true);
    expect([4, 5]).toContain(heard.split(' ').length);
    expect(replayed.at(-1)).toEqual(['user', 'Sorry, one question first.']);
    call.hangUp();
  });

  describe("the model's audio clock stays the call's", () => {
    it('answers when Twilio media stops mid-speech, without waiting for it to resume, and fills exactly what was lost', async () => {
      gateway = await startGateway({ ASSISTANT_GREETING: '', VAD_SILENCE_DURATION_MS: '500' }, { speak: () => mulawTone(300, 300) });
      const call = gateway.newCall();
      await call.connect();
      const session = await gateway.simulator.nextSession(0);
      await session.waitForClientEvent('session.update');
      await sleep(100);
      void call.say(mulawTone(2000, 500));
      await sleep(400); // the caller is mid-sentence
      const stoppedAt = Date.now();
      call.pauseMedia(1500);
      await call.waitForAudio(8, 3000);
      const answeredAfterMs = Date.now() - stoppedAt;
      table.push(`${'media stops 1.5 s mid-speech'.padEnd(44)} | assistant audio ${answeredAfterMs} ms after the stop`);
      // Server VAD heard the silence and ended the turn: the answer came while media was still stopped.
      expect(answeredAfterMs).toBeLessThan(1300);
      // Media resumes; the model's audio then matches the call's timeline frame for frame.
      await call.waitUntil(() => Date.now() > stoppedAt + 1700, 3000, 'media to resume');
      await sleep(200);
      call.hangUp();
      await session.waitForClose();
      expect(call.framesLost).toBeGreaterThanOrEqual(70);
      // Frame for frame, give or take the one a late timer can add (frames resuming late look like more quiet).
      const filled = session.inputAudio().length - call.sentAudio().length;
      expect(Math.abs(filled - call.framesLost * 160)).toBeLessThanOrEqual(160);
    });

    it('fills a jump in the media timestamps with that much silence, at that point', async () => {
      gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
      const call = gateway.newCall();
      await call.connect();
      const session = await gateway.simulator.nextSession(0);
      await session.waitForClientEvent('session.update');
      void call.say(mulawTone(3000, 500));
      await sleep(300);
      const before = call.sentAudio().length;
      call.jumpTimestamps(500);
      await sleep(300);
      call.hangUp();
      await session.waitForClose();
      const sent = call.sentAudio();
      expect(sent.length).toBeGreaterThan(before + 160 * 5);
      expect(session.inputAudio().equals(Buffer.concat([sent.subarray(0, before), mulawSilence(500), sent.subarray(before)]))).toBe(true);
    });

    it('fills nothing while media flows in step', async () => {
      gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false });
      const call: FakeTwilioCall = gateway.newCall();
      await call.connect();
      const session = await gateway.simulator.nextSession(0);
      await session.waitForClientEvent('session.update');
      await sleep(1200);
      call.hangUp();
      await session.waitForClose();
      expect(call.sentAudio().length).toBeGreaterThan(160 * 40);
      expect(session.inputAudio().equals(call.sentAudio())).toBe(true);
    });
  });
});
