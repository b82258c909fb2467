import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeTwilioCall, FakeTwilioCallOptions, RealtimeSimulator, RealtimeSimulatorOptions } from '@app/simulators';
import twilio from 'twilio';
import { createGatewayApp } from '../../apps/voice-gateway/src/create-gateway-app';

export const TEST_OPENAI_KEY = 'sk-test-0123456789abcdefghijklmnop';

export interface GatewayHarness {
  app: INestApplication;
  simulator: RealtimeSimulator;
  port: number;
  httpUrl: string;
  mediaStreamUrl: string;
  /**
   * A fake Twilio call aimed at this gateway (not yet connected). Like Twilio, it signs the
   * upgrade when the gateway has an auth token, unless the test passes its own headers.
   */
  newCall(options?: Partial<FakeTwilioCallOptions>): FakeTwilioCall;
  /** POSTs a form to a Twilio webhook path, signed like Twilio when the gateway has an auth token. */
  postWebhook(path: string, form: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Boots the real gateway on an ephemeral loopback port against a Realtime simulator.
 * `env` overrides configuration for this gateway only; the previous environment is restored on close.
 */
export async function startGateway(
  env: Record<string, string | undefined> = {},
  simulatorOptions: RealtimeSimulatorOptions = {},
): Promise<GatewayHarness> {
  const simulator = await RealtimeSimulator.start({ apiKey: TEST_OPENAI_KEY, ...simulatorOptions });
  // Each gateway gets its own data directory (embedded call-record database), removed on close.
  const dataDir = mkdtempSync(join(tmpdir(), 'voice-gateway-test-'));
  const overrides: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    OPENAI_API_KEY: TEST_OPENAI_KEY,
    OPENAI_REALTIME_URL: simulator.url,
    PUBLIC_URL: undefined,
    DATABASE_URL: undefined,
    DATA_DIR: dataDir,
    ...env,
  };
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(overrides)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const restoreEnv = () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  let app: INestApplication;
  try {
    app = await createGatewayApp();
    await app.listen(0, '127.0.0.1');
  } catch (error) {
    restoreEnv();
    await simulator.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const calls: FakeTwilioCall[] = [];
  return {
    app,
    simulator,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    mediaStreamUrl: `ws://127.0.0.1:${port}/media-stream`,
    newCall(options = {}) {
      const url = `ws://127.0.0.1:${port}/media-stream`;
      const token = overrides.TWILIO_AUTH_TOKEN;
      const signedUrl = (overrides.PUBLIC_URL?.replace(/^http/, 'ws') ?? `ws://127.0.0.1:${port}`) + '/media-stream';
      const headers = options.headers ?? (token ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, signedUrl, {}) } : undefined);
      const call = new FakeTwilioCall({ url, ...options, headers });
      calls.push(call);
      return call;
    },
    postWebhook(path, form) {
      const token = overrides.TWILIO_AUTH_TOKEN;
      const publicUrl = overrides.PUBLIC_URL ?? `http://127.0.0.1:${port}`;
      const headers: Record<string, string> = token ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, publicUrl + path, form) } : {};
      return fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body: new URLSearchParams(form) });
    },
    async close() {
      for (const call of calls) call.drop();
      await app.close();
      await simulator.close();
      restoreEnv();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
