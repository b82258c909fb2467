import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, Browser, Page } from 'playwright-core';
import {
  CALLER_UTTERANCE,
  decodeMulaw,
  encodeWavPcm16,
  loadVoiceAsset,
  mulawSilence,
  resample,
  runSimulatedCall,
  SimulatedCallResult,
  SPOKEN_PHRASES,
  spokenVoiceBehaviour,
} from '@app/simulators';
import { GatewayHarness, startGateway, TEST_API_KEY, TEST_TWILIO_AUTH_TOKEN } from '../support/gateway-harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots land here (git-ignored) for a person to look at; docs/console.png is one of them. */
const SCREENSHOTS = join(process.cwd(), 'tmp', 'screenshots');

/**
 * Chromium's fake microphone (a 48 kHz 16-bit WAV, looped): quiet while the greeting plays, then
 * the shipped utterance.
 */
function fakeMicrophoneWav(dir: string): string {
  const mulaw = Buffer.concat([mulawSilence(5500), loadVoiceAsset(CALLER_UTTERANCE.file), mulawSilence(4000)]);
  const pcm8k = decodeMulaw(mulaw);
  const samples = resample({ sampleRate: 8000, samples: Float32Array.from(pcm8k, (v) => v / 32768) }, 48000);
  const path = join(dir, 'caller.wav');
  writeFileSync(path, encodeWavPcm16(Int16Array.from(samples, (v) => Math.round(v * 32767)), 48000));
  return path;
}

// CI installs Chromium (.ci/run); elsewhere the browser tests are skipped when it is missing.
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`Chromium not found at ${CHROMIUM}; .ci/run installs it`);

describe.skipIf(!haveChromium)('the console in a real browser', () => {
  let gateway: GatewayHarness;
  let browser: Browser;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-browser-'));
    mkdirSync(SCREENSHOTS, { recursive: true });
    gateway = await startGateway({}, spokenVoiceBehaviour());
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-audio-capture=${fakeMicrophoneWav(dir)}`,
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 470 } });
    // The key is real (not the embedded simulator), so the console needs an API key: as if the user had logged in.
    await page.addInitScript((key) => sessionStorage.setItem('console-api-key', key), TEST_API_KEY);
    await page.goto(`${gateway.httpUrl}/console`);
    await page.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 10_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists a simulated call live, with its state and both sides of the transcript', async () => {
    const call = runSimulatedCall({
      gatewayUrl: gateway.httpUrl,
      authToken: TEST_TWILIO_AUTH_TOKEN,
      utterance: loadVoiceAsset(CALLER_UTTERANCE.file),
      from: '+15557654321',
      bargeInAtMs: 1500,
    });
    const row = page.locator('#calls tr.call', { hasText: '+15557654321' });
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => row.locator('.state').textContent(), { timeout: 10_000 }).toBe('assistant speaking');
    await page.locator('#transcript li.caller', { hasText: CALLER_UTTERANCE.text }).waitFor({ timeout: 20_000 });
    await page.locator('#transcript li.assistant', { hasText: SPOKEN_PHRASES.replies[0].text }).waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('#transcript li.barge-in').count()).toBe(1);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-call.png') });
    const result: SimulatedCallResult = await call;
    expect(result.figures.clears).toBeGreaterThanOrEqual(1);
    await expect.poll(() => row.locator('.state').textContent(), { timeout: 10_000 }).toBe('ended');
  }, 60_000);

  it('places a call from the softphone: the microphone reaches the assistant and its answer plays back', async () => {
    await page.click('#call-button');
    await page.locator('#softphone-status', { hasText: 'in call' }).waitFor({ timeout: 10_000 });
    const row = page.locator('#calls tr.call', { hasText: 'browser softphone' });
    await row.waitFor({ timeout: 10_000 });
    // The greeting plays back and its marks are echoed as they finish playing.
    await expect.poll(() => page.evaluate(() => (globalThis as any).softphone.stats.receivedMs), { timeout: 15_000 }).toBeGreaterThan(2000);
    await expect.poll(() => page.evaluate(() => (globalThis as any).softphone.stats.marksEchoed), { timeout: 15_000 }).toBeGreaterThan(0);
    // The fake microphone's speech reaches the simulator's VAD as a caller turn, and the assistant answers it.
    await page.locator('#transcript li.caller').first().waitFor({ timeout: 30_000 });
    await page.locator('#transcript li.assistant', { hasText: SPOKEN_PHRASES.replies[0].text }).waitFor({ timeout: 20_000 });
    const stats = await page.evaluate(() => (globalThis as any).softphone.stats);
    expect(stats.sentMs).toBeGreaterThan(5000);
    expect(stats.micPeak).toBeGreaterThan(0.05);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-softphone.png') });
    await expect(page.locator('#transcript li.error').count()).resolves.toBe(0);
    // Selecting the earlier (ended) call shows its transcript, barge-in included, while the softphone talks.
    await page.locator('#calls tr.call', { hasText: '+15557654321' }).click();
    await page.locator('#transcript li.barge-in').waitFor({ timeout: 5_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'console.png') });

    const session = gateway.simulator.sessions.at(-1)!;
    expect(session.appendsBeforeConfigured).toBe(0);
    expect(session.inputAudio().length).toBeGreaterThan(8 * 1000);
    await page.click('#call-button');
    await page.locator('#softphone-status', { hasText: 'hung up' }).waitFor({ timeout: 5_000 });
    await expect.poll(() => row.locator('.state').textContent(), { timeout: 10_000 }).toBe('ended');
  }, 90_000);
  it('asks for the API key when API_KEYS is set, and goes live only with a valid one', async () => {
    const guarded = await startGateway({ API_KEYS: 'browser-test-key-0123456789' });
    const keyPage = await browser.newPage();
    try {
      await keyPage.goto(`${guarded.httpUrl}/console`);
      await keyPage.locator('#login').waitFor({ state: 'visible', timeout: 10_000 });
      await keyPage.fill('#api-key', 'not-the-key-0123456789');
      await keyPage.click('#login-button');
      await keyPage.locator('#login-error', { hasText: 'API key refused' }).waitFor({ timeout: 5_000 });
      await keyPage.fill('#api-key', 'browser-test-key-0123456789');
      await keyPage.click('#login-button');
      await keyPage.locator('#connection', { hasText: 'live' }).waitFor({ timeout: 10_000 });
      await expect(keyPage.locator('#login').isHidden()).resolves.toBe(true);
    } finally {
      await keyPage.close();
      await guarded.close();
    }
  }, 60_000);
});
