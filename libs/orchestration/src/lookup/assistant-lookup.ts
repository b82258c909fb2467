import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { ORCHESTRATION_OPTIONS } from '../orchestration.module-definition';
import type { OrchestrationModuleOptions } from '../orchestration.module-definition';
import { standardWebhookHeaders, webhookSigningKey } from '@app/auth';

/** The integrator's backend asked at each call's start which assistant answers. */
export interface AssistantLookupOptions {
  /** Where the signed `assistant.lookup` request is POSTed. */
  url: string;
  /** Standard Webhooks secret of the request signature (`whsec_<base64>`, or any string used as UTF-8). */
  secret: string;
  /** How long the call waits for the answer before it runs with the static profile. */
  timeoutMs: number;
}

/** What the backend is told (POSTed as JSON, signed like Standard Webhooks). */
export interface AssistantLookupRequest {
  type: 'assistant.lookup';
  callSid: string;
  direction: 'inbound' | 'outbound';
  from?: string;
  to?: string;
  /** The profile the call gets without the lookup (by the dialled number, or the outbound request). */
  profile: string;
  /** The stream's `<Parameter>`s, without the gateway's internal ones. */
  customParameters: Record<string, string>;
}

/** What the backend may answer (HTTP 200, JSON); every field is optional and an omitted one keeps the static value. */
export interface AssistantLookupAnswer {
  /** A configured profile name. */
  profile?: string;
  instructions?: string;
  variables?: Record<string, string>;
  /** Names of registered tools to enable (instead of the profile's). */
  tools?: string[];
  greeting?: string;
}

/**
 * How a lookup ended: `answered` (200 with a valid answer), `no-content` (204: the static profile),
 * `timeout`, `error` (network, redirect or non-2xx status), `invalid` (an answer that fails the checks).
 */
/** `abandoned`: the caller hung up before the backend answered (the request was cancelled). */
export type AssistantLookupOutcome = 'answered' | 'no-content' | 'timeout' | 'error' | 'invalid' | 'abandoned';

export interface AssistantLookupResult {
  outcome: AssistantLookupOutcome;
  /** Present for `answered`. */
  answer?: AssistantLookupAnswer;
  durationMs: number;
  /** Why an unsuccessful lookup failed (no call data in it). */
  problem?: string;
}

/** Limits of an answer: it is trusted integrator input, but still bounded. */
export const LOOKUP_LIMITS = {
  answerBytes: 64 * 1024,
  instructions: 20_000,
  greeting: 2_000,
  variables: 50,
  variableValue: 1_000,
  tools: 64,
} as const;

/** Names a variable may have: what `{{name}}` placeholders match. */
const VARIABLE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const PROFILE_OR_TOOL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Stream parameters that are the gateway's own (credentials, sealed context, trace context): never sent out. */
const INTERNAL_PARAMETER = /^(StreamToken|CallContext\.\d+|traceparent|tracestate|baggage)$/i;
/** Parameters sent as fields of their own. */
const IDENTITY_PARAMETERS = new Set(['From', 'To', 'CallSid']);

