import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Model } from 'openai/resources/models';
import { OPENAI_REALTIME_OPTIONS } from './openai-realtime.module-definition';
import type { ModelCheckOptions, OpenAIRealtimeModuleOptions } from './openai-realtime.module-definition';
import { openAiAuthHeaders } from './openai-auth';

/** A shutdown OpenAI has announced for a model the gateway uses. */
export interface ModelShutdown {
  model: string;
  /** As OpenAI gives it: `YYYY-MM-DD`. */
  shutdownDate: string;
  /** The start of that day (UTC), in seconds since the epoch. */
  shutdownAtSeconds: number;
}

/** What one lookup found. */
export type ModelLookup =
  | { model: string; outcome: 'found'; shutdownDate: string | null }
  | { model: string; outcome: 'unknown'; status: number }
  | { model: string; outcome: 'failed'; reason: string };

const DAY_MS = 86_400_000;
/** Enough for a model object; anything longer is not one. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Warns weeks ahead when a configured model is about to disappear: at start-up (in the background,
 * never delaying it) each model the gateway uses is looked up with `GET /models/{id}`, and an
 * announced `shutdown_date` is logged as a warning and kept for the metrics
 * (`openai_model_shutdown_timestamp_seconds{model}`).
 */
@Injectable()
export class OpenAIModelLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OpenAIModels');
  private readonly shutdowns = new Map<string, ModelShutdown>();
  private readonly inFlight = new Set<ClientRequest>();
  private checking?: Promise<ModelLookup[]>;

  constructor(@Inject(OPENAI_REALTIME_OPTIONS) private readonly options: OpenAIRealtimeModuleOptions) {}

  onApplicationBootstrap(): void {
    const check = this.options.modelCheck;
    if (check && check.models.length > 0) this.checking = this.checkAll(check);
  }

  onApplicationShutdown(): void {
    for (const request of this.inFlight) request.destroy();
  }

  /** The announced shutdowns found so far, by model. */
  announcedShutdowns(): ModelShutdown[] {
    return [...this.shutdowns.values()];
  }

  /** Resolves once the start-up check has finished (for tests and tools; start-up never waits for it). */
  async settled(): Promise<ModelLookup[]> {
    return (await this.checking) ?? [];
  }

  private async checkAll(check: ModelCheckOptions): Promise<ModelLookup[]> {
    const models = [...new Set(check.models)];
    const startedAt = Date.now();
    const lookups = await Promise.all(models.map((model) => this.lookUp(check, model)));
    for (const lookup of lookups) this.report(lookup, check);
    this.logger.debug(`looked up ${models.length} model(s) in ${Date.now() - startedAt} ms`);
    return lookups;
  }

  private report(lookup: ModelLookup, check: ModelCheckOptions): void {
    const { model } = lookup;
    if (lookup.outcome === 'failed') {
      this.logger.warn(`could not look up the shutdown date of model "${model}" (${lookup.reason}); not checked`);
      return;
    }
    if (lookup.outcome === 'unknown') {
      // Azure names deployments, which its models endpoint does not know: nothing to say.
      if (check.azure && lookup.status === 404) this.logger.log(`model "${model}" is not listed by the models endpoint (an Azure deployment name?); its shutdown date is unknown`);
      else if (lookup.status === 404) this.logger.warn(`OpenAI does not know the model "${model}" (404): calls that use it will fail`);
      else this.logger.warn(`could not look up the shutdown date of model "${model}" (HTTP ${lookup.status}); not checked`);
      return;
    }
    const date = lookup.shutdownDate;
    if (!date) return;
    const at = Date.parse(`${date}T00:00:00Z`);
    if (Number.isNaN(at)) {
      this.logger.warn(`model "${model}" has a shutdown date OpenAI gave as "${date}", which is not a date`);
      return;
    }
    this.shutdowns.set(model, { model, shutdownDate: date, shutdownAtSeconds: at / 1000 });
    const daysLeft = Math.ceil((at - Date.now()) / DAY_MS);
    const when = daysLeft > 0 ? `in ${daysLeft} day${daysLeft === 1 ? '' : 's'}` : 'already';
    this.logger.warn(`OpenAI shuts model "${model}" down on ${date} (${when}): calls that use it will fail from then on; move to a current model before`);
  }

  /** One `GET /models/{id}`, with the gateway's key, given up after `timeoutMs`. Never rejects. */
  private lookUp(check: ModelCheckOptions, model: string): Promise<ModelLookup> {
    let url: URL;
    try {
      url = new URL(`${check.apiBaseUrl.replace(/\/+$/, '')}/models/${encodeURIComponent(model)}`);
    } catch {
      return Promise.resolve({ model, outcome: 'failed', reason: `the API base "${check.apiBaseUrl}" is not a URL` });
    }
    const request = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (lookup: ModelLookup) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inFlight.delete(req);
        resolve(lookup);
      };
      // agent: false, so no pooled socket outlives the lookup.
      const req = request(url, { method: 'GET', agent: false, headers: { accept: 'application/json', ...openAiAuthHeaders(this.options.apiKey, this.options.auth) } }, (res) =>
        readModel(res, model).then(finish, (error: Error) => finish({ model, outcome: 'failed', reason: error.message })),
      );
      const timer = setTimeout(() => {
        finish({ model, outcome: 'failed', reason: `no answer within ${check.timeoutMs} ms` });
        req.destroy();
      }, check.timeoutMs);
      this.inFlight.add(req);
      req.on('error', (error) => finish({ model, outcome: 'failed', reason: error.message }));
      req.end();
    });
  }
}

function readModel(res: IncomingMessage, model: string): Promise<ModelLookup> {
  return new Promise((resolve, reject) => {
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      res.resume();
      resolve({ model, outcome: 'unknown', status });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) res.destroy(new Error('the answer is too large'));
      else chunks.push(chunk);
    });
    res.on('error', reject);
    res.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<Model>;
        const date = body.shutdown_date;
        resolve({ model, outcome: 'found', shutdownDate: typeof date === 'string' && date.trim() ? date.trim() : null });
      } catch {
        reject(new Error('the answer is not JSON'));
      }
    });
  });
}
