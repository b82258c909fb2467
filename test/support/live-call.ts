import { expect } from 'vitest';
import WebSocket from 'ws';
import { FakeTwilioCall, mulawTone, SimulatedSession } from '@app/simulators';
import type { GatewayHarness, NewCallOptions } from './gateway-harness';

/** A call in progress: Twilio's side and the OpenAI session it reached. */
export interface LiveCall {
  call: FakeTwilioCall;
  session: SimulatedSession;
}

/** Places a call like Twilio (webhook, signed stream) and waits until its OpenAI session is configured. */
export async function startLiveCall(gateway: GatewayHarness, options: NewCallOptions = {}): Promise<LiveCall> {
  const before = new Set(gateway.simulator.sessions);
  const call = gateway.newCall({ customParameters: { From: '+14155550100', To: '+14155550199' }, ...options });
  await call.connect();
  await call.waitUntil(() => gateway.simulator.sessions.some((s) => !before.has(s)), 5000, 'the call to open its OpenAI session');
  const session = gateway.simulator.sessions.find((s) => !before.has(s))!;
  await session.waitForClientEvent('session.update');
  return { call, session };
}

/**
 * Asserts a call still flows both ways: the caller's audio keeps reaching OpenAI, and an answer
 * from OpenAI reaches the caller. The proof, in every attack test, that the attack touched no one else.
 */
export async function expectCallFlowing({ call, session }: LiveCall): Promise<void> {
  expect(call.isOpen).toBe(true);
  const heard = session.inputAudio().length;
  await call.waitUntil(() => session.inputAudio().length >= heard + 160 * 10, 5000, 'the caller to keep reaching OpenAI');
  const received = call.receivedAudio().length;
  await session.respond({ audio: mulawTone(200, 300) }).finished;
  await call.waitForAudio(received + 8 * 200, 5000);
  expect(call.isOpen).toBe(true);
}

/** What the console's browser softphone does: mint a call, open the stream with its token, send `start` with it. */
export async function softphoneCall(gateway: GatewayHarness, options: { apiKey?: string; origin?: string } = {}): Promise<FakeTwilioCall> {
  const apiKey = options.apiKey ?? gateway.config.auth.apiKeys[0]?.key;
  const minted = await fetch(`${gateway.httpUrl}/console/softphone`, { method: 'POST', headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
  if (!minted.ok) throw new Error(`softphone call refused: HTTP ${minted.status}`);
  const { callSid, token } = (await minted.json()) as { callSid: string; token: string };
  const query = `softphone_token=${encodeURIComponent(token)}&call_sid=${encodeURIComponent(callSid)}`;
  return gateway.newCall({
    url: `${gateway.mediaStreamUrl}?${query}`,
    webhook: false,
    callSid,
    accountSid: 'ACsoftphone',
    customParameters: { From: 'browser softphone', To: 'console', StreamToken: token },
    headers: options.origin ? { origin: options.origin } : {},
  });
}

/** Opens a raw WebSocket and resolves with its close code, or the HTTP status that refused its upgrade. */
export function openAndClose(url: string, headers: Record<string, string> = {}): Promise<{ closeCode?: number; refusedStatus?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ refusedStatus: res.statusCode });
    });
    socket.on('error', () => undefined);
    socket.on('close', (code) => resolve({ closeCode: code }));
  });
}