/** The stream parameters the backend may see: the integrator's own. */
export function lookupParameters(parameters: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parameters)) {
    if (INTERNAL_PARAMETER.test(name) || IDENTITY_PARAMETERS.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Checks an answer strictly: known fields only, each of the right type and within LOOKUP_LIMITS.
 * Returns the answer, or the problem (naming the field, never echoing a value).
 */
export function parseLookupAnswer(value: unknown): { answer: AssistantLookupAnswer } | { problem: string } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { problem: 'the answer is not a JSON object' };
  const input = value as Record<string, unknown>;
  const answer: AssistantLookupAnswer = {};
  for (const field of Object.keys(input)) {
    if (!['profile', 'instructions', 'variables', 'tools', 'greeting'].includes(field)) return { problem: `unknown field "${field.slice(0, 40)}"` };
  }
  if (input.profile !== undefined) {
    if (typeof input.profile !== 'string' || !PROFILE_OR_TOOL_NAME.test(input.profile)) return { problem: 'profile must be a profile name' };
    answer.profile = input.profile;
  }
  for (const field of ['instructions', 'greeting'] as const) {
    const text = input[field];
    if (text === undefined) continue;
    if (typeof text !== 'string') return { problem: `${field} must be a string` };
    if (text.length > LOOKUP_LIMITS[field]) return { problem: `${field} is longer than ${LOOKUP_LIMITS[field]} characters` };
    answer[field] = text;
  }
  if (input.variables !== undefined) {
    const variables = input.variables;
    if (variables === null || typeof variables !== 'object' || Array.isArray(variables)) return { problem: 'variables must be an object of strings' };
    const entries = Object.entries(variables as Record<string, unknown>);
    if (entries.length > LOOKUP_LIMITS.variables) return { problem: `more than ${LOOKUP_LIMITS.variables} variables` };
    const checked: Record<string, string> = {};
    for (const [name, text] of entries) {
      if (!VARIABLE_NAME.test(name)) return { problem: 'a variable name is not [A-Za-z0-9_.-]{1,64}' };
      if (typeof text !== 'string') return { problem: `variable "${name}" is not a string` };
      if (text.length > LOOKUP_LIMITS.variableValue) return { problem: `variable "${name}" is longer than ${LOOKUP_LIMITS.variableValue} characters` };
      checked[name] = text;
    }
    answer.variables = checked;
  }
  if (input.tools !== undefined) {
    const tools = input.tools;
    if (!Array.isArray(tools) || tools.length > LOOKUP_LIMITS.tools) return { problem: `tools must be an array of at most ${LOOKUP_LIMITS.tools} names` };
    if (!tools.every((name) => typeof name === 'string' && PROFILE_OR_TOOL_NAME.test(name))) return { problem: 'tools must be tool names' };
    answer.tools = [...new Set(tools as string[])];
  }
  return { answer };
}

/**
 * Asks the integrator's backend which assistant answers a call (ASSISTANT_LOOKUP_URL): one signed
 * POST, no redirects followed, the answer size-capped and checked, all within the timeout. Never
 * throws; every failure is an outcome (the caller then gets the static profile).
 */
@Injectable()
export class AssistantLookup {
  private readonly logger = new Logger(AssistantLookup.name);
  private readonly options?: AssistantLookupOptions;
  private readonly key?: Buffer;

  constructor(@Inject(ORCHESTRATION_OPTIONS) options: Pick<OrchestrationModuleOptions, 'assistant'>) {
    this.options = options.assistant.lookup;
    if (this.options) this.key = webhookSigningKey(this.options.secret);
  }

  get enabled(): boolean {
    return this.options !== undefined;
  }

  get timeoutMs(): number {
    return this.options?.timeoutMs ?? 0;
  }

  /** The lookup call itself: one request, one answer (or a failure outcome), within the timeout; `hungUp` cancels it. */
  async lookUpAssistant(request: AssistantLookupRequest, hungUp?: AbortSignal): Promise<AssistantLookupResult> {
    const started = performance.now();
    const result = await this.exchange(request, hungUp).catch((error: unknown): Omit<AssistantLookupResult, 'durationMs'> => {
      if (hungUp?.aborted) return { outcome: 'abandoned', problem: 'the caller hung up' };
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return timedOut
        ? { outcome: 'timeout', problem: `no answer within ${this.timeoutMs} ms` }
        : { outcome: 'error', problem: error instanceof Error ? error.message : String(error) };
    });
    const durationMs = performance.now() - started;
    if (result.outcome !== 'answered' && result.outcome !== 'no-content' && result.outcome !== 'abandoned') {
      this.logger.warn(`assistant lookup ${result.outcome} after ${Math.round(durationMs)} ms (${result.problem}); the call runs with its static profile`);
    }
    return { ...result, durationMs };
  }

  private async exchange(request: AssistantLookupRequest, hungUp: AbortSignal | undefined): Promise<Omit<AssistantLookupResult, 'durationMs'>> {
    const options = this.options!;
    const body = JSON.stringify(request);
    const headers = standardWebhookHeaders(this.key!, `msg_${randomUUID()}`, Math.floor(Date.now() / 1000), body);
    // One signal for the whole exchange, the body included: the call never waits past the timeout.
    const signal = hungUp ? AbortSignal.any([AbortSignal.timeout(options.timeoutMs), hungUp]) : AbortSignal.timeout(options.timeoutMs);
    const response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'voice-gateway-assistant-lookup', ...headers },
      body,
      redirect: 'manual',
      signal,
    });
    if (response.status === 204) {
      await response.body?.cancel();
      return { outcome: 'no-content' };
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      const redirect = response.status >= 300 && response.status < 400;
      return { outcome: 'error', problem: redirect ? `HTTP ${response.status} (redirects are not followed)` : `HTTP ${response.status}` };
    }
    const text = await readCapped(response, LOOKUP_LIMITS.answerBytes);
    if (text === undefined) return { outcome: 'invalid', problem: `the answer is larger than ${LOOKUP_LIMITS.answerBytes} bytes` };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { outcome: 'invalid', problem: 'the answer is not JSON' };
    }
    const parsed = parseLookupAnswer(json);
    return 'problem' in parsed ? { outcome: 'invalid', problem: parsed.problem } : { outcome: 'answered', answer: parsed.answer };
  }
}

/** The body as text, or undefined once it passes `maxBytes` (the rest is not read). */
async function readCapped(response: Response, maxBytes: number): Promise<string | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return undefined;
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
