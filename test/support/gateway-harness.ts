import type { DynamicModule, ForwardReference, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { TestingModuleBuilder } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfig } from '@app/config';
import { SharedState } from '@app/fleet';
import type { GatewayConfig } from '@app/config';
import { FakeTwilioCall, FakeTwilioCallOptions, RealtimeSimulator, RealtimeSimulatorOptions } from '@app/simulators';
import { STREAM_TOKEN_PARAMETER, StreamCredentials, TWILIO_ROUTES } from '@app/telephony';
import twilio from 'twilio';
import { AppModule } from '../../apps/voice-gateway/src/app.module';
import { configureGatewayApp } from '../../apps/voice-gateway/src/create-gateway-app';

export const TEST_OPENAI_KEY = 'sk-test-0123456789abcdefghijklmnop';
/** The harness's gateways check Twilio signatures with this token (as production does), and the harness signs like Twilio. */
export const TEST_TWILIO_AUTH_TOKEN = 'test-twilio-auth-token-0123456789';
/** An API key with every scope, set by default (the console needs one whenever the OpenAI key is real). */
export const TEST_API_KEY = 'test-api-key-all-scopes-0123456789';

/** Environment variables for one gateway; `undefined` unsets a variable the harness would set. */
export type GatewayEnvironment = Record<string, string | undefined>;

export type NewCallOptions = Omit<Partial<FakeTwilioCallOptions>, 'webhook'> & {
  /** `false`: no webhook first (a stream nobody minted a token for); or the webhook request itself. */
  webhook?: FakeTwilioCallOptions['webhook'] | false;
  /** The webhook URL Twilio was given (an outbound call's `Url`, its query included), fetched and signed as given. */
  webhookUrl?: string;
  /**
   * The call's webhook was answered by another instance (sharing the signing secret): no webhook
   * reaches this gateway, and `start` carries the stream token that instance minted.
   */
  webhookElsewhere?: boolean;
};

