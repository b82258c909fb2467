import { afterEach, describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { TwilioSignatureVerifier } from '@app/telephony';
import { CALLER_UTTERANCE, loadVoiceAsset, mulawSilence, mulawTone, mulawToWav, toneVoice, runSimulatedCall, SPOKEN_PHRASES, spokenVoiceBehaviour, wavToMulaw } from '@app/simulators';
import { GatewayHarness, startGateway, TEST_TWILIO_AUTH_TOKEN } from '../support/gateway-harness';

const AUTH_TOKEN = 'twilio-test-auth-token-0123456789';

describe('the call simulator against a running gateway', () => {
  let gateway: GatewayHarness | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('signs like Twilio, barges in, presses keys, and reports both transcripts and the figures', async () => {
    // With Twilio signatures on, the console feed (the transcripts) needs an API key.
    const apiKey = 'console-api-key-0123456789';
    gateway = await startGateway({ TWILIO_AUTH_TOKEN: AUTH_TOKEN, API_KEYS: apiKey }, spokenVoiceBehaviour());
    const server = gateway.app.getHttpServer();
    // Each request as it arrived (its socket's address is what the signature is checked against, and is gone once the socket closes).
    const arrived = (req: IncomingMessage) =>
      ({ url: req.url, headers: req.headers, socket: { localAddress: req.socket.localAddress, localPort: req.socket.localPort } }) as unknown as IncomingMessage;
    const webhooks: Array<{ req: IncomingMessage; body: string }> = [];
    const upgrades: IncomingMessage[] = [];
    server.prependListener('request', (req: IncomingMessage) => {
      if (!req.url?.startsWith('/incoming-call')) return;
      const record = { req: arrived(req), body: '' };
      webhooks.push(record);
      req.on('data', (chunk: Buffer) => (record.body += chunk.toString()));
    });
    server.prependListener('upgrade', (req: IncomingMessage) => upgrades.push(arrived(req)));

    const progress: string[] = [];
    const result = await runSimulatedCall({
      gatewayUrl: gateway.httpUrl,
      utterance: loadVoiceAsset(CALLER_UTTERANCE.file),
      authToken: AUTH_TOKEN,
      apiKey,
      bargeInAtMs: 1000,
      dtmf: [{ digit: '4', atMs: 200 }],
      progress: (line) => progress.push(line),
    });

    const verifier = gateway.app.get(TwilioSignatureVerifier);
    expect(webhooks).toHaveLength(1);
    const params = Object.fromEntries(new URLSearchParams(webhooks[0].body));
    expect(params.CallSid).toBe(result.callSid);
    expect(verifier.isValidWebhook(webhooks[0].req.url!, webhooks[0].req, params)).toBe(true);
    expect(verifier.isValidWebhook(webhooks[0].req.url!, webhooks[0].req, { ...params, From: '+1' })).toBe(false);
    const mediaUpgrade = upgrades.find((req) => req.url === '/media-stream')!;
    expect(verifier.isValidUpgrade(mediaUpgrade)).toBe(true);

    const { figures } = result;
    expect(figures.firstAudioMs).toBeGreaterThanOrEqual(0);
    expect(figures.bargeInReactionMs).toBeGreaterThan(0);
    expect(figures.bargeInReactionMs).toBeLessThan(3000);
    expect(figures.clears).toBeGreaterThanOrEqual(1);
    expect(figures.replyLatencyMs).toHaveLength(1);
    expect(figures.marksEchoed).toBeGreaterThan(0);
    // The caller heard about a second of the greeting before cutting in.
    const bargeIn = result.transcript.find((line) => line.kind === 'barge-in')!;
    const heard = Number(/heard (\d+\.\d) s/.exec(bargeIn.text)![1]);
    expect(heard).toBeGreaterThanOrEqual(0.8);
    expect(heard).toBeLessThan(2.5);

    const kinds = result.transcript.map((line) => line.kind);
    expect(kinds).toEqual(expect.arrayContaining(['assistant', 'barge-in', 'caller', 'dtmf']));
    expect(result.transcript.find((line) => line.kind === 'caller')!.text).toBe(CALLER_UTTERANCE.text);
    // The caller's turn is answered with one of the simulator's spoken replies (the key press, which
    // reaches the model as input too, may take the first of them).
    const callerAt = result.transcript.findIndex((line) => line.kind === 'caller');
    const answers = result.transcript.slice(callerAt + 1).filter((line) => line.kind === 'assistant').map((line) => line.text);
    expect(answers.length).toBeGreaterThanOrEqual(1);
    for (const answer of answers) expect(SPOKEN_PHRASES.replies.map((reply) => reply.text)).toContain(answer);
    expect(progress.some((line) => line.includes('barge-in'))).toBe(true);

    // What the assistant said, recorded as a WAV, decodes back to the same µ-law.
    expect(wavToMulaw(mulawToWav(result.assistantAudio)).equals(result.assistantAudio)).toBe(true);
  }, 40_000);

  it('explains why there is no transcript when the console is off, and still completes the call', async () => {
    gateway = await startGateway({ CONSOLE_ENABLED: 'false', ASSISTANT_GREETING: '' });
    const utterance = Buffer.concat([mulawTone(400, 500), mulawSilence(700)]);
    const result = await runSimulatedCall({ gatewayUrl: gateway.httpUrl, utterance, greetingTimeoutMs: 500, authToken: TEST_TWILIO_AUTH_TOKEN });
    expect(result.transcript).toEqual([]);
    expect(result.transcriptNote).toMatch(/console token refused \(HTTP 404/);
    expect(result.figures.firstAudioMs).toBeGreaterThan(1000); // no greeting: the first audio is the reply
    expect(result.figures.replyLatencyMs).toHaveLength(1);
    // Measured from the end of the caller's speech, so it includes the VAD's 500 ms of silence.
    expect(result.figures.replyLatencyMs[0]).toBeGreaterThanOrEqual(400);
    expect(result.figures.replyLatencyMs[0]).toBeLessThan(3000);
    expect(result.figures.assistantAudioMs).toBe(toneVoice("This is simulated reply number 1.").length / 8);
  }, 40_000);
});