/** How a test extends the real gateway it boots. */
export interface GatewayExtension {
  /** Modules added next to the gateway's own, e.g. your module of `@RealtimeTool` providers. */
  imports?: Array<Type<unknown> | DynamicModule | Promise<DynamicModule> | ForwardReference>;
  /** Adjusts the testing module before it compiles: `overrideProvider(...)`, `overrideGuard(...)` and the like. */
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

export interface GatewayHarness {
  app: NestExpressApplication;
  /** The validated configuration the gateway runs with. */
  config: GatewayConfig;
  /** The OpenAI Realtime simulator the gateway talks to (script it, inspect its sessions). */
  simulator: RealtimeSimulator;
  port: number;
  httpUrl: string;
  mediaStreamUrl: string;
  /** The headers Twilio's media-stream upgrade carries (its signature, when the gateway checks them). */
  streamUpgradeHeaders: Record<string, string>;
  /**
   * A fake Twilio call aimed at this gateway (not yet connected). Like Twilio, `connect()` first
   * fetches the call's TwiML from the voice webhook (signed when the gateway has an auth token) and
   * sends its `<Parameter>`s (the stream token among them) in `start`, and signs the upgrade;
   * `webhook: false` skips the webhook (a stream nobody minted a token for), `headers` replace the
   * upgrade's signature.
   */
  newCall(options?: NewCallOptions): FakeTwilioCall;
  /** A console token, with the harness's API key (or `apiKey`). */
  consoleToken(apiKey?: string): Promise<string>;
  /** POSTs a form to a Twilio webhook path, signed like Twilio when the gateway has an auth token. */
  postWebhook(path: string, form: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

/**
 * Boots the real gateway (AppModule, set up as main.ts sets it up) on an ephemeral loopback port,
 * against a Realtime simulator, through `Test.createTestingModule`: add your modules and override
 * providers with `extension`. The configuration comes from the test defaults (NODE_ENV=test, the
 * simulator's URL and key, a Twilio auth token (so signatures are checked), an API key with every
 * scope, a fresh data directory) with `env` over them; process.env is neither read nor changed.
 *
 * @example
 *   const gateway = await startGateway({ ASSISTANT_GREETING: '' }, { autoRespond: false }, { imports: [WeatherToolsModule] });
 *   const call = gateway.newCall();
 *   await call.connect();
 *   const session = await gateway.simulator.nextSession();
 *   // … drive the session, assert on what reached the caller and the model …
 *   await gateway.close();
 */
export async function startGateway(
  env: GatewayEnvironment = {},
  simulatorOptions: RealtimeSimulatorOptions = {},
  extension: GatewayExtension = {},
): Promise<GatewayHarness> {
  const simulator = await RealtimeSimulator.start({ apiKey: TEST_OPENAI_KEY, ...simulatorOptions });
  // Each gateway gets its own data directory (embedded call-record database), removed on close.
  const dataDir = mkdtempSync(join(tmpdir(), 'voice-gateway-test-'));
  const variables: GatewayEnvironment = {
    NODE_ENV: 'test',
    OPENAI_API_KEY: TEST_OPENAI_KEY,
    OPENAI_REALTIME_URL: simulator.url,
    TWILIO_AUTH_TOKEN: TEST_TWILIO_AUTH_TOKEN,
    API_KEYS: TEST_API_KEY,
    DATA_DIR: dataDir,
    ...env,
  };
  let app: NestExpressApplication;
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig(variables);
    let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config), ...(extension.imports ?? [])] });
    if (extension.override) builder = extension.override(builder);
    const moduleRef = await builder.compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
    configureGatewayApp(app, config);
    await app.listen(0, '127.0.0.1');
    await sharedStateSettled(app.get(SharedState));
  } catch (error) {
    await simulator.close();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const port = (app.getHttpServer().address() as AddressInfo).port;
  const local = `http://127.0.0.1:${port}`;
  // What Twilio would call: the public URL when one is configured.
  const publicUrl = config.telephony.publicUrl ?? local;
  const authToken = config.telephony.authToken;
  const calls: FakeTwilioCall[] = [];
  return {
    app,
    config,
    simulator,
    port,
    httpUrl: local,
    mediaStreamUrl: `ws://127.0.0.1:${port}${TWILIO_ROUTES.mediaStream}`,
    streamUpgradeHeaders: authToken
      ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, publicUrl.replace(/^http/, 'ws') + TWILIO_ROUTES.mediaStream, {}) }
      : {},
    newCall(options = {}) {
      const url = `ws://127.0.0.1:${port}${TWILIO_ROUTES.mediaStream}`;
      const signedUrl = publicUrl.replace(/^http/, 'ws') + TWILIO_ROUTES.mediaStream;
      const headers = options.headers ?? (authToken ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, signedUrl, {}) } : undefined);
      const { webhook, webhookUrl, webhookElsewhere, ...rest } = options;
      if (webhookElsewhere) {
        const callSid = rest.callSid ?? 'CA' + randomBytes(16).toString('hex');
        const accountSid = rest.accountSid ?? config.telephony.accountSid ?? 'AC' + randomBytes(16).toString('hex');
        const token = app.get(StreamCredentials).mintTwilioToken(callSid, accountSid);
        const customParameters = { ...rest.customParameters, CallSid: callSid, [STREAM_TOKEN_PARAMETER]: token };
        const call = new FakeTwilioCall({ url, ...rest, callSid, accountSid, customParameters, headers });
        calls.push(call);
        return call;
      }
      const given = webhookUrl ? new URL(webhookUrl) : undefined;
      const answer =
        webhook === false
          ? undefined
          : (webhook ??
            (given
              ? { url: local + given.pathname + given.search, signedUrl: webhookUrl, authToken }
              : { url: local + TWILIO_ROUTES.incomingCall, signedUrl: publicUrl + TWILIO_ROUTES.incomingCall, authToken }));
      const call = new FakeTwilioCall({ url, accountSid: config.telephony.accountSid, ...rest, headers, webhook: answer });
      calls.push(call);
      return call;
    },
    async consoleToken(apiKey = config.auth.apiKeys[0]?.key) {
      const response = await fetch(`${local}/console/token`, { method: 'POST', headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {} });
      if (!response.ok) throw new Error(`console token refused: HTTP ${response.status}`);
      return ((await response.json()) as { token: string }).token;
    },
    postWebhook(path, form) {
      const headers: Record<string, string> = authToken ? { 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, publicUrl + path, form) } : {};
      return fetch(local + path, { method: 'POST', headers, body: new URLSearchParams(form) });
    },
    async close() {
      for (const call of calls) call.drop();
      await app.close();
      await simulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Like a pod that has been up a moment: its Redis connection has settled (up, or down for a test
 * that points it nowhere), so a test's first call does not race the connection. The gateway itself
 * never waits for Redis; the fleet bus spec covers calls that start while it connects.
 */
async function sharedStateSettled(state: SharedState, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (state.status === 'connecting' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
